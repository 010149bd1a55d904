"""Dates as people type them in Indonesian or English, read with dateparser.

dateparser knows "besok", "11 Nov 2026" and "next Monday" but not a few everyday Indonesian forms
("lusa", "senin depan", "3 hari lagi"); those are rewritten into forms it knows before parsing.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from types import ModuleType

from core.prepared import Prepared

_SETTINGS_BASE = {
    "PREFER_DATES_FROM": "future",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DAY_OF_MONTH": "first",
}
_LANGUAGES = ["id", "en"]

_DAYS_ID_TO_EN = {
    "senin": "monday",
    "selasa": "tuesday",
    "rabu": "wednesday",
    "kamis": "thursday",
    "jumat": "friday",
    "jum'at": "friday",
    "sabtu": "saturday",
    "minggu": "sunday",
    "ahad": "sunday",
}
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:hari\s+)?lusa$"), "in 2 days"),
    (re.compile(r"^(?:hari\s+)?besok\s+lusa$"), "in 2 days"),
    (re.compile(r"^(\d{1,3})\s+hari\s+(?:lagi|ke\s*depan|mendatang)$"), r"in \1 days"),
    (re.compile(r"^(\d{1,2})\s+minggu\s+(?:lagi|ke\s*depan|mendatang)$"), r"in \1 weeks"),
    (re.compile(r"^minggu\s+depan$"), "in 1 week"),
    (re.compile(r"^pekan\s+depan$"), "in 1 week"),
]
_WEEKDAY_NEXT = re.compile(r"^(?:hari\s+)?(" + "|".join(map(re.escape, _DAYS_ID_TO_EN)) + r")\s+(?:depan|besok)$")
_WEEKDAY_EN_NEXT = re.compile(r"^next\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$")


def _rewrite(text: str) -> str:
    cleaned = re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!")
    cleaned = re.sub(r"^(?:tanggal|tgl\.?|tg\.?|on|date)\s+", "", cleaned)
    for pattern, replacement in _REWRITES:
        if pattern.match(cleaned):
            return pattern.sub(replacement, cleaned)
    weekday = _WEEKDAY_NEXT.match(cleaned)
    if weekday:
        return _DAYS_ID_TO_EN[weekday.group(1)]
    weekday_en = _WEEKDAY_EN_NEXT.match(cleaned)
    if weekday_en:
        return weekday_en.group(1)
    return cleaned


_NUMERIC_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_NUMERIC_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _numeric_date(text: str) -> date | None:
    """The all-digit forms (11/11/2026, 2026-11-11) read directly, without dateparser's ~1 ms."""
    if dmy := _NUMERIC_DMY.match(text):
        day, month, year = dmy.groups()
    elif iso := _NUMERIC_ISO.match(text):
        year, month, day = iso.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 31/02/2026
        return None


def parse_date(text: str, today: date) -> date | None:
    """The date `text` means, relative to `today` in the host's time zone; None if it is not a date.

    A weekday name means its next occurrence after today, and a day and month without a year mean
    the next such day, because people register visits in the future. A day the month does not have
    is no date (see no_such_day), although dateparser reads "32 Desember" as December 2032.
    """
    if not text.strip() or len(text) > 60:
        return None
    stripped = text.strip()
    if _NUMERIC_DMY.match(stripped) or _NUMERIC_ISO.match(stripped):
        return _numeric_date(stripped)
    if no_such_day(text, today) is not None:
        return None
    return _dateparser(_rewrite(text), today)


def _load_dateparser() -> ModuleType:
    """dateparser, with its data for our languages read: importing it and its first parse cost ~0.3 s (more on a
    busy machine), so `warm_up` does it before anyone types a date; by a worker thread, while a first date waits."""
    import dateparser

    dateparser.parse("1 Desember 2026", languages=_LANGUAGES, settings=_SETTINGS_BASE)  # type: ignore[arg-type]
    return dateparser


_DATEPARSER = Prepared(_load_dateparser)


def _dateparser(text: str, today: date) -> date | None:
    dateparser = _DATEPARSER.get()
    settings = {**_SETTINGS_BASE, "RELATIVE_BASE": datetime.combine(today, time(12, 0))}
    parsed = dateparser.parse(text, languages=_LANGUAGES, settings=settings)  # type: ignore[arg-type]
    return None if parsed is None else parsed.date()


@dataclass(frozen=True)
class NoSuchDay:
    """A date written plainly whose day its month does not have ("31/2/2027", "31 April"): not unreadable, wrong."""

    day: int
    month: date  # the first day of the month meant

    @property
    def last_day(self) -> int:
        return calendar.monthrange(self.month.year, self.month.month)[1]


_DAY_THEN_MONTH = re.compile(r"^(\d{1,2})(?:\s+|\s*[/.\-]\s*)([^\W\d_].*)$")  # "31 februari 2027", "31-feb"


def no_such_day(text: str, today: date) -> NoSuchDay | None:
    """The day and month of a date that does not exist, when `text` is one; None otherwise (a date, or not one)."""
    stripped = text.strip()
    if dmy := _NUMERIC_DMY.match(stripped):
        day, month, year = map(int, dmy.groups())
        return _beyond_month(day, date(year, month, 1)) if 1 <= month <= 12 and year >= 1 else None
    if iso := _NUMERIC_ISO.match(stripped):
        year, month, day = map(int, iso.groups())
        return _beyond_month(day, date(year, month, 1)) if 1 <= month <= 12 and year >= 1 else None
    if len(stripped) > 60 or not (named := _DAY_THEN_MONTH.match(_rewrite(stripped))):
        return None
    day = int(named.group(1))
    if 1 <= day <= 28:  # every month has it
        return None
    first = _dateparser(f"1 {named.group(2)}", today)  # the month as named, in the year the words say or the next
    return _beyond_month(day, first) if first is not None and first.day == 1 else None


def _beyond_month(day: int, month: date) -> NoSuchDay | None:
    wrong = NoSuchDay(day, month)
    return wrong if not 1 <= day <= wrong.last_day else None


def warm_up() -> None:
    """Load dateparser before a user types a date, not in their turn (bot.app.Core.prepare: after the console's
    prompt, before Telegram's first update). A date of digits alone never needed it (`_numeric_date`)."""
    _DATEPARSER.get()
