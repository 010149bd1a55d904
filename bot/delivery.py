"""The one port for outgoing messages: each Reply goes to the channel that owns its recipient."""

from __future__ import annotations

import enum
import logging
from typing import Protocol

from core.clock import Clock
from core.messages import Recipient, Reply
from core.model import Database
from core.people import mark_blocked

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the user blocked the bot
    FAILED = "failed"  # refused for good, or still failing after the retries
    NO_CHANNEL = "failed-no-channel"


class RecipientBlocked(Exception):
    """The platform says the user blocked the bot (Telegram 403): record it, do not retry."""


class DeliveryFailed(Exception):
    """The platform refused the message for good, or kept failing after the retries."""


class Channel(Protocol):
    name: str

    async def send(self, recipient: Recipient, reply: Reply, *, origin_message_id: str | None = None) -> None:
        """Render and send one Reply; raises RecipientBlocked or DeliveryFailed."""
        ...


class Delivery:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> None:
        self._channels[channel.name] = channel

    async def deliver(self, origin: Recipient, replies: list[Reply], origin_message_id: str | None = None) -> int:
        """Send replies in order (answers to the origin chat, notifications to others); returns how many went out.

        A failure for one recipient is recorded and does not stop the others.
        """
        sent = 0
        for reply in replies:
            recipient = reply.to or origin
            outcome = await self.send_one(recipient, reply, origin_message_id if reply.to is None else None)
            sent += outcome is Outcome.SENT
        return sent

    async def send_one(self, recipient: Recipient, reply: Reply, origin_message_id: str | None = None) -> Outcome:
        channel = self._channels.get(recipient.channel)
        if channel is None:
            logger.warning(
                "no %s channel running: message %s to %s not sent", recipient.channel, reply.template, recipient.chat_id
            )
            return Outcome.NO_CHANNEL
        try:
            await channel.send(recipient, reply, origin_message_id=origin_message_id)
        except RecipientBlocked:
            logger.info("%s chat %s blocked the bot; recorded", recipient.channel, recipient.chat_id)
            async with self._database.transaction() as conn:
                await mark_blocked(conn, recipient.channel, recipient.chat_id, self._clock.now())
            return Outcome.UNREACHABLE
        except DeliveryFailed:
            logger.exception("could not deliver %s to %s:%s", reply.template, recipient.channel, recipient.chat_id)
            return Outcome.FAILED
        return Outcome.SENT
