"""Registration as a coordinator experiences it: every step's good and bad answers, edits, confirm, restart."""

from __future__ import annotations

import re

from core.joincode import ALPHABET
from storage.conversations import load_conversation
from storage.delegations import DelegationStatus, VisitMode, delegations_of_coordinator
from storage.users import find_user
from tests.conftest import STAFF_TELEGRAM_ID, CoreFactory
from tests.support import UP_TO_SUMMARY, ChatUser, Press, Recorder, play


async def test_a_full_registration_is_stored_pending_with_a_join_code_and_staff_are_told(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")  # the console staff user is known from now on
    await play(coordinator, UP_TO_SUMMARY)
    [submitted] = await coordinator.presses("confirm")

    assert submitted.template == "reg/submitted"
    delegation = submitted.reply.params["delegation"]
    assert re.fullmatch(f"[{ALPHABET}]{{8}}", delegation.join_code)
    assert f"https://t.me/delegasi_test_bot?start=join-{delegation.join_code}" in submitted.text
    conn = recorder.core.database.conn
    user = await find_user(conn, "console", "Bu Rina")
    assert user is not None
    [stored] = await delegations_of_coordinator(conn, user.id)
    assert stored.status is DelegationStatus.PENDING
    assert (stored.institution, stored.province_code, stored.head_name, stored.head_position) == (
        "Pemkab Cianjur",
        "32",
        "Herman Suherman",
        "Bupati",
    )
    assert stored.planned_size == 45 and stored.mode is VisitMode.ONSITE
    assert (stored.arrival_date.isoformat(), stored.departure_date.isoformat()) == ("2026-12-10", "2026-12-11")
    assert stored.topics == ("public-services", "digital-villages")
    assert stored.contact_phone == "+6281234567890" and stored.contact_name == "Bu Rina"
    assert await load_conversation(conn, user.id) is None

    for chat in (str(STAFF_TELEGRAM_ID), "pak_staf"):
        [note] = recorder.to(chat)[-1:]
        assert note.template == "staff/new_registration"
        assert "Pemkab Cianjur" in note.text and delegation.join_code in note.text


async def test_bad_answers_are_explained_and_the_same_question_is_asked_again(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("X", ["reg/errors/institution_length", "reg/ask_institution"]),
            ("1234", ["reg/errors/institution_letters", "reg/ask_institution"]),
            ("P" * 121, ["reg/errors/institution_length", "reg/ask_institution"]),
            (None, ["errors/unsupported", "reg/ask_institution"]),
            ("Pemkab <Cianjur> & Co", ["reg/ask_province"]),
            ("Atlantis", [("reg/errors/province_unknown", "Atlantis"), "reg/ask_province"]),
            ("jawa", [("reg/errors/province_unclear", "Jawa Timur"), "reg/ask_province"]),
            ("jawa timr", ["reg/ask_head"]),
            ("Herman Suherman", ["reg/errors/head_format", "reg/ask_head"]),
            ("H, Bupati", ["reg/errors/head_name", "reg/ask_head"]),
            ("Herman Suherman, B", ["reg/errors/head_position", "reg/ask_head"]),
            ("Herman Suherman - Bupati", ["reg/ask_size"]),
            ("banyak", ["reg/errors/size_not_number", "reg/ask_size"]),
            ("0", ["reg/errors/size_too_small", "reg/ask_size"]),
            ("301", [("reg/errors/size_too_large", "0333 000000"), "reg/ask_size"]),
            ("45 orang", ["reg/ask_mode"]),
            ("naik kuda", ["reg/errors/mode_unknown", "reg/ask_mode"]),
            ("luring", ["reg/ask_arrival"]),
            ("kapan-kapan", ["reg/errors/date_unreadable", "reg/ask_arrival"]),
            ("1/11/2026", ["reg/errors/date_past", "reg/ask_arrival"]),
            ("besok", [("reg/errors/date_notice", "Sabtu, 28 November 2026"), "reg/ask_arrival"]),
            ("senin depan", ["reg/ask_departure"]),  # 30 November 2026
            ("29 Nov 2026", ["reg/errors/departure_before_arrival", "reg/ask_departure"]),
            ("10 Desember 2026", [("reg/errors/visit_too_long", "11 hari"), "reg/ask_departure"]),
            ("2 Desember 2026", ["reg/ask_topics"]),
            (Press("done"), ["reg/errors/topics_empty", "reg/ask_topics"]),
            ("x" * 301, ["reg/errors/note_too_long", "reg/ask_topics"]),
            ("Mal Pelayanan Publik dan Smart Kampung", ["reg/ask_contact_name"]),
            ("1", ["reg/errors/name", "reg/ask_contact_name"]),
            ("Rina Marlina", ["reg/ask_contact_phone"]),
            ("12345", ["reg/errors/phone_unreadable", "reg/ask_contact_phone"]),
            ("+1 202 555 0100", ["reg/errors/phone_not_indonesian", "reg/ask_contact_phone"]),
            ("0333 424 242", ["reg/errors/phone_not_mobile", "reg/ask_contact_phone"]),
            ("62 812 3456 7890", [("reg/summary", "Mal Pelayanan Publik dan Smart Kampung")]),
            ("ok", ["errors/use_buttons", "reg/summary"]),
        ],
    )


