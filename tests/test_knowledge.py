"""The knowledge base: the content check, retrieval on typical questions, and `python -m bot ask`."""

from __future__ import annotations

import collections
import dataclasses
import io
import json
import random
import re
import shutil
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process

from bot.cli.ask import run_ask
from bot.config import load_settings
from core.content import Content
from core.knowledge import build_knowledge
from core.knowledge.entries import KNOWLEDGE_DIR, LANGUAGES, REQUIRED_IDS, Entry, Text, check_knowledge
from core.knowledge.search import KnowledgeBase, _Spellings
from core.knowledge.text import is_indonesian_word, words
from core.knowledge.views import HostDetails, entry_view
from core.yamlfile import read_yaml

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


def _made_up_words(rng: random.Random, count: int, first: str, lengths: tuple[int, int]) -> list[str]:
    letters = "aiueobdgklmnprstw"
    return sorted({first + "".join(rng.choices(letters, k=rng.randint(*lengths) - 1)) for _ in range(count)})


def test_the_letters_two_words_share_rule_out_only_words_too_far_apart() -> None:
    """_Spellings.sharing keeps exactly the words with at least `shared` of the word's letters (counted as often as
    both have them), in order: the filter that spares the typo correction a pass over a large vocabulary."""
    rng = random.Random(14)
    same_length = _made_up_words(rng, 600, "b", (7, 7))
    assert len(same_length) > 256  # enough to be filtered, not handed over whole
    spellings = _Spellings(same_length)
    for word in ["bantuan", "bersama", "baaaaaa", "bkltrsw", "b", "bersamamu", *rng.sample(same_length, 20)]:
        letters = collections.Counter(word)
        in_common = {w: sum((letters & collections.Counter(w)).values()) for w in same_length}
        for shared in range(0, 10):
            expected = [w for w in same_length if in_common[w] >= shared]
            assert spellings.sharing(letters, shared) == expected, (word, shared)


def test_typos_are_corrected_as_by_a_pass_over_the_whole_vocabulary(knowledge: KnowledgeBase) -> None:
    """However large the vocabulary, a word is corrected to the word a scan of every known word of its first letter
    would give (fuzz.ratio, the cutoff, the first in alphabetical order of the closest)."""
    rng = random.Random(5)
    made_up = [
        w for first in "bk" for w in _made_up_words(rng, 700, first, (6, 7))
    ]  # over 256 a first letter and length
    base = knowledge.entries["kawah-ijen"]
    details = dataclasses.replace(base.details, en=" ".join(made_up))  # English: Snowball stems them quickly
    extra = dataclasses.replace(base, id="made-up", details=details)
    index = KnowledgeBase({**knowledge.entries, "made-up": extra}, knowledge.lexicon, knowledge.areas)
    vocabulary = sorted(w for w in index._known_words if len(w) >= 3 and not w.isdigit())
    assert max(len(spellings.words) for spellings in index._spellings["b"].values()) > 256  # filtered, not whole

    def scanned(word: str) -> str:
        if len(word) < 3 or is_indonesian_word(word):
            return word
        same_start = [w for w in vocabulary if w[0] == word[0]]
        match = process.extractOne(word, same_start, scorer=fuzz.ratio, score_cutoff=85 if len(word) <= 4 else 80)
        return str(match[0]) if match else word

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word))
        change = rng.randrange(3)
        letter = rng.choice("aiueokmnst")
        return word[:i] + ("" if change == 0 else letter) + word[i + (change != 1) :]

    samples = rng.sample(made_up, 100) + rng.sample(vocabulary, 100)
    typos = {typo(w) for w in samples} | {"kawh", "ijn", "budgetting", "pelabuhn", "surabaya", "bxq"}
    for word in sorted(typos - index._known_words):
        assert index._correct(word) == scanned(word), word


def test_names_are_found_as_by_a_look_at_every_entry(knowledge: KnowledgeBase) -> None:
    """names_an_entry and places_of_named look only at the names that start with a word of the question; they find
    what a look at every entry's names finds."""
    questions = [case["q"] for name in ("faq_dev.yaml", "faq_chat.yaml") for case in read_yaml(_data(name))]
    for question in random.Random(3).sample(questions, 200):
        folded = " ".join(knowledge.lexicon.expand_slang(words(question)))
        padded = f" {folded} "
        named = [e for e in knowledge.entries.values() if any(f" {n} " in padded for n in knowledge._names[e.id])]
        keywords = {" ".join(words(k)) for e in named for lang in LANGUAGES for k in e.keywords[lang]}
        assert knowledge.names_an_entry(folded) == bool(named), question
        assert knowledge.places_of_named(folded) == keywords, question


def test_a_rebuild_from_stems_kept_indexes_as_a_fresh_one(knowledge: KnowledgeBase) -> None:
    fresh = KnowledgeBase(knowledge.entries, knowledge.lexicon, knowledge.areas, stems={})
    assert fresh._fields == knowledge._fields and fresh._df == knowledge._df
    assert fresh._known_words == knowledge._known_words


def _data(name: str) -> Path:
    return Path(__file__).resolve().parent / "data" / name


def _staff_answers(knowledge: KnowledgeBase) -> dict[str, Entry]:
    """Entries as staff answers are: new ids, each with names and text in words no reviewed entry has."""
    made_up = ["gumitir", "lamposari", "sukorame", "watukebo", "kedunggebang", "tamansuruh"]
    extra = {}
    for n, entry in enumerate(list(knowledge.entries.values())[:6]):
        word = made_up[n]
        name = Text(f"Pojok {word.title()} {entry.title.id}", f"{word.title()} corner {entry.title.en}")
        extra[f"staff-{n}"] = dataclasses.replace(
            entry,
            id=f"staff-{n}",
            title=name,
            aliases={"id": (f"layanan {word}",), "en": (f"{word} service",)},
            short=Text(f"{entry.short.id} Dikelola warga {word}.", f"{entry.short.en} Run by {word} residents."),
        )
    return extra


def test_an_index_given_more_entries_is_the_index_of_them_all(knowledge: KnowledgeBase) -> None:
    """with_entries (a staff answer saved) indexes only the new entries; the index is the one a build of every
    entry makes, and so are its answers, to the dev set and to questions about the new entries (typos too)."""
    extra = _staff_answers(knowledge)
    whole = KnowledgeBase({**knowledge.entries, **extra}, knowledge.lexicon, knowledge.areas)
    added = knowledge.with_entries(extra)

    def shape(index: KnowledgeBase) -> tuple[object, ...]:
        spellings = {(f, n): s.words for f, lengths in index._spellings.items() for n, s in lengths.items()}
        starts = {start: sorted(named) for start, named in index._names_by_start.items()}
        rows = index._db.execute("SELECT * FROM kb ORDER BY rowid").fetchall()
        return (index._fields, index._df, index._topic_terms, index._known_words, spellings, index._names, starts, rows)

    assert shape(added) == shape(whole)
    assert knowledge.entries.keys().isdisjoint(extra)  # the index it was made from is as it was
    with (Path(__file__).parent / "data" / "faq_dev.yaml").open(encoding="utf-8") as handle:
        questions = [str(case["q"]) for case in yaml.safe_load(handle)]
    questions += ["apa itu layanan gumitir?", "where is the watukebo corner", "pojok lamposri di mana", "sukorame"]
    for question in questions:
        assert added.search(question) == whole.search(question), question
    assert added.search("apa itu layanan gumitir?").entry == extra["staff-0"]
    with pytest.raises(ValueError, match="already indexed"):
        added.with_entries({"staff-0": extra["staff-0"]})
