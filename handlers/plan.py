"""Seeing the plan: /jadwal (today first, then the whole visit, in WIB with local time for WITA/WIT visitors),
/kalender (an .ics file), and the views the planning desk and the change notices share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from core.calendar_file import plan_calendar
from core.clock import local_today
from core.errors import DomainError
from core.itinerary import Conflict, PlanChange
from core.membership import visits_of
from core.messages import Document, Recipient, Reply, Venue, button, reply
from core.people import reachable
from handlers.context import Services, Turn
from storage.agenda import AgendaItem, NewAgendaItem, items_of, plan_published
from storage.delegations import Delegation
from storage.participants import participants_of

LOCAL_ZONES = {"WITA": ZoneInfo("Asia/Makassar"), "WIT": ZoneInfo("Asia/Jayapura")}


@dataclass(frozen=True)
class ItemView:
    starts_at: datetime
    ends_at: datetime
    local_start: datetime | None  # the same moment in the visitors' own zone (WITA/WIT), when it differs
    title: str
    venue: str
    host_officer: str | None
    notes: str | None


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


def _venue_name(turn: Turn, venue_id: str, locale: str) -> str:
    return _venue_label(turn.services, venue_id, locale)


def _venue_label(services: Services, venue_id: str, locale: str) -> str:
    venue = services.venues.venues.get(venue_id)
    return venue.name.in_(locale) if venue else venue_id


def plan_view(
    turn: Turn, delegation: Delegation, items: Sequence[NewAgendaItem], *, locale: str | None = None
) -> PlanView:
    return build_plan_view(turn.services, delegation, items, locale=locale or turn.locale)


def build_plan_view(
    services: Services, delegation: Delegation, items: Sequence[NewAgendaItem], *, locale: str
) -> PlanView:
    """The plan by day in WIB, with the visitors' own time beside it when they come from WITA or WIT."""
    tz = services.tz
    zone = services.content.province(delegation.province_code).tz
    local_tz = LOCAL_ZONES.get(zone)
    views = [
        ItemView(
            starts_at=i.starts_at,
            ends_at=i.ends_at,
            local_start=i.starts_at.astimezone(local_tz) if local_tz else None,
            title=i.title,
            venue=_venue_label(services, i.venue_id, locale),
            host_officer=i.host_officer,
            notes=i.notes,
        )
        for i in sorted(items, key=lambda i: i.starts_at)
    ]
    days: dict[date, list[ItemView]] = {}
    for view in views:
        days.setdefault(view.starts_at.astimezone(tz).date(), []).append(view)
    today = days.get(local_today(services.clock, tz), [])
    return PlanView(
        delegation.institution, zone if local_tz else None, [DayView(d, v) for d, v in sorted(days.items())], today
    )


def conflict_views(turn: Turn, conflicts: Sequence[Conflict]) -> list[ConflictView]:
    return [
        ConflictView(
            c.kind,
            c.item.title,
            c.item.starts_at,
            _venue_name(turn, c.item.venue_id, turn.locale),
            c.other.title if c.other else None,
            c.needed,
            c.available,
        )
        for c in conflicts
    ]


def change_views(turn: Turn, changes: Sequence[PlanChange], locale: str) -> list[ChangeView]:
    return [
        ChangeView(
            c.kind,
            c.item.title,
            c.item.starts_at,
            c.before.starts_at if c.before else None,
            _venue_name(turn, c.item.venue_id, locale),
        )
        for c in changes
    ]


async def member_recipients(conn: Connection, delegation: Delegation) -> list[Recipient]:
    """The coordinator and every participant who can still be reached, each once."""
    user_ids = [delegation.coordinator_id, *(p.user_id for p in await participants_of(conn, delegation.id))]
    recipients: dict[int, Recipient] = {}
    for user_id in user_ids:
        recipient = await reachable(conn, user_id)
        if recipient is not None:
            recipients[user_id] = recipient
    return list(recipients.values())


async def _visible_plans(turn: Turn) -> list[tuple[Delegation, list[AgendaItem]]]:
    """The published plans of the user's open visits (staff see theirs too, published or not)."""
    visits = await visits_of(turn.conn, turn.user)
    plans = []
    for delegation in visits.coordinated + visits.joined:
        if not delegation.is_open_for_joining:
            continue
        if not await plan_published(turn.conn, delegation.id) and not turn.user.is_staff:
            continue
        items = await items_of(turn.conn, delegation.id)
        if items:
            plans.append((delegation, items))
    return plans


async def show_schedule(turn: Turn) -> list[Reply]:
    plans = await _visible_plans(turn)
    if not plans:
        return [reply("plan/none")]
    replies = []
    for delegation, items in plans:
        venues = {i.venue_id for i in items}
        rows = [
            [button("text", f"plan:loc:{v}", text="📍 " + _venue_name(turn, v, turn.locale))]
            for v in sorted(venues)
            if _has_point(turn, v)
        ]
        rows.append([button("calendar", f"plan:ics:{delegation.id}")])
        replies.append(reply("plan/schedule", rows, plan=plan_view(turn, delegation, items)))
    return replies


def _has_point(turn: Turn, venue_id: str) -> bool:
    venue = turn.services.venues.venues.get(venue_id)
    return venue is not None and venue.lat is not None and venue.lon is not None


async def send_venue(turn: Turn, venue_id: str) -> list[Reply]:
    venue = turn.services.venues.venues.get(venue_id)
    if venue is None or venue.lat is None or venue.lon is None:
        raise DomainError("errors/stale_button")
    name = venue.name.in_(turn.locale)
    return [
        reply(
            "plan/venue", venue=Venue(venue.lat, venue.lon, name, venue.address or ""), name=name, address=venue.address
        )
    ]


async def send_calendar(turn: Turn, delegation_id: int | None = None) -> list[Reply]:
    plans = await _visible_plans(turn)
    if delegation_id is not None:
        plans = [(d, i) for d, i in plans if d.id == delegation_id]
    if not plans:
        return [reply("plan/none")]
    replies = []
    for delegation, items in plans:
        data = plan_calendar(
            items,
            calendar_name=delegation.institution,
            catalog=turn.services.venues,
            locale=turn.locale,
            tz=turn.services.tz,
            stamp=turn.services.clock.now(),
        )
        document = Document(f"jadwal-{delegation.join_code.lower()}.ics", data, "text/calendar")
        replies.append(reply("plan/calendar", document=document, institution=delegation.institution))
    return replies
