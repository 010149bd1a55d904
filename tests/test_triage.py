"""Where a free-text question goes (core/knowledge/triage.py): small talk, another place, general knowledge, an
entry, or staff — the cases the trial against a fake Telegram server got wrong, and the rules behind them."""

from __future__ import annotations

import pytest

from core.content import Content
from core.knowledge import build_knowledge
from core.knowledge.places import Gazetteer
from core.knowledge.search import KnowledgeBase, SmallTalk
from core.knowledge.triage import Route, triage

THEMES = frozenset(t.id for t in Content().themes)


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return build_knowledge(theme_ids=THEMES)


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return Gazetteer.load()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("halo", SmallTalk.GREETING),
        ("hello", SmallTalk.GREETING),
        ("Selamat pagi, Pak!", SmallTalk.GREETING),
        ("halo?", SmallTalk.GREETING),
        ("terima kasih banyak ya", SmallTalk.THANKS),
        ("makasihhh infonya min 🙏", SmallTalk.THANKS),
        ("thanks a lot!", SmallTalk.THANKS),
        ("sama-sama pak", SmallTalk.THANKS),
        ("ok siap", SmallTalk.ACKNOWLEDGEMENT),
        ("siappp 🙏", SmallTalk.ACKNOWLEDGEMENT),
        ("👍", SmallTalk.ACKNOWLEDGEMENT),
        ("oke pak, nanti saya sampaikan ke rombongan", SmallTalk.ACKNOWLEDGEMENT),
    ],
)
def test_small_talk_is_answered_in_kind_and_never_with_an_entry(
    knowledge: KnowledgeBase, places: Gazetteer, question: str, kind: SmallTalk
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.SMALLTALK, (question, verdict)
    assert verdict.answer.smalltalk is kind
    assert verdict.answer.entry is None


@pytest.mark.parametrize(
    "question",
    [
        "terima kasih, di mana lounge pelayanan publik?",
        "Selamat siang Pak, mohon info jam buka MPP",
        "ok, cara ke kawah ijen gimana",
        "pagi, ke mana kita hari ini?",
    ],
)
def test_a_question_wrapped_in_courtesies_is_still_a_question(
    knowledge: KnowledgeBase, places: Gazetteer, question: str
) -> None:
    assert triage(knowledge, places, question).route is not Route.SMALLTALK


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("apa itu mal pelayanan publik di kota surabaya", "Surabaya"),
        ("tempat wisata di yogyakarta", "Yogyakarta"),
        ("cuaca di bandung besok", "Bandung"),
        ("siapa presiden amerika", "Amerika Serikat"),
        ("pendakian gunung rinjani dibuka kapan", "Gunung Rinjani"),
        ("How do I get to Mount Bromo from Malang?", "Gunung Bromo"),
    ],
)
def test_a_question_about_another_place_is_declined_not_answered(
    knowledge: KnowledgeBase, places: Gazetteer, question: str, place: str
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.OTHER_PLACE, (question, verdict)
    assert verdict.route.declined
    assert verdict.place is not None and verdict.place.name == place


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("kami dari Cianjur, apa itu smart kampung?", "smart-kampung"),
        ("dari Banyuwangi ke kawah ijen naik apa", "kawah-ijen"),
        ("where can we watch the sunrise over Bali", "pantai-cacalan"),
        ("Where is the ferry port to Bali?", "pelabuhan-ketapang"),
        ("Kami dari Dinas Kominfo Kabupaten Lombok Timur. Apa itu Smart Kampung?", "smart-kampung"),
    ],
)
def test_where_the_asker_comes_from_and_the_hosts_neighbours_are_context(
    knowledge: KnowledgeBase, places: Gazetteer, question: str, entry_id: str
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.ANSWER, (question, verdict)
    assert verdict.answer.entry is not None and verdict.answer.entry.id == entry_id


def test_in_a_long_message_the_sentence_that_asks_is_the_question(knowledge: KnowledgeBase, places: Gazetteer) -> None:
    """The sentences before it say who asks; the places they name are context, not the topic."""
    message = (
        "Selamat pagi. Saya koordinator rombongan dari Setda Kabupaten Sumbawa, kami berencana datang sekitar "
        "40 orang bulan depan. Langkah pendaftarannya apa saja?"
    )
    verdict = triage(knowledge, places, message)
    assert verdict.route is Route.ANSWER and verdict.answer.entry is not None
    assert verdict.answer.entry.id == "cara-daftar"
    told = "We are a group of 35 from a regency in Sumatra. Could you tell us about the free medicine delivery?"
    verdict = triage(knowledge, places, told)
    assert verdict.route is Route.ANSWER and verdict.answer.entry is not None
    assert verdict.answer.entry.id == "gancang-aron"
    asked_elsewhere = "We are a group of 35. Could you tell us about the free medicine delivery in Sumatra?"
    assert triage(knowledge, places, asked_elsewhere).route is Route.OTHER_PLACE


@pytest.mark.parametrize(
    "question", ["resep nasi goreng", "Who won the 2022 World Cup?", "tolong buatkan puisi tentang laut"]
)
def test_general_knowledge_is_declined_and_not_sent_to_staff(
    knowledge: KnowledgeBase, places: Gazetteer, question: str
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.GENERAL, (question, verdict)
    assert verdict.route.declined


@pytest.mark.parametrize(
    "question",
    [
        "what should I wear",
        "dress code untuk kunjungan apa ya",
        "apakah hotel menyediakan laundry",
        "bus kami parkir di mana",
    ],
)
def test_a_question_about_the_visit_that_no_entry_answers_goes_to_staff(
    knowledge: KnowledgeBase, places: Gazetteer, question: str
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.STAFF, (question, verdict)
    assert verdict.answer.entry is None


@pytest.mark.parametrize(
    ("question", "intents"),
    [
        ("cara ke Kawah Ijen dan berapa tiketnya?", ("directions", "cost")),
        ("how do I get to Ijen crater", ("directions",)),
        ("how can we reach pulau merah", ("directions",)),
        ("MPP buka jam berapa dan di mana?", ("when", "where")),
    ],
)
def test_every_kind_of_fact_asked_is_read_in_order(
    knowledge: KnowledgeBase, places: Gazetteer, question: str, intents: tuple[str, ...]
) -> None:
    verdict = triage(knowledge, places, question)
    assert verdict.route is Route.ANSWER, (question, verdict)
    assert verdict.answer.intents == intents


def test_the_way_from_a_place_the_entry_never_mentions_goes_to_staff(
    knowledge: KnowledgeBase, places: Gazetteer
) -> None:
    """Kawah Ijen's way is from town; the road from Surabaya is the committee's to tell."""
    for question in ("How far is Ijen from Surabaya by car?", "dari surabaya ke kawah ijen berapa jam"):
        verdict = triage(knowledge, places, question)
        assert verdict.route is Route.STAFF, (question, verdict.route)
    assert triage(knowledge, places, "how far is ijen from town").route is Route.ANSWER


def test_a_price_nobody_wrote_down_goes_to_staff_but_a_programme_is_free_to_ask_about(
    knowledge: KnowledgeBase, places: Gazetteer
) -> None:
    assert knowledge.entries["pulau-merah"].cost is None
    assert triage(knowledge, places, "berapa tiket masuk pulau merah?").route is Route.STAFF
    answered = triage(knowledge, places, "apakah layanan di MPP gratis?")
    assert answered.answer.entry is not None and answered.answer.entry.id == "mal-pelayanan-publik"
