"""Planning a visit: applying a standard programme, suggesting a plan from the chosen topics, and explaining
conflicts before anything is saved.

Times are stored in UTC; every rule about days and opening hours is applied in the host's time zone.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from core.venues import Program, VenueCatalog
from storage.agenda import AgendaItem, NewAgendaItem, items_at_venue_between
from storage.delegations import Delegation, get_delegation

PlanItem = NewAgendaItem  # an AgendaItem is one too
LUNCH_LATEST_START = time(12, 30)  # lunch comes before a visit that would run past this
DAY_START = time(8, 30)
DAY_END = time(15, 30)
VISIT_MINUTES = 75
LUNCH_MINUTES = 60
MAX_DAY_TRIP_MINUTES = 60
RECEPTION_ENTRIES = ("lounge-pelayanan-publik", "tempat-penerimaan")
EARLIEST_OPENING = time(6, 0)


def new_uid() -> str:
    """A stable identifier for calendar files: a re-sent file updates the event instead of duplicating it."""
    return f"{secrets.token_hex(8)}@delegasi"


def at_local(day: date, clock_time: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=tz)


@dataclass(frozen=True)
class Conflict:
    """Why a plan is not right yet, in terms the template can explain."""

    kind: str  # overlap | travel | outside_dates | venue_closed | capacity
    item: PlanItem
    other: PlanItem | None = None
    needed: int = 0
    available: int = 0


async def check_plan(
    conn: Connection, delegation: Delegation, plan: Sequence[PlanItem], catalog: VenueCatalog, tz: ZoneInfo
) -> list[Conflict]:
    """Every conflict of a proposed plan: overlaps, missing travel time, days outside the visit, closed or
    unknown venues, and venues over capacity because other delegations are there at the same time."""
    conflicts: list[Conflict] = []
    ordered = sorted(plan, key=lambda i: i.starts_at)
    for earlier, later in pairwise(ordered):
        gap = int((later.starts_at - earlier.ends_at).total_seconds() // 60)
        if gap < 0:
            conflicts.append(Conflict("overlap", later, earlier))
        else:
            travel = catalog.travel_minutes(earlier.venue_id, later.venue_id)
            if gap < travel:
                conflicts.append(Conflict("travel", later, earlier, needed=travel, available=gap))
    for item in ordered:
        local_start, local_end = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
        if not delegation.arrival_date <= local_start.date() <= delegation.departure_date:
            conflicts.append(Conflict("outside_dates", item))
        venue = catalog.venues.get(item.venue_id)
        hours = venue.open_on(local_start.weekday()) if venue else None
        if (
            hours is None
            or not (hours[0] <= local_start.time() and local_end.time() <= hours[1])
            or local_end.date() != local_start.date()
        ):
            conflicts.append(Conflict("venue_closed", item))
        if venue is not None:
            others = await items_at_venue_between(
                conn, item.venue_id, item.starts_at, item.ends_at, except_delegation=delegation.id
            )
            people = delegation.planned_size
            for other_delegation_id in {o.delegation_id for o in others}:
                other = await get_delegation(conn, other_delegation_id)
                if other is not None and other.is_active:
                    people += other.planned_size
            if people > venue.capacity:
                conflicts.append(Conflict("capacity", item, needed=people, available=venue.capacity))
    return conflicts


def apply_program(delegation: Delegation, program: Program, tz: ZoneInfo) -> list[NewAgendaItem]:
    """A programme's items on the visit's own dates (day 1 is the arrival day); days past the visit are left out."""
    items = []
    for entry in program.items:
        day = delegation.arrival_date + timedelta(days=entry.day - 1)
        if day > delegation.departure_date:
            continue
        items.append(NewAgendaItem(at_local(day, entry.start, tz), entry.minutes, entry.venue, entry.title.id))
    return items


def suggest_plan(
    delegation: Delegation, catalog: VenueCatalog, tz: ZoneInfo, *, lunch_venue: str | None = None
) -> list[NewAgendaItem]:
    """A first plan from the delegation's topics: the venues that show them, nearest next, a lunch break,
    travel time between venues, and nothing after a venue closes. Staff adjust it afterwards."""
    topics = set(delegation.topics)
    size = delegation.planned_size
    # Received where delegations are received (the Lounge, or the Pendopo for a large group): the smallest that fits.
    halls = [v for v in catalog.venues.values() if v.entry in RECEPTION_ENTRIES and v.capacity >= size]
    reception = min(halls, key=lambda v: v.capacity, default=None)
    # Day visits only: nothing more than an hour from the reception, nothing that opens before dawn (Ijen's hike).
    wanted = [
        v
        for v in catalog.venues.values()
        if topics & set(v.themes)
        and v is not reception
        and not v.is_virtual
        and v.capacity >= size
        and (reception is None or catalog.travel_minutes(reception.id, v.id) <= MAX_DAY_TRIP_MINUTES)
        and all(opening >= EARLIEST_OPENING for opening, _ in v.hours.values())
    ]
    lunch = catalog.venues.get(lunch_venue or "") or next(
        (v for v in catalog.venues.values() if "kuliner" in (v.entry or "") or "waroeng" in v.id), None
    )
    items: list[NewAgendaItem] = []
    day = delegation.arrival_date
    while day <= delegation.departure_date:
        if catalog.venues and reception is not None and day == delegation.arrival_date:
            start = at_local(day, DAY_START, tz)
            items.append(NewAgendaItem(start, 90, reception.id, catalog.titles["reception"].id))
        cursor = items[-1].ends_at if items and items[-1].day(tz) == day else at_local(day, DAY_START, tz)
        here = items[-1].venue_id if items and items[-1].day(tz) == day else None
        lunched = False
        while wanted:
            next_visit_ends = (cursor + timedelta(minutes=VISIT_MINUTES)).astimezone(tz).time()
            if not lunched and lunch is not None and next_visit_ends > LUNCH_LATEST_START:
                travel = catalog.travel_minutes(here, lunch.id) if here else 0
                start = cursor + timedelta(minutes=travel)
                items.append(NewAgendaItem(start, LUNCH_MINUTES, lunch.id, catalog.titles["lunch"].id))
                cursor, here, lunched = items[-1].ends_at, lunch.id, True
                continue
            venue = min(wanted, key=lambda v: catalog.travel_minutes(here, v.id) if here else 0)
            travel = catalog.travel_minutes(here, venue.id) if here else 0
            start = cursor + timedelta(minutes=travel)
            end = start + timedelta(minutes=VISIT_MINUTES)
            hours = venue.open_on(start.astimezone(tz).weekday())
            if end.astimezone(tz).time() > DAY_END or end.astimezone(tz).date() != day:
                break
            wanted.remove(venue)
            if hours is None or not (hours[0] <= start.astimezone(tz).time() and end.astimezone(tz).time() <= hours[1]):
                continue  # closed then: leave it out rather than plan a visit to a closed door
            title = venue.name.id
            items.append(NewAgendaItem(start, VISIT_MINUTES, venue.id, title))
            cursor, here = end, venue.id
        day += timedelta(days=1)
    return items


@dataclass(frozen=True)
class PlanChange:
    kind: str  # added | removed | moved | changed
    item: PlanItem
    before: PlanItem | None = None


def plan_changes(before: Sequence[AgendaItem], after: Sequence[AgendaItem]) -> list[PlanChange]:
    """What members must be told after an edit of a published plan."""
    old = {i.uid: i for i in before}
    new = {i.uid: i for i in after}
    changes = [PlanChange("added", new[uid]) for uid in new.keys() - old.keys()]
    changes += [PlanChange("removed", old[uid]) for uid in old.keys() - new.keys()]
    for uid in old.keys() & new.keys():
        a, b = old[uid], new[uid]
        if (a.starts_at, a.minutes) != (b.starts_at, b.minutes):
            changes.append(PlanChange("moved", b, a))
        elif (a.venue_id, a.title, a.host_officer, a.notes) != (b.venue_id, b.title, b.host_officer, b.notes):
            changes.append(PlanChange("changed", b, a))
    return sorted(changes, key=lambda c: c.item.starts_at)
