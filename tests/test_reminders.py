"""Reminders in Banyuwangi time, moved by plan edits, surviving restarts: time travel with the fake clock.

The visit of the shared fixtures: Thursday 10 – Friday 11 December 2026; the one-day programme starts
at 08:30 WIB at the Lounge. Reminders: 19:00 the evening before, 06:30 that morning, 60 minutes before
each item.
"""

from __future__ import annotations

import asyncio
import os
import time as time_module
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core
from bot.scheduler import JOB_ID
from bot.sender import RateLimiter, SendLimits
from core.clock import FakeClock
from core.reminders import WEATHER_ENTRY, weather_tips
from storage import outbox
from storage._codec import dump_instant
from storage.outbox import OutboxKind
from tests.conftest import CoreFactory
from tests.support import ChatUser, Press, Recorder, join_as, plan_with_programme, play, publish, register

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


async def published_visit(recorder: Recorder) -> tuple[ChatUser, ChatUser, ChatUser]:
    coordinator, staff = ChatUser(recorder, "Bu Rina"), ChatUser(recorder, "pak_staf")
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    await plan_with_programme(staff)
    await publish(staff)
    return coordinator, member, staff


async def tick(core: Core, clock: FakeClock, when: datetime) -> None:
    """Let time pass to `when` and do what the scheduler's job does when it fires."""
    clock.set(when)
    await core.scheduler.run_due()
    await core.sender.drain()


async def tick_through(core: Core, clock: FakeClock, start: datetime, end: datetime) -> None:
    """Every five minutes from start to end, as the scheduler would wake at each due time."""
    moment = start
    while moment <= end:
        await tick(core, clock, moment)
        moment += timedelta(minutes=5)


def reminders_to(recorder: Recorder, chat: str) -> list[str]:
    kinds = {"reminders/evening", "reminders/morning", "reminders/item"}
    return [s.template for s in recorder.to(chat) if s.template in kinds]


