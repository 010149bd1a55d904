"""Registration as a coordinator experiences it: every step's good and bad answers, edits, confirm, restart."""

from __future__ import annotations

import re

from core.joincode import ALPHABET
from storage.conversations import load_conversation
from storage.delegations import DelegationStatus, VisitMode, delegations_of_coordinator
from storage.users import find_user
from tests.conftest import STAFF_TELEGRAM_ID, CoreFactory
from tests.support import UP_TO_SUMMARY, ChatUser, Expected, Press, Recorder, Sent, play, register


async def test_a_full_registration_is_stored_pending_with_a_join_code_and_staff_are_told(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")  # the console staff user is known from now on
    await play(coordinator, UP_TO_SUMMARY)
    [submitted, qr] = await coordinator.presses("confirm")

    assert submitted.template == "registration/submitted"
    assert qr.template == "registration/join_qr" and qr.reply.document is not None  # to forward to the group
    assert qr.reply.document.data.startswith(b"\x89PNG") and qr.reply.document.mime_type == "image/png"
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
        assert note.template == "registration/submitted_for_staff"
        assert "Pemkab Cianjur" in note.text and delegation.join_code in note.text


async def test_bad_answers_are_explained_and_the_same_question_is_asked_again(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("X", ["registration/errors/institution_length", "registration/ask_institution"]),
            ("1234", ["registration/errors/institution_letters", "registration/ask_institution"]),
            ("P" * 121, ["registration/errors/institution_length", "registration/ask_institution"]),
            (None, ["errors/unsupported", "registration/ask_institution"]),
            ("Pemkab <Cianjur> & Co", ["registration/ask_province"]),
            ("Atlantis", [("registration/errors/province_unknown", "Atlantis"), "registration/ask_province"]),
            ("jawa", [("registration/errors/province_unclear", "Jawa Timur"), "registration/ask_province"]),
            ("jawa timr", [("registration/confirm_province", "Jawa Timur")]),  # a typo: the guess is confirmed
            (Press("confirm_guess"), ["registration/ask_head"]),
            ("Herman Suherman", ["registration/errors/head_format", "registration/ask_head"]),
            ("H, Bupati", ["registration/errors/head_name", "registration/ask_head"]),
            ("Herman Suherman, B", ["registration/errors/head_position", "registration/ask_head"]),
            ("Herman Suherman - Bupati", ["registration/ask_size"]),
            ("banyak", ["registration/errors/size_not_number", "registration/ask_size"]),
            ("0", ["registration/errors/size_too_small", "registration/ask_size"]),
            ("301", [("registration/errors/size_too_large", "0333 000000"), "registration/ask_size"]),
            ("45 orang", ["registration/ask_mode"]),
            ("naik kuda", ["registration/errors/mode_unknown", "registration/ask_mode"]),
            ("luring", ["registration/ask_arrival"]),
            ("kapan-kapan", ["registration/errors/date_unreadable", "registration/ask_arrival"]),
            ("1/11/2026", ["registration/errors/date_past", "registration/ask_arrival"]),
            ("besok", [("registration/errors/date_notice", "Sabtu, 28 November 2026"), "registration/ask_arrival"]),
            ("senin depan", ["registration/ask_departure"]),  # 30 November 2026
            ("29 Nov 2026", ["registration/errors/departure_before_arrival", "registration/ask_departure"]),
            ("10 Desember 2026", [("registration/errors/visit_too_long", "11 hari"), "registration/ask_departure"]),
            ("2 Desember 2026", ["registration/ask_topics"]),
            (Press("done"), ["registration/errors/topics_empty", "registration/ask_topics"]),
            ("x" * 301, ["registration/errors/note_too_long", "registration/ask_topics"]),
            ("Mal Pelayanan Publik dan Smart Kampung", ["registration/ask_topics"]),
            (Press("done"), ["registration/ask_contact_name"]),
            ("1", ["registration/errors/name", "registration/ask_contact_name"]),
            ("Rina Marlina", ["registration/ask_contact_phone"]),
            ("12345", ["registration/errors/phone_unreadable", "registration/ask_contact_phone"]),
            ("+1 202 555 0100", ["registration/errors/phone_not_indonesian", "registration/ask_contact_phone"]),
            ("0333 424 242", ["registration/errors/phone_not_mobile", "registration/ask_contact_phone"]),
            ("62 812 3456 7890", [("registration/summary", "Mal Pelayanan Publik dan Smart Kampung")]),
            ("ok", ["errors/use_buttons", "registration/summary"]),
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
                ("/daftar", ["registration/intro", "registration/ask_institution"]),
                ("Pemkab Cianjur", ["registration/ask_province"]),
                (Press("text", 1), [("registration/ask_province", "Jawa")]),  # the island groups first
                (Press("text", 2), ["registration/ask_head"]),  # then a province of Java
                ("Herman Suherman, Bupati", ["registration/ask_size"]),
                ("45", ["registration/ask_mode"]),
                ("online", ["registration/ask_arrival"]),
            ],
        )
        sent = await coordinator.says(typed)
        if expected is None:  # "lusa" is the day after tomorrow: too soon with 3 days' notice
            assert [s.template for s in sent] == ["registration/errors/date_notice", "registration/ask_arrival"]
        else:  # a virtual visit has no departure question
            assert [s.template for s in sent] == ["registration/ask_topics"]
            user = await find_user(conn, "console", "Bu Rina")
            assert user is not None
            conversation = await load_conversation(conn, user.id)
            assert conversation is not None and conversation.data["arrival"] == expected


