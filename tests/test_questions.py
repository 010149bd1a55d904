"""Participants ask; the bot answers from the knowledge base or passes the question to host staff."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from core.clock import FakeClock
from core.questions import QUESTION_LIMIT, QUESTION_WINDOW
from storage.audit import entries_for
from storage.db import available_migrations, connect, migrate
from storage.questions import QuestionStatus, get_question, open_questions, record_answer, record_dismissal
from tests.conftest import STAFF_TELEGRAM_ID, WIB, CoreFactory
from tests.support import ChatUser, Press, Recorder, play, register


async def test_a_question_is_answered_with_the_part_that_fits_and_buttons(coordinator: ChatUser) -> None:
    [answer] = await coordinator.says("gmn cara ke kawah ijen?")
    assert answer.template == "questions/answer"
    assert answer.reply.params["entry"].id == "kawah-ijen"
    [part] = answer.reply.params["parts"]
    assert part.name == "getting_there" and part.text in answer.text  # the "getting there" part of the entry
    assert answer.labels[:2] == ["📖 Selengkapnya", "📍 Lokasi"]
    card, location = await coordinator.presses("more")
    assert card.template == "questions/card" and "Kawah Ijen" in card.text
    assert location.template == "questions/location" and location.reply.venue is not None
    assert -9 < location.reply.venue.latitude < -7


async def test_a_two_part_question_gets_both_parts_in_one_reply(coordinator: ChatUser) -> None:
    [answer] = await coordinator.says("cara ke Kawah Ijen dan berapa tiketnya?")
    assert answer.template == "questions/answer" and answer.reply.params["entry"].id == "kawah-ijen"
    assert [part.name for part in answer.reply.params["parts"]] == ["getting_there", "cost"]
    assert "🚗" in answer.text and "🎫" in answer.text


async def test_small_talk_gets_small_talk_and_a_greeting_gets_the_menu(coordinator: ChatUser) -> None:
    [greeting] = await coordinator.says("halo")
    assert greeting.template == "menu/start"
    [thanks] = await coordinator.says("terima kasih banyak ya")
    assert thanks.template == "questions/thanks" and "Rantang Kasih" not in thanks.text
    [noted] = await coordinator.says("ok siap")
    assert noted.template == "questions/acknowledged"


async def test_another_place_and_general_knowledge_are_declined_and_not_sent_to_staff(
    coordinator: ChatUser, staff: ChatUser
) -> None:
    [surabaya] = await coordinator.says("apa itu mal pelayanan publik di kota surabaya")
    assert surabaya.template == "questions/out_of_scope" and "Surabaya" in surabaya.text
    [cup] = await coordinator.says("Who won the 2022 World Cup?")
    assert cup.template == "questions/out_of_scope"
    [wear] = await coordinator.says("what should I wear")
    assert wear.template == "questions/unknown"  # about the visit, and nobody wrote it down: staff answer it
    [queue] = await staff.says("/pertanyaan")
    assert "what should I wear" in queue.text
    assert "surabaya" not in queue.text.lower() and "World Cup" not in queue.text


async def test_english_speakers_get_english_answers(recorder: Recorder) -> None:
    visitor = ChatUser(recorder, "Ms Lee", language_code="en")
    [answer] = await visitor.says("/tanya what is Rantang Kasih?")
    assert answer.template == "questions/answer" and answer.recipient.locale == "en"
    assert answer.reply.params["entry"].id == "rantang-kasih"
    assert answer.reply.params["entry"].title == answer.reply.params["entry"].title.strip()
    await play(visitor, [("/tanya", ["questions/ask_prompt"]), ("thanks!", ["questions/thanks"])])


async def test_an_unknown_question_goes_to_staff_once_and_their_answer_is_relayed(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")
    [unknown] = await coordinator.says("Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?")
    assert unknown.template == "questions/unknown" and not unknown.reply.params["already_queued"]
    assert recorder.to("pak_staf")[-1].template == "questions/unknown_for_staff"
    assert recorder.to(str(STAFF_TELEGRAM_ID))[-1].template == "questions/unknown_for_staff"
    notices = len(recorder.to("pak_staf"))
    [again] = await coordinator.says("apakah ada hotel dekat pendopo yang menerima tamu rombongan 50 orang")
    assert again.reply.params["already_queued"] and len(recorder.to("pak_staf")) == notices  # not queued twice

    await play(
        staff,
        [
            ("/pertanyaan", [("questions/open_questions", "hotel dekat Pendopo")]),
            (Press("answer_question_n"), ["questions/question_to_answer", "questions/ask_staff_answer"]),
            ("x", ["questions/errors/answer_length", "questions/ask_staff_answer"]),
            ("Ada, panitia akan mengirim daftar hotel mitra <b>&</b> kontaknya.", ["questions/answer_sent"]),
            ("/pertanyaan", [("questions/open_questions", "Tidak ada pertanyaan terbuka")]),
        ],
    )
    relayed = recorder.to("Bu Rina")[-1]
    assert relayed.template == "questions/staff_answer"
    assert "daftar hotel mitra &lt;b&gt;&amp;&lt;/b&gt; kontaknya" in relayed.text


async def test_only_staff_see_and_answer_open_questions(coordinator: ChatUser, recorder: Recorder) -> None:
    await coordinator.says("Apakah ada hotel dekat Pendopo untuk 50 orang?")
    await play(coordinator, [("/pertanyaan", ["errors/staff_only"])])
    sent = await coordinator.presses_action("qa:reply:1")  # a forged button
    assert [s.template for s in sent] == ["errors/staff_only"]
    sent = await coordinator.presses_action("qa:dismiss:1")
    assert [s.template for s in sent] == ["errors/staff_only"]
    question = await get_question(recorder.core.database.conn, 1)
    assert question is not None and question.is_open


async def test_browsing_innovations_puts_the_visits_topics_first(coordinator: ChatUser) -> None:
    await register(coordinator)  # chose public services and digital villages
    [listing] = await coordinator.says("/inovasi")
    assert listing.template == "questions/innovations"
    recommended = {e.id for e in listing.reply.params["recommended"]}
    assert {"mal-pelayanan-publik", "smart-kampung"} <= recommended
    assert "rantang-kasih" not in recommended
    [theme] = await coordinator.presses_action("qa:theme:health")
    assert theme.template == "questions/list" and theme.labels


async def test_browsing_destinations_by_area_opens_cards_with_their_place(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/wisata", ["questions/destinations"]),
            (Press("text", 3), [("questions/list", "Pulau Merah")]),  # the south
        ],
    )
    sent = await coordinator.presses_action("qa:open:pulau-merah")
    assert next(s.template for s in sent) == "questions/card"


# --- what one person can cause ------------------------------------------------------------------


def unknown_question(n: int) -> str:
    return f"Apakah rombongan nomor {n} boleh membawa kucing peliharaan ke ruang rapat?"


STAFF_CHATS = ("pak_staf", str(STAFF_TELEGRAM_ID))


async def test_a_flood_of_questions_is_stored_up_to_the_limit_and_staff_get_two_notices(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    await staff.says("/start")
    before = {chat: len(recorder.to(chat)) for chat in STAFF_CHATS}
    answers = []
    for n in range(1, 201):  # 200 different questions in 20 seconds
        [answer] = await coordinator.says(unknown_question(n))
        answers.append(answer)
        clock.advance(timedelta(milliseconds=100))

    assert [a.template for a in answers] == ["questions/unknown"] * QUESTION_LIMIT + ["questions/limit_reached"] * 190
    note = answers[QUESTION_LIMIT]
    assert "10:10 WIB" in note.text  # ten minutes after the first, which was asked at 10:00 WIB
    assert "10 pertanyaan dalam 10 menit terakhir" in note.text and "sudah diterima panitia" in note.text
    assert "rombongan nomor 11 boleh" in note.text  # the one not passed on

    for chat in STAFF_CHATS:
        notices = recorder.to(chat)[before[chat] :]
        assert [n.template for n in notices] == ["questions/unknown_for_staff", "questions/burst_for_staff"]
        assert "rombongan nomor 1 boleh" in notices[0].text and "10:02 WIB" in notices[1].text
    burst_button = recorder.to("pak_staf")[-1].reply.buttons[0][0].action

    # every stored question reaches staff once: the first on its own, the other nine in the burst's list
    [open_list] = await staff.says("/pertanyaan")
    assert [q.text for q in open_list.reply.params["questions"]] == [
        unknown_question(n) for n in range(1, QUESTION_LIMIT + 1)
    ]
    [listing] = await staff.presses_action(burst_button)
    assert listing.template == "questions/burst_questions"
    listed = [q.text for q in listing.reply.params["questions"]]
    assert listed == [unknown_question(n) for n in range(2, QUESTION_LIMIT + 1)]
    assert listing.labels == [
        label for n in range(2, QUESTION_LIMIT + 1) for label in (f"✍️ Jawab #{n}", f"🗑 Tutup #{n}")
    ]

    # a held question is answered from the list and relayed like any other
    await play(
        staff,
        [
            (Press("answer_question_n", 2), ["questions/question_to_answer", "questions/ask_staff_answer"]),
            ("Boleh, asal di dalam keranjang.", ["questions/answer_sent"]),
        ],
    )
    assert recorder.to("Bu Rina")[-1].template == "questions/staff_answer"
    [listing] = await staff.presses_action(burst_button)
    assert "sudah dijawab" in listing.text and "✍️ Jawab #4" not in listing.labels

    # once the window has passed they may ask again, and staff hear of it on its own
    clock.set(datetime(2026, 11, 25, 10, 10, tzinfo=WIB))
    told = len(recorder.to("pak_staf"))
    [again] = await coordinator.says(unknown_question(201))
    assert again.template == "questions/unknown"
    assert [n.template for n in recorder.to("pak_staf")[told:]] == ["questions/unknown_for_staff"]


async def test_the_limit_and_the_burst_hold_across_a_restart(make_core: CoreFactory, clock: FakeClock) -> None:
    recorder = Recorder(await make_core())
    staff, asker = ChatUser(recorder, "pak_staf"), ChatUser(recorder, "Bu Rina")
    await staff.says("/start")
    for n in range(1, 3):
        await asker.says(unknown_question(n))
        clock.advance(timedelta(seconds=1))
    assert [n.template for n in recorder.to("pak_staf")[1:]] == [
        "questions/unknown_for_staff",
        "questions/burst_for_staff",
    ]

    await recorder.core.close()
    recorder = Recorder(await make_core())  # the bot restarts in the middle of the burst
    asker = ChatUser(recorder, "Bu Rina")
    for n in range(3, QUESTION_LIMIT + 1):
        [answer] = await asker.says(unknown_question(n))
        assert answer.template == "questions/unknown"
    assert recorder.to("pak_staf") == []  # the burst's notice went before the restart
    [refused] = await asker.says(unknown_question(99))
    assert refused.template == "questions/limit_reached"


async def test_a_repeated_question_past_the_limit_stores_nothing(coordinator: ChatUser, clock: FakeClock) -> None:
    for n in range(1, QUESTION_LIMIT + 1):
        await coordinator.says(unknown_question(n))
    [refused] = await coordinator.says(unknown_question(1))
    assert refused.template == "questions/limit_reached"
    clock.advance(QUESTION_WINDOW)
    [again] = await coordinator.says(unknown_question(1))
    assert again.template == "questions/unknown" and again.reply.params["already_queued"]  # still waiting, once


async def test_the_note_past_the_limit_is_in_english_for_english_speakers(recorder: Recorder) -> None:
    visitor = ChatUser(recorder, "Ms Lee", language_code="en")
    for n in range(1, QUESTION_LIMIT + 1):
        [answer] = await visitor.says(f"Is there a hotel near Pendopo that takes a group of {n} people?")
        assert answer.template == "questions/unknown"
    [note] = await visitor.says("Is there a hotel near Pendopo that takes a group of 99 people?")
    assert note.template == "questions/limit_reached" and note.recipient.locale == "en"
    assert "You have sent 10 questions in the last 10 minutes" in note.text
    assert "from 10:10 WIB" in note.text and "group of 99 people" in note.text


async def test_staff_only_see_a_burst_and_a_forged_one_is_stale(coordinator: ChatUser, staff: ChatUser) -> None:
    await coordinator.says(unknown_question(1))
    await coordinator.says(unknown_question(2))
    assert [s.template for s in await coordinator.presses_action("qa:burst:2")] == ["errors/staff_only"]
    assert [s.template for s in await staff.presses_action("qa:burst:999")] == ["errors/stale_button"]


# --- the staff queue: who asks, dismissing, answering late (issue 12, item 18) ----------------------

HOTEL = "Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?"
PETS = "Apakah rombongan boleh membawa kucing peliharaan ke ruang rapat?"


async def joined_as_dedi(recorder: Recorder, code: str) -> ChatUser:
    """A participant whose chat handle ("dedi") is not the name they gave when joining."""
    dedi = ChatUser(recorder, "dedi")
    await play(
        dedi,
        [
            (f"/gabung {code}", ["join/welcome", "join/ask_name"]),
            ("Dedi Supriadi", ["join/ask_position"]),
            ("Camat", ["join/ask_unit"]),
            ("-", ["join/confirm"]),
            (Press("confirm"), ["join/joined"]),
        ],
    )
    return dedi


async def test_staff_see_the_name_the_asker_gave_and_their_delegation(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")
    code = await register(coordinator)
    dedi = await joined_as_dedi(recorder, code)
    await dedi.says(HOTEL)
    notice = recorder.to("pak_staf")[-1]
    assert notice.template == "questions/unknown_for_staff"
    assert "Dedi Supriadi (peserta Pemkab Cianjur)" in notice.text and "dedi " not in notice.text
    await coordinator.says(PETS)
    visitor = ChatUser(recorder, "Tamu Umum")
    await visitor.says("Apakah ada tempat parkir bus di dekat Pendopo untuk rombongan?")
    [listing] = await staff.says("/pertanyaan")
    assert "#1 · Dedi Supriadi (peserta Pemkab Cianjur) ·" in listing.text
    assert "#2 · Bu Rina (koordinator Pemkab Cianjur) ·" in listing.text
    assert "#3 · Tamu Umum ·" in listing.text
    english = ChatUser(recorder, "Ms Staff", channel="telegram", external_id=str(STAFF_TELEGRAM_ID), language_code="en")
    [listing] = await english.says("/pertanyaan")
    assert "Dedi Supriadi (participant, Pemkab Cianjur)" in listing.text
    assert "Bu Rina (coordinator, Pemkab Cianjur)" in listing.text


async def test_staff_dismiss_a_question_with_a_reason_for_the_asker_or_without(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await coordinator.says(HOTEL)
    await coordinator.says(PETS)
    [listing] = await staff.says("/pertanyaan")
    assert listing.labels == ["✍️ Jawab #1", "🗑 Tutup #1", "✍️ Jawab #2", "🗑 Tutup #2"]
    await play(
        staff,
        [
            (Press("dismiss_question_n"), ["questions/question_to_answer", ("questions/ask_dismiss_reason", "#1")]),
            ("?", ["approvals/errors/reason", "questions/ask_dismiss_reason"]),
            ("Sudah dijawab lewat telepon oleh Bagian Protokol.", [("questions/dismissed", "#1")]),
        ],
    )
    told = recorder.to("Bu Rina")[-1]
    assert told.template == "questions/dismissed_for_asker"
    assert "hotel dekat Pendopo" in told.text and "lewat telepon" in told.text
    heard = len(recorder.to("Bu Rina"))
    await play(
        staff,
        [
            ("/pertanyaan", [("questions/open_questions", "kucing")]),
            (Press("dismiss_question_n"), ["questions/question_to_answer", "questions/ask_dismiss_reason"]),
            (Press("dismiss_without_reason"), [("questions/dismissed", "#2")]),
            ("/pertanyaan", [("questions/open_questions", "Tidak ada pertanyaan terbuka")]),
        ],
    )
    assert len(recorder.to("Bu Rina")) == heard  # without a reason the asker is not told
    [again] = await coordinator.says(PETS)  # a dismissed question may be asked again, and is queued anew
    assert again.template == "questions/unknown" and not again.reply.params["already_queued"]
    conn = recorder.core.database.conn
    assert [q.status for q in [await get_question(conn, 1), await get_question(conn, 2)] if q] == [
        QuestionStatus.DISMISSED,
        QuestionStatus.DISMISSED,
    ]
    [late] = await staff.presses_action("qa:reply:1")
    assert late.template == "questions/already_closed" and "ditutup oleh pak_staf" in late.text
    assert "lewat telepon" in late.text
    [dismissal] = await entries_for(conn, "question", 1)
    assert dismissal.action == "question.dismissed" and "lewat telepon" in str(dismissal.detail["reason"])


async def test_a_second_staff_member_hears_who_answered_and_their_late_answer_is_no_new_question(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    second = ChatUser(recorder, "Bu Staf", channel="telegram", external_id=str(STAFF_TELEGRAM_ID))
    await coordinator.says(HOTEL)
    for member in (staff, second):
        await play(member, [("/pertanyaan", ["questions/open_questions"])])
        await play(
            member, [(Press("answer_question_n"), ["questions/question_to_answer", "questions/ask_staff_answer"])]
        )
    await play(staff, [("Ada, daftar hotel mitra menyusul.", ["questions/answer_sent"])])
    [late] = await second.says("Ada beberapa hotel di sekitar Taman Blambangan.")
    assert late.template == "questions/already_closed"
    assert "dijawab oleh pak_staf" in late.text and "daftar hotel mitra menyusul" in late.text
    [pressed] = await second.presses_action("qa:reply:1")  # the notice's button, pressed afterwards
    assert pressed.template == "questions/already_closed"
    [typed] = await second.says("Ada beberapa hotel di sekitar Taman Blambangan.")  # typed anyway, outside any flow
    assert typed.template == "questions/not_passed_from_staff"
    conn = recorder.core.database.conn
    assert await open_questions(conn) == []  # no question made of a staff member's answer
    relayed = [s for s in recorder.to("Bu Rina") if s.template == "questions/staff_answer"]
    assert len(relayed) == 1


async def test_staff_may_still_look_things_up_in_the_knowledge_base(staff: ChatUser) -> None:
    [answer] = await staff.says("Apa itu Smart Kampung?")
    assert answer.template == "questions/answer"


async def test_questions_asked_and_answered_before_dismissal_existed_survive_the_migration(tmp_path: Path) -> None:
    """0014 rebuilds the questions table (a CHECK changes only so): rows, who answered and when are kept."""
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for migration in available_migrations():
        if migration.version < 14:
            shutil.copy(migration.path, earlier / migration.path.name)
    conn = await connect(tmp_path / "db.sqlite3")
    try:
        await migrate(conn, earlier)
        await conn.executescript(
            """INSERT INTO users (id, channel, external_id, chat_id, display_name, created_at, updated_at)
                   VALUES (1, 'console', 'rina', 'rina', 'Bu Rina', '2026-11-25', '2026-11-25'),
                          (2, 'console', 'staf', 'staf', 'pak_staf', '2026-11-25', '2026-11-25');
               INSERT INTO questions (user_id, text, normalized, asked_at, status, answered_by, answer, answered_at)
                   VALUES (1, 'Ada hotel?', 'ada hotel', '2026-11-25T03:00:00+00:00', 'answered', 2, 'Ada.',
                           '2026-11-25T03:05:00+00:00'),
                          (1, 'Ada parkir?', 'ada parkir', '2026-11-25T03:01:00+00:00', 'open', NULL, NULL, NULL);"""
        )
        await migrate(conn)
        answered, waiting = await get_question(conn, 1), await get_question(conn, 2)
        assert answered is not None and (answered.status, answered.closed_by, answered.answer) == (
            QuestionStatus.ANSWERED,
            2,
            "Ada.",
        )
        assert answered.closed_at == datetime(2026, 11, 25, 10, 5, tzinfo=WIB)
        assert waiting is not None and waiting.is_open
        assert [q.id for q in await open_questions(conn)] == [2]
        later = datetime(2026, 11, 25, 11, 0, tzinfo=WIB)
        assert await record_dismissal(conn, 2, reason=None, dismissed_by=2, now=later)
        assert not await record_answer(conn, 2, answer="Ada.", answered_by=2, now=later)  # closed once
    finally:
        await conn.close()
