"""The one sender of queued messages (reminders, broadcasts and their reports), within the platform's limits.

Rows are claimed in the outbox before sending and settled after, so a crash loses nothing and repeats at most
the message that was in flight to each chat. The message is composed at send time by the composer registered for
the row's kind, so it shows the plan as it is then.

What one send costs is kept small and the same for the first copy of a broadcast as for the ten-thousandth: a
send slot and the pace are taken before anything is composed; the rows of the next CLAIM_AHEAD seconds of the pace
are claimed in one statement and composed in the same transaction; the sends that finish within SETTLE_LINGER
of each other are settled in one transaction, and the broadcast's report asks only whether a copy still waits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from aiosqlite import Connection

from bot.delivery import Attempt, Delivery, Outcome
from bot.limits import RateLimiter, SendLimits, whatsapp_limits
from bot.settling import Finished, save_delivered, settle, settle_all
from core.clock import Clock
from core.messages import Composer, ManyComposer, Recipient, Reply, Settled
from core.replies import origin_message_of
from core.sending import worth_sending_until
from storage import outbox
from storage.db import Database
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus

__all__ = ["OutboxSender", "RateLimiter", "SendLimits", "save_delivered", "settle", "whatsapp_limits"]

logger = logging.getLogger(__name__)

TELEGRAM_LIMITS = SendLimits()
NO_LONGER_WORTH_IT = "no longer worth sending"
LOOK_AGAIN_AFTER = 10.0
"""Seconds after which the sender looks at the outbox even if nobody woke it (a safety net: whoever queues a
row wakes it, and a turn that could not send its replies releases them and wakes it too)."""
ANSWERS_FIRST_PAUSE = 0.005
CLAIM_AHEAD = 0.05
"""Seconds of a lane's pace whose rows are claimed and composed in one transaction: two rows at Telegram's 30 a
second, fifteen at 300. A row claimed waits at most about that long for its turn; a kill meanwhile leaves it in
flight, and in flight is sent again at the next start (it was not sent, so nobody gets it twice)."""
MOST_CLAIMED = 32
SETTLE_LINGER = 0.005
"""Seconds a finished send waits for the others on their way to finish, so that they are recorded in one
transaction; one finishing with none other on its way is recorded at once. Its slot stays taken meanwhile (_Hold),
so the wait is short: 20 ms held the 8 slots of a 300-a-second broadcast so long that it went at 253 a second
(bench/broadcast.py); 5 ms keeps 296, with 0.27 transactions a message. A kill in that time sends them again after
the restart: each is its chat's one send in flight, and they are no more than the slots. A lane whose pace starts
no other send within it does not wait (at Telegram's 30 a second: a 1,000-message broadcast took 1.013-1.014 x its
floor with the wait, 1.009-1.010 without; Lane.linger)."""


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
    claim: int  # how many rows are claimed together (CLAIM_AHEAD seconds of its pace)
    linger: float  # SETTLE_LINGER where its pace starts another send within it, else 0


@dataclass
class _Hold:
    """A send that began: its chat gets nothing more, and its send slot takes no other send, until its end is
    recorded (RateLimiter.begin). So a kill repeats at most one message per chat, and no more messages than there
    are slots: a slot freed when the answer arrived let other sends go and end, unrecorded, while the first
    waited to record them together, and a kill under load repeated twice as many (tests/test_crash.py)."""

    limiter: RateLimiter
    chat_id: str
    slot: asyncio.Semaphore
    answered: bool = False

    def release(self) -> None:
        if self.answered:
            self.limiter.settled(self.chat_id)
        else:  # its task was cancelled before it sent
            self.limiter.abandon(self.chat_id)
        self.slot.release()


@dataclass(frozen=True)
class _Ready:
    """A row claimed and composed, waiting for its slot and its turn in the pace."""

    row: OutboxRow
    reply: Reply
    to: Recipient
    worth_until: datetime


def one_by_one(composer: Composer) -> ManyComposer:
    """A ManyComposer of a kind whose rows are composed each on its own."""

    async def compose(conn: Connection, rows: Sequence[OutboxRow]) -> list[Reply | None]:
        return [await composer(conn, row) for row in rows]

    return compose


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
        limits: SendLimits = TELEGRAM_LIMITS,
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
        self._composers: dict[OutboxKind, ManyComposer] = {}
        self._settled: dict[OutboxKind, Settled] = {}
        self._wake = asyncio.Event()
        self._draining = asyncio.Lock()
        self._a_send_settled = asyncio.Event()
        self._claimed: set[int] = set()  # rows this sender took and has not settled yet
        self._finished: list[tuple[OutboxRow, Finished]] = []  # sends that ended, not recorded yet (SETTLE_LINGER)
        self._settling = False  # a send task is recording the finished ones
        self._on_their_way = 0  # sends started and not answered yet
        self._holds: dict[int, _Hold] = {}  # rows whose send began and is not recorded yet, by row id
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
            claim = max(1, min(MOST_CLAIMED, round(limits.per_second * CLAIM_AHEAD)))
            linger = SETTLE_LINGER if limits.per_second * SETTLE_LINGER >= 1 else 0.0
            lane = Lane(RateLimiter(limits, self._monotonic), asyncio.Semaphore(self._concurrency), claim, linger)
            self._lanes[channel] = lane
        return lane

    def register(self, kind: OutboxKind, composer: Composer, settled: Settled | None = None) -> None:
        """How rows of a kind become messages, and what to do after they are settled (e.g. report when done)."""
        self.register_many(kind, one_by_one(composer), settled)

    def register_many(self, kind: OutboxKind, composer: ManyComposer, settled: Settled | None = None) -> None:
        """As register, for a kind whose rows claimed together are composed together (a broadcast's copies)."""
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
                self._forget_unrecorded()
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
            try:
                async with asyncio.TaskGroup() as sends:
                    while not self._stopping:
                        found, started, soonest = await self._start_pending(kinds, sends)
                        if not found and not self._claimed:
                            break
                        if not started:
                            await self._until_a_send_settles(min(soonest, LOOK_AGAIN_AFTER))
            finally:  # what is left unrecorded was cut short by a failure or a cancel: in flight, sent again at start
                self._forget_unrecorded()
                self._on_their_way = 0
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
        """One channel's rows of the pass, in order, a claim at a time; returns how many sends started.

        A send slot and the pace come first, so nothing is composed only to wait: composing rows the limits then
        deferred cost a transaction each, over and over, and starved the event loop under load. Then the rows of
        the next CLAIM_AHEAD seconds are claimed and composed together, and each is sent in its turn.
        """
        lane = self._lane(channel)
        queue = collections.deque(rows)
        started = 0
        while queue and not self._stopping:
            await lane.slots.acquire()  # before the transaction, so a full house never blocks a settling send
            holding = True
            try:
                if not await self._wait_for_pace(lane.limiter):
                    break
                claimable = self._next_claim(queue, lane, waiting)
                if not claimable:
                    break
                ready = await self._claim(claimable)
                for index, item in enumerate(ready):
                    if not holding:
                        await lane.slots.acquire()
                        holding = True
                    if not await self._wait_for_pace(lane.limiter):  # stopping: what is claimed goes back unsent
                        await self._release([later.row.id for later in ready[index:]])
                        break
                    to = item.to
                    if lane.limiter.wait_chat(to.chat_id, answer=item.row.kind is OutboxKind.REPLY) > 0:
                        waiting.chats.add((to.channel, to.chat_id))  # a turn's answer went to the chat meanwhile
                        await self._release([item.row.id])
                        continue
                    lane.limiter.paced()
                    lane.limiter.begin(to.chat_id)
                    self._holds[item.row.id] = _Hold(lane.limiter, to.chat_id, lane.slots)
                    sends.create_task(self._send(item, lane), name=f"outbox-send-{item.row.id}")
                    self._on_their_way += 1
                    holding = False  # the hold frees the slot, once the send is recorded
                    started += 1
            finally:
                if holding:
                    lane.slots.release()
        return started

    async def _wait_for_pace(self, limiter: RateLimiter) -> bool:
        """Wait until the lane's pace lets a queued message go and no answer waits for its turn; False: stopping."""
        while ((wait := limiter.wait_paced()) > 0 or limiter.answers_waiting) and not self._stopping:
            await self._sleep(wait or ANSWERS_FIRST_PAUSE)
        return not self._stopping

    def _next_claim(self, queue: collections.deque[OutboxRow], lane: Lane, waiting: _Waiting) -> list[OutboxRow]:
        """The next rows of the pass to claim together: up to the lane's claim, one per chat, of chats that may get a
        message now. A chat that may not, or has one already among them, waits for the next pass (its order)."""
        rows: list[OutboxRow] = []
        chats: set[tuple[str, str]] = set()
        while queue and len(rows) < lane.claim:
            row = queue.popleft()
            if row.chat_id is None:  # nobody to send it to any more: composed to nothing and dropped with the rest
                rows.append(row)
                continue
            chat = (row.channel or "", row.chat_id)
            answer = row.kind is OutboxKind.REPLY
            if chat in waiting.chats or chat in chats or lane.limiter.wait_chat(row.chat_id, answer=answer) > 0:
                waiting.chats.add(chat)
                continue
            chats.add(chat)
            rows.append(row)
        return rows

    async def _claim(self, rows: list[OutboxRow]) -> list[_Ready]:
        """Claim the rows in one statement and compose them, in one transaction; those with nothing to send any more,
        or no longer worth it, are settled in it. Returns the rest, claimed, in order."""
        now = self._clock.now()
        ready: list[_Ready] = []
        async with self._database.transaction() as conn:
            taken = await outbox.claim_many(conn, [row.id for row in rows], now)  # others' rows are someone else's
            claimed = [row for row in rows if row.id in taken]
            ended: list[OutboxRow] = []
            for row, reply in zip(claimed, await self._compose(conn, claimed), strict=True):
                if reply is None or reply.to is None:
                    await outbox.settle(conn, row.id, OutboxStatus.DROPPED, now, "nothing to send any more")
                    ended.append(row)
                    continue
                worth_until = worth_sending_until(row.kind, row.priority, row.created_at or now, reply)
                if now >= worth_until:
                    logger.warning(
                        "outbox row %s (%s) not sent by %s: no longer worth sending", row.id, row.kind, worth_until
                    )
                    await outbox.settle(conn, row.id, OutboxStatus.FAILED, now, NO_LONGER_WORTH_IT, row.delivered)
                    ended.append(row)
                    continue
                ready.append(_Ready(row, reply, reply.to, worth_until))
            await self._after(conn, ended)
        self._claimed.update(item.row.id for item in ready)
        return ready

    async def _compose(self, conn: Connection, rows: list[OutboxRow]) -> list[Reply | None]:
        """Each row's message, in order, by the composer of its kind (None: nothing to send any more)."""
        by_kind: dict[OutboxKind, list[OutboxRow]] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append(row)
        composed: dict[int, Reply | None] = {}
        for kind, of_kind in by_kind.items():
            composer = self._composers.get(kind)
            replies = await composer(conn, of_kind) if composer else [None] * len(of_kind)
            composed.update(zip((row.id for row in of_kind), replies, strict=True))
        return [composed[row.id] for row in rows]

    async def _release(self, row_ids: list[int]) -> None:
        """Claimed rows not sent after all (stopping, or their chat must wait): back in the queue."""
        if row_ids:
            async with self._database.transaction() as conn:
                await outbox.release(conn, row_ids)
            self._claimed.difference_update(row_ids)

    async def _send(self, item: _Ready, lane: Lane) -> None:
        """Send one claimed row, then record how it ended (which frees its chat and its slot: _Hold)."""
        row, reply, to = item.row, item.reply, item.to
        save = partial(save_delivered, self._database, row.id)
        attempt = Attempt((item.worth_until - self._clock.now()).total_seconds(), list(row.delivered), save)
        try:
            try:
                outcome = await self._delivery.send_one(to, reply, attempt, origin_message_of(row))
            except Exception:  # a bug in composing or rendering must not take the other sends down
                logger.exception("sending outbox row %s failed unexpectedly", row.id)
                outcome = Outcome.FAILED
            finally:
                lane.limiter.record(to.chat_id)
                self._holds[row.id].answered = True
        finally:
            self._on_their_way -= 1
        await self._record(row, Finished(row.id, to, outcome, attempt), lane.linger)

    async def _record(self, row: OutboxRow, finished: Finished, linger: float) -> None:
        """Record a finished send, with the others on their way that finish within `linger` (its lane's), in one
        transaction. The first of them records them all (and those that finish while it does); the others only leave
        theirs."""
        self._finished.append((row, finished))
        if self._settling:
            return
        self._settling = True
        try:
            if self._on_their_way and linger:
                await asyncio.sleep(linger)
            while self._finished:
                batch, self._finished = self._finished, []
                try:
                    async with self._database.transaction() as conn:
                        await settle_all(conn, [done for _, done in batch], self._clock.now())
                        await self._after(conn, [row for row, _ in batch])
                finally:
                    self._let_chats_go(done.row_id for _, done in batch)
                for _, done in batch:
                    self._claimed.discard(done.row_id)
                    self._sent += done.outcome is Outcome.SENT
                self._a_send_settled.set()
        finally:
            self._settling = False

    def _let_chats_go(self, row_ids: Iterable[int]) -> None:
        """The rows' outcomes are recorded, or given up on: their chats' next messages may go."""
        for row_id in row_ids:
            hold = self._holds.pop(row_id, None)
            if hold is not None:
                hold.release()

    def _forget_unrecorded(self) -> None:
        """Sends cut short by a failure or a cancel, before their end was recorded (or before they began): they stay
        in flight in the outbox, sent again at the next start, and stop holding their chats here."""
        self._finished.clear()
        self._let_chats_go(list(self._holds))

    async def _after(self, conn: Connection, rows: Sequence[OutboxRow]) -> None:
        """The kinds' `settled`, once for each kind and ref among the rows just settled, with its last row."""
        last: dict[tuple[OutboxKind, int], OutboxRow] = {}
        for row in rows:
            last[(row.kind, row.ref)] = row
        for (kind, _), row in last.items():
            settled = self._settled.get(kind)
            if settled is not None:
                await settled(conn, row)
