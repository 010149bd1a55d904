"""Participants ask; the bot answers from the knowledge base or passes the question to host staff."""

from __future__ import annotations

from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import ChatUser, Press, Recorder, play, register


async def test_a_question_is_answered_with_the_part_that_fits_and_buttons(coordinator: ChatUser) -> None:
    [answer] = await coordinator.says("gmn cara ke kawah ijen?")
    assert answer.template == "questions/answer"
    assert answer.reply.params["entry"].id == "kawah-ijen" and answer.reply.params["intent"] == "directions"
    assert answer.reply.params["part"]  # the "getting there" part of the entry
    assert answer.labels[:2] == ["📖 Selengkapnya", "📍 Lokasi"]
    card, location = await coordinator.presses("more")
    assert card.template == "questions/card" and "Kawah Ijen" in card.text
    assert location.template == "questions/location" and location.reply.venue is not None
    assert -9 < location.reply.venue.latitude < -7


async def test_english_speakers_get_english_answers(recorder: Recorder) -> None:
    visitor = ChatUser(recorder, "Ms Lee", language_code="en")
    [answer] = await visitor.says("/tanya what is Rantang Kasih?")
    assert answer.template == "questions/answer" and answer.recipient.locale == "en"
    assert answer.reply.params["entry"].id == "rantang-kasih"
    assert answer.reply.params["entry"].title == answer.reply.params["entry"].title.strip()
    await play(visitor, [("/tanya", ["questions/ask_prompt"]), ("thanks!", ["questions/smalltalk"])])


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
