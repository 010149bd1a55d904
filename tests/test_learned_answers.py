"""The desk learns from its answers: a staff answer saved as a bot answer answers the next asker, in their language and
marked as the committee's; /faq shows how often each was given, edits and retires them; `faq export` writes them out
for a reviewer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import Core
from bot.cli.faq import run_faq_export
from bot.config import Settings
from core.clock import FakeClock
from core.content import Content
from core.knowledge.entries import check_knowledge
from core.yamlfile import read_yaml
from handlers.questions import OPEN_ENTRY
from storage.audit import entries_for
from storage.learned import LearnedAnswer, all_learned, get_learned
from storage.questions import get_question
from storage.users import find_user
from tests.conftest import CoreFactory
from tests.support import ChatUser, Press, Recorder, play

HOTEL = "Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?"
ANSWER_ID = "Ada. Hotel Santika dan Aston, sekitar 5 menit dari Pendopo, menerima rombongan; panitia membantu memesan."
ANSWER_EN = "Yes. Hotel Santika and Aston, about 5 minutes from the Pendopo, take groups; the committee helps book."
PHRASINGS = "Hotel untuk rombongan di dekat Pendopo?\n- Penginapan rombongan dekat pendopo ada?"
ENGLISH_PHRASING = "Hotel near the Pendopo for a group?"


async def answer_and_offer_to_save(asker: ChatUser, staff: ChatUser, question: str = HOTEL) -> None:
    """The asker's question goes to staff; staff answer it and are offered to save the answer."""
    [unknown] = await asker.says(question)
    assert unknown.template == "questions/unknown"
    await play(
        staff,
        [
            ("/pertanyaan", ["questions/open_questions"]),
            (Press("answer_question_n"), ["questions/question_to_answer", "questions/ask_staff_answer"]),
            (ANSWER_ID, [("questions/answer_sent", "Jawaban terkirim")]),
        ],
    )
    assert staff.last_buttons[0][0] == "faq_save_answer"


SAVE_IN_BOTH_LANGUAGES = [
    (Press("faq_save_answer"), [("faq/intro", HOTEL), "faq/ask_phrasings"]),
    ("x", ["faq/errors/phrasing_length", "faq/ask_phrasings"]),  # nothing noted from a bad message
    (PHRASINGS, [("faq/ask_phrasings", "Penginapan rombongan dekat pendopo ada?")]),
    (ENGLISH_PHRASING, [("faq/ask_phrasings", "Sudah dicatat (3)")]),  # several messages add up
    (Press("faq_next"), [("faq/ask_answer", "Jawaban dalam bahasa Inggris")]),  # the other language than the asker's
    (ANSWER_EN, ["faq/ask_kind"]),
    (Press("kind_logistics"), ["faq/ask_themes"]),
    (Press("theme_toggle", 0), [("faq/ask_themes", "Dipilih: Pelayanan publik")]),
    (Press("done"), [("faq/summary", "logistik kunjungan")]),
    (Press("faq_confirm_save"), [("faq/saved", "jawaban bot #1")]),
]


async def only_entry(recorder: Recorder) -> LearnedAnswer:
    [learned] = await all_learned(recorder.core.database.conn, include_retired=True)
    return learned


async def test_a_saved_staff_answer_answers_the_next_asker_in_other_words_and_in_their_language(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)

    learned = await only_entry(recorder)
    conn = recorder.core.database.conn
    staff_user = await find_user(conn, "console", "pak_staf")
    assert staff_user is not None
    assert learned.text.question == HOTEL and learned.locale == "id"
    assert learned.text.phrasings == (
        "Hotel untuk rombongan di dekat Pendopo?",
        "Penginapan rombongan dekat pendopo ada?",
        ENGLISH_PHRASING,
    )
    assert (learned.text.answer_id, learned.text.answer_en) == (ANSWER_ID, ANSWER_EN)
    assert (learned.text.kind, learned.text.themes) == ("logistics", ("public-services",))
    assert (learned.source_question_id, learned.created_by, learned.uses) == (1, staff_user.id, 0)
    [saved] = await entries_for(conn, "learned_answer", learned.id)
    assert saved.action == "faq.saved" and saved.actor_id == staff_user.id and saved.detail["question_id"] == 1

    dedi = ChatUser(recorder, "Dedi")
    for asked in ("Penginapan rombongan dekat pendopo ada?", "kalau hotel buat rombongan yang dekat pendopo ada gak?"):
        [answer] = await dedi.says(asked)
        assert answer.template == "questions/answer", asked
        assert answer.reply.params["entry"].id == "staff-1"
        assert ANSWER_ID in answer.text and "💬 <i>Jawaban panitia Pemkab Banyuwangi, 25 Nov 2026</i>" in answer.text
        assert "dalam bahasa" not in answer.text  # written in the reader's language: no note
    assert "more" not in [name for name, _ in dedi.last_buttons]  # the answer is the whole card: no "more"
    [card] = await dedi.presses_action(OPEN_ENTRY("staff-1"))  # a card button finds the saved answer too, once
    assert card.template == "questions/card" and card.text.count(ANSWER_ID) == 1
    assert "💬 <i>Jawaban panitia" in card.text

    lee = ChatUser(recorder, "Ms Lee", language_code="en")
    [answer] = await lee.says("Is there a hotel near the Pendopo for our group of 50?")
    assert answer.template == "questions/answer" and answer.recipient.locale == "en"
    assert ANSWER_EN in answer.text and ANSWER_ID not in answer.text
    assert answer.reply.params["entry"].title == ENGLISH_PHRASING  # the English phrasing stands for the question
    assert (
        "💬 <i>Answer from the Pemkab Banyuwangi committee, 25 Nov 2026</i>" in answer.text
        and "(in " not in answer.text
    )


