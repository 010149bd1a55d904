"""Broadcasts: a text from host staff to an audience, delivered through the outbox at the shared rate, with a
delivery report for its author once every copy is settled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from aiosqlite import Connection

from core import receipts
from core.errors import ValidationError
from core.people import require_staff
from core.services import Services
from core.session import Session
from storage import outbox
from storage.broadcasts import (
    Audience,
    Broadcast,
    audience_user_ids,
    get_broadcast,
    insert_broadcast,
    mark_reported,
    recent_broadcasts,
)
from storage.delegations import get_delegation
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus

TEXT_LENGTH = (2, 3500)


@dataclass(frozen=True)
class Reach:
    """Whom an audience would reach now: the users who can be written to, and those who cannot."""

    reachable: list[int]
    skipped: int


@dataclass(frozen=True)
class DeliveryCounts:
    """Where a broadcast's copies ended. `held`: outside WhatsApp's window a template went in the copy's place
    and the full text waits for the user's reply; `outside_window`: not even that could go. Of the copies on a
    channel that tells (`tracked`, WhatsApp), how many reached the phone and how many were read."""

    number: int
    recipients: int
    sent: int
    failed: int
    unreachable: int
    waiting: int
    held: int = 0
    outside_window: int = 0
    tracked: int = 0
    delivered: int = 0
    read: int = 0


def parse_text(typed: str) -> str:
    text = typed.strip()
    if not TEXT_LENGTH[0] <= len(text) <= TEXT_LENGTH[1]:
        raise ValidationError("broadcast/errors/text_length", low=TEXT_LENGTH[0], high=TEXT_LENGTH[1], length=len(text))
    return text


async def reach(session: Session, audience: Audience, ref: str | None) -> Reach:
    users = await audience_user_ids(session.conn, audience, ref, session.today)
    reachable = [user_id for user_id, blocked in users if not blocked]
    return Reach(reachable, len(users) - len(reachable))


async def target_name(conn: Connection, audience: Audience, ref: str | None) -> str | None:
    """What the audience names: the visiting institution, or the day (as the ISO date)."""
    if audience is Audience.DELEGATION and ref:
        delegation = await get_delegation(conn, int(ref))
        return delegation.institution if delegation else None
    return ref


async def send(session: Session, audience: Audience, ref: str | None, text: str) -> Broadcast:
    """Queue one copy for everyone the audience reaches now (it may have changed since the preview)."""
    require_staff(session.user, "broadcast")
    now = session.now
    audience_now = await reach(session, audience, ref)
    if not audience_now.reachable:  # someone blocked the bot, or a visit was cancelled, since the preview
        raise ValidationError("broadcast/errors/nobody")
    broadcast = await insert_broadcast(
        session.conn,
        author_id=session.user.id,
        audience=audience,
        audience_ref=ref,
        text=text,
        recipients=len(audience_now.reachable),
        skipped=audience_now.skipped,
        now=now,
    )
    for user_id in audience_now.reachable:
        await outbox.enqueue(session.conn, kind=OutboxKind.BROADCAST, ref=broadcast.id, user_id=user_id, now=now)
    await session.audit(
        "broadcast.sent", "broadcast", broadcast.id, audience=audience, recipients=len(audience_now.reachable)
    )
    session.services.signals.outbox_changed()
    return broadcast


async def messages_of(conn: Connection, rows: Sequence[OutboxRow]) -> dict[int, Broadcast]:
    """The broadcasts of copies claimed together, by id, each read once (the copies of one broadcast share it)."""
    found: dict[int, Broadcast] = {}
    for ref in dict.fromkeys(row.ref for row in rows):
        if (broadcast := await get_broadcast(conn, ref)) is not None:
            found[ref] = broadcast
    return found


async def delivery_counts(conn: Connection, broadcast_id: int) -> DeliveryCounts | None:
    broadcast = await get_broadcast(conn, broadcast_id)
    if broadcast is None:
        return None
    counts = await outbox.counts_for(conn, OutboxKind.BROADCAST, broadcast.id)
    seen = await receipts.seen_for(conn, OutboxKind.BROADCAST, broadcast.id)
    return DeliveryCounts(
        number=broadcast.id,
        recipients=broadcast.recipients + broadcast.skipped,
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.DROPPED, 0),
        unreachable=counts.get(OutboxStatus.UNREACHABLE, 0) + broadcast.skipped,
        waiting=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        held=counts.get(OutboxStatus.HELD, 0),
        outside_window=counts.get(OutboxStatus.OUTSIDE_WINDOW, 0),
        tracked=seen.tracked,
        delivered=seen.delivered,
        read=seen.read,
    )


async def report_when_done(conn: Connection, row: OutboxRow, services: Services) -> None:
    """After copies are settled: when none is left waiting, queue the delivery report for the author, once.

    Asked after every settling, so it only looks whether a copy still waits (one look in an index); the report
    counts the copies when it is composed (delivery_counts)."""
    if await outbox.any_waiting(conn, OutboxKind.BROADCAST, row.ref):
        return
    now = services.clock.now()
    if await mark_reported(conn, row.ref, now):
        broadcast = await get_broadcast(conn, row.ref)
        assert broadcast is not None
        await outbox.enqueue(conn, kind=OutboxKind.BROADCAST_REPORT, ref=row.ref, user_id=broadcast.author_id, now=now)


async def recent_counts(session: Session) -> list[DeliveryCounts]:
    require_staff(session.user, "broadcast status")
    return [c for b in await recent_broadcasts(session.conn) if (c := await delivery_counts(session.conn, b.id))]


def day_of(audience: Audience, ref: str | None) -> date | None:
    return date.fromisoformat(ref) if audience is Audience.DATE and ref else None
