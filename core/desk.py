"""The host's desk view of the coming days: which visits are on each day, where they go, and how busy a day is;
and the desk's to-do, what waits for staff.

One computation serves both the approval (how loaded are the days of a visit waiting for a decision)
and the guest calendar (the coming weeks by day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from core import questions, visits
from core.people import require_staff
from core.session import Session
from storage.agenda import AgendaItem, items_of, items_on
from storage.delegations import Delegation, DelegationStatus, PendingVisit, delegations_between


@dataclass(frozen=True)
class DailyLimits:
    """Approving past these loads of one day asks staff to confirm (settings)."""

    delegations: int
    people: int


@dataclass(frozen=True)
class VisitOnDay:
    """One visit on one of its days, with that day's agenda items."""

    delegation: Delegation
    items: tuple[AgendaItem, ...]

    @property
    def venue_ids(self) -> frozenset[str]:
        return frozenset(item.venue_id for item in self.items)


@dataclass(frozen=True)
class DaySchedule:
    day: date
    visits: tuple[VisitOnDay, ...]

    @property
    def people(self) -> int:
        return sum(v.delegation.planned_size for v in self.visits)

    @property
    def venue_ids(self) -> frozenset[str]:
        return frozenset().union(*(v.venue_ids for v in self.visits))


@dataclass(frozen=True)
class DayLoad:
    """A day of a visit waiting for approval: what is already there, and whether this visit would overfill it."""

    day: date
    delegations: int  # already there, besides the visit being decided
    people: int
    venue_ids: frozenset[str]
    over_limit: bool


async def schedule(
    conn: Connection,
    first: date,
    last: date,
    tz: ZoneInfo,
    statuses: Iterable[DelegationStatus],
    *,
    besides: int | None = None,
) -> list[DaySchedule]:
    """Every day of [first, last] with the visits of these statuses on it (but `besides`), soonest first."""
    delegations = [d for d in await delegations_between(conn, first, last, statuses) if d.id != besides]
    items = {d.id: await items_of(conn, d.id) for d in delegations}
    days = []
    day = first
    while day <= last:
        visits = tuple(
            VisitOnDay(d, tuple(items_on(items[d.id], day, tz)))
            for d in delegations
            if d.arrival_date <= day <= d.departure_date
        )
        days.append(DaySchedule(day, visits))
        day += timedelta(days=1)
    return days


async def day_loads(conn: Connection, delegation: Delegation, limits: DailyLimits, tz: ZoneInfo) -> list[DayLoad]:
    """The days of a visit as they are with the visits already approved, against the daily limits."""
    days = await schedule(
        conn,
        delegation.arrival_date,
        delegation.departure_date,
        tz,
        (DelegationStatus.APPROVED,),
        besides=delegation.id,
    )
    return [
        DayLoad(
            day=d.day,
            delegations=len(d.visits),
            people=d.people,
            venue_ids=d.venue_ids,
            over_limit=len(d.visits) + 1 > limits.delegations or d.people + delegation.planned_size > limits.people,
        )
        for d in days
    ]


@dataclass(frozen=True)
class DeskTodo:
    """What waits for the desk: visits to decide, proposed dates the coordinator has not answered, open questions.

    A staff member sees it on /start and /status: a notice sent to someone who never wrote to the bot (Telegram
    refuses to start that chat) is lost, so this, read from the rows, is how they catch up."""

    to_decide: list[Delegation]
    proposals: list[PendingVisit]  # each with its proposal
    questions: list[questions.OpenQuestion]

    @property
    def empty(self) -> bool:
        return not (self.to_decide or self.proposals or self.questions)


async def todo(session: Session) -> DeskTodo:
    require_staff(session.user, "desk to-do")
    waiting = await visits.waiting_for_host(session.conn, session.today)
    return DeskTodo(
        [v.delegation for v in waiting if v.proposal is None],
        [v for v in waiting if v.proposal is not None],
        await questions.waiting(session),
    )
