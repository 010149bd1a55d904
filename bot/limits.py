"""A platform's limits and the limiter that keeps each channel's sends within them (bot/sender.py's lanes, and the
answers of a turn, bot/answers.py, which share them)."""

from __future__ import annotations

import collections
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

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
        self._unsettled: collections.Counter[str] = collections.Counter()  # begun, not yet recorded in the outbox
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
        return max(self.wait_overall(), self.wait_chat(chat_id, answer=answer))

    def wait_chat(self, chat_id: str, *, answer: bool = False) -> float:
        """The chat's own part of wait_for: its send in flight, its interval, a group's limit per minute."""
        now = self._now()
        waits = [0.0]
        if self._in_flight[chat_id]:
            waits.append(0.01 if answer else self._limits.chat_interval or 0.01)
        elif self._unsettled[chat_id]:
            waits.append(0.01)
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
        """A send to this chat has started: it counts against the limits until it is recorded, and the chat's next
        message waits until this one is `settled` too: a kill in between sends again only the one message whose
        outcome was not saved, never that one and the next (the crash tests allow one duplicate per chat and kill).
        """
        self._in_flight[chat_id] += 1
        self._unsettled[chat_id] += 1

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

    def settled(self, chat_id: str) -> None:
        """The outcome of a begun send recorded in the outbox (or given up on): the chat's next message may go."""
        self._unsettled[chat_id] -= 1
        if self._unsettled[chat_id] <= 0:
            del self._unsettled[chat_id]

    def abandon(self, chat_id: str) -> None:
        """A begun send that will neither be recorded nor settled (its task was cancelled before it ran)."""
        if self._in_flight[chat_id] > 0:
            self._in_flight[chat_id] -= 1
        if not self._in_flight[chat_id]:
            del self._in_flight[chat_id]
        self.settled(chat_id)
