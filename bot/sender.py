"""The one sender of queued messages (reminders, broadcasts and their reports), within the platform's limits.

Rows are claimed in the outbox before sending and settled after, each in its own transaction, so a
crash loses nothing and repeats at most the message that was in flight. The message is composed at
send time by the composer registered for the row's kind, so it shows the plan as it is then.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from aiosqlite import Connection

from bot.delivery import Attempt, Delivery, Outcome
from core import receipts
from core.clock import Clock
from core.messages import Composer, Recipient, Reply, Settled
from core.replies import origin_message_of
from core.sending import worth_sending_until
from storage import outbox
from storage.db import Database
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus

logger = logging.getLogger(__name__)

SETTLED_AS = {
    Outcome.SENT: OutboxStatus.SENT,
    Outcome.UNREACHABLE: OutboxStatus.UNREACHABLE,
    Outcome.OUTSIDE_WINDOW: OutboxStatus.OUTSIDE_WINDOW,
}
"""How a send's outcome is recorded; anything else failed (HELD is not an end: the row waits, outbox.hold)."""
NO_LONGER_WORTH_IT = "no longer worth sending"


async def settle(
    conn: Connection, row_id: int, to: Recipient, outcome: Outcome, attempt: Attempt, now: datetime
) -> None:
    """Record how one row's send ended (answers and queued rows alike), with the message ids the platform gave,
    tied to the row where the channel later tells what became of them (core.receipts)."""
    if receipts.told(to.channel):
        sent = [*attempt.delivered, *([attempt.stand_in] if attempt.stand_in else [])]
        await receipts.tie(conn, row_id, sent, now)
    if outcome is Outcome.HELD:
        await outbox.hold(conn, row_id, to.channel, to.chat_id, attempt.delivered, now)
        return
    status = SETTLED_AS.get(outcome, OutboxStatus.FAILED)
    error = None if status is OutboxStatus.SENT else outcome.value
    await outbox.settle(conn, row_id, status, now, error, attempt.delivered)


async def save_delivered(database: Database, row_id: int, delivered: Sequence[str]) -> None:
    """An Attempt's `save`: the steps of a row accepted so far, in a transaction of their own."""
    async with database.transaction() as conn:
        await outbox.save_delivered(conn, row_id, delivered)


LOOK_AGAIN_AFTER = 10.0
"""Seconds after which the sender looks at the outbox even if nobody woke it (a safety net: whoever queues a
row wakes it, and a turn that could not send its replies releases them and wakes it too)."""
ANSWERS_FIRST_PAUSE = 0.005
PACING_CREDIT = 0.2
"""Seconds of paced slots a queue that waited may take at once (RateLimiter.paced)."""


@dataclass(frozen=True)
class SendLimits:
    """A platform's limits (configurable): overall, per private chat, per group. The defaults are Telegram's;
    WhatsApp's come from whatsapp_limits."""

    per_second: int = 30
    chat_interval: float = 1.0
    group_per_minute: int = 20
    # Extra slack on the one-second window. Sends are counted when their answer arrives, which already
    # keeps the platform's count within ours, so none is needed by default.
    margin: float = 0.0


def whatsapp_limits(per_second: int, chat_interval: float) -> SendLimits:
    """WhatsApp Cloud API: `per_second` per business number (80 unless Meta raised it). Its pair rate limit to one
    user (131056) is not published as a number: messages the bot starts keep `chat_interval` apart per chat, as
    on Telegram, and a 131056 is waited out by that send alone (the chat's later messages wait behind it)."""
    return SendLimits(per_second=per_second, chat_interval=chat_interval)


