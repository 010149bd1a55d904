"""The one port for outgoing messages: each Reply goes to the channel that owns its recipient."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
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
    HELD = "held"  # outside the window: a template went in its place, the message waits for the user's reply
    OUTSIDE_WINDOW = "outside the 24-hour window"  # and the template could not go either


class RecipientBlocked(Exception):
    """The platform says the user blocked the bot (Telegram 403): record it, do not retry."""


class DeliveryFailed(Exception):
    """The platform refused the message for good, or kept failing after the retries."""


class OutsideWindow(DeliveryFailed):
    """The message could not go because the user last wrote too long ago (WhatsApp's 24-hour window), and no
    template could stand in for it."""


class Held(Exception):
    """Outside the window, a template went in the message's place (its id in Attempt.stand_in); the message
    itself waits until the user writes again."""


@dataclass
class Attempt:
    """One delivery of one Reply: how long retrying is still worth it, and what the platform accepted so far.

    A Reply can take several sends (the parts of a long text, a file, a map). `delivered` holds the ids the
    platform gave the steps already accepted; a channel skips those, and after each step that has more to
    follow calls `save`, so the sender records it before the next one goes: a kill then repeats at most the
    one step that was on its way. Network errors and 5xx are retried with backoff while the retries' waits
    add up to less than `patience` seconds (core.sending says how long each message is worth it).
    """

    patience: float
    delivered: list[str] = field(default_factory=list)
    save: Callable[[Sequence[str]], Awaitable[None]] | None = None
    stand_in: str | None = None  # the id of a template sent in the message's place (outside the window)

    async def accepted(self, message_id: str, *, more_to_come: bool) -> None:
        self.delivered.append(message_id)
        if more_to_come and self.save is not None:
            await self.save(self.delivered)


Step = Callable[[], Awaitable[str]]
"""One send of a Reply (a text part, a file, a map): returns the id the platform gave the message."""


async def send_steps(steps: Sequence[Step], attempt: Attempt) -> None:
    """Run a Reply's steps in order, skipping those the platform accepted before (a kill, a give-up), and record
    each id as it is accepted: what every channel does once it knows its steps."""
    for index, step in enumerate(steps):
        if index < len(attempt.delivered):
            continue
        await attempt.accepted(await step(), more_to_come=index < len(steps) - 1)


class Retries:
    """The waits between the tries of one call: backoff doubling from `base` up to `ceiling` seconds, and given
    up (DeliveryFailed) once they would add up past `patience` seconds, how long the message is worth it."""

    def __init__(self, patience: float, sleep: Callable[[float], Awaitable[None]], base: float, ceiling: float) -> None:
        self._patience = patience
        self._sleep = sleep
        self._base = base
        self._ceiling = ceiling
        self.attempt = 1  # the try under way
        self._waited = 0.0

    def backoff(self, first: float | None = None) -> float:
        """The next wait after a failure worth retrying (network errors, 5xx, throttling)."""
        return min(self._ceiling, (first or self._base) * 2 ** min(self.attempt - 1, 16))

    async def wait(self, delay: float) -> None:
        """Wait `delay` before the next try, or give up if that would pass the patience."""
        if self._waited + delay > self._patience:
            raise DeliveryFailed(
                f"still failing after {self.attempt} attempts over {self._waited:.0f} s: no longer worth it"
            )
        self._waited += delay
        self.attempt += 1
        await self._sleep(delay)


class Channel(Protocol):
    name: str

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        """Render and send what `attempt` has not delivered yet; raises RecipientBlocked, DeliveryFailed (or its
        OutsideWindow), or Held when a template went in the message's place."""
        ...


class Delivery:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._channels: dict[str, Channel] = {}
        self._serves: dict[str, Callable[[str], bool]] = {}

    def register(self, channel: Channel, *, serves: Callable[[str], bool] | None = None) -> None:
        """`serves(chat_id)`: whether this process sends to that chat of the channel now (the console: not to a
        user whose session runs in another process); without it, every chat of the channel is this process's."""
        self._channels[channel.name] = channel
        if serves is not None:
            self._serves[channel.name] = serves

    def serves(self, channel: str | None, chat_id: str | None) -> bool:
        """Whether a message to this chat is this process's to send; one that is not stays in the outbox."""
        only = self._serves.get(channel or "")
        return only is None or chat_id is None or only(chat_id)

    async def send_one(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, origin_message_id: str | None = None
    ) -> Outcome:
        """Send one Reply; a failure is recorded (a block in the user's row) and returned, never raised."""
        channel = self._channels.get(recipient.channel)
        if channel is None:
            logger.warning(
                "no %s channel running: message %s to %s not sent", recipient.channel, reply.template, recipient.chat_id
            )
            return Outcome.NO_CHANNEL
        try:
            await channel.send(recipient, reply, attempt, origin_message_id=origin_message_id)
        except Held:
            return Outcome.HELD
        except OutsideWindow as error:
            logger.warning("%s to %s:%s not sent: %s", reply.template, recipient.channel, recipient.chat_id, error)
            return Outcome.OUTSIDE_WINDOW
        except RecipientBlocked:
            logger.info("%s chat %s blocked the bot; recorded", recipient.channel, recipient.chat_id)
            async with self._database.transaction() as conn:
                await mark_blocked(conn, recipient.channel, recipient.chat_id, self._clock.now())
            return Outcome.UNREACHABLE
        except DeliveryFailed as error:
            logger.error(
                "could not deliver %s to %s:%s: %s", reply.template, recipient.channel, recipient.chat_id, error
            )
            return Outcome.FAILED
        return Outcome.SENT