async def test_virtual_visits_skip_the_departure_and_edits_return_to_the_summary(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Sleman", ["registration/ask_province"]),
            ("DIY", ["registration/ask_head"]),
            ("Kustini Sri Purnomo, Bupati", ["registration/ask_size"]),
            ("12", ["registration/ask_mode"]),
            (Press("mode_virtual"), ["registration/ask_arrival"]),
            ("4/12/2026", ["registration/ask_topics"]),
            ("e-Village Budgeting", ["registration/ask_topics"]),
            (Press("done"), ["registration/ask_contact_name"]),
            ("Dimas", ["registration/ask_contact_phone"]),
            ("+62 813 1111 2222", [("registration/summary", "Jumat, 4 Desember 2026")]),
            (Press("edit_size"), [("registration/ask_size", "12")]),
            ("20", [("registration/summary", "20")]),
            (Press("edit_mode"), ["registration/ask_mode"]),
            (Press("mode_onsite"), ["registration/ask_departure"]),  # on site may take several days: asked now
            (Press("same_day"), ["registration/summary"]),
            (Press("edit_arrival"), ["registration/ask_arrival"]),
            ("20/12/2026", ["registration/ask_departure"]),  # the old departure is now before arrival: asked again
            ("21/12/2026", [("registration/summary", "Minggu, 20 Desember 2026 – Senin, 21 Desember 2026")]),
            (Press("edit_topics"), ["registration/ask_topics"]),
            (Press("theme_toggle", 6), ["registration/ask_topics"]),
            (Press("done"), [("registration/summary", "Pendidikan")]),
        ],
    )


async def test_cancel_leaves_the_flow_at_any_step(coordinator: ChatUser, recorder: Recorder) -> None:
    await play(
        coordinator,
        [
            ("/batal", ["menu/nothing_to_cancel"]),
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Cianjur", ["registration/ask_province"]),
            ("/batal", ["menu/cancelled_reg"]),
            ("Pemkab Garut", ["questions/out_of_scope"]),  # no longer in the flow: a question, about another place
        ],
    )
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Cianjur", ["registration/ask_province"]),
            (Press("text", 5), [("registration/ask_province", "Maluku &amp; Papua")]),
            (Press("other_regions"), ["registration/ask_province"]),
            (Press("text", 1), ["registration/ask_province"]),
            (Press("text", 3), ["registration/ask_head"]),
            ("Herman, Bupati", ["registration/ask_size"]),
        ],
    )
    sent = await coordinator.presses_action("flow:cancel")
    assert [s.template for s in sent] == ["menu/cancelled_reg"]