class RateLimiter:
    """Sliding windows over a monotonic clock: how long until a message to this chat may go.

    A send is counted from the moment it starts (in flight) until a second after its answer arrived.
    The platform received it somewhere in between, so its own window never holds more than ours.
    """

    def __init__(self, limits: SendLimits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._now = monotonic
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[str, float] = {}
        self._group_recent: dict[str, deque[float]] = {}
        self._in_flight: collections.Counter[str] = collections.Counter()
        self.answers_waiting = 0  # replies someone waits for, waiting for their turn: queued messages yield
        self._next_paced = -math.inf

    def wait_overall(self) -> float:
        """How long until any message may go, whatever its chat (the overall per-second limit)."""
        now = self._now()
        second = 1.0 + self._limits.margin
        while self._recent and now - self._recent[0] >= second:
            self._recent.popleft()
        excess = len(self._recent) + self._in_flight.total() - self._limits.per_second
        if excess < 0:
            return 0.0
        # Wait until enough answered sends leave the window; if only sends in flight fill it, poll shortly.
        return second - (now - self._recent[excess]) if excess < len(self._recent) else 0.01

    def wait_paced(self) -> float:
        """How long until the next queued message (a broadcast's, a reminder) may go: within the overall limit,
        and evenly spaced. Unpaced, a broadcast went out as thirty sends at once and then nothing for a second,
        in the same rhythm every second, and an answer arriving just after a burst waited most of a second."""
        return max(self.wait_overall(), self._next_paced - self._now())

    def paced(self) -> None:
        """Take the next paced slot (before composing, so the time composing takes is not added to the spacing).
        After a pause, up to PACING_CREDIT seconds' worth of slots may be taken at once: a queue that fell
        behind catches up a little, and an answer still never waits behind a burst of more than a few."""
        now = self._now()
        self._next_paced = max(self._next_paced, now - PACING_CREDIT) + 1.0 / self._limits.per_second

    def wait_for(self, chat_id: str, *, answer: bool = False) -> float:
        """How long until a message to this chat may go. An answer (a reply someone waits for) keeps its place
        after the chat's send in flight but not the per-chat interval: the two or three messages of one
        answer go one after another, as a person's chat app shows a bot's answer."""
        now = self._now()
        waits = [self.wait_overall()]
        if self._in_flight[chat_id]:
            waits.append(0.01 if answer else self._limits.chat_interval or 0.01)
        last = self._last_by_chat.get(chat_id)
        if last is not None and not answer:
            waits.append(self._limits.chat_interval - (now - last))
        if chat_id.startswith("-"):
            window = self._group_recent.setdefault(chat_id, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) + self._in_flight[chat_id] >= self._limits.group_per_minute:
                waits.append(60.0 - (now - window[0]) if window else 0.01)
        return max(waits)

    def begin(self, chat_id: str) -> None:
        """A send to this chat has started: it counts against the limits until it is recorded."""
        self._in_flight[chat_id] += 1

    def record(self, chat_id: str) -> None:
        """A send's answer arrived (or, without begin, a send happened now)."""
        if self._in_flight[chat_id] > 0:
            self._in_flight[chat_id] -= 1
        if not self._in_flight[chat_id]:
            del self._in_flight[chat_id]
        now = self._now()
        self._recent.append(now)
        self._last_by_chat[chat_id] = now
        if chat_id.startswith("-"):
            self._group_recent.setdefault(chat_id, deque()).append(now)


class _Waiting:
    """The chats with a row left waiting in this pass: nothing newer goes to them before it."""

    def __init__(self) -> None:
        self.chats: set[tuple[str, str]] = set()  # (channel, chat_id)


@dataclass
class Lane:
    """One channel's share of the sender: its platform's limits, and its own slots for sends on their way, so a
    slow or throttling platform holds up none of the others."""

    limiter: RateLimiter
    slots: asyncio.Semaphore


class OutboxSender:
    """Drains the outbox with up to `concurrency` sends on their way at once.

    Sending one at a time would let a single message waiting out a 429's retry_after hold up everyone;
    a few slots keep the others going while the limiter (which counts sends in flight) keeps the pace.
    One chat still gets its messages one after another, in the order they were queued.
    """

    def __init__(
        self,
        database: Database,
        delivery: Delivery,
        clock: Clock,
        limits: SendLimits = SendLimits(),
        *,
        channel_limits: Mapping[str, SendLimits] | None = None,
        concurrency: int = 4,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._database = database
        self._delivery = delivery
        self._clock = clock
        self._limits = limits  # of a channel not named in channel_limits
        self._channel_limits = dict(channel_limits or {})
        self._concurrency = concurrency
        self._monotonic = monotonic
        self._lanes: dict[str, Lane] = {}
        self._sleep = sleep
        self._composers: dict[OutboxKind, Composer] = {}
        self._settled: dict[OutboxKind, Settled] = {}
        self._wake = asyncio.Event()
        self._draining = asyncio.Lock()
        self._a_send_settled = asyncio.Event()
        self._claimed: set[int] = set()  # rows this sender took and has not settled yet
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._finishing = False
        self._sent = 0

    def limiter_for(self, channel: str) -> RateLimiter:
        """The channel's limiter: the answers of a turn (bot/answers.py) count against it with the queued rows."""
        return self._lane(channel).limiter

    def _lane(self, channel: str) -> Lane:
        lane = self._lanes.get(channel)
        if lane is None:
            limits = self._channel_limits.get(channel, self._limits)
            lane = Lane(RateLimiter(limits, self._monotonic), asyncio.Semaphore(self._concurrency))
            self._lanes[channel] = lane
        return lane

    def register(self, kind: OutboxKind, composer: Composer, settled: Settled | None = None) -> None:
        """How rows of a kind become messages, and what to do after each is settled (e.g. report when done)."""
        self._composers[kind] = composer
        if settled is not None:
            self._settled[kind] = settled

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self, *, in_flight_of: tuple[str, str] | None = None) -> None:
        """Send again what a crash left in flight, then keep sending. `in_flight_of` (channel, chat id): only that
        chat's, for a process that shares the database with others (a console session)."""
        async with self._database.transaction() as conn:
            released = await outbox.release_in_flight(conn, in_flight_of)
        if released:
            logger.warning("%d messages were in flight at the last stop; sending them again", released)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")
        self.wake()

    async def stop(self, grace: float = 10.0, *, flush: bool = False) -> None:
        """Take no more rows, give the sends on their way `grace` seconds to be answered and recorded, then cancel.

        Letting them finish matters: a send cancelled mid-flight may have reached the user, and is sent
        again after the restart. With `flush`, everything already queued is sent first (within the grace):
        the console does this, so a message queued just before the session ends is still shown.
        """
        if self._task is None:
            return
        if flush:
            self._finishing = True
        else:
            self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            logger.warning("outbox sends still on their way after %.0f s; they will be sent again at start", grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping = self._finishing = False  # drain() may still be called by hand (tests, the command line)

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), LOOK_AGAIN_AFTER)
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.drain()
            except Exception:  # the sender must outlive any one bad row or database hiccup
                logger.exception("outbox sender failed; retrying shortly")
                await self._sleep(1.0)
                async with self._database.transaction() as conn:
                    await outbox.release(conn, sorted(self._claimed))  # cancelled with the failure: they go again
                self._claimed.clear()
                self.wake()
                continue
            if self._finishing and not self._wake.is_set():
                return  # flushed: everything queued before the stop has been sent

    async def drain(self, kinds: frozenset[OutboxKind] | None = None) -> int:
        """Send everything pending, honouring the limits; returns how many were sent once all have settled.

        A send that takes long (retrying through an outage) holds up neither the other chats nor rows queued
        meanwhile: the outbox is looked at again after every pass, and when a pass could start nothing, again
        when a send settles, a chat's interval is over or something new is queued. Settling can queue more
        (a broadcast's report when its last message settles).
        """
        async with self._draining:  # one drain at a time: two would race each other for a chat's order
            self._sent = 0
            async with asyncio.TaskGroup() as sends:
                while not self._stopping:
                    found, started, soonest = await self._start_pending(kinds, sends)
                    if not found and not self._claimed:
                        break
                    if not started:
                        await self._until_a_send_settles(min(soonest, LOOK_AGAIN_AFTER))
            return self._sent

    async def _start_pending(
        self, kinds: frozenset[OutboxKind] | None, sends: asyncio.TaskGroup
    ) -> tuple[bool, int, float]:
        """One pass over the pending rows, in order: each is sent if its chat may get it now, else left pending.

        Returns whether any row was pending, how many sends started, and the soonest a row left may go.
        """
        async with self._database.transaction() as conn:
            rows = await outbox.pending(conn, kinds=kinds)
        rows = [row for row in rows if self._delivery.serves(row.channel, row.chat_id)]  # the rest: another's
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel or "", []).append(row)
        waiting = _Waiting()
        # Each channel's rows go through its own lane at once: one platform's pace or outage holds up no other.
        counts = await asyncio.gather(
            *(self._start_lane(channel, lane_rows, waiting, sends) for channel, lane_rows in by_channel.items())
        )
        waits = [self._lane(channel).limiter.wait_for(chat) for channel, chat in waiting.chats]
        return bool(rows), sum(counts), min(waits, default=LOOK_AGAIN_AFTER)

    def wake(self) -> None:
        self._wake.set()
        self._a_send_settled.set()

    async def _until_a_send_settles(self, wait: float) -> None:
        """Wait `wait` seconds, or less if a send settles first (a row held behind its chat's send may go then)."""
        self._a_send_settled.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._a_send_settled.wait(), max(0.001, wait))

    async def _start_lane(
        self, channel: str, rows: list[OutboxRow], waiting: _Waiting, sends: asyncio.TaskGroup
    ) -> int:
        """One channel's rows of the pass, in order; returns how many sends started."""
        lane = self._lane(channel)
        started = 0
        for row in rows:
            if self._stopping:
                break
            started += await self._start_row(row, lane, waiting, sends)
        return started

    async def _start_row(self, row: OutboxRow, lane: Lane, waiting: _Waiting, sends: asyncio.TaskGroup) -> bool:
        """Compose and claim one row, then send it in a slot of its channel's lane; False when it was not started
        (its chat must wait, or it was settled without a send)."""
        await lane.slots.acquire()  # before the transaction, so a full house never blocks a settling send
        started = False
        try:
            # Compose only when a message may go: composing rows the overall limit would only defer again
            # cost a transaction each, over and over, and starved the event loop under load.
            while ((wait := lane.limiter.wait_paced()) > 0 or lane.limiter.answers_waiting) and not self._stopping:
                await self._sleep(wait or ANSWERS_FIRST_PAUSE)
            if self._stopping:
                return False
            lane.limiter.paced()
            now = self._clock.now()
            async with self._database.transaction() as conn:
                composer = self._composers.get(row.kind)
                reply = await composer(conn, row) if composer else None
                if reply is None or reply.to is None:
                    await outbox.settle(conn, row.id, OutboxStatus.DROPPED, now, "nothing to send any more")
                    await self._after(conn, row)
                    return False
                worth_until = worth_sending_until(row.kind, row.priority, row.created_at or now, reply)
                if now >= worth_until:
                    logger.warning(
                        "outbox row %s (%s) not sent by %s: no longer worth sending", row.id, row.kind, worth_until
                    )
                    await outbox.settle(conn, row.id, OutboxStatus.FAILED, now, NO_LONGER_WORTH_IT, row.delivered)
                    await self._after(conn, row)
                    return False
                to = reply.to
                answer = row.kind is OutboxKind.REPLY
                chat = (to.channel, to.chat_id)
                if chat in waiting.chats or lane.limiter.wait_for(to.chat_id, answer=answer) > 0:
                    waiting.chats.add(chat)
                    return False
                if not await outbox.claim(conn, row.id, now):
                    return False
            self._claimed.add(row.id)
            lane.limiter.begin(to.chat_id)
            save = partial(save_delivered, self._database, row.id)
            attempt = Attempt((worth_until - now).total_seconds(), list(row.delivered), save)
            sends.create_task(self._send(row, reply, attempt, lane), name=f"outbox-send-{row.id}")
            started = True
            return True
        finally:
            if not started:
                lane.slots.release()

    async def _send(self, row: OutboxRow, reply: Reply, attempt: Attempt, lane: Lane) -> None:
        """Send one claimed row and settle it; the slot is freed whatever happens."""
        assert reply.to is not None
        try:
            try:
                outcome = await self._delivery.send_one(reply.to, reply, attempt, origin_message_of(row))
            except Exception:  # a bug in composing or rendering must not take the other sends down
                logger.exception("sending outbox row %s failed unexpectedly", row.id)
                outcome = Outcome.FAILED
            finally:
                lane.limiter.record(reply.to.chat_id)
            async with self._database.transaction() as conn:
                await settle(conn, row.id, reply.to, outcome, attempt, self._clock.now())
                await self._after(conn, row)
            self._claimed.discard(row.id)
            self._sent += outcome is Outcome.SENT
        finally:
            lane.slots.release()
            self._a_send_settled.set()

    async def _after(self, conn: Connection, row: OutboxRow) -> None:
        settled = self._settled.get(row.kind)
        if settled is not None:
            await settled(conn, row)