async def test_dates_typed_in_indonesian_or_english_are_understood(coordinator: ChatUser) -> None:
    answers = {
        "11 Desember 2026": "2026-12-11",
        "next Monday": "2026-11-30",
        "3 Dec 2026": "2026-12-03",
        "12 des": "2026-12-12",
        "2 minggu lagi": "2026-12-09",
        "lusa": None,
    }
    conn = coordinator.recorder.core.database.conn
    for typed, expected in answers.items():
        await coordinator.says("/batal")
        await play(
            coordinator,
            [
                ("/daftar", ["reg/intro", "reg/ask_institution"]),
                ("Pemkab Cianjur", ["reg/ask_province"]),
                (Press("text", 1), [("reg/ask_province", "Jawa")]),  # the island groups first
                (Press("text", 2), ["reg/ask_head"]),  # then a province of Java
                ("Herman Suherman, Bupati", ["reg/ask_size"]),
                ("45", ["reg/ask_mode"]),
                ("online", ["reg/ask_arrival"]),
            ],
        )
        sent = await coordinator.says(typed)
        if expected is None:  # "lusa" is the day after tomorrow: too soon with 3 days' notice
            assert [s.template for s in sent] == ["reg/errors/date_notice", "reg/ask_arrival"]
        else:  # a virtual visit has no departure question
            assert [s.template for s in sent] == ["reg/ask_topics"]
            user = await find_user(conn, "console", "Bu Rina")
            assert user is not None
            conversation = await load_conversation(conn, user.id)
            assert conversation is not None and conversation.data["arrival"] == expected


async def test_virtual_visits_skip_the_departure_and_edits_return_to_the_summary(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Sleman", ["reg/ask_province"]),
            ("DIY", ["reg/ask_head"]),
            ("Kustini Sri Purnomo, Bupati", ["reg/ask_size"]),
            ("12", ["reg/ask_mode"]),
            (Press("mode_virtual"), ["reg/ask_arrival"]),
            ("4/12/2026", ["reg/ask_topics"]),
            ("e-Village Budgeting", ["reg/ask_contact_name"]),
            ("Dimas", ["reg/ask_contact_phone"]),
            ("+62 813 1111 2222", [("reg/summary", "Jumat, 4 Desember 2026")]),
            (Press("edit_size"), [("reg/ask_size", "12")]),
            ("20", [("reg/summary", "20")]),
            (Press("edit_mode"), ["reg/ask_mode"]),
            (Press("mode_onsite"), ["reg/ask_departure"]),  # on site may take several days: asked now
            (Press("same_day"), ["reg/summary"]),
            (Press("edit_arrival"), ["reg/ask_arrival"]),
            ("20/12/2026", ["reg/ask_departure"]),  # the old departure is now before arrival: asked again
            ("21/12/2026", [("reg/summary", "Minggu, 20 Desember 2026 – Senin, 21 Desember 2026")]),
            (Press("edit_topics"), ["reg/ask_topics"]),
            (Press("theme_toggle", 6), ["reg/ask_topics"]),
            (Press("done"), [("reg/summary", "Pendidikan")]),
        ],
    )


async def test_cancel_leaves_the_flow_at_any_step(coordinator: ChatUser, recorder: Recorder) -> None:
    await play(
        coordinator,
        [
            ("/batal", ["menu/nothing_to_cancel"]),
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Cianjur", ["reg/ask_province"]),
            ("/batal", ["menu/cancelled_reg"]),
            ("Pemkab Garut", ["qa/unknown"]),  # no longer in the flow: taken as a question
        ],
    )
    await play(
        coordinator,
        [
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Cianjur", ["reg/ask_province"]),
            (Press("text", 5), [("reg/ask_province", "Maluku &amp; Papua")]),
            (Press("other_regions"), ["reg/ask_province"]),
            (Press("text", 1), ["reg/ask_province"]),
            (Press("text", 3), ["reg/ask_head"]),
            ("Herman, Bupati", ["reg/ask_size"]),
        ],
    )
    sent = await coordinator.presses_action("flow:cancel")
    assert [s.template for s in sent] == ["menu/cancelled_reg"]


async def test_an_unfinished_registration_is_offered_to_continue_or_start_over(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Cianjur", ["reg/ask_province"]),
            ("/status", ["status/none"]),  # another command does not lose the registration
            ("/daftar", [("reg/resume_offer", "Pemkab Cianjur")]),
            (Press("continue"), ["reg/ask_province"]),
            ("Jawa Barat", ["reg/ask_head"]),
            ("/daftar", ["reg/resume_offer"]),
            (Press("start_over"), ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Bandung", ["reg/ask_province"]),
        ],
    )


async def test_a_half_done_registration_survives_a_restart(make_core: CoreFactory) -> None:
    first = Recorder(await make_core())
    before = ChatUser(first, "Bu Rina")
    await play(before, UP_TO_SUMMARY[:4])
    await first.core.close()

    second = Recorder(await make_core())
    after = ChatUser(second, "Bu Rina")
    await play(
        after,
        [
            ("45", ["reg/ask_mode"]),  # the same step as before the restart: the number of participants
            (Press("mode_onsite"), ["reg/ask_arrival"]),
        ],
    )


async def test_stale_buttons_and_unknown_commands_keep_the_flow(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["reg/intro", "reg/ask_institution"]),
            ("Pemkab Cianjur", ["reg/ask_province"]),
            ("Jawa Barat", ["reg/ask_head"]),
            (Press("text"), ["errors/stale_button", "reg/ask_head"]),  # an island button pressed again
            ("/terbang", ["errors/unknown_command", "reg/ask_head"]),
        ],
    )
