"""A turn's replies go out as soon as the turn is committed, from the outbox rows the turn wrote.

The turn wrote them already taken for sending (in flight). They are sent one after another to their chats
within the one rate limit (answers before broadcasts and reminders), each settled as soon as its answer
arrives. A kill at any moment leaves what was not settled in flight, and the outbox sender sends it after
the restart: in each chat at most the one message on its way is repeated. A failure of this turn's
sending puts its rows back in the queue for the outbox sender.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from bot.delivery import Attempt, Delivery, Outcome
from bot.limits import RateLimiter
from bot.sender import OutboxSender
from bot.settling import save_delivered, settle
from core.clock import Clock
from core.model import Database
from core.sending import worth_sending_until
from handlers.router import Handled
from storage import outbox
from storage.outbox import OutboxKind, Priority

logger = logging.getLogger(__name__)


class AnswerSender:
    def __init__(
        self,
        database: Database,
        delivery: Delivery,
        clock: Clock,
        sender: OutboxSender,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._database = database
        self._delivery = delivery
        self._clock = clock
        self._sender = sender  # takes over what this turn could not send, and shares each channel's rate budget
        self._sleep = sleep
        self._lines: dict[str, asyncio.Lock] = {}  # per channel: the answers waiting for its overall rate

    async def send(self, handled: Handled) -> int:
        """Send the replies of one handled message in order; returns how many went out. Messages held for the chat
        that the message released (outside WhatsApp's window) follow them, from the outbox sender."""
        try:
            return await self._send_replies(handled)
        finally:
            if handled.released_held:
                self._sender.wake()

    async def _send_replies(self, handled: Handled) -> int:
        if not handled.outbox_ids:
            return 0
        sent = 0
        unsent = list(handled.outbox_ids)
        try:
            for row_id, reply in zip(handled.outbox_ids, handled.replies, strict=True):
                to = reply.to or handled.origin
                if not self._delivery.serves(to.channel, to.chat_id):
                    continue  # another process sends it (a console user's own session): released for it below
                limiter = self._sender.limiter_for(to.channel)
                await self._wait_turn(to.channel, limiter, to.chat_id)
                now = self._clock.now()
                priority = Priority.ANSWER if reply.to is None else Priority.NOTICE
                worth_for = worth_sending_until(OutboxKind.REPLY, priority, now, reply) - now
                attempt = Attempt(worth_for.total_seconds(), save=partial(save_delivered, self._database, row_id))
                limiter.begin(to.chat_id)
                try:
                    try:
                        origin = handled.origin_message_id if reply.to is None else None
                        outcome = await self._delivery.send_one(to, reply, attempt, origin)
                    except Exception:  # a bug in rendering must not lose the rest of the answer
                        logger.exception("sending reply %s failed unexpectedly", row_id)
                        outcome = Outcome.FAILED
                    finally:
                        limiter.record(to.chat_id)
                    async with self._database.transaction() as conn:
                        await settle(conn, row_id, to, outcome, attempt, self._clock.now())
                finally:
                    limiter.settled(to.chat_id)
                unsent.remove(row_id)
                sent += outcome is Outcome.SENT
        finally:
            if unsent:  # cut short, or for another process: the outbox sender (this one's or that one's) takes them
                async with self._database.transaction() as conn:
                    await outbox.release(conn, unsent)
                self._sender.wake()
        return sent

    async def _wait_turn(self, channel: str, limiter: RateLimiter, chat_id: str) -> None:
        """Wait until the channel's limits let this answer go. Answers queue for the overall rate one behind the
        other (an asyncio.Lock wakes its waiters in order): when all polled the limiter, a backlog of n answers
        woke n times for each one that could go."""
        limiter.answers_waiting += 1
        try:
            async with self._lines.setdefault(channel, asyncio.Lock()):
                while (wait := limiter.wait_overall()) > 0:
                    await self._sleep(wait)
            while (wait := limiter.wait_for(chat_id, answer=True)) > 0:
                await self._sleep(wait)
        finally:
            limiter.answers_waiting -= 1
