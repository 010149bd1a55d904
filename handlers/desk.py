"""/kalender_tamu (host staff): the coming weeks' visits by day, and a day's detail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import DomainError
from core.messages import Button, Reply, button, reply
from core.people import require_staff
from handlers.context import Turn
from handlers.plan import build_plan_view
from handlers.views import DelegationView, delegation_view
from storage.agenda import items_of
from storage.delegations import DelegationStatus, delegations_between, get_delegation

WEEKS_AHEAD = 4


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


async def _days(turn: Turn, first: date, last: date) -> list[CalendarDay]:
    delegations = await delegations_between(turn.conn, first, last, ("pending", "approved"))
    days = []
    day = first
    while day <= last:
        visits = []
        for delegation in (d for d in delegations if d.arrival_date <= day <= d.departure_date):
            items = await items_of(turn.conn, delegation.id)
            venues = sorted(
                {
                    turn.services.venues.venues[i.venue_id].name.in_(turn.locale)
                    for i in items
                    if i.starts_at.astimezone(turn.services.tz).date() == day
                    and i.venue_id in turn.services.venues.venues
                }
            )
            visits.append(VisitOnDay(delegation_view(turn, delegation), venues))
        if visits:
            days.append(CalendarDay(day, visits))
        day += timedelta(days=1)
    return days


async def show_guest_calendar(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "guest calendar")
    first = turn.today
    days = await _days(turn, first, first + timedelta(weeks=WEEKS_AHEAD))
    rows = [
        [button("calendar_day", f"tamu:day:{d.day.isoformat()}", day=f"{d.day:%d/%m}", count=len(d.visits))]
        for d in days
    ]
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


async def show_day(turn: Turn, day_text: str) -> list[Reply]:
    require_staff(turn.user, "guest calendar")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise DomainError("errors/stale_button") from None
    days = await _days(turn, day, day)
    plans = []
    for visit in days[0].visits if days else []:
        delegation_id = visit.delegation.id or 0
        items = [
            i
            for i in await items_of(turn.conn, delegation_id)
            if i.starts_at.astimezone(turn.services.tz).date() == day
        ]
        delegation = await get_delegation(turn.conn, delegation_id)
        if delegation is not None:
            plans.append(build_plan_view(turn.services, delegation, items, locale=turn.locale))
    visits = days[0].visits if days else []
    return [reply("desk/day", pending_decisions(v.delegation for v in visits), day=day, visits=visits, plans=plans)]


def pending_decisions(delegations: Iterable[DelegationView]) -> list[list[Button]]:
    """A "decide" button per visit still awaiting approval, for staff who missed (or lost) the notice."""
    return [
        [button("decide_visit", f"appr:load:{d.id}", institution=d.institution)]
        for d in delegations
        if d.status == DelegationStatus.PENDING and d.id is not None
    ]
