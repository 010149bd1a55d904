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

from core.venues import Named, Program, Venue, VenueCatalog
from storage.agenda import AgendaItem, NewAgendaItem, items_at_venue_between
from storage.delegations import Delegation, get_delegation

PlanItem = NewAgendaItem  # an AgendaItem is one too
LUNCH_LATEST_START = time(12, 30)  # lunch comes before a visit that would run past this
LUNCH_EARLIEST_START = time(11, 30)
DAY_START = time(8, 30)
DAY_END = time(15, 30)
VISIT_MINUTES = 75
LUNCH_MINUTES = 60
RECEPTION_MINUTES = 90
MAX_DAY_TRIP_MINUTES = 60
RECEPTION_ENTRIES = ("lounge-pelayanan-publik", "tempat-penerimaan")
EARLIEST_OPENING = time(6, 0)
FILLER_THEME = "tourism-festivals"  # what a suggested plan shows on a day its topics leave empty
FRIDAY = 4


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
        start = at_local(day, entry.start, tz)
        items.append(_content_item(start, entry.minutes, entry.venue, entry.title))
    return items


def _content_item(start: datetime, minutes: int, venue_id: str, title: Named) -> NewAgendaItem:
    """An item whose title content gives in both languages."""
    return NewAgendaItem(start, minutes, venue_id, title.id, title_en=title.en)


@dataclass(frozen=True)
class PlanningRules:
    """What a suggested plan keeps free, from the settings (FRIDAY_PRAYER_BREAK)."""

    friday_break: tuple[time, time] | None = (time(11, 30), time(13, 0))  # None: no break kept

    def break_on(self, day: date) -> tuple[time, time] | None:
        return self.friday_break if day.weekday() == FRIDAY else None


@dataclass(frozen=True)
class Suggestion:
    """A suggested plan, and the visit's topics none of its venues shows (staff are told, to plan them by hand)."""

    items: list[NewAgendaItem]
    unplaced_topics: tuple[str, ...]


def suggest_plan(
    delegation: Delegation,
    catalog: VenueCatalog,
    tz: ZoneInfo,
    rules: PlanningRules = PlanningRules(),
    *,
    lunch_venue: str | None = None,
) -> Suggestion:
    """A first plan from the delegation's topics, on every day of the visit: the reception on the first day, then
    the venues that show the topics (one showing a topic not seen yet first, the earliest to reach next), a lunch
    break, travel time between venues, nothing while a venue is closed and nothing in the Friday prayer break. A
    day its topics leave without a visit gets the regency's destinations near town, as the standard two-day
    programme spends its second day. Staff adjust it afterwards."""
    size = delegation.planned_size
    reception = _reception_hall(catalog, size)
    eligible = [v for v in catalog.venues.values() if v is not reception and _day_visit(v, catalog, reception, size)]
    wanted = [v for v in eligible if set(delegation.topics) & set(v.themes)]
    destinations = [v for v in eligible if FILLER_THEME in v.themes and v not in wanted]
    lunch = catalog.venues.get(lunch_venue or "") or next(
        (v for v in catalog.venues.values() if "kuliner" in (v.entry or "") or "waroeng" in v.id), None
    )
    planner = _DayPlanner(catalog, tz, rules, lunch, town=reception.id if reception else None)
    items: list[NewAgendaItem] = []
    day = delegation.arrival_date
    while day <= delegation.departure_date:
        opening = []
        if reception is not None and day == delegation.arrival_date:
            start = at_local(day, DAY_START, tz)
            opening = [_content_item(start, RECEPTION_MINUTES, reception.id, catalog.titles["reception"])]
        items += planner.plan_day(day, opening, wanted) or planner.plan_day(day, opening, destinations) or opening
        day += timedelta(days=1)
    shown = planner.seen | set(reception.themes if reception else ())  # the reception presents its innovations
    return Suggestion(items, tuple(t for t in delegation.topics if t not in shown))


def _reception_hall(catalog: VenueCatalog, size: int) -> Venue | None:
    """Where delegations are received (the Lounge, or the Pendopo for a large group): the smallest that fits."""
    halls = [v for v in catalog.venues.values() if v.entry in RECEPTION_ENTRIES and v.capacity >= size]
    return min(halls, key=lambda v: v.capacity, default=None)


