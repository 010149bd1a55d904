"""The planning rules on their own: each kind of conflict, programmes on the visit's dates, suggestions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core
from bot.config import ConfigError, Settings, load_settings
from core.clock import FakeClock
from core.itinerary import PlanningRules, apply_program, check_plan, suggest_plan
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
    plan = suggest_plan(delegation, core.services.venues, WIB).items
    venues = [p.venue_id for p in plan]
    assert venues[0] == "lounge-pelayanan-publik" and "waroeng-kemarang" in venues
    assert "kawah-ijen" not in venues and "pulau-merah" not in venues  # not day visits from town
    assert await conflicts_of(core, delegation, plan) == []
    for day in {p.starts_at.date() for p in plan}:
        assert max(p.ends_at for p in plan if p.starts_at.date() == day).time() <= (at("2026-12-10T15:30")).time()
    assert all(b.starts_at - a.ends_at >= timedelta(0) for a, b in pairwise(plan))


OTHER_THAN_VISITS = {"lounge-pelayanan-publik", "pendopo-sabha-swagata-blambangan", "waroeng-kemarang"}
"""The reception halls and the lunch stop: items of a suggested plan that are not visits."""


def visits_on(plan: list[NewAgendaItem], day: date) -> list[NewAgendaItem]:
    return [p for p in plan if p.day(WIB) == day and p.venue_id not in OTHER_THAN_VISITS]


async def test_a_suggested_plan_fills_every_day_of_the_visit(core: Core) -> None:
    """Thursday 10 – Friday 11 December: the two topics' venues fill the first day, the destinations the second."""
    delegation = await visit(core, topics=("public-services", "digital-villages"))
    plan = suggest_plan(delegation, core.services.venues, WIB).items
    for day in (date(2026, 12, 10), date(2026, 12, 11)):
        assert visits_on(plan, day), f"nothing to visit on {day}"
    assert await conflicts_of(core, delegation, plan) == []
    assert all(b.starts_at - a.ends_at >= timedelta(0) for a, b in pairwise(plan))


@pytest.mark.parametrize(
    "topics",
    [("public-services", "digital-villages"), ("public-services", "digital-villages", "tourism-festivals"), ()],
)
async def test_a_suggested_plan_keeps_the_friday_prayer_break_free(core: Core, topics: tuple[str, ...]) -> None:
    delegation = await visit(core, topics=topics)
    friday = date(2026, 12, 11)
    for rules, free in [
        (PlanningRules(), (time(11, 30), time(13, 0))),
        (PlanningRules(friday_break=(time(11, 0), time(13, 30))), (time(11, 0), time(13, 30))),
    ]:
        plan = suggest_plan(delegation, core.services.venues, WIB, rules).items
        pause = (datetime.combine(friday, free[0], WIB), datetime.combine(friday, free[1], WIB))
        on_friday = [p for p in plan if p.day(WIB) == friday]
        assert on_friday, "Friday is a day of the visit too"
        assert not [p for p in on_friday if p.starts_at < pause[1] and p.ends_at > pause[0]], rules
        assert await conflicts_of(core, delegation, plan) == []


async def test_a_suggested_plan_names_the_topics_it_has_no_venue_for(core: Core) -> None:
    delegation = await visit(core, topics=("education", "public-services", "health"))
    suggestion = suggest_plan(delegation, core.services.venues, WIB)
    assert suggestion.unplaced_topics == ("education", "health")
    assert suggest_plan(await visit(core, size=46), core.services.venues, WIB).unplaced_topics == ()
    large = await visit(core, size=250, topics=("digital-villages",))  # Smart Kampung takes 60
    assert suggest_plan(large, core.services.venues, WIB).unplaced_topics == ("digital-villages",)


async def test_programme_and_suggestion_items_carry_their_english_titles(core: Core) -> None:
    delegation = await visit(core)
    catalog = core.services.venues
    program = apply_program(delegation, catalog.programs["one-day-public-services"], WIB)
    assert [(p.title, p.title_en) for p in program][:2] == [
        ("Penerimaan dan paparan inovasi", "Welcome and presentation of innovations"),
        ("Kunjungan ke Mal Pelayanan Publik", "Visit to the Public Service Mall"),
    ]
    suggested = suggest_plan(delegation, catalog, WIB).items
    assert all(p.title_en for p in suggested)
    assert ("Mal Pelayanan Publik", "Public Service Mall") in [(p.title, p.title_en) for p in suggested]


def test_the_friday_prayer_break_is_a_setting() -> None:
    assert load_settings({}, env_file=None).friday_prayer_break == (time(11, 30), time(13, 0))
    assert load_settings({"FRIDAY_PRAYER_BREAK": "11.45-13.15"}, env_file=None).friday_prayer_break == (
        time(11, 45),
        time(13, 15),
    )
    assert load_settings({"FRIDAY_PRAYER_BREAK": "off"}, env_file=None).friday_prayer_break is None
    for wrong in ("13:00-11:30", "11:30", "noon-13:00"):
        with pytest.raises(ConfigError, match="FRIDAY_PRAYER_BREAK"):
            load_settings({"FRIDAY_PRAYER_BREAK": wrong}, env_file=None)


async def test_the_settings_break_reaches_the_planner(settings: Settings, clock: FakeClock) -> None:
    """FRIDAY_PRAYER_BREAK is passed to the planner as the other rules are, through the services."""
    core = await Core.build(replace(settings, friday_prayer_break=(time(10, 0), time(14, 0))), clock=clock)
    try:
        assert core.services.planning == PlanningRules(friday_break=(time(10, 0), time(14, 0)))
    finally:
        await core.close()
