"""The outbox sender: concurrent sends within the limits, one chat kept in order, a stalled send holding no one up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from aiosqlite import Connection

from bot.app import Core
from bot.delivery import Attempt, Outcome
from bot.sender import OutboxSender, RateLimiter, SendLimits
from core import replies
from core.clock import FakeClock
from core.messages import Recipient, Reply
from core.replies import compose_reply
from core.sending import BROADCAST_WORTH_FOR, NOTICE_WORTH_FOR
from storage import outbox
from storage.outbox import OutboxKind, OutboxRow
from storage.users import Role, upsert_user

PROBE = OutboxKind.REMINDER  # any kind: the tests register their own composer for it


def test_sends_in_flight_count_against_the_limits() -> None:
    now = [0.0]
    limiter = RateLimiter(SendLimits(per_second=3, chat_interval=1.0), lambda: now[0])
    for chat in ("a", "b", "c"):
        assert limiter.wait_for(chat) == 0
        limiter.begin(chat)
    assert limiter.wait_for("d") > 0  # three on their way fill a second of three
    assert limiter.wait_for("a") >= 1.0  # and a chat with one on its way waits its turn
    now[0] = 0.25
    limiter.record("a")  # its answer arrives: it counts for one second from now
    assert limiter.wait_for("d") > 0
    now[0] = 0.5
    limiter.record("b")
    limiter.record("c")
    now[0] = 1.25
    assert limiter.wait_for("d") == 0  # "a" left the window; "b" and "c" still fill two of three
    assert limiter.wait_for("b") == pytest.approx(0.25)


def test_queued_messages_are_spaced_evenly_so_an_answer_never_waits_behind_a_burst() -> None:
    now = [10.0]
    limiter = RateLimiter(SendLimits(per_second=30), lambda: now[0])
    taken = 0
    while limiter.wait_paced() == 0:  # after a quiet spell, a fifth of a second's worth may go at once
        limiter.paced()
        taken += 1
    assert taken in (6, 7)  # the one now and 0.2 s of credit (whether the last lands at 0 s is rounding)
    assert limiter.wait_paced() == pytest.approx(1 / 30)
    now[0] += 1 / 30
    assert limiter.wait_paced() == pytest.approx(0)
    limiter.paced()
    assert limiter.wait_paced() == pytest.approx(1 / 30)  # then one every thirtieth of a second
    assert limiter.wait_for("someone", answer=True) == 0  # an answer is not paced: it goes first


class ControlledDelivery:
    """Stands in for Delivery: records the order of sends, and can hold one chat's send until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.held: dict[str, asyncio.Event] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.patience: dict[str, float] = {}  # how long each send was told retrying is worth it

    def serves(self, channel: str | None, chat_id: str | None) -> bool:
        return True  # every chat is this process's, as with any channel but a console session's

    async def send_one(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, origin_message_id: str | None = None
    ) -> Outcome:
        self.started.append(f"{recipient.chat_id}:{reply.params['n']}")
        self.patience[f"{recipient.chat_id}:{reply.params['n']}"] = attempt.patience
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        gate = self.held.get(recipient.chat_id)
        if gate is not None:
            await gate.wait()
        else:
            await asyncio.sleep(0)
        self.in_flight -= 1
        self.finished.append(f"{recipient.chat_id}:{reply.params['n']}")
        return Outcome.SENT


async def probe_composer(conn: Connection, row: OutboxRow) -> Reply:
    """The message says which row it is; chat = the row's user, so several rows can share a chat."""
    channel = row.channel or "console"
    return Reply("menu/help", {"n": row.ref}, to=Recipient(channel, f"chat{row.user_id}", "id", row.user_id))


async def queue(core: Core, sends: list[tuple[int, int]], channel: str = "console") -> None:
    """Queue (user, n) probes in this order, creating the users (on `channel`)."""
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        user_ids: dict[int, int] = {}
        for user, n in sends:
            if user not in user_ids:
                created = await upsert_user(
                    conn,
                    channel=channel,
                    external_id=f"u{user}",
                    chat_id=f"chat{user}",
                    display_name=f"User {user}",
                    default_language="id",
                    role=Role.MEMBER,
                    now=now,
                )
                user_ids[user] = created.id
            await outbox.enqueue(conn, kind=PROBE, ref=n, user_id=user_ids[user], now=now)