@pytest.fixture
def server_in_new_york() -> Iterator[None]:
    """Whatever the server's zone, users see Banyuwangi time."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time_module.tzset()
    yield
    if previous is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = previous
    time_module.tzset()


async def test_a_visits_reminders_fire_at_the_right_wib_times(
    recorder: Recorder, clock: FakeClock, server_in_new_york: None
) -> None:
    core = recorder.core
    await published_visit(recorder)
    await tick(core, clock, at("2026-12-09T18:59"))
    assert reminders_to(recorder, "Bu Rina") == []
    await tick(core, clock, at("2026-12-09T19:00"))
    assert reminders_to(recorder, "Bu Rina") == ["reminders/evening"]
    assert reminders_to(recorder, "Pak Dedi") == ["reminders/evening"]
    evening = recorder.to("Pak Dedi")[-1]
    assert "08:30–10:00 WIB" in evening.text and "Kamis, 10 Desember 2026" in evening.text
    await tick(core, clock, at("2026-12-10T06:30"))
    assert reminders_to(recorder, "Pak Dedi")[-1] == "reminders/morning"
    await tick(core, clock, at("2026-12-10T07:29"))
    assert reminders_to(recorder, "Pak Dedi")[-1] == "reminders/morning"
    await tick(core, clock, at("2026-12-10T07:30"))  # 60 minutes before 08:30
    item = recorder.to("Pak Dedi")[-1]
    assert item.template == "reminders/item" and "08:30–10:00 WIB" in item.text
    await tick_through(core, clock, at("2026-12-10T07:35"), at("2026-12-10T16:00"))
    sent = reminders_to(recorder, "Pak Dedi")
    assert sent.count("reminders/item") == 5 and len(sent) == 7  # every item, once each, and nothing twice


async def test_plan_edits_move_and_cancel_reminders(recorder: Recorder, clock: FakeClock) -> None:
    core = recorder.core
    _, _, staff = await published_visit(recorder)
    await staff.says("/agenda")
    await staff.presses("text")
    await play(
        staff,
        [
            (Press("agenda_edit"), ["agenda/edit_which"]),
            (Press("agenda_field_when"), ["agenda/ask_when"]),
            ("10/12 09:00", ["agenda/confirm"]),  # into the next item, which goes next
            (Press("agenda_save_anyway"), ["agenda/saved", "agenda/plan"]),
            (Press("agenda_delete", 1), ["agenda/confirm_delete"]),
            (Press("agenda_delete_yes"), ["agenda/saved", "agenda/plan"]),
        ],
    )
    await tick(core, clock, at("2026-12-10T07:30"))  # the old time of the first item
    assert "reminders/item" not in reminders_to(recorder, "Pak Dedi")
    await tick(core, clock, at("2026-12-10T08:00"))  # its new time, 09:00, less 60 minutes
    assert recorder.to("Pak Dedi")[-1].template == "reminders/item"
    await tick_through(core, clock, at("2026-12-10T08:05"), at("2026-12-10T16:00"))
    assert reminders_to(recorder, "Pak Dedi").count("reminders/item") == 4  # the deleted item sent nothing


async def test_muting_stops_a_members_reminders_and_lead_time_is_theirs(recorder: Recorder, clock: FakeClock) -> None:
    core = recorder.core
    coordinator, member, _ = await published_visit(recorder)
    await play(member, [("/pengingat", ["reminders/settings"]), (Press("reminders_mute"), ["reminders/settings"])])
    await play(
        coordinator, [("/pengingat", ["reminders/settings"]), (Press("lead_minutes", 0), ["reminders/settings"])]
    )
    await tick(core, clock, at("2026-12-10T07:59"))
    assert reminders_to(recorder, "Pak Dedi") == []
    assert "reminders/item" not in reminders_to(recorder, "Bu Rina")
    await tick(core, clock, at("2026-12-10T08:00"))  # 30 minutes before 08:30
    assert recorder.to("Bu Rina")[-1].template == "reminders/item"


async def test_a_restart_sends_what_was_missed_within_grace_once_and_drops_the_rest(
    make_core: CoreFactory, clock: FakeClock
) -> None:
    first = Recorder(await make_core())
    await published_visit(first)
    await first.core.close()

    clock.set(at("2026-12-09T21:30"))  # down from before 19:00: the evening summary is 2.5 h late
    second = Recorder(await make_core())
    await second.core.scheduler.start()
    await second.core.sender.drain()
    assert reminders_to(second, "Pak Dedi") == ["reminders/evening"]
    await second.core.scheduler.run_due()
    await second.core.sender.drain()
    assert reminders_to(second, "Pak Dedi") == ["reminders/evening"]  # exactly once
    await second.core.scheduler.stop()
    await second.core.close()

    clock.set(at("2026-12-10T09:15"))  # down again through the morning note and the first item
    third = Recorder(await make_core())
    await third.core.scheduler.start()
    await third.core.sender.drain()
    # the morning note (grace 2 h) and the 08:30 item are past use; the 10:15 item's reminder is due at 09:15
    assert reminders_to(third, "Pak Dedi") == ["reminders/item"]
    assert "10:15" in third.to("Pak Dedi")[-1].text
    await third.core.scheduler.stop()


async def test_a_process_killed_mid_dispatch_loses_nothing(make_core: CoreFactory, clock: FakeClock) -> None:
    first = Recorder(await make_core())
    await published_visit(first)
    clock.set(at("2026-12-09T19:00"))
    await first.core.scheduler.run_due()
    async with first.core.database.transaction() as conn:
        rows = await outbox.pending(conn, kinds=[OutboxKind.REMINDER])
        assert len(rows) == 2
        assert await outbox.claim(conn, rows[0].id, clock.now())  # in flight when the process dies
    await first.core.close()

    second = Recorder(await make_core())
    await second.core.sender.start()  # releases what was in flight
    await second.core.sender.stop()
    await second.core.sender.drain()
    assert reminders_to(second, "Bu Rina") == ["reminders/evening"]
    assert reminders_to(second, "Pak Dedi") == ["reminders/evening"]
    async with second.core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, OutboxKind.REMINDER) == {"sent": 2}


async def test_the_schedule_is_rebuilt_from_the_database(make_core: CoreFactory, clock: FakeClock) -> None:
    first = Recorder(await make_core())
    await published_visit(first)
    await first.core.close()
    core = await make_core()
    await core.scheduler.start()
    job = core.scheduler.scheduler.get_job(JOB_ID)
    assert job is not None and job.next_run_time == at("2026-12-09T19:00")
    await core.scheduler.stop()


def test_a_chats_next_message_waits_until_the_send_before_it_is_recorded() -> None:
    """Between a send's answer and the outbox row saying so, a kill would send that message again: the chat's next
    one waits, so a kill repeats one message per chat, never two (tests/test_crash.py counts it)."""
    now = [0.0]
    limiter = RateLimiter(SendLimits(per_second=30, chat_interval=1.0), lambda: now[0])
    limiter.begin("7")
    limiter.record("7")  # answered, not yet settled in the outbox
    assert limiter.wait_for("7", answer=True) > 0
    assert limiter.wait_for("8", answer=True) == 0  # other chats go on
    limiter.settled("7")
    assert limiter.wait_for("7", answer=True) == 0
    limiter.begin("9")
    limiter.abandon("9")  # begun, then cancelled before it ran: it holds nothing
    assert limiter.wait_for("9", answer=True) == 0 and limiter.wait_overall() == 0


def test_the_limiter_keeps_telegrams_limits() -> None:
    now = [0.0]
    limiter = RateLimiter(SendLimits(per_second=30, chat_interval=1.0, group_per_minute=20, margin=0.0), lambda: now[0])
    for chat in range(30):
        assert limiter.wait_for(str(chat)) == 0
        limiter.record(str(chat))
    assert limiter.wait_for("99") == pytest.approx(1.0)  # the 31st message in a second waits
    now[0] = 1.0
    assert limiter.wait_for("99") == 0
    assert limiter.wait_for("0") == 0  # a second after its last message, the same chat may get another
    limiter.record("0")
    now[0] = 1.5
    assert limiter.wait_for("0") == pytest.approx(0.5)
    for _ in range(20):
        now[0] += 1.0
        limiter.record("-100123")
    assert limiter.wait_for("-100123") == pytest.approx(41.0)  # a group gets 20 a minute
    assert timedelta(seconds=limiter.wait_for("5")) >= timedelta(0)


async def count(core: Core, sql: str, *params: object) -> int:
    async with core.database.transaction() as conn:
        [(number,)] = await conn.execute_fetchall(sql, params)
    return int(number)


async def seed_due_reminders(core: Core, count: int, due: datetime) -> None:
    """`count` reminders of one member falling due together (as after a long stop with a big programme)."""
    async with core.database.transaction() as conn:
        await conn.executemany(
            """INSERT INTO reminders (key, kind, user_id, delegation_id, item_id, day, due_at, useful_until, updated_at)
               VALUES (?, 'item', 1, 1, NULL, '2026-12-10', ?, ?, ?)""",
            [
                (f"seed:{n}", dump_instant(due), dump_instant(due + timedelta(hours=1)), dump_instant(due))
                for n in range(count)
            ],
        )


async def test_more_reminders_due_at_once_than_one_query_takes_are_all_queued_and_the_job_stays(
    core: Core, clock: FakeClock, recorder: Recorder
) -> None:
    await published_visit(recorder)
    await asyncio.sleep(0)  # let the reschedules the plan's publication asked for run first
    await seed_due_reminders(core, 6_000, at("2026-12-09T18:00"))
    clock.set(at("2026-12-09T18:00"))
    await core.scheduler.start()
    due_now = "SELECT COUNT(*) FROM reminders WHERE status = 'pending' AND due_at <= ?"
    assert await count(core, due_now, dump_instant(clock.now())) == 0
    assert await count(core, "SELECT COUNT(*) FROM reminders WHERE status = 'queued'") == 6_000
    job = core.scheduler.scheduler.get_job(JOB_ID)
    assert job is not None and job.next_run_time == at("2026-12-09T19:00")  # armed for the next one to come
    await core.scheduler.stop()


async def test_the_drain_wakes_by_itself_when_the_job_was_skipped(
    core: Core, clock: FakeClock, recorder: Recorder
) -> None:
    """Even with its job gone (as APScheduler used to drop it under load), the drain queues what fell due."""
    await published_visit(recorder)
    clock.set(at("2026-12-09T18:59:59.5"))
    await core.scheduler.start()
    core.scheduler.scheduler.remove_job(JOB_ID)  # the job is lost
    clock.set(at("2026-12-09T19:00"))  # the evening summaries fall due
    queued = 0
    for _ in range(100):
        await asyncio.sleep(0.05)
        queued = await count(core, "SELECT COUNT(*) FROM reminders WHERE status = 'queued'")
        if queued == 2:
            break
    assert queued == 2, "the drain woke within a second and a half of the time it had armed"
    job = core.scheduler.scheduler.get_job(JOB_ID)
    assert job is not None and job.next_run_time > clock.now()  # and armed the job again
    await core.scheduler.stop()


async def test_a_reminder_queued_before_a_long_stop_is_dropped_when_no_longer_useful(
    make_core: CoreFactory, clock: FakeClock
) -> None:
    first = Recorder(await make_core())
    await published_visit(first)
    clock.set(at("2026-12-09T19:00"))
    await first.core.scheduler.run_due()  # queued for the evening summary (useful until 22:00) ...
    await first.core.close()  # ... and the bot died before sending it

    clock.set(at("2026-12-09T23:30"))
    second = Recorder(await make_core())
    await second.core.sender.drain()
    assert reminders_to(second, "Pak Dedi") == [] and reminders_to(second, "Bu Rina") == []
    async with second.core.database.transaction() as conn:
        assert await outbox.counts_by_status(conn, OutboxKind.REMINDER) == {"dropped": 2}


async def test_the_morning_note_gives_the_weather_of_the_visit_days_month(recorder: Recorder, clock: FakeClock) -> None:
    """Issue 12.4: a December morning spoke of October heat; the tips are those of the visit day's month."""
    core = recorder.core
    await published_visit(recorder)
    await tick(core, clock, at("2026-12-10T06:30"))
    [morning] = [s for s in recorder.to("Pak Dedi") if s.template == "reminders/morning"]
    assert "Oktober" not in morning.text and "33°C" not in morning.text
    assert "Musim hujan" in morning.text  # December is in the rainy season


def test_weather_tips_fit_the_month_or_are_left_out(core: Core) -> None:
    weather = core.services.knowledge.entries[WEATHER_ENTRY]
    host = core.services.host
    october = weather_tips(weather, date(2027, 10, 5), "en", host)
    assert any("October" in tip for tip in october) and not any("Rainy season" in tip for tip in october)
    december = weather_tips(weather, date(2026, 12, 10), "id", host)
    assert december and not any("Oktober" in tip for tip in december)
    only_october = replace(weather, seasonal_tips=tuple(t for t in weather.seasonal_tips if t.months == (10,)))
    assert only_october.seasonal_tips and weather_tips(only_october, date(2026, 12, 10), "id", host) == ()
    assert weather_tips(None, date(2026, 12, 10), "id", host) == ()
