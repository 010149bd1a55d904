"""Receipts without a transport: a status that comes before its send is recorded still counts, and only ever
moves forward; a late failure changes how the copy ended; receipts of sends nobody recorded are pruned."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Core
from core import receipts, windows
from core.clock import FakeClock
from core.receipts import Failure, Receipt, ReceiptState
from storage import outbox
from storage.broadcasts import Audience, insert_broadcast
from storage.outbox import OutboxKind, OutboxStatus
from storage.users import Role, upsert_user

WA = "6281234567890"


async def a_sent_broadcast_copy(core: Core) -> tuple[int, int]:
    """(broadcast id, outbox row id) of one copy to a WhatsApp user, recorded as sent."""
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        user = await upsert_user(
            conn, channel="whatsapp", external_id=WA, chat_id=WA, display_name="Rina",
            default_language="id", role=Role.MEMBER, now=now,
        )  # fmt: skip
        broadcast = await insert_broadcast(
            conn, author_id=user.id, audience=Audience.PARTICIPANTS, audience_ref=None, text="Bus 07.30",
            recipients=1, skipped=0, now=now,
        )  # fmt: skip
        await outbox.enqueue(conn, kind=OutboxKind.BROADCAST, ref=broadcast.id, user_id=user.id, now=now)
        [row] = await outbox.pending(conn)
        await outbox.claim(conn, row.id, now)
        await outbox.settle(conn, row.id, OutboxStatus.SENT, now, None, ["wamid.B1"])
    return broadcast.id, row.id


def receipt(state: ReceiptState, core: Core, failure: Failure | None = None) -> Receipt:
    return Receipt("whatsapp", WA, "wamid.B1", state, core.services.clock.now(), failure)


async def test_a_receipt_before_its_send_is_recorded_still_counts_and_only_moves_forward(core: Core) -> None:
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        assert await receipts.record(conn, [receipt(ReceiptState.READ, core)], now) == 0  # no row yet
    broadcast, row_id = await a_sent_broadcast_copy(core)
    async with core.database.transaction() as conn:
        await receipts.tie(conn, row_id, ["wamid.B1"], now)
        await receipts.record(conn, [receipt(ReceiptState.DELIVERED, core)], now)  # late, out of order
        seen = await receipts.seen_for(conn, OutboxKind.BROADCAST, broadcast)
    assert (seen.tracked, seen.delivered, seen.read) == (1, 1, 1)


async def test_a_late_failure_outside_the_window_ends_the_copy_so_and_closes_the_window(core: Core) -> None:
    _, row_id = await a_sent_broadcast_copy(core)
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        await windows.wrote(conn, "whatsapp", WA, now - timedelta(minutes=1))
        await receipts.tie(conn, row_id, ["wamid.B1"], now)
        await receipts.record(conn, [receipt(ReceiptState.FAILED, core, Failure.OUTSIDE_WINDOW)], now)
        assert await outbox.counts_by_status(conn, OutboxKind.BROADCAST) == {OutboxStatus.OUTSIDE_WINDOW: 1}
        assert not await windows.is_open(conn, "whatsapp", WA, now)


async def test_receipts_no_send_was_tied_to_are_pruned_after_two_days(core: Core, clock: FakeClock) -> None:
    async with core.database.transaction() as conn:
        await receipts.record(conn, [receipt(ReceiptState.SENT, core)], clock.now())
        clock.advance(timedelta(days=3))
        assert await receipts.prune(conn, clock.now()) == 1