def make_sender(core: Core, delivery: ControlledDelivery, concurrency: int = 3) -> OutboxSender:
    sender = OutboxSender(
        core.database,
        delivery,  # type: ignore[arg-type]
        core.services.clock,
        SendLimits(per_second=30, chat_interval=0.0),
        concurrency=concurrency,
    )
    sender.register(PROBE, probe_composer)
    return sender


async def test_rows_are_claimed_and_composed_a_twentieth_of_a_second_of_the_pace_at_a_time(core: Core) -> None:
    """At 300 a second, fifteen rows to one claim and one composing: their cost does not grow with the queue."""
    await queue(core, [(u, u) for u in range(1, 61)])
    delivery = ControlledDelivery()
    composed: list[int] = []

    async def compose_together(conn: Connection, rows: Sequence[OutboxRow]) -> list[Reply | None]:
        composed.append(len(rows))
        return [await probe_composer(conn, row) for row in rows]

    sender = OutboxSender(
        core.database,
        delivery,  # type: ignore[arg-type]
        core.services.clock,
        SendLimits(per_second=300, chat_interval=0.0),
        concurrency=8,
    )
    sender.register_many(PROBE, compose_together)
    assert await sender.drain() == 60
    assert composed == [15, 15, 15, 15]
    async with core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, PROBE) == {"sent": 60}


async def test_a_stalled_send_does_not_hold_up_the_others(core: Core) -> None:
    await queue(core, [(1, 1)] + [(u, u) for u in range(2, 12)])
    delivery = ControlledDelivery()
    async with core.database.transaction() as conn:
        first_chat = (await outbox.pending(conn))[0]
    delivery.held[f"chat{first_chat.user_id}"] = gate = asyncio.Event()
    sender = make_sender(core, delivery)
    draining = asyncio.create_task(sender.drain())
    for _ in range(500):  # the database runs in a thread: give it real moments, not just loop turns
        if len(delivery.finished) == 10:
            break
        await asyncio.sleep(0.01)
    assert len(delivery.finished) == 10  # everyone else got theirs while the first waited
    assert not draining.done()
    gate.set()
    assert await draining == 11
    assert delivery.most_in_flight <= 3
    async with core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, PROBE) == {"sent": 11}


async def test_each_channel_keeps_its_own_limits_and_slots_so_a_slow_one_holds_up_no_other(core: Core) -> None:
    """Telegram paced at two messages a second with its sends stalled, WhatsApp at 80 a second: its ten all go."""
    await queue(core, [(u, u) for u in range(1, 6)], channel="telegram")
    await queue(core, [(u, u) for u in range(6, 16)], channel="whatsapp")
    delivery = ControlledDelivery()
    async with core.database.transaction() as conn:
        for row in await outbox.pending(conn):
            if row.channel == "telegram":
                delivery.held[f"chat{row.user_id}"] = asyncio.Event()
    sender = OutboxSender(
        core.database,
        delivery,  # type: ignore[arg-type]
        core.services.clock,
        SendLimits(per_second=2, chat_interval=0.0),
        channel_limits={"whatsapp": SendLimits(per_second=80, chat_interval=0.0)},
        concurrency=2,
    )
    sender.register(PROBE, probe_composer)
    draining = asyncio.create_task(sender.drain())
    await until(lambda: len(delivery.finished) == 10)
    assert all(done.startswith("chat") and int(done.split(":")[1]) >= 6 for done in delivery.finished)
    assert sender.limiter_for("whatsapp") is not sender.limiter_for("telegram")
    for gate in delivery.held.values():
        gate.set()
    assert await asyncio.wait_for(draining, 30) == 15


async def test_one_chat_gets_its_messages_in_the_order_they_were_queued(core: Core) -> None:
    await queue(core, [(1, 1), (2, 2), (1, 3), (3, 4), (1, 5), (2, 6), (1, 7)])
    delivery = ControlledDelivery()
    assert await make_sender(core, delivery, concurrency=4).drain() == 7
    by_chat: dict[str, list[int]] = {}
    for entry in delivery.started:
        chat, n = entry.split(":")
        by_chat.setdefault(chat, []).append(int(n))
    assert sorted(by_chat.values()) == [[1, 3, 5, 7], [2, 6], [4]]
    assert all(numbers == sorted(numbers) for numbers in by_chat.values())


