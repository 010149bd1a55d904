"""Participants joining with a code, the coordinator's roster, status, cancelling a visit, language and menus."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FakeClock
from core.questions import QUESTION_LIMIT
from storage.audit import entries_for
from storage.db import fetch_all
from storage.delegations import DelegationStatus, delegations_of_coordinator, get_delegation
from storage.users import find_user
from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import ChatUser, Press, Recorder, join_as, plan_with_programme, play, publish, register


def delegation_id(recorder: Recorder, code: str) -> int:
    for sent in recorder.sent:
        delegation = sent.reply.params.get("delegation")
        if getattr(delegation, "join_code", None) == code and delegation.id is not None:
            return int(delegation.id)
    raise AssertionError(f"no delegation {code} was shown")


async def test_a_participant_joins_with_the_code_and_the_coordinator_sees_the_count(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    participant = ChatUser(recorder, "Pak Dedi")
    await play(
        participant,
        [
            (f"/gabung {code.lower()}", [("join/welcome", "Pemkab Cianjur"), "join/ask_name"]),
            ("1", ["registration/errors/name", "join/ask_name"]),
            ("Dedi Supriadi", ["join/ask_position"]),
            ("K", ["join/errors/position", "join/ask_position"]),
            ("Kepala Bappeda", ["join/ask_unit"]),
            (Press("skip"), [("join/confirm", "Kepala Bappeda")]),
            (Press("edit_unit"), ["join/ask_unit"]),
            ("Bappeda <Kab. Cianjur>", ["join/confirm"]),
            ("ya", ["errors/use_buttons", "join/confirm"]),
            (Press("confirm"), [("join/joined", "Pemkab Cianjur")]),
            (f"/gabung {code}", ["join/already"]),
        ],
    )
    [roster] = await coordinator.says("/peserta")
    assert roster.template == "participants/list"
    assert "1 dari 45" in roster.text
    assert "Dedi Supriadi — Kepala Bappeda (Bappeda &lt;Kab. Cianjur&gt;)" in roster.text


async def test_joining_by_deep_link_and_by_menu(coordinator: ChatUser, recorder: Recorder) -> None:
    code = await register(coordinator)
    by_link = ChatUser(recorder, "Ms Lee", language_code="en-GB")
    await play(
        by_link,
        [
            (f"/start join-{code}", [("join/welcome", "Welcome"), "join/ask_name"]),
            (Press("use_my_name"), ["join/ask_position"]),
        ],
    )
    by_menu = ChatUser(recorder, "Pak Asep")
    await play(
        by_menu,
        [
            ("/start", ["menu/start"]),
            (Press("menu_join"), ["join/ask_code"]),
            (code.replace("0", "O").replace("1", "I"), ["join/welcome", "join/ask_name"]),  # look-alikes forgiven
        ],
    )


async def test_five_wrong_codes_in_an_hour_lock_joining_for_an_hour(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    code = await register(coordinator)
    guesser = ChatUser(recorder, "Penebak")
    await play(
        guesser,
        [
            ("/gabung", ["join/ask_code"]),
            ("AAAAAAAA", [("join/errors/unknown_code", "4"), "join/ask_code"]),
            ("BBBBBBBB", ["join/errors/unknown_code", "join/ask_code"]),
            ("EEEE-EEEE", ["join/errors/unknown_code", "join/ask_code"]),
        ],
    )
    clock.advance(timedelta(minutes=20))
    await play(
        guesser,
        [
            ("CCCCCCCC", [("join/errors/unknown_code", "1"), "join/ask_code"]),
            ("DDDDDDDD", [("join/errors/locked", "11:20")]),  # the fifth wrong code at 10:20 WIB
            (f"/gabung {code}", ["join/errors/locked"]),  # even the right code waits
        ],
    )
    clock.advance(timedelta(minutes=59))
    await play(guesser, [(f"/gabung {code}", ["join/errors/locked"])])
    clock.advance(timedelta(minutes=2))
    await play(guesser, [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])


async def test_a_cancelled_visit_cannot_be_joined_and_everyone_is_told(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")
    code = await register(coordinator)
    await join_as(recorder, "Pak Dedi", code)
    await play(
        coordinator,
        [
            ("/status", [("status/list", code)]),
            (Press("cancel_visit"), [("status/confirm_cancel", "1")]),
            (Press("cancel_visit_no"), ["status/kept"]),
            ("/status", ["status/list"]),
            (Press("cancel_visit"), ["status/confirm_cancel"]),
            (Press("cancel_visit_yes"), ["status/cancelled"]),
        ],
    )
    assert recorder.to("Pak Dedi")[-1].template == "status/cancelled_for_participant"
    assert recorder.to(str(STAFF_TELEGRAM_ID))[-1].template == "status/cancelled_for_staff"
    assert recorder.to("pak_staf")[-1].template == "status/cancelled_for_staff"
    history = await entries_for(recorder.core.database.conn, "delegation", int(delegation_id(recorder, code)))
    assert [(e.action, e.actor_id is not None) for e in history] == [
        ("delegation.registered", True),
        ("participant.joined", True),
        ("delegation.cancelled", True),
    ]
    late = ChatUser(recorder, "Terlambat")
    await play(late, [(f"/gabung {code}", ["join/errors/closed"])])
    await play(coordinator, [(Press("cancel_visit_yes"), ["status/cannot_cancel"])])  # pressed twice


async def test_only_the_coordinator_or_staff_manage_a_delegation(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    conn = recorder.core.database.conn
    owner = await find_user(conn, "console", "Bu Rina")
    assert owner is not None
    [own] = await delegations_of_coordinator(conn, owner.id)
    delegation_id = own.id
    stranger = ChatUser(recorder, "Orang Lain")
    await play(
        stranger,
        [
            ("/peserta", ["participants/not_coordinator"]),
            (f"/peserta {code}", ["errors/staff_only"]),
        ],
    )
    await stranger.presses_action(f"visit:cancel_yes:{delegation_id}")  # a forged button
    assert recorder.to("Orang Lain")[-1].template == "errors/not_your_delegation"
    delegation = await get_delegation(conn, delegation_id)
    assert delegation is not None and delegation.status is DelegationStatus.PENDING
    await play(
        staff,
        [
            ("/peserta", ["participants/staff_usage"]),
            (f"/peserta {code}", [("participants/list", "0 dari 45")]),
            ("/status", ["desk/todo", ("status/staff_overview", "Pemkab Cianjur")]),
        ],
    )


async def test_start_help_and_status_depend_on_the_role(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    newcomer = ChatUser(recorder, "Baru")
    [greeting] = await newcomer.says("/start")
    assert greeting.reply.params["role"] == "newcomer"
    assert "👥" not in " ".join(greeting.labels)  # no roster button for a newcomer
    await play(newcomer, [("/status", ["status/none"]), ("/bantuan", ["menu/help"])])
    await register(coordinator)
    [greeting] = await coordinator.says("/start")
    assert greeting.reply.params["role"] == "coordinator"
    todo, greeting = await staff.says("/start")  # the desk's to-do first: the visit waits for a decision
    assert todo.template == "desk/todo" and greeting.reply.params["role"] == "staff"
    [help_text] = await staff.says("/bantuan")
    assert "/peserta KODE" in help_text.text


async def test_language_follows_the_client_and_can_be_switched(recorder: Recorder) -> None:
    english = ChatUser(recorder, "Mr Smith", language_code="en-US")
    [greeting] = await english.says("/start")
    assert greeting.recipient.locale == "en" and "Good morning, Mr Smith." in greeting.text
    await play(
        english,
        [
            ("/bahasa", ["menu/ask_language"]),
            (Press("language_id"), [("menu/language_set", "Bahasa Indonesia")]),
            ("/bantuan", [("menu/help", "Yang dapat Bapak/Ibu lakukan")]),
            ("/bahasa en", [("menu/language_set", "English")]),
        ],
    )
    unknown = ChatUser(recorder, "Tanpa Bahasa", language_code=None)
    [greeting] = await unknown.says("/start")
    assert greeting.recipient.locale == "id"


async def test_free_text_outside_a_flow_is_a_question(recorder: Recorder) -> None:
    visitor = ChatUser(recorder, "Tamu")
    [answer] = await visitor.says("Apa itu Smart Kampung?")
    assert answer.template == "questions/answer" and answer.reply.buttons
    [answer] = await visitor.says(None)
    assert answer.template == "errors/unsupported"


async def outside_a_flow(recorder: Recorder, text: str) -> list[str]:
    """The templates that answer `text` from someone in no flow at all (a fresh user each time)."""
    outsider = ChatUser(recorder, f"Orang Luar {len(recorder.sent)}")
    return [s.template for s in await outsider.says(text)]


async def test_at_the_code_step_only_text_that_could_be_a_code_is_an_attempt(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    participant = ChatUser(recorder, "Pak Dedi")
    await play(participant, [("/gabung", ["join/ask_code"])])
    for text in ("apa itu smart kampung", "Apa itu Smart Kampung?", "ABC", "saya belum punya kodenya"):
        answered = [s.template for s in await participant.says(text)]
        assert answered == [*await outside_a_flow(recorder, text), "join/still_waiting"], text
    [*_, waiting] = await participant.says("apa itu smart kampung")
    assert "masih menunggu kode gabung" in waiting.text and "/batal" in waiting.text
    await play(
        participant,
        [
            ("AAAA-AAAA", [("join/errors/unknown_code", "sisa 4 percobaan"), "join/ask_code"]),  # the first attempt
            (f"{code[:4]} {code[4:]}", ["join/welcome", "join/ask_name"]),
        ],
    )


async def test_an_empty_join_link_waits_for_a_code_without_counting_what_is_typed(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    participant = ChatUser(recorder, "Ms Lee", language_code="en-GB")
    await play(
        participant,
        [
            ("/start join-", ["join/ask_code"]),
            *[("what is smart kampung?", ["questions/answer", ("join/still_waiting", "/batal")])] * 6,
            ("BBBBBBBB", [("join/errors/unknown_code", "attempts left within the hour: 4"), "join/ask_code"]),
        ],
    )


async def test_a_join_argument_that_cannot_be_a_code_is_not_an_attempt(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    participant = ChatUser(recorder, "Pak Dedi")
    [refused, asked] = await participant.says("/gabung ABC")
    assert (refused.template, asked.template) == ("join/errors/not_a_code", "join/ask_code")
    assert "“ABC”" in refused.text and "8 karakter" in refused.text
    [refused, _] = await participant.says("/gabung " + "kode saya hilang " * 250)  # 4,250 characters
    assert refused.template == "join/errors/not_a_code"
    assert len(refused.rendered.parts) == 1 and len(refused.text) < 300  # the echo is cut short
    await play(participant, [("CCCCCCCC", [("join/errors/unknown_code", "sisa 4 percobaan"), "join/ask_code"])])


async def test_a_long_code_shaped_message_is_echoed_cut_short(coordinator: ChatUser, recorder: Recorder) -> None:
    await register(coordinator)
    participant = ChatUser(recorder, "Pak Dedi")
    await play(participant, [("/gabung", ["join/ask_code"])])
    [wrong, _] = await participant.says("DDDD" + " " * 3992 + "DDDD")  # spaces are allowed inside a code
    assert wrong.template == "join/errors/unknown_code"
    assert len(wrong.rendered.parts) == 1 and len(wrong.text) < 300
    [answered, waiting] = await participant.says("x" * 4000)  # not a code: answered as a question, echo cut too
    assert waiting.template == "join/still_waiting"
    assert len(answered.rendered.parts) == 1 and len(answered.text) < 600


async def test_a_code_typed_outside_the_join_step_is_a_join_attempt_never_a_question(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    await staff.says("/start")
    code = await register(coordinator)
    told_staff = len(recorder.to("pak_staf"))
    participant = ChatUser(recorder, "Pak Dedi")
    await play(
        participant,
        [
            ("AAAAAAAA", [("join/errors/unknown_code", "sisa 4 percobaan")]),  # checked and counted, no step opened
            ("/tanya BBBB-BBBB", [("join/errors/unknown_code", "sisa 3 percobaan")]),
            (f"  {code.lower()} ", ["join/welcome", "join/ask_name"]),
        ],
    )
    locked_out = ChatUser(recorder, "Penebak")
    await play(locked_out, [(f"{letter * 8}", ["join/errors/unknown_code"]) for letter in "CDEF"])
    await play(locked_out, [("GGGGGGGG", [("join/errors/locked", "11:00")]), (code, ["join/errors/locked"])])
    assert recorder.to("pak_staf")[told_staff:] == []  # no code reached staff as a question
    async with recorder.core.database.transaction() as conn:
        assert await fetch_all(conn, "SELECT id FROM questions") == []
    clock.advance(timedelta(hours=1, minutes=1))
    await play(locked_out, [(code, ["join/welcome", "join/ask_name"])])


async def test_who_joins_after_the_plan_was_published_is_pointed_to_it_and_gets_a_members_menu(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    early = await join_as(recorder, "Pak Dedi", code)
    [joined] = [s for s in recorder.to("Pak Dedi") if s.template == "join/joined"]
    assert "akan dikirim di sini" in joined.text and "/jadwal" in joined.text  # not published yet
    await plan_with_programme(staff)
    await publish(staff)
    late = await join_as(recorder, "Bu Sari", code)
    [joined] = [s for s in recorder.to("Bu Sari") if s.template == "join/joined"]
    assert "sudah terbit" in joined.text and "/jadwal" in joined.text and "/kalender" in joined.text
    assert joined.labels == ["🗓 Jadwal", "📆 File kalender", "⏰ Pengingat"]
    await play(late, [(Press("menu_schedule"), [("plan/schedule", "08:30–10:00 WIB")])])
    for member in (early, late, coordinator):
        [greeting] = await member.says("/start")
        assert {"🗓 Jadwal", "📆 File kalender", "⏰ Pengingat"} <= set(greeting.labels), member.name
    [greeting] = await ChatUser(recorder, "Baru").says("/start")
    assert "🗓 Jadwal" not in greeting.labels


async def test_the_schedule_of_someone_in_no_visit_says_how_to_join(coordinator: ChatUser, recorder: Recorder) -> None:
    newcomer = ChatUser(recorder, "Baru")
    for command in ("/jadwal", "/kalender"):
        [answer] = await newcomer.says(command)
        assert answer.template == "plan/no_visit" and "/gabung" in answer.text, command
        assert "🤝 Gabung delegasi" in answer.labels
    [answer] = await ChatUser(recorder, "New", language_code="en").says("/schedule")
    assert answer.template == "plan/no_visit" and "/gabung" in answer.text
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    await play(member, [("/jadwal", [("plan/none", "Belum ada agenda")])])  # in a visit: not published yet


async def test_a_question_refused_at_the_code_step_still_says_the_code_is_awaited(recorder: Recorder) -> None:
    participant = ChatUser(recorder, "Pak Dedi")
    await play(participant, [("/gabung", ["join/ask_code"])])
    for n in range(QUESTION_LIMIT):
        await participant.says(f"Apakah rombongan nomor {n} boleh membawa kucing peliharaan ke ruang rapat?")
    await play(
        participant,
        [
            ("Apakah boleh membawa kucing?", ["questions/limit_reached", "join/still_waiting"]),
            ("AAAAAAAA", [("join/errors/unknown_code", "sisa 4 percobaan"), "join/ask_code"]),
        ],
    )
