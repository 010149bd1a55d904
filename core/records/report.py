"""The month in numbers for the report to the regent, and the same numbers as a PNG chart.

A visit belongs to the month it arrives in, so a visit over a month's end is counted once.
Cancelled and rejected registrations did not become visits: they are counted apart and left out of
every other figure. "Repeat visitors" are institutions that had a visit (not cancelled or rejected)
arriving before the month; names are compared without case, dots and extra spaces, because the same
office types its name a little differently each time.

The chart is drawn with matplotlib's object API on the Agg canvas (no pyplot, no screen, no global
figure state), so it works on a headless server. Drawing takes a CPU-bound fraction of a second;
in the chat it happens after the transaction that read the month (`ReportChart`, made in a worker
thread by core.replies.finish), and the lock keeps matplotlib's shared font cache to one drawing
at a time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from aiosqlite import Connection
from babel.dates import format_date

from core.content import Content, Province, Region, Theme
from core.messages import Document
from core.records.export_texts import export_texts
from core.records.periods import Month
from storage.delegations import DelegationStatus, VisitMode
from storage.reports import delegations_arriving, visits_before

T = TypeVar("T")
TOP_PROVINCES = 10


@dataclass(frozen=True)
class Tally(Generic[T]):
    """How many visits one province, region or theme had."""

    item: T
    count: int


@dataclass(frozen=True)
class ModeTally:
    visits: int
    people: int


@dataclass(frozen=True)
class RepeatVisitor:
    """An institution visiting this month that had visited before (how many times, before the month)."""

    institution: str
    earlier_visits: int


@dataclass(frozen=True)
class MonthReport:
    """The figures of one month; every count is of visits arriving in it that were not cancelled or rejected."""

    year: int
    month: int
    visits: int
    approved: int
    pending: int
    not_held: int  # cancelled or rejected registrations, left out of everything else
    people: int  # planned delegation sizes
    participants: int  # people who joined their delegation in the bot
    institutions: int  # distinct institutions
    onsite: ModeTally
    virtual: ModeTally
    provinces: tuple[Tally[Province], ...]  # most visits first; only provinces with visits
    regions: tuple[Tally[Region], ...]  # every region in content order, zeros included
    topics: tuple[Tally[Theme], ...]  # most requested first; only themes requested
    repeat_visitors: tuple[RepeatVisitor, ...]

    @property
    def first_day(self) -> date:
        return Month(self.year, self.month).first_day

    @property
    def last_day(self) -> date:
        return Month(self.year, self.month).last_day

    @property
    def first_time_institutions(self) -> int:
        return self.institutions - len(self.repeat_visitors)


_PUNCTUATION = re.compile(r"[.,]")


def institution_key(name: str) -> str:
    """'Pemkab. Cianjur ' and 'pemkab cianjur' are the same institution."""
    return " ".join(_PUNCTUATION.sub(" ", name).casefold().split())


def _ranked(counter: Counter[str], items: Sequence[T], key: str) -> tuple[Tally[T], ...]:
    """Most visits first, ties in content order; ids no longer in content (an old theme) are left out."""
    position = {getattr(item, key): index for index, item in enumerate(items)}
    known = [(k, n) for k, n in counter.items() if k in position and n > 0]
    return tuple(Tally(items[position[k]], n) for k, n in sorted(known, key=lambda kn: (-kn[1], position[kn[0]])))


async def month_report(conn: Connection, content: Content, year: int, month: int) -> MonthReport:
    """Count the month's visits by status, people, origin, topics, mode and earlier visits."""
    period = Month(year, month)
    arriving = await delegations_arriving(conn, period.first_day, period.last_day)
    visits = [d for d in arriving if d.is_active]
    province_counts: Counter[str] = Counter(d.province_code for d in visits)
    region_of = {p.code: r.id for r in content.regions for p in r.provinces}
    region_counts: Counter[str] = Counter(region_of[d.province_code] for d in visits if d.province_code in region_of)
    topic_counts: Counter[str] = Counter(topic for d in visits for topic in set(d.topics))

    earlier: Counter[str] = Counter()
    for row in await visits_before(conn, period.first_day):
        earlier[institution_key(row.institution)] += row.visits
    names: dict[str, str] = {}
    for d in visits:
        names.setdefault(institution_key(d.institution), d.institution)
    repeat = tuple(RepeatVisitor(name, earlier[key]) for key, name in names.items() if earlier[key])

    def mode(which: VisitMode) -> ModeTally:
        chosen = [d for d in visits if d.mode is which]
        return ModeTally(len(chosen), sum(d.planned_size for d in chosen))

    return MonthReport(
        year=year,
        month=month,
        visits=len(visits),
        approved=sum(1 for d in visits if d.status is DelegationStatus.APPROVED),
        pending=sum(1 for d in visits if d.status is DelegationStatus.PENDING),
        not_held=len(arriving) - len(visits),
        people=sum(d.planned_size for d in visits),
        participants=sum(d.participants for d in visits),
        institutions=len(names),
        onsite=mode(VisitMode.ONSITE),
        virtual=mode(VisitMode.VIRTUAL),
        provinces=_ranked(province_counts, content.provinces, "code"),
        regions=tuple(Tally(r, region_counts[r.id]) for r in content.regions),
        topics=_ranked(topic_counts, content.themes, "id"),
        repeat_visitors=repeat,
    )


def month_name(year: int, month: int, locale: str) -> str:
    """'Desember 2026' / 'December 2026', from Babel's locale data."""
    return format_date(Month(year, month).first_day, "LLLL y", locale=locale)


def report_document(report: MonthReport, content: Content, locale: str) -> Document:
    """The chart as a PNG file named for the month ('laporan-2026-12.png')."""
    from core.records.chart import report_chart  # matplotlib costs ~40 MB and 0.3 s: loaded on the first report

    texts = export_texts(locale, content.directory)
    png = report_chart(report, locale, texts.chart)
    stem = texts.report_file.format(month=f"{report.year:04d}-{report.month:02d}")
    return Document(f"{stem}.png", png, "image/png")


@dataclass(frozen=True)
class ReportChart:
    """The chart of a report already read: drawn after the transaction, in any thread (a DocumentSource)."""

    report: MonthReport
    content: Content
    locale: str

    def make(self) -> Document:
        return report_document(self.report, self.content, self.locale)