async def test_stopping_lets_the_sends_on_their_way_finish_and_starts_no_more(core: Core) -> None:
    await queue(core, [(u, u) for u in range(1, 8)])
    delivery = ControlledDelivery()
    async with core.database.transaction() as conn:
        first = (await outbox.pending(conn))[0]
    delivery.held[f"chat{first.user_id}"] = gate = asyncio.Event()
    sender = make_sender(core, delivery, concurrency=1)  # the held send blocks the only slot
    await sender.start()
    for _ in range(500):
        if delivery.started:
            break
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(sender.stop(grace=5.0))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the send on its way …
    gate.set()
    await stopping
    assert delivery.finished == delivery.started == [f"chat{first.user_id}:{first.ref}"]  # … and no more
    async with core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, PROBE) == {"sent": 1, "pending": 6}  # recorded, nothing in flight


async def test_a_flushing_stop_sends_everything_queued_first(core: Core) -> None:
    delivery = ControlledDelivery()
    sender = make_sender(core, delivery)
    await sender.start()
    await queue(core, [(u, u) for u in range(1, 6)])  # queued just before the stop, with no wake
    await sender.stop(flush=True)
    assert sorted(entry.split(":")[1] for entry in delivery.finished) == ["1", "2", "3", "4", "5"]
    async with core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, PROBE) == {"sent": 5}


async def test_a_send_retrying_for_long_holds_up_nothing_queued_after_it(core: Core) -> None:
    await queue(core, [(1, 1)])
    delivery = ControlledDelivery()
    delivery.held["chat" + str((await first_pending(core)).user_id)] = gate = asyncio.Event()
    sender = make_sender(core, delivery)
    draining = asyncio.create_task(sender.drain())
    await until(lambda: delivery.in_flight == 1)

    await queue(core, [(u, u) for u in range(2, 6)])  # queued while the first send is still retrying
    sender.wake()

    await until(lambda: len(delivery.finished) == 4)
    assert not draining.done()
    gate.set()
    assert await draining == 5


async def test_each_message_is_retried_for_as_long_as_it_is_worth_it(core: Core, clock: FakeClock) -> None:
    """A broadcast or a reminder for hours (a reminder never past its event); an answer for minutes, and one
    left unsent by a long stop is given up rather than sent to a chat that has moved on."""
    event_at = clock.now() + timedelta(minutes=30)

    async def reminder(conn: Connection, row: OutboxRow) -> Reply:
        return replace(await probe_composer(conn, row), useful_until=event_at if row.ref == 2 else None)

    await queue(core, [(1, 1), (2, 2)])
    origin = Recipient("console", "chat9", "id")
    async with core.database.transaction() as conn:
        answer_ids = await replies.keep(
            conn, [Reply("menu/help", {"n": 3})], origin=origin, origin_message_id=None, now=clock.now()
        )
        notice_ids = await replies.keep(
            conn,
            [Reply("menu/help", {"n": 4}, to=Recipient("console", "chat8", "id"))],
            origin=origin,
            origin_message_id=None,
            now=clock.now(),
        )
        await outbox.release(conn, answer_ids + notice_ids)  # their turn was killed before sending them
    clock.advance(timedelta(minutes=11))
    delivery = ControlledDelivery()
    sender = make_sender(core, delivery)
    sender.register(PROBE, reminder)
    sender.register(OutboxKind.REPLY, compose_reply)

    assert await sender.drain() == 3

    assert delivery.patience == {
        "chat1:1": (BROADCAST_WORTH_FOR - timedelta(minutes=11)).total_seconds(),
        "chat2:2": timedelta(minutes=19).total_seconds(),
        "chat8:4": (NOTICE_WORTH_FOR - timedelta(minutes=11)).total_seconds(),
    }
    async with core.database.conn.execute("SELECT status, error FROM outbox WHERE id = ?", answer_ids) as cursor:
        assert tuple(await cursor.fetchone()) == ("failed", "no longer worth sending")


async def first_pending(core: Core) -> OutboxRow:
    async with core.database.transaction() as conn:
        return (await outbox.pending(conn))[0]


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):  # the database runs in a thread: give it real moments, not just loop turns
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")
