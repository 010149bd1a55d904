"""The knowledge base: the content check, retrieval on typical questions, and `python -m bot ask`."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli.ask import run_ask
from bot.config import load_settings
from core.content import Content
from core.knowledge import build_knowledge
from core.knowledge.entries import KNOWLEDGE_DIR, LANGUAGES, REQUIRED_IDS, Entry, check_knowledge
from core.knowledge.search import KnowledgeBase
from core.knowledge.views import HostDetails, entry_view

THEMES = frozenset(t.id for t in Content().themes)


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return build_knowledge(theme_ids=THEMES)


def test_the_knowledge_base_passes_its_content_check() -> None:
    assert check_knowledge(theme_ids=THEMES) == []


def test_every_required_entry_is_there_in_both_languages(knowledge: KnowledgeBase) -> None:
    for kind, ids in REQUIRED_IDS.items():
        for entry_id in ids:
            entry = knowledge.entries[entry_id]
            assert entry.kind == kind
            assert entry.title.id and entry.title.en and entry.short.id and entry.short.en


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def _edit(path: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_check_reports_each_kind_of_problem(broken_copy: Path) -> None:
    (broken_copy / "destinations" / "baluran.yaml").unlink()
    shutil.copy(broken_copy / "innovations" / "sakip.yaml", broken_copy / "logistics" / "sakip-copy.yaml")
    _edit(broken_copy / "innovations" / "smart-kampung.yaml", {"short": {"id": "Desa digital."}})
    _edit(broken_copy / "innovations" / "rantang-kasih.yaml", {"related": ["tidak-ada"]})
    _edit(
        broken_copy / "destinations" / "kawah-ijen.yaml",
        {"location": {"address": "Paltuding", "lat": 114.2, "lon": -8.05}},
    )
    problems = "\n".join(check_knowledge(broken_copy, THEMES))
    assert "missing required destination entry baluran" in problems
    assert "duplicate id sakip" in problems
    assert "smart-kampung.yaml: short has no en text" in problems
    assert "related entry tidak-ada does not exist" in problems
    assert "kawah-ijen.yaml: coordinates 114.2, -8.05 are not near Banyuwangi" in problems


@pytest.mark.parametrize(
    ("question", "entry_id", "intent"),
    [
        ("apa itu MPP?", "mal-pelayanan-publik", "what"),
        ("gmn cara ke ijen?", "kawah-ijen", "directions"),
        ("where can we see how villages publish their budgets online?", "e-village-budgeting", "where"),
        ("kawah ijn", "kawah-ijen", "what"),
        ("G-Land surf season", "plengkung", "when"),
        ("blue fire", "kawah-ijen", "what"),
        ("berapa harga tiket masuk Kawah Ijen", "kawah-ijen", "cost"),
        ("Is Baluran in Banyuwangi?", "baluran", "what"),
    ],
)
def test_typical_questions_find_their_entry_and_intent(
    knowledge: KnowledgeBase, question: str, entry_id: str, intent: str
) -> None:
    answer = knowledge.search(question)
    assert answer.entry is not None and answer.entry.id == entry_id, (question, answer)
    assert answer.intent == intent


@pytest.mark.parametrize("question", ["Where is Borobudur?", "siapa presiden pertama indonesia", "resep rendang"])
def test_questions_outside_the_knowledge_base_are_not_answered(knowledge: KnowledgeBase, question: str) -> None:
    answer = knowledge.search(question)
    assert answer.entry is None, (question, answer)


def test_greetings_and_thanks_are_small_talk(knowledge: KnowledgeBase) -> None:
    assert knowledge.search("terima kasih ya").smalltalk
    assert knowledge.search("Good morning!").smalltalk
    assert not knowledge.search("terima kasih, di mana lounge pelayanan publik?").smalltalk


def test_ask_prints_one_json_object_per_question(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path), "HOST_CONTACT": "0333 000000"}, env_file=None)
    out = io.StringIO()
    run_ask(settings, ["apa itu MPP", "where is Borobudur?"], as_json=True, language=None, out=out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(first) == {"question", "entry_id", "score", "intent", "answer", "route"}
    assert first["entry_id"] == "mal-pelayanan-publik" and first["answer"] and first["route"] == "answer"
    assert second["entry_id"] is None and second["answer"] is None
    assert second["route"] == "other_place"  # Borobudur is not Banyuwangi's: declined, not passed to staff
    batch = io.StringIO()
    run_ask(settings, [], as_json=True, language="en", stdin=io.StringIO("gmn ke ijen\n\nkontak panitia\n"), out=batch)
    records = [json.loads(line) for line in batch.getvalue().splitlines()]
    assert [r["entry_id"] for r in records] == ["kawah-ijen", "kontak-panitia"]
    assert "0333 000000" in records[1]["answer"]  # the host's contact comes from the settings


def test_the_check_reports_seasonal_tips_without_months(broken_copy: Path) -> None:
    _edit(
        broken_copy / "logistics" / "cuaca.yaml",
        {"seasonal_tips": [{"months": [13], "id": "Panas.", "en": "Hot."}, {"id": "Hujan."}]},
    )
    problems = "\n".join(check_knowledge(broken_copy, THEMES))
    assert "cuaca.yaml: seasonal tip 1 needs months" in problems
    assert "cuaca.yaml: seasonal tip 2 needs months" in problems and "seasonal tip 2 has no en text" in problems


def test_the_weather_card_still_shows_every_tip(knowledge: KnowledgeBase) -> None:
    view = entry_view(knowledge.entries["cuaca"], "en", HostDetails("Pemkab Banyuwangi", None))
    assert any("October" in tip for tip in view.tips) and any("Rainy season" in tip for tip in view.tips)


HOST = "Pemkab Banyuwangi"
TWICE = re.compile(rf"{HOST}\W+(?:\w+\W+)?{HOST}")  # "… kepada Pemkab Banyuwangi (Pemkab Banyuwangi)", "X melalui X"


def reads_once(text: str) -> bool:
    """The host is named once where its contact would follow, no empty parentheses, no placeholder left."""
    return not TWICE.search(text) and not re.search(r"\(\s*\)", text) and "{host" not in text


def entry_texts(entry: Entry, locale: str, host: HostDetails) -> list[str]:
    view = entry_view(entry, locale, host)
    parts = (view.short, view.details, view.where, view.hours, view.getting_there, view.cost, *view.tips)
    return [text for text in parts if text]


@pytest.mark.parametrize("locale", LANGUAGES)
def test_without_a_host_contact_no_entry_repeats_the_host(knowledge: KnowledgeBase, locale: str) -> None:
    """Issue 12.21: with HOST_CONTACT empty, gancang-aron read "kepada Pemkab Banyuwangi (Pemkab Banyuwangi)"."""
    no_contact = HostDetails(HOST, None)
    for entry in knowledge.entries.values():
        for text in entry_texts(entry, locale, no_contact):
            assert reads_once(text), (entry.id, text)


def test_with_a_host_contact_entries_name_the_host_and_its_contact(knowledge: KnowledgeBase) -> None:
    host = HostDetails(HOST, "0333 424 172")
    for entry_id in ("gancang-aron", "pasar-pelayanan-publik", "banyuwangi-mall", "kontak-panitia"):
        for locale in LANGUAGES:
            texts = " ".join(entry_texts(knowledge.entries[entry_id], locale, host))
            assert HOST in texts and "0333 424 172" in texts and reads_once(texts), (entry_id, locale)
    filled = host.fill("ke {host_name} ({host_contact}); hubungi {host_contact}.")
    assert filled == "ke Pemkab Banyuwangi (0333 424 172); hubungi 0333 424 172."
    assert HostDetails(HOST, None).fill("ke {host_name} ({host_contact}); hubungi {host_contact}.") == (
        "ke Pemkab Banyuwangi; hubungi Pemkab Banyuwangi."
    )
