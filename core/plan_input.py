"""Reading what staff type while planning: "10/12 09:00", "besok 13.30", "09:00" (on the visit's first day)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.dates import parse_date
from core.errors import ValidationError

_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:.]([0-5]\d)(?!\d)")
MINUTES_RANGE = (5, 720)


def parse_start(text: str, *, default_day: date, today: date, tz: ZoneInfo) -> datetime:
    """A day and a clock time in the host's zone; the day may be left out (then `default_day`)."""
    match = _CLOCK.search(text)
    if match is None:
        raise ValidationError("agenda/errors/time_unreadable", typed=text)
    clock = time(int(match.group(1)), int(match.group(2)))
    rest = (text[: match.start()] + " " + text[match.end() :]).replace("jam", " ").replace("pukul", " ").strip(" ,-")
    day = default_day
    if rest:
        parsed = parse_date(rest, today)
        if parsed is None:
            raise ValidationError("agenda/errors/time_unreadable", typed=text)
        day = parsed
    return datetime.combine(day, clock, tzinfo=tz)


def parse_minutes(text: str) -> int:
    """ "90", "90 menit", "1,5 jam", "2 jam" → minutes."""
    cleaned = text.strip().lower().replace(",", ".")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(menit|mnt|min|minutes?|jam|j|hours?|h)?", cleaned)
    if match is None:
        raise ValidationError("agenda/errors/minutes", low=MINUTES_RANGE[0], high=MINUTES_RANGE[1])
    value = float(match.group(1))
    minutes = round(value * 60) if (match.group(2) or "").startswith(("jam", "j", "h")) else round(value)
    if not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1]:
        raise ValidationError("agenda/errors/minutes", low=MINUTES_RANGE[0], high=MINUTES_RANGE[1])
    return minutes


def parse_text(text: str, *, low: int = 2, high: int = 120) -> str:
    value = " ".join(text.split())
    if not low <= len(value) <= high:
        raise ValidationError("agenda/errors/text_length", low=low, high=high)
    return value