async def test_an_unfinished_registration_is_offered_to_continue_or_start_over(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Cianjur", ["registration/ask_province"]),
            ("/status", ["status/none"]),  # another command does not lose the registration
            ("/daftar", [("registration/resume_offer", "Pemkab Cianjur")]),
            (Press("continue"), ["registration/ask_province"]),
            ("Jawa Barat", ["registration/ask_head"]),
            ("/daftar", ["registration/resume_offer"]),
            (Press("start_over"), ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Bandung", ["registration/ask_province"]),
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
            ("45", ["registration/ask_mode"]),  # the same step as before the restart: the number of participants
            (Press("mode_onsite"), ["registration/ask_arrival"]),
        ],
    )


async def test_stale_buttons_and_unknown_commands_keep_the_flow(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Cianjur", ["registration/ask_province"]),
            ("Jawa Barat", ["registration/ask_head"]),
            (Press("text"), ["errors/stale_button", "registration/ask_head"]),  # an island button pressed again
            ("/terbang", ["errors/unknown_command", "registration/ask_head"]),
        ],
    )


# --- a greeting in a form, dates, provinces, typed topics, virtual visits (issue 12) ------------------------------


def headers(sent: list[Sent]) -> list[str]:
    """The step counters shown ("Langkah 3 dari 9"), in the order the questions came."""
    return [m.group(0) for s in sent if (m := re.search(r"Langkah \d+ dari \d+", s.text))]


TO_ARRIVAL: list[tuple[str | Press | None, Expected]] = UP_TO_SUMMARY[:6]
"""/daftar up to the arrival question of an on-site visit."""


async def test_a_greeting_or_the_menu_in_a_form_shows_where_the_user_is_and_asks_again(
    make_core: CoreFactory,
) -> None:
    first = Recorder(await make_core())
    rina = ChatUser(first, "Bu Rina")
    await play(rina, UP_TO_SUMMARY[:3])
    await first.core.close()

    second = Recorder(await make_core())  # a restart, and the user picks the chat up again
    rina = ChatUser(second, "Bu Rina")
    for typed in ("halo", "Selamat pagi, Bu!", "/start", "menu", "/menu", "P"):
        [where, question] = await rina.says(typed)
        assert (where.template, question.template) == ("menu/in_flow", "registration/ask_head"), typed
        assert "pendaftaran kunjungan" in where.text and "Langkah 3 dari 9" in question.text
        assert where.labels == ["✖️ Batal"]
    await play(rina, [("Herman Suherman, Bupati", ["registration/ask_size"])])  # and the form goes on


async def test_a_greeting_in_any_flow_shows_where_the_user_is(recorder: Recorder, coordinator: ChatUser) -> None:
    code = await register(coordinator)
    member = ChatUser(recorder, "Dedi")
    await play(member, [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])
    [where, question] = await member.says("Hai")
    assert (where.template, question.template) == ("menu/in_flow", "join/ask_name")
    assert "bergabung" in where.text
    english = ChatUser(recorder, "Tom", language_code="en")
    await english.says("/daftar")
    [where, _] = await english.says("hello")
    assert "registering a visit" in where.text


