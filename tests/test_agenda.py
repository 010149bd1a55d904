"""Planning a visit (host staff) and seeing the plan (members): programmes, conflicts, publishing, changes,
the schedule in WIB with local time for WITA/WIT visitors, and the calendar file."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from core.clock import FakeClock
from tests.support import (
    UP_TO_SUMMARY,
    ChatUser,
    Press,
    Recorder,
    join_as,
    plan_with_programme,
    play,
    publish,
    register,
)

WEST_JAVA_VISIT = UP_TO_SUMMARY  # 45 people, on site, Thursday 10 – Friday 11 December 2026


async def test_staff_apply_a_programme_and_publish_it_to_the_members(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    await play(member, [("/jadwal", ["plan/none"])])
    await plan_with_programme(staff)
    sent = await publish(staff)
    assert [s.template for s in sent] == ["agenda/published"]
    for person in ("Bu Rina", "Pak Dedi"):
        notice = recorder.to(person)[-1]
        assert notice.template == "plan/published" and "Lounge Pelayanan Publik" in notice.text
    [schedule] = await member.says("/jadwal")
    assert schedule.template == "plan/schedule" and "08:30–10:00 WIB" in schedule.text
    assert "WITA" not in schedule.text  # West Java is WIB too


async def test_conflicts_are_explained_before_saving(coordinator: ChatUser, staff: ChatUser) -> None:
    await register(coordinator)
    await plan_with_programme(staff)
    await play(
        staff,
        [
            (Press("agenda_add"), ["agenda/ask_when"]),
            ("besok pagi", ["agenda/errors/time_unreadable", "agenda/ask_when"]),
            ("10/12 09:00", ["agenda/ask_minutes"]),
            ("sebentar", ["agenda/errors/minutes", "agenda/ask_minutes"]),
            ("1 jam", ["agenda/ask_venue"]),
            ("Lounge", ["errors/use_buttons", "agenda/ask_venue"]),
            (Press("text", 2), ["agenda/ask_title"]),
            ("Diskusi", ["agenda/ask_officer"]),
            (Press("skip"), ["agenda/ask_notes"]),
            (Press("skip"), [("agenda/confirm", "bertabrakan dengan")]),
        ],
    )
    await play(staff, [(Press("cancel_flow"), ["menu/cancelled_agenda", "agenda/plan"])])


async def test_a_venue_over_capacity_with_another_delegation_is_shown(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    other = ChatUser(recorder, "Pak Budi")
    await register(other)  # another 45 people on the same days
    await plan_with_programme(staff)  # the first visit at the Lounge on Thursday morning
    await staff.says("/agenda")
    sent = await staff.presses("text", 1)
    assert sent[0].template == "agenda/plan"
    await staff.presses("agenda_program")
    [confirm] = await staff.presses("text", 0)
    assert confirm.template == "agenda/confirm" and "kelebihan kapasitas" in confirm.text and "90 orang" in confirm.text


async def test_edits_of_a_published_plan_are_announced_with_what_changed(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    await plan_with_programme(staff)
    await publish(staff)
    await staff.says("/agenda")
    await staff.presses("text")
    await play(
        staff,
        [
            (Press("agenda_edit"), ["agenda/edit_which"]),
            (Press("agenda_field_when"), ["agenda/ask_when"]),
            ("10/12 08:15", ["agenda/confirm"]),
            (Press("agenda_save"), ["agenda/saved", "agenda/plan"]),
        ],
    )
    notice = recorder.to("Bu Rina")[-1]
    assert notice.template == "plan/changed" and "08:30 ke" in notice.text and "08:15 WIB" in notice.text


async def test_visitors_from_wita_see_their_own_time_beside_wib(staff: ChatUser, recorder: Recorder) -> None:
    makassar = ChatUser(recorder, "Andi")
    await play(
        makassar,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkot Makassar", ["registration/ask_province"]),
            ("Sulawesi Selatan", ["registration/ask_head"]),
            ("Danny Pomanto, Wali Kota", ["registration/ask_size"]),
            ("20", ["registration/ask_mode"]),
            (Press("mode_onsite"), ["registration/ask_arrival"]),
            ("10/12/2026", ["registration/ask_departure"]),
            (Press("same_day"), ["registration/ask_topics"]),
            ("pelayanan publik", ["registration/ask_topics"]),  # a typed topic joins the selection
            (Press("done"), ["registration/ask_contact_name"]),
            (Press("use_my_name"), ["registration/ask_contact_phone"]),
            ("0812 1111 2222", ["registration/summary"]),
            (Press("confirm"), ["registration/submitted", "registration/join_qr"]),
        ],
    )
    await plan_with_programme(staff)
    await publish(staff)
    [schedule] = await makassar.says("/jadwal")
    assert "08:30–10:00 WIB (09:30 WITA)" in schedule.text


async def test_the_calendar_file_has_alarms_the_time_zone_and_stable_uids(
    coordinator: ChatUser, staff: ChatUser
) -> None:
    await register(coordinator)
    await plan_with_programme(staff, program_button=1)  # the two-day programme
    await publish(staff)
    [first] = await coordinator.says("/kalender")
    [again] = await coordinator.says("/kalender")
    assert first.reply.document is not None and first.reply.document.filename.endswith(".ics")
    calendars = [Calendar.from_ical(s.reply.document.data) for s in (first, again)]  # type: ignore[union-attr]
    events = [list(c.walk("VEVENT")) for c in calendars]
    assert len(events[0]) >= 8
    assert [e["UID"] for e in events[0]] == [e["UID"] for e in events[1]]  # a re-sent file updates, not duplicates
    start = events[0][0].decoded("DTSTART")
    assert start == datetime.fromisoformat("2026-12-10T08:30:00+07:00") and str(start.tzinfo) == "Asia/Jakarta"
    assert list(calendars[0].walk("VTIMEZONE")) and all(list(e.walk("VALARM")) for e in events[0])


async def test_only_staff_plan(coordinator: ChatUser) -> None:
    await register(coordinator)
    await play(coordinator, [("/agenda", ["errors/staff_only"])])
    sent = await coordinator.presses_action("plan:add:1")  # a forged button
    assert [s.template for s in sent] == ["errors/staff_only"]


async def test_english_readers_get_the_english_titles_and_a_typed_title_stays_as_typed(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    """The one-day programme's items carry both languages: the publish and change notices, /jadwal, reminders and
    the calendar file show each reader theirs; a title staff type is shown to everyone as typed."""
    code = await register(coordinator)
    member = await join_as(recorder, "Mr Dedi", code)
    await play(member, [("/bahasa en", ["menu/language_set"])])
    await plan_with_programme(staff)
    await publish(staff)
    [published] = [s for s in recorder.to("Mr Dedi") if s.template == "plan/published"]
    for title in ("Welcome and presentation of innovations", "Lunch — Osing food", "Smart Kampung village visit"):
        assert title in published.text
    assert "Penerimaan dan paparan inovasi" not in published.text and "Makan siang" not in published.text
    assert "Penerimaan dan paparan inovasi" in recorder.to("Bu Rina")[-1].text  # Indonesian for Indonesian readers
    [schedule] = await member.says("/jadwal")
    assert "Lunch — Osing food" in schedule.text and "Makan siang khas Osing" not in schedule.text
    [calendar] = await member.says("/kalender")
    assert calendar.reply.document is not None
    events = list(Calendar.from_ical(calendar.reply.document.data).walk("VEVENT"))
    assert str(events[0]["SUMMARY"]) == "Welcome and presentation of innovations"
    assert str(next(iter(events[0].walk("VALARM")))["DESCRIPTION"]) == "Welcome and presentation of innovations"

    await play(staff, [("/agenda", ["agenda/choose"]), (Press("text"), ["agenda/plan"])])
    await play(
        staff,
        [
            (Press("agenda_edit", 2), ["agenda/edit_which"]),  # #3, lunch
            (Press("agenda_field_when"), ["agenda/ask_when"]),
            ("10/12 11:40", ["agenda/confirm"]),
            (Press("agenda_save"), ["agenda/saved", "agenda/plan"]),
        ],
    )
    [moved] = [s for s in recorder.to("Mr Dedi") if s.template == "plan/changed"]
    assert "Lunch — Osing food" in moved.text and "Makan siang" not in moved.text
    await play(
        staff,
        [
            (Press("agenda_edit", 0), ["agenda/edit_which"]),
            (Press("agenda_field_title"), ["agenda/ask_title"]),
            ("Sambutan Bupati & paparan", ["agenda/confirm"]),
            (Press("agenda_save"), ["agenda/saved", "agenda/plan"]),
        ],
    )
    renamed = [s for s in recorder.to("Mr Dedi") if s.template == "plan/changed"][-1]
    assert "Sambutan Bupati &amp; paparan" in renamed.text and "Welcome and presentation" not in renamed.text

    clock.set(datetime(2026, 12, 9, 19, 0, tzinfo=ZoneInfo("Asia/Jakarta")))  # the evening before
    await recorder.core.scheduler.run_due()
    await recorder.core.sender.drain()
    evening = recorder.to("Mr Dedi")[-1]
    assert evening.template == "reminders/evening"
    assert "Sambutan Bupati &amp; paparan" in evening.text and "Lunch — Osing food" in evening.text
