"""Months and date ranges as staff type them after /laporan and /ekspor (and on the command line).

Month names come from Babel's locale data for Indonesian and English, so "Desember 2026",
"des 2026" and "December 2026" all work without a word list of our own.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from babel.dates import get_month_names

from core.dates import parse_date

MAX_EXPORT_DAYS = 366  # a year of visits is one sheet a person can still read; longer asks for two exports
_MONTH_LOCALES = ("id", "en")
_YEARS = range(2000, 2101)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)


@dataclass(frozen=True)
class DateRange:
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True)
class ExportRequest:
    period: DateRange
    format: ExportFormat


@cache
def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for locale in _MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                names[str(name).lower().rstrip(".")] = int(number)
    return names


def _month_by_name(word: str) -> int | None:
    """A month name or an unambiguous start of one of at least three letters ("des", "sept", "agu")."""
    word = word.lower().rstrip(".")
    names = _month_names()
    if word in names:
        return names[word]
    if len(word) < 3:
        return None
    found = {number for name, number in names.items() if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


_NUMERIC_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_NUMERIC_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_NAMED = re.compile(r"^([^\W\d_]+\.?)(?:\s+(\d{4}))?$")


def _month(year: int, month: int) -> Month | None:
    return Month(year, month) if year in _YEARS and 1 <= month <= 12 else None


def parse_month(text: str, today: date) -> Month | None:
    """'2026-12', '12/2026', 'Desember 2026', 'dec 2026', 'Desember' (this year); empty means this month."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return Month.of(today)
    if match := _NUMERIC_YEAR_FIRST.match(cleaned):
        return _month(int(match.group(1)), int(match.group(2)))
    if match := _NUMERIC_MONTH_FIRST.match(cleaned):
        return _month(int(match.group(2)), int(match.group(1)))
    if match := _NAMED.match(cleaned):
        number = _month_by_name(match.group(1))
        if number is None:
            return None
        return _month(int(match.group(2)) if match.group(2) else today.year, number)
    return None


_RANGE_SEPARATOR = re.compile(r"\s+(?:-|–|—|s/d|s\.d\.?|sd|sampai|hingga|to|until)\s+", re.IGNORECASE)


def parse_bound(text: str, today: date, *, last: bool) -> date | None:
    """One end of a period: a day, or a month, which stands for its first day at the start of a period and for
    its last day at the end ('2026-11 2026-12' is November and December)."""
    month = parse_month(text, today) if text.strip() else None
    if month is not None:
        return month.last_day if last else month.first_day
    if _NUMERIC_YEAR_FIRST.match(text.strip()) or _NUMERIC_MONTH_FIRST.match(text.strip()):
        return None  # shaped like a month but not one ('13/2026'); dateparser would guess a day
    return parse_date(text, today)


def _range(text: str, today: date) -> DateRange | None:
    month = parse_month(text, today)
    if month is not None:
        return DateRange(month.first_day, month.last_day)
    parts = _RANGE_SEPARATOR.split(text, maxsplit=1)
    if len(parts) == 1:
        parts = text.split()
        if len(parts) not in (1, 2):
            return None
    first, last = parse_bound(parts[0], today, last=False), parse_bound(parts[-1], today, last=True)
    return DateRange(first, last) if first is not None and last is not None else None


class PeriodFault(enum.Enum):
    """Why a period that was read cannot be exported."""

    BACKWARDS = "backwards"  # it ends before it starts
    TOO_LONG = "too long"  # more than MAX_EXPORT_DAYS


def fault_of(period: DateRange) -> PeriodFault | None:
    if period.last_day < period.first_day:
        return PeriodFault.BACKWARDS
    return PeriodFault.TOO_LONG if period.days > MAX_EXPORT_DAYS else None


def parse_export_request(text: str, today: date) -> ExportRequest | None:
    """The period and format after /ekspor; None when it cannot be read or the range is backwards or too long.

    Empty means this month and next (the desk prepares the coming weeks); a month means that month;
    one or two dates mean that day or that range; a trailing 'csv' or 'xlsx' picks the format.
    """
    words = text.split()
    export_format = ExportFormat.XLSX
    if words and words[-1].lower() in ("csv", "xlsx", "excel"):
        export_format = ExportFormat.CSV if words.pop().lower() == "csv" else ExportFormat.XLSX
    if not words:
        this_month = Month.of(today)
        period: DateRange | None = DateRange(this_month.first_day, this_month.next().last_day)
    else:
        period = _range(" ".join(words), today)
    if period is None or fault_of(period) is not None:
        return None
    return ExportRequest(period, export_format)