async def test_a_date_more_than_six_months_ahead_is_confirmed_first(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            *TO_ARRIVAL,
            ("22 Desember 2027", [("registration/confirm_date", "Rabu, 22 Desember 2027")]),
            (Press("date_change"), ["registration/ask_arrival"]),
            ("22 Desember 2027", [("registration/confirm_date", "lebih dari 6 bulan")]),
            ("22 Desember 2026", ["registration/ask_departure"]),  # another date typed instead: taken
            (Press("next_day"), ["registration/ask_topics"]),
        ],
    )
    await play(
        coordinator,
        [
            ("/batal", ["menu/cancelled_reg"]),
            *TO_ARRIVAL,
            ("25/5/2027", ["registration/ask_departure"]),  # exactly six months ahead: no question
            ("/batal", ["menu/cancelled_reg"]),
            *TO_ARRIVAL,
            ("26/5/2027", ["registration/confirm_date"]),
            (Press("date_right"), [("registration/ask_departure", "Rabu, 26 Mei 2027")]),
            (Press("same_day"), ["registration/ask_topics"]),
            ("/batal", ["menu/cancelled_reg"]),
            *TO_ARRIVAL,
            ("1/1/2028", [("registration/confirm_date", "Langkah 6 dari 9")]),
            ("ya", ["registration/ask_departure"]),  # typed yes
            (Press("same_day"), ["registration/ask_topics"]),
            (Press("done"), ["registration/errors/topics_empty", "registration/ask_topics"]),
            (Press("theme_toggle"), ["registration/ask_topics"]),
            (Press("done"), ["registration/ask_contact_name"]),
            (Press("use_my_name"), ["registration/ask_contact_phone"]),
            ("0812 3456 7890", [("registration/summary", "Sabtu, 1 Januari 2028")]),
        ],
    )


async def test_a_day_its_month_does_not_have_is_said_not_to_exist(coordinator: ChatUser) -> None:
    await play(coordinator, TO_ARRIVAL)
    for typed in ("31/2/2027", "31 Februari 2027", "30 feb", "32 Desember 2026"):
        [error, question] = await coordinator.says(typed)
        assert (error.template, question.template) == (
            "registration/errors/date_nonexistent",
            "registration/ask_arrival",
        )
        assert "tidak ada" in error.text
    assert "Februari 2027 hanya sampai tanggal 28" in (await coordinator.says("29/2/2027"))[0].text
    [error, _] = await coordinator.says("kapan-kapan")
    assert error.template == "registration/errors/date_unreadable"


async def test_every_date_example_shown_is_one_the_question_accepts(coordinator: ChatUser, recorder: Recorder) -> None:
    """The notice rule always refuses "besok" (and "senin depan" now and then): the bot no longer suggests them."""
    [question] = (await play(coordinator, TO_ARRIVAL))[-1:]
    [error, _] = await coordinator.says("kapan-kapan")
    english = ChatUser(recorder, "Tom", language_code="en")
    [*_, english_question] = await play(english, TO_ARRIVAL)
    [english_error, _] = await english.says("whenever")
    shown = [(coordinator, question), (coordinator, error), (english, english_question), (english, english_error)]
    for user, message in shown:
        examples = [e for e in re.findall(r"<i>(.+?)</i>", message.text) if not e.startswith(("Langkah", "Step"))]
        assert len(examples) == 3, message.text
        assert not {"besok", "senin depan", "tomorrow", "next monday"} & {e.lower() for e in examples}
        for example in examples:
            await play(user, [("/batal", ["menu/cancelled_reg"]), *TO_ARRIVAL])
            [answer] = await user.says(example)
            assert answer.template == "registration/ask_departure", (example, answer.text)


