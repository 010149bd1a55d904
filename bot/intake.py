"""Messages that arrive by webhook: kept in the inbox before the platform hears 200, then handled in order per chat.

A webhook's messages are written to the inbox in one transaction; only then does the server answer, so a
kill after the answer loses nothing (the next start handles what was kept but not handled, oldest first).
Each message is then handled in a task of its own, one chat at a time in the order they came and many
chats at once; a copy the platform delivers again is kept once and answered once (the inbox's key). Typed
numbers that answer numbered options are handled as the presses they stand for (core.choices).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

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


class WebhookIntake:
    def __init__(self, database: Database, router: Router, answers: AnswerSender, clock: Clock) -> None:
        self._database = database
        self._router = router
        self._answers = answers
        self._clock = clock
        self._chats = KeyedLocks()
        self._tasks = OwnedTasks()

    async def keep(self, messages: Sequence[tuple[InboxKey, Incoming]]) -> int:
        """Write the messages to the inbox (raises if the database cannot: then the platform must not hear 200),
        and start handling the new ones; returns how many were new."""
        now = self._clock.now()
        async with self._database.transaction() as conn:
            new = [(key, incoming) for key, incoming in messages if await inbox.receive(conn, key, incoming, now)]
            for _, incoming in new:
                await windows.wrote(conn, incoming.channel, incoming.chat_id, now)  # WhatsApp's 24 hours start again
        for key, incoming in new:
            self._start(key, incoming)
        return len(new)

    async def record_receipts(self, news: Sequence[receipts.Receipt]) -> None:
        """Record what the platform says became of messages the bot sent (raises if the database cannot: then the
        platform must not hear 200, and sends the statuses again)."""
        if not news:
            return
        async with self._database.transaction() as conn:
            await receipts.record(conn, news, self._clock.now())

    async def handle_kept(self, channel: str) -> int:
        """At start: what was kept but not handled at the last stop, in the order it came."""
        async with self._database.transaction() as conn:
            waiting = await inbox.waiting(conn, channel)
        for key, incoming in waiting:
            self._start(key, incoming)
        if waiting:
            logger.warning("handling %d %s messages kept before the last stop", len(waiting), channel)
        return len(waiting)

    async def drain(self) -> None:
        """Let every message under way be handled and answered (at stop, and in tests)."""
        await self._tasks.wait()

    def _start(self, key: InboxKey, incoming: Incoming) -> None:
        self._tasks.spawn(self._handle(key, incoming), name=f"intake-{key.channel}-{incoming.chat_id}")

    async def _handle(self, key: InboxKey, incoming: Incoming) -> None:
        async with self._chats.hold((incoming.channel, incoming.chat_id)):  # tasks start, and queue, in arrival order
            for n, pressed in enumerate(await self._as_presses(incoming)):
                # The message counts as handled with its first pick; a kill between picks may lose the later
                # ones, never apply one twice (a topic toggled twice would be untoggled).
                await self._answers.send(await self._router.handle(pressed, key if n == 0 else None))

    async def _as_presses(self, incoming: Incoming) -> list[Incoming]:
        """Typed numbers answering numbered options become the presses they stand for (core.choices)."""
        if incoming.text is None:
            return [incoming]
        async with self._database.transaction() as conn:
            actions = await choices.picked_actions(conn, incoming.channel, incoming.chat_id, incoming.text)
        return [replace(incoming, text=None, action=action) for action in actions] or [incoming]
