"""Seeing the plan: /jadwal (today first, then the whole visit, in WIB with local time for WITA/WIT visitors),
/kalender (an .ics file), and the views the planning desk and the change notices share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from core import agenda
from core.agenda import title_in
from core.calendar_file import plan_calendar
from core.clock import local_today
from core.errors import DomainError
from core.itinerary import Conflict, PlanChange
from core.membership import visits_of
from core.messages import Button, Document, Reply, Venue, reply
from core.model import Delegation, NewAgendaItem
from core.services import Services
from handlers.actions import ID, WORD, Action, button, on
from handlers.context import Turn
from handlers.menu import MENU, role_of

LOCAL_ZONES = {"WITA": ZoneInfo("Asia/Makassar"), "WIT": ZoneInfo("Asia/Jayapura")}
SHOW_VENUE = Action("plan:loc", WORD)
SEND_CALENDAR = Action("plan:ics", ID)
Item = TypeVar("Item", bound=NewAgendaItem)


@dataclass(frozen=True)
class ItemView:
    starts_at: datetime
    ends_at: datetime
    local_start: datetime | None  # the same moment in the visitors' own zone (WITA/WIT), when it differs
    title: str
    venue: str
    host_officer: str | None
    notes: str | None
    number: int | None = None  # in the planning desk: the item's #n, as its edit and remove buttons say


@dataclass(frozen=True)
class DayView:
    day: date
    items: list[ItemView]


@dataclass(frozen=True)
class PlanView:
    institution: str
    local_zone: str | None
    days: list[DayView]
    today: list[ItemView]


@dataclass(frozen=True)
class ConflictView:
    kind: str
    title: str
    at: datetime
    venue: str
    other: str | None
    needed: int
    available: int


@dataclass(frozen=True)
class ChangeView:
    kind: str
    title: str
    at: datetime
    before_at: datetime | None
    venue: str


def in_order(items: Sequence[Item]) -> list[Item]:
    """A plan's items in the order every view lists them, and so numbers them (#1 is the first)."""
    return sorted(items, key=lambda i: i.starts_at)


def plan_view(
    turn: Turn,
    delegation: Delegation,
    items: Sequence[NewAgendaItem],
    *,
    locale: str | None = None,
    numbered: bool = False,
) -> PlanView:
    return build_plan_view(turn.services, delegation, items, locale=locale or turn.locale, numbered=numbered)


def build_plan_view(
    services: Services,
    delegation: Delegation,
    items: Sequence[NewAgendaItem],
    *,
    locale: str,
    numbered: bool = False,
) -> PlanView:
    """The plan by day in WIB, with the visitors' own time beside it when they come from WITA or WIT; `numbered`
    gives each item its #n (the planning desk, whose buttons name the items by it)."""
    tz = services.tz
    zone = services.content.province(delegation.province_code).tz
    local_tz = LOCAL_ZONES.get(zone)
    days: dict[date, list[ItemView]] = {}
    for number, item in enumerate(in_order(items), 1):
        view = ItemView(
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            local_start=item.starts_at.astimezone(local_tz) if local_tz else None,
            title=title_in(item, locale),
            venue=services.venues.label(item.venue_id, locale),
            host_officer=item.host_officer,
            notes=item.notes,
            number=number if numbered else None,
        )
        days.setdefault(item.day(tz), []).append(view)
    today = days.get(local_today(services.clock, tz), [])
    return PlanView(
        delegation.institution, zone if local_tz else None, [DayView(d, v) for d, v in sorted(days.items())], today
    )


def conflict_views(turn: Turn, conflicts: Sequence[Conflict]) -> list[ConflictView]:
    label = turn.services.venues.label
    return [
        ConflictView(
            c.kind,
            title_in(c.item, turn.locale),
            c.item.starts_at,
            label(c.item.venue_id, turn.locale),
            title_in(c.other, turn.locale) if c.other else None,
            c.needed,
            c.available,
        )
        for c in conflicts
    ]


def change_views(services: Services, changes: Sequence[PlanChange], locale: str) -> list[ChangeView]:
    return [
        ChangeView(
            c.kind,
            title_in(c.item, locale),
            c.item.starts_at,
            c.before.starts_at if c.before else None,
            services.venues.label(c.item.venue_id, locale),
        )
        for c in changes
    ]


def venue_buttons(services: Services, venue_ids: Sequence[str], locale: str) -> list[list[Button]]:
    """A map button per venue that can be shown on a map: every one with coordinates or an address."""
    return [
        [button("text", SHOW_VENUE(v), text="📍 " + services.venues.label(v, locale))]
        for v in venue_ids
        if services.venues.on_map(v)
    ]


async def show_schedule(turn: Turn) -> list[Reply]:
    plans = await agenda.visible_plans(turn)
    if not plans:
        return await _no_plan(turn)
    replies = []
    for delegation, items in plans:
        rows = venue_buttons(turn.services, sorted({i.venue_id for i in items}), turn.locale)
        rows.append([button("calendar", SEND_CALENDAR(delegation.id))])
        replies.append(reply("plan/schedule", rows, plan=plan_view(turn, delegation, items)))
    return replies


@on(SHOW_VENUE)
async def send_venue(turn: Turn, venue_id: str) -> list[Reply]:
    """The venue's map link, and its location too where it has coordinates (the phone opens it in maps)."""
    venue = turn.services.venues.on_map(venue_id)
    if venue is None:
        raise DomainError("errors/stale_button")
    name = venue.name.in_(turn.locale)
    point = None
    if venue.lat is not None and venue.lon is not None:
        point = Venue(venue.lat, venue.lon, name, venue.address or "")
    return [reply("plan/venue", venue=point, name=name, address=venue.address, maps_url=venue.maps_url)]


async def send_calendars(turn: Turn) -> list[Reply]:
    """/kalender: every visible plan as an .ics file."""
    return await _calendars(turn, None)


@on(SEND_CALENDAR)
async def send_calendar(turn: Turn, delegation_id: int) -> list[Reply]:
    return await _calendars(turn, delegation_id)


async def _calendars(turn: Turn, delegation_id: int | None) -> list[Reply]:
    plans = [(d, i) for d, i in await agenda.visible_plans(turn) if delegation_id in (None, d.id)]
    if not plans:
        return await _no_plan(turn)
    replies = []
    for delegation, items in plans:
        data = plan_calendar(
            items,
            calendar_name=delegation.institution,
            catalog=turn.services.venues,
            locale=turn.locale,
            tz=turn.services.tz,
            stamp=turn.now,
        )
        document = Document(f"jadwal-{delegation.join_code.lower()}.ics", data, "text/calendar")
        replies.append(reply("plan/calendar", document=document, institution=delegation.institution))
    return replies


async def _no_plan(turn: Turn) -> list[Reply]:
    """No plan to show: a member's is not published yet; someone in no visit still to come is told how to join one."""
    visits = await visits_of(turn.conn, turn.user)
    if visits.active:
        return [reply("plan/none")]
    rows = [[button("menu_join", MENU("gabung")), button("menu_register", MENU("daftar"))]]
    return [reply("plan/no_visit", rows, role=role_of(turn, visits))]
