"""The planning rules on their own: each kind of conflict, programmes on the visit's dates, suggestions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.app import Core
from core.itinerary import apply_program, check_plan, suggest_plan
from core.visits import submit_registration
from storage.agenda import NewAgendaItem, insert_item
from storage.delegations import Delegation, NewDelegation, VisitMode
from storage.users import Role, upsert_user

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


async def visit(core: Core, size: int = 45, topics: tuple[str, ...] = ("public-services",)) -> Delegation:
    async with core.database.transaction() as conn:
        user = await upsert_user(
            conn,
            channel="console",
            external_id=f"c{size}{topics}",
            chat_id="c",
            display_name="C",
            default_language="id",
            role=Role.MEMBER,
            now=core.services.clock.now(),
        )
        new = NewDelegation(
            "Pemkab Uji",
            "32",
            "A",
            "Bupati",
            size,
            VisitMode.ONSITE,
            date(2026, 12, 10),
            date(2026, 12, 11),
            topics,
            None,
            "C",
            "+6281234567890",
        )
        return await submit_registration(conn, new, coordinator_id=user.id, clock=core.services.clock)


def item(start: str, minutes: int, venue: str, title: str = "Acara") -> NewAgendaItem:
    return NewAgendaItem(at(start), minutes, venue, title)


async def conflicts_of(core: Core, delegation: Delegation, plan: list[NewAgendaItem]) -> list[str]:
    async with core.database.transaction() as conn:
        found = await check_plan(conn, delegation, plan, core.services.venues, WIB)
    return [c.kind for c in found]


async def test_a_good_plan_has_no_conflicts(core: Core) -> None:
    delegation = await visit(core)
    plan = [
        item("2026-12-10T08:30", 90, "lounge-pelayanan-publik"),
        item("2026-12-10T10:15", 60, "mal-pelayanan-publik"),
    ]
    assert await conflicts_of(core, delegation, plan) == []


async def test_each_conflict_is_found(core: Core) -> None:
    delegation = await visit(core)
    lounge, djawatan = "lounge-pelayanan-publik", "de-djawatan"
    assert await conflicts_of(
        core, delegation, [item("2026-12-10T08:30", 90, lounge), item("2026-12-10T09:30", 30, lounge)]
    ) == ["overlap"]
    assert await conflicts_of(
        core, delegation, [item("2026-12-10T08:30", 90, lounge), item("2026-12-10T10:05", 60, djawatan)]
    ) == ["travel"]
    assert await conflicts_of(core, delegation, [item("2026-12-14T09:00", 60, lounge)]) == ["outside_dates"]
    assert await conflicts_of(core, delegation, [item("2026-12-10T15:30", 60, lounge)]) == ["venue_closed"]
    assert await conflicts_of(core, delegation, [item("2026-12-10T09:00", 60, "no-such-venue")]) == ["venue_closed"]


async def test_a_venue_over_capacity_counts_the_other_delegations_there(core: Core) -> None:
    first, second = await visit(core, size=45), await visit(core, size=30, topics=("health",))
    async with core.database.transaction() as conn:
        await insert_item(
            conn,
            second.id,
            item("2026-12-10T09:00", 60, "lounge-pelayanan-publik"),
            uid="x@test",
            now=core.services.clock.now(),
        )
    plan = [item("2026-12-10T08:30", 90, "lounge-pelayanan-publik")]
    assert await conflicts_of(core, first, plan) == ["capacity"]
    assert await conflicts_of(core, first, [item("2026-12-10T10:00", 60, "lounge-pelayanan-publik")]) == []


async def test_programmes_land_on_the_visits_dates_without_conflicts(core: Core) -> None:
    delegation = await visit(core)
    for program in ("one-day-public-services", "two-day-with-tourism"):
        plan = apply_program(delegation, core.services.venues.programs[program], WIB)
        assert plan and plan[0].starts_at == at("2026-12-10T08:30")
        assert {p.starts_at.date() for p in plan} <= {date(2026, 12, 10), date(2026, 12, 11)}
        assert await conflicts_of(core, delegation, plan) == []


async def test_a_suggested_plan_follows_the_topics_with_lunch_travel_and_opening_hours(core: Core) -> None:
    delegation = await visit(core, topics=("public-services", "digital-villages", "tourism-festivals"))
    plan = suggest_plan(delegation, core.services.venues, WIB)
    venues = [p.venue_id for p in plan]
    assert venues[0] == "lounge-pelayanan-publik" and "waroeng-kemarang" in venues
    assert "kawah-ijen" not in venues and "pulau-merah" not in venues  # not day visits from town
    assert await conflicts_of(core, delegation, plan) == []
    for day in {p.starts_at.date() for p in plan}:
        assert max(p.ends_at for p in plan if p.starts_at.date() == day).time() <= (at("2026-12-10T15:30")).time()
    assert all(b.starts_at - a.ends_at >= timedelta(0) for a, b in pairwise(plan))
