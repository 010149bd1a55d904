"""/kalender_tamu (host staff): the coming weeks' visits by day, and a day's detail; and the desk's to-do that
leads a staff member's /start and /status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core import desk
from core.messages import Button, Reply, reply
from core.model import ACTIVE, Delegation, DelegationStatus
from core.people import require_staff
from core.questions import OpenQuestion
from handlers.actions import DAY, Action, button, on
from handlers.approvals import ProposalView, decide_button, proposal_view
from handlers.context import Turn
from handlers.plan import build_plan_view
from handlers.questions import answer_button
from handlers.views import DelegationView, delegation_view

WEEKS_AHEAD = 4
SHOW_DAY = Action("tamu:day", DAY)


@dataclass(frozen=True)
class VisitOnDay:
    delegation: DelegationView
    venues: list[str]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    visits: list[VisitOnDay]

    @property
    def people(self) -> int:
        return sum(v.delegation.planned_size or 0 for v in self.visits)


async def _days(turn: Turn, first: date, last: date) -> list[desk.DaySchedule]:
    days = await desk.schedule(turn.conn, first, last, turn.services.tz, ACTIVE)
    return [d for d in days if d.visits]


def _calendar_day(turn: Turn, day: desk.DaySchedule) -> CalendarDay:
    label = turn.services.venues.label
    visits = [
        VisitOnDay(delegation_view(turn, v.delegation), sorted(label(venue, turn.locale) for venue in v.venue_ids))
        for v in day.visits
    ]
    return CalendarDay(day.day, visits)


async def show_guest_calendar(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "guest calendar")
    first = turn.today
    days = [_calendar_day(turn, d) for d in await _days(turn, first, first + timedelta(weeks=WEEKS_AHEAD))]
    rows = [[button("calendar_day", SHOW_DAY(d.day), day=f"{d.day:%d/%m}", count=len(d.visits))] for d in days]
    return [
        reply(
            "desk/calendar",
            rows,
            calendar_days=days,
            weeks=WEEKS_AHEAD,
            limit_delegations=turn.services.limits.delegations,
            limit_people=turn.services.limits.people,
        )
    ]


@on(SHOW_DAY)
async def show_day(turn: Turn, day: date) -> list[Reply]:
    require_staff(turn.user, "guest calendar")
    scheduled = await _days(turn, day, day)
    visits = [v for d in scheduled for v in d.visits]
    plans = [build_plan_view(turn.services, v.delegation, v.items, locale=turn.locale) for v in visits]
    shown = _calendar_day(turn, scheduled[0]).visits if scheduled else []
    decide = pending_decisions([v.delegation for v in visits])
    return [reply("desk/day", decide, day=day, visits=shown, plans=plans)]


def pending_decisions(delegations: Sequence[Delegation]) -> list[list[Button]]:
    """A "decide" button per visit still awaiting approval, for staff who missed (or lost) the notice."""
    return [[decide_button(d)] for d in delegations if d.status is DelegationStatus.PENDING]


# --- the desk's to-do -------------------------------------------------------------------------


@dataclass(frozen=True)
class TodoView:
    """What waits for the desk, as the to-do message lists it."""

    to_decide: list[DelegationView]
    proposals: list[ProposalView]
    questions: list[OpenQuestion]

    @property
    def empty(self) -> bool:
        return not (self.to_decide or self.proposals or self.questions)


async def desk_todo(turn: Turn) -> Reply:
    """Visits to decide, proposals the coordinator has not answered (staff may still decide), open questions:
    each with its button, for staff who missed the notices (or never received them)."""
    return _todo_reply(turn, await desk.todo(turn))


async def todo_on_start(turn: Turn) -> list[Reply]:
    """A staff member's /start leads with the desk's to-do when anything waits (/status shows it always)."""
    if not turn.user.is_staff:
        return []
    todo = await desk.todo(turn)
    return [] if todo.empty else [_todo_reply(turn, todo)]


def _todo_reply(turn: Turn, todo: desk.DeskTodo) -> Reply:
    rows = [[decide_button(d)] for d in todo.to_decide]
    rows += [[decide_button(p.delegation)] for p in todo.proposals]
    rows += [[answer_button(q.id)] for q in todo.questions]
    view = TodoView(
        [delegation_view(turn, d) for d in todo.to_decide],
        [proposal_view(turn, p) for p in todo.proposals],
        todo.questions,
    )
    return reply("desk/todo", rows, todo=view)
