"""The one sender of queued messages (reminders now, broadcasts later), within Telegram's limits.

Rows are claimed in the outbox before sending and settled after, each in its own transaction, so a
crash loses nothing and repeats at most the message that was in flight. The message is composed at
send time by the composer registered for the row's kind, so it shows the plan as it is then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosqlite import Connection

from bot.clock import Clock
from bot.delivery import Delivery, Outcome
from bot.messages import Reply
from storage import outbox
from storage.db import Database
from storage.outbox import OutboxRow

logger = logging.getLogger(__name__)

Composer = Callable[[Connection, OutboxRow], Awaitable[Reply | None]]
Settled = Callable[[Connection, OutboxRow], Awaitable[None]]


@dataclass(frozen=True)
class SendLimits:
    """Telegram's published limits (configurable): overall, per private chat, per group."""

    per_second: int = 30
    chat_interval: float = 1.0
    group_per_minute: int = 20
    # Extra slack on the one-second window. Sends are counted when their answer arrives, which already
    # keeps the platform's count within ours, so none is needed by default.
    margin: float = 0.0


class RateLimiter:
    """Sliding windows over a monotonic clock: how long until a message to this chat may go."""

    def __init__(self, limits: SendLimits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._now = monotonic
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[str, float] = {}
        self._group_recent: dict[str, deque[float]] = {}

    def wait_for(self, chat_id: str) -> float:
        now = self._now()
        second = 1.0 + self._limits.margin
        while self._recent and now - self._recent[0] >= second:
            self._recent.popleft()
        waits = [0.0]
        if len(self._recent) >= self._limits.per_second:
            waits.append(second - (now - self._recent[0]))
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            waits.append(self._limits.chat_interval - (now - last))
        if chat_id.startswith("-"):
            window = self._group_recent.setdefault(chat_id, deque())
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self._limits.group_per_minute:
                waits.append(60.0 - (now - window[0]))
        return max(waits)

    def record(self, chat_id: str) -> None:
        now = self._now()
        self._recent.append(now)
        self._last_by_chat[chat_id] = now
        if chat_id.startswith("-"):
            self._group_recent.setdefault(chat_id, deque()).append(now)


class OutboxSender:
    def __init__(
        self,
        database: Database,
        delivery: Delivery,
        clock: Clock,
        limits: SendLimits = SendLimits(),
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._database = database
        self._delivery = delivery
        self._clock = clock
        self._limiter = RateLimiter(limits, monotonic)
        self._sleep = sleep
        self._composers: dict[str, Composer] = {}
        self._settled: dict[str, Settled] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def register(self, kind: str, composer: Composer, settled: Settled | None = None) -> None:
        """How rows of a kind become messages, and what to do after each is settled (e.g. report when done)."""
        self._composers[kind] = composer
        if settled is not None:
            self._settled[kind] = settled

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        async with self._database.transaction() as conn:
            released = await outbox.release_in_flight(conn)
        if released:
            logger.warning("%d messages were in flight at the last stop; sending them again", released)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")
        self.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.drain()
            except Exception:  # the sender must outlive any one bad row or database hiccup
                logger.exception("outbox sender failed; retrying shortly")
                await self._sleep(1.0)
                self.wake()

    async def drain(self) -> int:
        """Send everything pending, honouring the limits; returns how many were sent."""
        sent = 0
        while True:
            async with self._database.transaction() as conn:
                rows = await outbox.pending(conn)
            if not rows:
                return sent
            deferred: list[tuple[OutboxRow, str]] = []
            for row in rows:
                sent += await self._send_row(row, deferred)
            while deferred:
                waiting, deferred = deferred, []
                await self._sleep(max(0.01, min(self._limiter.wait_for(chat) for _, chat in waiting)))
                for row, _ in waiting:
                    sent += await self._send_row(row, deferred)

    async def _send_row(self, row: OutboxRow, deferred: list[tuple[OutboxRow, str]]) -> int:
        """Compose, claim, send and settle one row; a row whose chat must wait is deferred instead."""
        async with self._database.transaction() as conn:
            composer = self._composers.get(row.kind)
            reply = await composer(conn, row) if composer else None
            if reply is None or reply.to is None:
                await outbox.settle(conn, row.id, "dropped", self._clock.now(), "nothing to send any more")
                await self._after(conn, row)
                return 0
            wait = self._limiter.wait_for(reply.to.chat_id)
            if wait > 0:
                deferred.append((row, reply.to.chat_id))
                return 0
            if not await outbox.claim(conn, row.id, self._clock.now()):
                return 0
        outcome = await self._delivery.send_one(reply.to, reply)
        # Counted when the answer arrives: the platform received it before, so its own second can never
        # hold more messages than ours does.
        self._limiter.record(reply.to.chat_id)
        status = {Outcome.SENT: "sent", Outcome.UNREACHABLE: "unreachable"}.get(outcome, "failed")
        async with self._database.transaction() as conn:
            await outbox.settle(conn, row.id, status, self._clock.now(), None if status == "sent" else outcome.value)
            await self._after(conn, row)
        return int(outcome is Outcome.SENT)

    async def _after(self, conn: Connection, row: OutboxRow) -> None:
        settled = self._settled.get(row.kind)
        if settled is not None:
            await settled(conn, row)
