"""The days a question about a visit names ("besok", "kamis", "hari kedua", "10 Desember", "10/12") and the dates
they are for a plan: a weekday is the plan's day of that name, a date without a year the one nearest the plan."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.plan_cues import Cue, Meaning, PlanCues

_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}|\d{2}))?(?![\d/])")
_RANGE = re.compile(r"(?<=\d)-(?=\d)")  # "9-10 Desember": two numbers, not the 910 folding would make
_DAY_NUMBER = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_DAY_CUES = {Cue.RELATIVE_DAY, Cue.WEEKDAY, Cue.VISIT_DAY, Cue.LATER}


class DayKind(enum.StrEnum):
    RELATIVE = "relative"  # value: days from today
    WEEKDAY = "weekday"  # value: Monday 0
    VISIT_DAY = "visit_day"  # value: 1, 2 … of the visit, -1 the last
    DATE = "date"  # value: the day of the month; month and year 0 when not said


@dataclass(frozen=True)
class DayRef:
    kind: DayKind
    value: int
    month: int = 0
    year: int = 0


def figure_dates(text: str) -> tuple[list[DayRef], str]:
    """The dates written in figures, day first as Indonesians write them ("10/12" is 10 December, "10/12/26" in
    2026), and the text without them."""
    text = _RANGE.sub(" ", text)
    days = []
    for match in _SLASH_DATE.finditer(text):
        year = int(match[3]) if match[3] else 0
        days.append(DayRef(DayKind.DATE, int(match[1]), int(match[2]), year + 2000 if 0 < year < 100 else year))
    return days, _SLASH_DATE.sub(" ", text)


def date_at(tokens: Sequence[str], i: int, cues: PlanCues) -> tuple[DayRef, int] | None:
    """A date written in words at `i` ("10 desember 2026", "december 10th", "tanggal 10", "tgl 9 desember"), and
    where it ends."""
    here = _DAY_NUMBER.match(tokens[i])
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    following = _DAY_NUMBER.match(after)
    if here and after in cues.months:
        return _with_year(DayRef(DayKind.DATE, int(here[1]), cues.months[after]), tokens, i + 2)
    if tokens[i] in cues.months and following:
        return _with_year(DayRef(DayKind.DATE, int(following[1]), cues.months[tokens[i]]), tokens, i + 2)
    if tokens[i] in cues.day_of_month and following and 1 <= int(following[1]) <= 31:
        return date_at(tokens, i + 1, cues) or (DayRef(DayKind.DATE, int(following[1])), i + 2)
    return None


def _with_year(day: DayRef, tokens: Sequence[str], i: int) -> tuple[DayRef, int]:
    if i < len(tokens) and len(tokens[i]) == 4 and tokens[i].isdigit():
        return replace(day, year=int(tokens[i])), i + 1
    return day, i


def day_of(meaning: Meaning) -> DayRef | None:
    """The day a phrase names: "nanti" is today; None for a phrase naming no day."""
    if meaning.cue not in _DAY_CUES:
        return None
    if meaning.cue is Cue.LATER:
        return DayRef(DayKind.RELATIVE, 0)
    kind = {Cue.RELATIVE_DAY: DayKind.RELATIVE, Cue.WEEKDAY: DayKind.WEEKDAY}.get(meaning.cue, DayKind.VISIT_DAY)
    return DayRef(kind, int(meaning.value or 0))


def resolve_day(ref: DayRef, today: date, plan_days: Sequence[date]) -> date | None:
    """The date a day word means: a weekday is the plan's day of that name (the next one from today first, else
    the coming one), a date without a year the one nearest the plan; None for a day the visit does not have."""
    if ref.kind is DayKind.RELATIVE:
        return today + timedelta(days=ref.value)
    if ref.kind is DayKind.WEEKDAY:
        named = [d for d in plan_days if d.weekday() == ref.value]
        coming = [d for d in named if d >= today]
        return (coming or named or [today + timedelta(days=(ref.value - today.weekday()) % 7)])[0]
    if ref.kind is DayKind.VISIT_DAY:
        index = ref.value - 1 if ref.value > 0 else ref.value
        return plan_days[index] if -len(plan_days) <= index < len(plan_days) else None
    near_to = plan_days[0] if plan_days else today
    month = ref.month or near_to.month
    years = [ref.year] if ref.year else [near_to.year - 1, near_to.year, near_to.year + 1]
    dates = [d for y in years if (d := _date(y, month, ref.value)) is not None]
    return min(dates, key=lambda d: abs((d - near_to).days)) if dates else None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 31/11, 13/13
        return None