async def test_an_answer_written_in_one_language_reaches_the_other_with_a_note(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(
        staff,
        [
            (Press("faq_save_answer"), ["faq/intro", "faq/ask_phrasings"]),
            (ENGLISH_PHRASING, ["faq/ask_phrasings"]),  # so that English questions find it
            (Press("faq_next"), ["faq/ask_answer"]),
            (Press("skip"), ["faq/ask_kind"]),  # no English answer: English readers get the Indonesian text
            ("logistik", ["errors/use_buttons", "faq/ask_kind"]),
            (Press("kind_logistics"), ["faq/ask_themes"]),
            ("selesai", [("faq/summary", "penanya berbahasa Inggris menerima jawaban bahasa Indonesia")]),
            (Press("faq_confirm_save"), ["faq/saved"]),
        ],
    )
    learned = await only_entry(recorder)
    assert (learned.text.answer_en, learned.text.phrasings, learned.text.themes) == (None, (ENGLISH_PHRASING,), ())
    lee = ChatUser(recorder, "Ms Lee", language_code="en")
    [answer] = await lee.says("Is there a hotel near the Pendopo for our group of 50 people?")
    assert answer.template == "questions/answer" and answer.recipient.locale == "en"
    assert ANSWER_ID in answer.text
    assert "Answer from the Pemkab Banyuwangi committee, 25 Nov 2026 (in Indonesian)" in answer.text


async def test_uses_are_counted_and_faq_shows_them_then_an_edit_is_the_next_answer(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    [listing] = await staff.says("/faq")
    assert listing.template == "faq/list" and "#1 · logistik · " + HOTEL in listing.text
    assert "dipakai 0 kali · disimpan 25 Nov 2026" in listing.text
    assert listing.labels == ["✏️ Ubah #1", "🗑 Tarik #1"]

    dedi = ChatUser(recorder, "Dedi")
    await dedi.says("Penginapan rombongan dekat pendopo ada?")
    clock.advance(timedelta(days=1))
    await dedi.says("ada hotel dekat pendopo untuk rombongan kami?")
    await play(staff, [("/faq", [("faq/list", "dipakai 2 kali, terakhir 26 Nov 2026")])])
    assert (await only_entry(recorder)).uses == 2

    changed = "Ada. Mulai Desember, Hotel Ketapang Indah juga menerima rombongan; panitia membantu memesan."
    await play(
        staff,
        [
            (Press("faq_edit_n"), [("faq/summary", "Ubah jawaban bot #1")]),
            (Press("faq_edit_answer_id"), [("faq/ask_answer", "Saat ini: " + ANSWER_ID)]),
            (changed, [("faq/summary", "Ketapang Indah")]),  # back to the summary, nothing else asked again
            (Press("faq_confirm_save"), [("faq/updated", "#1"), "faq/list"]),
        ],
    )
    [answer] = await dedi.says("Penginapan rombongan dekat pendopo ada?")
    assert changed in answer.text and ANSWER_ID not in answer.text
    assert "Jawaban panitia Pemkab Banyuwangi, 26 Nov 2026" in answer.text  # the day the answer was last written
    [_saved, edited] = await entries_for(recorder.core.database.conn, "learned_answer", 1)
    assert edited.action == "faq.edited" and edited.detail["changed"] == ["answer_id"]


async def test_a_retired_answer_is_no_longer_given(coordinator: ChatUser, staff: ChatUser, recorder: Recorder) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    await play(
        staff,
        [
            ("/faq", ["faq/list"]),
            (Press("faq_retire_n"), [("faq/confirm_retire", "Tarik jawaban bot #1?")]),
            (Press("faq_keep"), ["faq/list"]),  # not yet
            (Press("faq_retire_n"), ["faq/confirm_retire"]),
            (Press("faq_retire_yes"), [("faq/retired", "#1"), ("faq/list", "1 jawaban yang sudah ditarik")]),
        ],
    )
    listing = recorder.to("pak_staf")[-1]
    assert "Belum ada jawaban yang disimpan" in listing.text and listing.labels == []
    learned = await only_entry(recorder)
    assert learned.is_retired
    [answer] = await ChatUser(recorder, "Dedi").says("Penginapan rombongan dekat pendopo ada?")
    assert answer.template == "questions/unknown"  # to staff again, as before it was saved
    [stale] = await staff.presses_action("faq:edit:1")
    assert stale.template == "faq/already_retired"
    actions = [e.action for e in await entries_for(recorder.core.database.conn, "learned_answer", 1)]
    assert actions == ["faq.saved", "faq.retired"]


async def test_a_second_process_on_the_same_database_finds_what_the_first_saved(
    make_core: CoreFactory, clock: FakeClock
) -> None:
    """Console sessions share one database: an answer saved in one is given in the other, without a restart."""
    first, second = Recorder(await make_core()), Recorder(await make_core())
    dedi_elsewhere = ChatUser(second, "Dedi")
    [before] = await dedi_elsewhere.says("Apa itu Smart Kampung?")
    assert before.template == "questions/answer"  # the second process has its index built already

    staff = ChatUser(first, "pak_staf")
    await answer_and_offer_to_save(ChatUser(first, "Bu Rina"), staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    [answer] = await dedi_elsewhere.says("Penginapan rombongan dekat pendopo ada?")
    assert answer.template == "questions/answer" and ANSWER_ID in answer.text

    changed = "Ada. Hotel Ketapang Indah juga menerima rombongan."
    await play(
        staff,
        [
            ("/faq", ["faq/list"]),
            (Press("faq_edit_n"), ["faq/summary"]),
            (Press("faq_edit_answer_id"), ["faq/ask_answer"]),
            (changed, ["faq/summary"]),
            (Press("faq_confirm_save"), ["faq/updated", "faq/list"]),
        ],
    )  # within the same tick of the clock as the save
    [answer] = await dedi_elsewhere.says("Penginapan rombongan dekat pendopo ada?")
    assert changed in answer.text
    [again] = await dedi_elsewhere.says("Penginapan rombongan dekat pendopo ada?")
    assert changed in again.text
    assert (await only_entry(first)).uses == 3  # counted in the shared database, by either process


async def test_a_half_done_save_survives_a_restart(make_core: CoreFactory) -> None:
    first = Recorder(await make_core())
    staff = ChatUser(first, "pak_staf")
    await answer_and_offer_to_save(ChatUser(first, "Bu Rina"), staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES[:5])  # at the English answer
    await first.core.close()

    second = Recorder(await make_core())
    staff = ChatUser(second, "pak_staf")
    await play(
        staff,
        [
            (ANSWER_EN, ["faq/ask_kind"]),  # the same step as before the restart
            (Press("kind_logistics"), ["faq/ask_themes"]),
            (Press("done"), [("faq/summary", "Penginapan rombongan dekat pendopo ada?")]),  # the phrasings kept
            (Press("faq_confirm_save"), ["faq/saved"]),
        ],
    )
    learned = await only_entry(second)
    assert len(learned.text.phrasings) == 3 and learned.text.answer_en == ANSWER_EN


async def test_cancelling_saves_nothing_and_an_answer_is_saved_once(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    offer = staff.last_buttons
    await play(
        staff,
        [
            (Press("faq_save_answer"), ["faq/intro", "faq/ask_phrasings"]),
            ("/batal", [("menu/cancelled_faq", "tidak ada jawaban bot yang disimpan")]),
        ],
    )
    assert await all_learned(recorder.core.database.conn, include_retired=True) == []
    staff.last_buttons = offer  # the button under "answer sent", pressed again
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    staff.last_buttons = offer
    await play(staff, [(Press("faq_save_answer"), [("faq/already_saved", "#1")])])


async def test_only_staff_list_save_edit_or_retire_bot_answers(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    await play(coordinator, [("/faq", ["errors/staff_only"])])
    for forged in ("faq:learn:1", "faq:edit:1", "faq:retire:1", "faq:retire_yes:1", "faq:page:0"):
        assert [s.template for s in await coordinator.presses_action(forged)] == ["errors/staff_only"], forged
    learned = await only_entry(recorder)
    assert not learned.is_retired and learned.revision == 1


async def test_erasing_the_askers_data_keeps_the_desks_answer(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await answer_and_offer_to_save(coordinator, staff)
    await play(staff, SAVE_IN_BOTH_LANGUAGES)
    await coordinator.says("/hapusdata")
    [erased] = await coordinator.presses("erase_my_data")
    assert erased.template == "privacy/erased"
    conn = recorder.core.database.conn
    assert await get_question(conn, 1) is None
    learned = await get_learned(conn, 1)
    assert learned is not None and learned.source_question_id is None and learned.text.question == HOTEL
    [answer] = await ChatUser(recorder, "Dedi").says("Penginapan rombongan dekat pendopo ada?")
    assert answer.template == "questions/answer" and ANSWER_ID in answer.text


# --- python -m bot faq export ---------------------------------------------------------------------------------


@pytest.fixture
def saved_answers(settings: Settings, clock: FakeClock) -> Path:
    """A database with two saved answers: one in both languages, one in Indonesian only and retired."""

    async def prepare() -> None:
        core = await Core.build(settings, clock=clock, console_staff=("pak_staf",))
        try:
            recorder = Recorder(core)
            staff = ChatUser(recorder, "pak_staf")
            await answer_and_offer_to_save(ChatUser(recorder, "Bu Rina"), staff)
            await play(staff, SAVE_IN_BOTH_LANGUAGES)
            await answer_and_offer_to_save(
                ChatUser(recorder, "Pak Asep"), staff, "Bolehkah bus besar parkir di halaman Pendopo selama acara?"
            )
            await play(
                staff,
                [
                    (Press("faq_save_answer"), ["faq/intro", "faq/ask_phrasings"]),
                    (Press("skip"), ["faq/ask_answer"]),
                    (Press("skip"), ["faq/ask_kind"]),
                    (Press("kind_logistics"), ["faq/ask_themes"]),
                    (Press("done"), ["faq/summary"]),
                    (Press("faq_confirm_save"), [("faq/saved", "#2")]),
                    ("/faq", ["faq/list"]),
                    (Press("faq_retire_n", 1), [("faq/confirm_retire", "#2")]),
                    (Press("faq_retire_yes"), ["faq/retired", "faq/list"]),
                ],
            )
        finally:
            await core.close()

    asyncio.run(prepare())
    return settings.database_path


def structural_problems(directory: Path) -> list[str]:
    """What check_knowledge finds in an exported directory, but that the reviewed entries are not in it."""
    themes = frozenset(t.id for t in Content().themes)
    return [p for p in check_knowledge(directory, themes) if not p.startswith("missing required")]


@pytest.mark.usefixtures("saved_answers")
def test_faq_export_writes_entries_content_would_accept_once_sources_are_added(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "faq-export"
    assert run_faq_export(settings, out) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == ["logistics/staff-1.yaml"]
    assert structural_problems(out) == []
    path = out / "logistics" / "staff-1.yaml"
    entry = read_yaml(path)
    assert set(entry) == {"id", "kind", "title", "aliases", "keywords", "short", "details", "themes"}  # no sources
    assert (entry["id"], entry["kind"], entry["themes"]) == ("staff-1", "logistics", ["public-services"])
    assert entry["short"] == entry["details"] == {"id": ANSWER_ID, "en": ANSWER_EN}
    assert entry["title"] == {"id": HOTEL, "en": ENGLISH_PHRASING}  # the English phrasing staff gave
    assert entry["aliases"]["en"] == [ENGLISH_PHRASING]
    assert "Penginapan rombongan dekat pendopo ada?" in entry["aliases"]["id"]
    assert {"hotel", "pendopo", "rombongan"} <= set(entry["keywords"]["id"])
    text = path.read_text(encoding="utf-8")
    assert "by pak_staf on 2026-11-25" in text and "must add\n# `sources:`" in text
    assert "TODO reviewer" not in text  # everything was given in both languages
    assert "wrote " in capsys.readouterr().out

    assert run_faq_export(settings, out) == 1  # nothing overwritten without --force
    assert f"{path} exists: not overwritten" in capsys.readouterr().err

    assert run_faq_export(settings, out, force=True, include_retired=True) == 0
    retired = out / "logistics" / "staff-2.yaml"
    assert structural_problems(out) == []
    parked = read_yaml(retired)
    assert parked["short"]["en"] == parked["short"]["id"] and parked["keywords"]["en"] == parked["keywords"]["id"]
    retired_text = retired.read_text(encoding="utf-8")
    assert "Retired in the bot on 2026-11-25" in retired_text
    assert "# TODO reviewer: the question in English; this is the Indonesian text" in retired_text
    assert "# TODO reviewer: the answer (a sentence or two) in English; this is the Indonesian text" in retired_text


def test_faq_export_describes_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["faq", "export", "--help"])
    assert exit_.value.code == 0
    usage, description, *_ = capsys.readouterr().out.split("\n\n")
    assert usage.startswith("usage: python -m bot faq export") and "--include-retired" in usage
    assert description.startswith("write the saved answers as content/knowledge YAML files")