async def test_a_province_guessed_from_a_typo_is_confirmed_first(coordinator: ChatUser, recorder: Recorder) -> None:
    await play(
        coordinator,
        [
            *UP_TO_SUMMARY[:2],
            ("jabr", [("registration/confirm_province", "Yang Bapak/Ibu maksud <b>Jawa Barat</b>?")]),
            (Press("other_province"), ["registration/ask_province"]),
            ("jabr", ["registration/confirm_province"]),
            (Press("confirm_guess"), ["registration/ask_head"]),
            ("/batal", ["menu/cancelled_reg"]),
            *UP_TO_SUMMARY[:2],
            ("jawa timr", [("registration/confirm_province", "Jawa Timur")]),
            ("iya", ["registration/ask_head"]),  # typed yes
            ("/batal", ["menu/cancelled_reg"]),
            *UP_TO_SUMMARY[:2],
            ("balu", [("registration/confirm_province", "Bali")]),  # near only one province: a guess too
            ("Jawa Tengah", ["registration/ask_head"]),  # another province typed instead: taken
            ("Herman Suherman, Bupati", ["registration/ask_size"]),
        ],
    )
    conn = recorder.core.database.conn
    user = await find_user(conn, "console", "Bu Rina")
    assert user is not None
    conversation = await load_conversation(conn, user.id)
    assert conversation is not None and conversation.data["province_code"] == "33"
    for exact in ("jabar", "Jawa Barat", "JAWABARAT", "west java", "DIY"):  # names and aliases: no question
        await play(
            coordinator, [("/batal", ["menu/cancelled_reg"]), *UP_TO_SUMMARY[:2], (exact, ["registration/ask_head"])]
        )


async def test_typed_topics_join_the_selection_until_done_is_pressed(coordinator: ChatUser, recorder: Recorder) -> None:
    sent = await play(
        coordinator,
        [
            *UP_TO_SUMMARY[:8],
            ("Mal Pelayanan Publik", [("registration/ask_topics", "Mal Pelayanan Publik")]),
            ("pendidikan", [("registration/ask_topics", "Pendidikan")]),  # a theme's name selects the theme
            ("Smart Kampung", [("registration/ask_topics", "Mal Pelayanan Publik; Smart Kampung")]),
            ("   ", ["errors/blank", "registration/ask_topics"]),
        ],
    )
    first_question = next(s for s in sent if s.template == "registration/ask_topics")
    coordinator.last_buttons = [(b.label.name, b.action) for row in first_question.reply.buttons for b in row]
    await play(coordinator, [(Press("done"), ["registration/ask_contact_name"])])  # the first message's button
    await play(coordinator, [*UP_TO_SUMMARY[11:]])
    [summary] = recorder.to("Bu Rina")[-1:]
    assert "Pendidikan; Mal Pelayanan Publik; Smart Kampung" in summary.text
    await play(
        coordinator,
        [
            (Press("edit_topics"), ["registration/ask_topics"]),
            ("selesai", [("registration/summary", "Smart Kampung")]),  # a word for done is done
        ],
    )


async def test_a_virtual_visit_counts_its_steps_right_from_the_first_and_speaks_of_one_session(
    coordinator: ChatUser,
) -> None:
    sent = await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Sleman", ["registration/ask_province"]),
            ("DIY", ["registration/ask_head"]),
            ("Kustini Sri Purnomo, Bupati", ["registration/ask_size"]),
            ("12", ["registration/ask_mode"]),
            (Press("mode_virtual"), [("registration/ask_arrival", "sesi virtual")]),
            ("4/12/2026", ["registration/ask_topics"]),
            ("e-Village Budgeting", ["registration/ask_topics"]),
            (Press("done"), ["registration/ask_contact_name"]),
            ("Dimas", ["registration/ask_contact_phone"]),
            ("+62 813 1111 2222", ["registration/summary"]),
        ],
    )
    assert headers(sent) == [f"Langkah {n} dari 9" for n in (1, 2, 3, 4, 5, 6, 7, 7, 8, 9)]
    summary = sent[-1]
    assert "✏️ Tanggal sesi" in summary.labels and not {"✏️ Tanggal datang", "✏️ Tanggal pulang"} & set(summary.labels)
    onsite = ChatUser(coordinator.recorder, "Bu Ani")
    sent = await play(onsite, UP_TO_SUMMARY)
    assert headers(sent) == [f"Langkah {n} dari 9" for n in (1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 8, 9)]
    assert {"✏️ Tanggal datang", "✏️ Tanggal pulang"} <= set(sent[-1].labels)
