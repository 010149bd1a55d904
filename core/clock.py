"""Time as a dependency: production reads the system clock, tests move a FakeClock by hand."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test advances it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


def local_today(clock: Clock, tz: tzinfo) -> date:
    """Today's date where the host is (WIB), whatever the server's zone."""
    return clock.now().astimezone(tz).date()


class DayPart(enum.StrEnum):
    """The part of the day a greeting names ("Selamat pagi/siang/sore/malam"), by the host's clock."""

    MORNING = "morning"  # pagi
    MIDDAY = "midday"  # siang
    AFTERNOON = "afternoon"  # sore
    EVENING = "evening"  # malam


DAY_PARTS_FROM = (
    (time(4), DayPart.MORNING),
    (time(11), DayPart.MIDDAY),
    (time(15), DayPart.AFTERNOON),
    (time(18), DayPart.EVENING),
)
"""Where each part of the day begins on the host's clock; before 04:00 it is still evening ("selamat malam")."""


def part_of_day(instant: datetime, tz: tzinfo) -> DayPart:
    """The part of the day `instant` falls in where the host is (WIB), whatever the server's zone."""
    local = instant.astimezone(tz).time()
    begun = [part for start, part in DAY_PARTS_FROM if local >= start]
    return begun[-1] if begun else DayPart.EVENING