def _day_visit(venue: Venue, catalog: VenueCatalog, reception: Venue | None, size: int) -> bool:
    """Whether a group of `size` can visit the venue as a day trip: on site, something to see, big enough, at most
    an hour from the reception, and not a venue that opens before dawn (Ijen's night hike)."""
    return (
        bool(venue.themes)
        and not venue.is_virtual
        and venue.capacity >= size
        and (reception is None or catalog.travel_minutes(reception.id, venue.id) <= MAX_DAY_TRIP_MINUTES)
        and all(opening >= EARLIEST_OPENING for opening, _ in venue.hours.values())
    )


class _DayPlanner:
    """Fills a suggested plan one day at a time; a venue visited once is not visited again."""

    def __init__(
        self, catalog: VenueCatalog, tz: ZoneInfo, rules: PlanningRules, lunch: Venue | None, *, town: str | None
    ) -> None:
        self.catalog, self.tz, self.rules, self.lunch = catalog, tz, rules, lunch
        self.town = town  # where a day starts that has no opening item (the group stays in town)
        self.visited: set[str] = set()
        self.seen: set[str] = set()  # the themes of the venues visited so far

    def plan_day(self, day: date, opening: list[NewAgendaItem], pool: Sequence[Venue]) -> list[NewAgendaItem] | None:
        """The day's items after `opening`, visiting venues of `pool`; None when none of them fits that day."""
        items = list(opening)
        cursor = items[-1].ends_at if items else at_local(day, DAY_START, self.tz)
        here = items[-1].venue_id if items else self.town
        candidates = [v for v in pool if v.id not in self.visited]
        visits: list[Venue] = []
        lunched = self.lunch is None
        while (visit := self._next_visit(day, cursor, here, candidates)) is not None:
            if not lunched and self._local(visit.ends_at).time() > LUNCH_LATEST_START:
                lunched = True
                assert self.lunch is not None
                lunch_at = max(cursor, at_local(day, LUNCH_EARLIEST_START, self.tz))
                meal = self._fit(day, lunch_at, here, self.lunch, LUNCH_MINUTES, self.catalog.titles["lunch"])
                if meal is not None:
                    items.append(meal)
                    cursor, here = meal.ends_at, meal.venue_id
                continue  # the next visit starts from lunch
            venue = self.catalog.venues[visit.venue_id]
            items.append(visit)
            visits.append(venue)
            candidates.remove(venue)
            cursor, here = visit.ends_at, venue.id
        if not visits:
            return None
        for venue in visits:
            self.visited.add(venue.id)
            self.seen |= set(venue.themes)
        return items

    def _next_visit(
        self, day: date, cursor: datetime, here: str | None, candidates: list[Venue]
    ) -> NewAgendaItem | None:
        """The visit to make next: to a venue showing a theme not seen yet if one fits, the earliest to begin."""
        fitting = [
            (visit, venue)
            for venue in candidates
            if (visit := self._fit(day, cursor, here, venue, VISIT_MINUTES, venue.name)) is not None
        ]
        if not fitting:
            return None
        return min(fitting, key=lambda pair: (not set(pair[1].themes) - self.seen, pair[0].starts_at))[0]

    def _fit(
        self, day: date, cursor: datetime, here: str | None, venue: Venue, minutes: int, title: Named
    ) -> NewAgendaItem | None:
        """The item at the venue as early as it can be after `cursor`: after the travel there, after the Friday
        break if it would cut into it, within the venue's hours and the day. None: it does not fit that day."""
        travel = timedelta(minutes=self.catalog.travel_minutes(here, venue.id) if here else 0)
        start = cursor + travel
        pause = self.rules.break_on(day)
        if pause is not None:
            pause_start, pause_end = at_local(day, pause[0], self.tz), at_local(day, pause[1], self.tz)
            if start < pause_end and start + timedelta(minutes=minutes) > pause_start:
                start = max(cursor, pause_end) + travel  # the group prays where it is, then travels on
        local_start, local_end = self._local(start), self._local(start + timedelta(minutes=minutes))
        if local_end.date() != day or local_end.time() > DAY_END:
            return None
        hours = venue.open_on(local_start.weekday())
        if hours is None or not (hours[0] <= local_start.time() and local_end.time() <= hours[1]):
            return None  # closed then: left out rather than a visit to a closed door
        return _content_item(start, minutes, venue.id, title)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


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
        elif _shown(a) != _shown(b):
            changes.append(PlanChange("changed", b, a))
    return sorted(changes, key=lambda c: c.item.starts_at)


def _shown(item: PlanItem) -> tuple[object, ...]:
    """What members see of an item besides its time: a change to any of it is announced."""
    return (item.venue_id, item.title, item.title_en, item.host_officer, item.notes)
