"""Messages that arrive by webhook: kept in the inbox before the platform hears 200, then handled in order per chat.

Two sides, on two threads (bot/web.py runs the web server in a thread of its own, so that the webhooks are
answered at once however busy handling keeps the main event loop):

- `Keeper`, in the web thread on its own database connection: a webhook's messages are written to the inbox,
  with the chat's 24-hour window, in one transaction; only then does the server answer, so a kill after the
  answer loses nothing (the next start handles what was kept but not handled, oldest first). A copy the
  platform delivers again is kept once (the inbox's key). After the commit, the new messages are handed over.
- `WebhookIntake`, on the main loop with the main connection: each message handed over is handled in a task of
  its own, one chat at a time in the order they came and many chats at once, and answered. Typed numbers that
  answer numbered options are handled as the presses they stand for (core.choices).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from aiosqlite import Connection

from bot.answers import AnswerSender
from bot.background import OwnedTasks
from bot.ordering import KeyedLocks
from core import choices, inbox, receipts, windows
from core.clock import Clock
from core.inbox import InboxKey
from core.messages import Incoming
from core.model import Database
from handlers.router import Router

logger = logging.getLogger(__name__)

HANDLED_AT_ONCE = 3
"""Messages handled at the same time. Unbounded, a burst put hundreds of turns in the event loop's queue, and the
answers' sends waited behind all of them; bounded, they wait behind a few."""

Kept = Sequence[tuple[InboxKey, Incoming]]
HandOver = Callable[[Kept], None]


@dataclass
class _Due:
    """What one webhook asked the Keeper to write, and where its count of new messages goes."""

    messages: Kept
    statuses: Sequence[receipts.Receipt]
    new: asyncio.Future[int]


class Keeper:
    """The web thread's side: keeps webhook messages and statuses on the web thread's own connection.

    The webhooks waiting meanwhile are written in one transaction (Database.writing): one wait for SQLite's write
    lock, which the main connection holds a third of the time under load, and one commit for all of them."""

    def __init__(self, database: Database, clock: Clock, hand_over: HandOver) -> None:
        self._database = database
        self._clock = clock
        self._hand_over = hand_over  # thread-safe: starts their handling on the main loop
        self._due: list[_Due] = []
        self._writing: asyncio.Task[None] | None = None

    async def keep(self, messages: Kept, statuses: Sequence[receipts.Receipt] = ()) -> int:
        """Write the messages to the inbox and record the statuses (raises if the database cannot: then the platform
        must not hear 200, and delivers them again); the new messages are handed over to be handled before this
        returns how many they were."""
        if not messages and not statuses:
            return 0
        due = _Due(messages, statuses, asyncio.get_running_loop().create_future())
        self._due.append(due)
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_due(), name="keep")
        return await asyncio.shield(due.new)  # a caller gone does not cut the others' transaction short

    async def _write_due(self) -> None:
        try:
            while self._due:
                batch: list[_Due] = []
                try:
                    async with self._database.writing() as conn:
                        batch, self._due = self._due, []  # all that came while the write lock was taken
                        now = self._clock.now()
                        news = [await _write(conn, due, now) for due in batch]
                except Exception as error:
                    if not batch:  # the write lock did not come
                        batch, self._due = self._due, []
                    for due in batch:
                        due.new.set_exception(error)
                    continue
                try:
                    self._hand_over([kept for new in news for kept in new])
                except Exception:  # they are kept: the next start handles them
                    logger.exception("could not hand %d kept messages over to be handled", sum(map(len, news)))
                for due, new in zip(batch, news, strict=True):
                    due.new.set_result(len(new))
        finally:
            self._writing = None


async def _write(conn: Connection, due: _Due, now: datetime) -> list[tuple[InboxKey, Incoming]]:
    """One webhook's messages and statuses; returns the messages not kept before."""
    new = [(key, incoming) for key, incoming in due.messages if await inbox.receive(conn, key, incoming, now)]
    for _, incoming in new:
        await windows.wrote(conn, incoming.channel, incoming.chat_id, now)  # WhatsApp's 24 hours start again
    if due.statuses:
        await receipts.record(conn, due.statuses, now)
    return new


class WebhookIntake:
    """The main loop's side: handles the messages kept, each chat's in order."""

    def __init__(self, database: Database, router: Router, answers: AnswerSender, clock: Clock) -> None:
        self._database = database
        self._router = router
        self._answers = answers
        self._clock = clock
        self._chats = KeyedLocks()
        self._handling = asyncio.Semaphore(HANDLED_AT_ONCE)
        self._tasks = OwnedTasks()

    def keeper(self, database: Database, loop: asyncio.AbstractEventLoop) -> Keeper:
        """The Keeper of another thread, writing on its own connection `database`; what it keeps is handled on
        `loop`, the one this intake runs on."""

        def hand_over(new: Kept) -> None:
            loop.call_soon_threadsafe(self.start, new)

        return Keeper(database, self._clock, hand_over)

    async def handle_kept(self, channel: str) -> int:
        """At start: what was kept but not handled at the last stop, in the order it came."""
        async with self._database.transaction() as conn:
            waiting = await inbox.waiting(conn, channel)
        self.start(waiting)
        if waiting:
            logger.warning("handling %d %s messages kept before the last stop", len(waiting), channel)
        return len(waiting)

    def start(self, kept: Kept) -> None:
        """Start handling messages kept in the inbox, in their order (on the main loop)."""
        for key, incoming in kept:
            self._tasks.spawn(self._handle(key, incoming), name=f"intake-{key.channel}-{incoming.chat_id}")

    async def drain(self) -> None:
        """Let every message under way be handled and answered (at stop, and in tests)."""
        await self._tasks.wait()

    async def _handle(self, key: InboxKey, incoming: Incoming) -> None:
        async with self._chats.hold((incoming.channel, incoming.chat_id)):  # tasks start, and queue, in arrival order
            for n, pressed in enumerate(await self._as_presses(incoming)):
                # The message counts as handled with its first pick; a kill between picks may lose the later
                # ones, never apply one twice (a topic toggled twice would be untoggled).
                async with self._handling:  # the turn is CPU work; its answer's send mostly waits for the platform
                    handled = await self._router.handle(pressed, key if n == 0 else None)
                await self._answers.send(handled)

    async def _as_presses(self, incoming: Incoming) -> list[Incoming]:
        """Typed numbers answering numbered options become the presses they stand for (core.choices)."""
        if incoming.text is None:
            return [incoming]
        async with self._database.transaction() as conn:
            actions = await choices.picked_actions(conn, incoming.channel, incoming.chat_id, incoming.text)
        return [replace(incoming, text=None, action=action) for action in actions] or [incoming]
