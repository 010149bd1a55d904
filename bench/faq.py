"""Question answering quality and speed: every evaluation set, the plan questions, and a plain FTS5 baseline, in
one run.

    .venv/bin/python bench/faq.py [--set FILE ...] [--show-misses]
    .venv/bin/python bench/faq.py --scale 1 10 100      # the knowledge base at 10 and 100 times its size (minutes)

The sets (tests/data/): faq_dev.yaml is the development set the search was built against; faq_chat.yaml was
written later, blind, from the users' side (chat spellings, mixed languages, long messages, a third out of scope)
and is kept apart from it: it measures, it is not tuned to. Any other file in the same format can be given with
--set (a held-out set, for instance); --set replaces the default sets.

For each set, delegasi answers as the bot does for a participant of the seeded visit (small talk, then their
plan by core/plan_questions.py, then core/knowledge/triage.py: other places, general knowledge, an entry, or
staff); the baseline is a plain
FTS5 index over the same content (unicode61, no stemming, synonyms or typo tolerance, abstaining only when nothing
matches). Printed per set: top-1 accuracy on in-scope questions, correct abstention on the rest, false answers (an
entry given where another or none was expected), how many small-talk and other-place questions got an entry (the
target is none), where the questions that got no entry went (for a set that says why: declined, staff, small talk,
plan), and p50/p99 latency per question. Then the plan questions (tests/data/faq_plan.yaml) on the seeded delegation
of tests/data/plan_seed.yaml: the share answered with exactly the expected items.

Targets, on each set: top-1 >= 95 %, correct abstention >= 95 %, no small-talk or other-place question answered
with an entry, p99 <= 20 ms.

--scale N instead asks the sets of a knowledge base N times as large: the real entries and N - 1 made-up copies of
each, every word but the stop words and numbers replaced by a made-up word (syllables, seeded) that no other entry
has, of the same length. Printed per scale: how long the index takes to build in a new process (every word stemmed)
and to take a staff answer (the new entry indexed into a copy), and per set the same line as above; the targets at
10 and 100 times: p99 <= 10 ms, and at 100 times each build in <= 3 s. Quality at scale is not a target (a made-up
entry that answers, or a question's word read as a typo of a made-up one, is a false answer).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bot.app import settle_start_up  # noqa: E402
from core.content import Content  # noqa: E402
from core.knowledge import build_knowledge  # noqa: E402
from core.knowledge.entries import Entry, SeasonalTip, Text  # noqa: E402
from core.knowledge.places import Gazetteer  # noqa: E402
from core.knowledge.search import KnowledgeBase  # noqa: E402
from core.knowledge.text import Lexicon, stem, words  # noqa: E402
from core.knowledge.triage import Route, triage  # noqa: E402
from core.plan_cues import PlanCues  # noqa: E402
from core.plan_questions import match_delegation, read, select  # noqa: E402
from core.venues import VenueCatalog  # noqa: E402
from tests.plan_seed import Seed, load_seed  # noqa: E402

DATA = ROOT / "tests" / "data"
DEFAULT_SETS = (DATA / "faq_dev.yaml", DATA / "faq_chat.yaml")
PLAN_SET = DATA / "faq_plan.yaml"
TARGET_TOP1, TARGET_ABSTAIN, TARGET_P99_MS = 0.95, 0.95, 20.0
NEVER_ANSWERED = ("smalltalk", "other_place")  # why a null is expected, for questions that must never get an entry
TZ = ZoneInfo("Asia/Jakarta")  # the host's zone (WIB), as the bot's settings have it


@dataclass(frozen=True)
class Case:
    question: str
    expect: str | None
    lang: str
    why: str | None  # for an expected null: smalltalk | other_place | general | staff | plan (None: not said)


@dataclass(frozen=True)
class Outcome:
    entry: str | None
    route: str  # where the question went: answer | smalltalk | other_place | general | staff | plan


@dataclass
class Result:
    name: str
    top1: float
    abstain: float
    false_answers: int
    never_answered_broken: int  # small-talk and other-place questions given an entry
    p50_ms: float
    p99_ms: float
    misses: list[tuple[Case, Outcome]]
    routes: dict[str, Counter[str]] = field(default_factory=dict)  # why expected → where it went


def load_cases(path: Path) -> list[Case]:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return [Case(item["q"], item.get("expect"), item.get("lang", "id"), item.get("why")) for item in raw]


class PlainFts5:
    """The baseline: every text of an entry in one FTS5 column, default tokenizer, words OR-ed together."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE kb USING fts5(eid UNINDEXED, body, tokenize = 'unicode61')")
        for entry in entries.values():
            texts = [entry.title.id, entry.title.en, entry.short.id, entry.short.en, entry.details.id, entry.details.en]
            for lang in ("id", "en"):
                texts += [*entry.aliases[lang], *entry.keywords[lang], *entry.tips.get(lang, ())]
            texts += [t.id + " " + t.en for t in (entry.where, entry.hours, entry.getting_there, entry.cost) if t]
            self._db.execute("INSERT INTO kb VALUES (?, ?)", (entry.id, " ".join(texts)))

    def search(self, question: str) -> Outcome:
        tokens = re.findall(r"\w+", question.lower())
        if not tokens:
            return Outcome(None, "staff")
        query = " OR ".join(f'"{t}"' for t in tokens)
        row = self._db.execute("SELECT eid FROM kb WHERE kb MATCH ? ORDER BY rank LIMIT 1", (query,)).fetchone()
        return Outcome(row[0], "answer") if row else Outcome(None, "staff")


class Delegasi:
    """The bot's pipeline for a question from a participant of the seeded visit (tests/data/plan_seed.yaml, its
    plan published): small talk first, then a question about their own plan is answered from it, and anything
    else goes through the triage — as handlers/asking.py does."""

    def __init__(self, knowledge: KnowledgeBase, places: Gazetteer, cues: PlanCues, seed: Seed) -> None:
        self.knowledge, self.places, self.cues, self.seed = knowledge, places, cues, seed
        self.venues = cues_venues = VenueCatalog()
        self._select = lambda q: select(q, seed.plan, now=seed.now, tz=TZ, venues=cues_venues, cues=cues)

    def answer(self, question: str) -> Outcome:
        verdict = triage(self.knowledge, self.places, question)
        if verdict.route is Route.SMALLTALK:
            return Outcome(None, "smalltalk")
        planned = read(question, self.cues)
        if planned is not None and self._select(planned).understood:
            return Outcome(None, "plan")
        entry = verdict.answer.entry if verdict.route is Route.ANSWER else None
        return Outcome(entry.id if entry else None, verdict.route.value)


@dataclass
class PlanResult:
    total: int
    right: int
    p99_ms: float
    misses: list[tuple[str, object, object]]


def evaluate_plan_set(path: Path, cues: PlanCues, seed: Seed) -> PlanResult:
    """Each plan question as core/plan_lookup.py reads it for its asker: the seeded visit's participant, host staff
    naming the delegation, someone in no visit, or a member of a visit not published yet."""
    with path.open(encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    venues = VenueCatalog()
    delegation: Any = seed.delegation  # matched by its institution's words, as a stored one is

    def got(case: dict[str, Any]) -> object:
        question, role = case["q"], case.get("role", "participant")
        planned = read(question, cues)
        if role == "staff":
            about = planned or read(question, cues, visit_named=True)
            if about is None or match_delegation(about, [delegation], cues) is None:
                return "not_plan"
            planned = about.about(delegation)
        if planned is None:
            return "not_plan"
        if role in ("none", "unpublished"):
            return {"none": "no_visit", "unpublished": "not_published"}[role] if planned.understood else "not_plan"
        selection = select(planned, seed.plan, now=seed.now, tz=TZ, venues=venues, cues=cues)
        return sorted(seed.keys(selection.items)) if selection.understood else "not_plan"

    right, latencies, misses = 0, [], []
    for case in cases:
        started = time.perf_counter()
        answer = got(case)
        latencies.append(time.perf_counter() - started)
        expected = case["expect"]
        expected = sorted(expected) if isinstance(expected, list) else expected
        if answer == expected:
            right += 1
        else:
            misses.append((case["q"], expected, answer))
    ordered = sorted(latencies)
    return PlanResult(len(cases), right, ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))] * 1000, misses)


def evaluate(name: str, answer: Callable[[str], Outcome], cases: list[Case]) -> Result:
    for case in cases[:20]:  # warm caches (stemmer, fuzzy vocabulary) before timing
        answer(case.question)
    latencies: list[float] = []
    right = in_scope = abstained = out_of_scope = false_answers = broken = 0
    misses: list[tuple[Case, Outcome]] = []
    routes: dict[str, Counter[str]] = {}
    for case in cases:
        started = time.perf_counter()
        got = answer(case.question)
        latencies.append(time.perf_counter() - started)
        if case.expect is None:
            out_of_scope += 1
            abstained += got.entry is None
            false_answers += got.entry is not None
            broken += got.entry is not None and case.why in NEVER_ANSWERED
            if case.why:
                routes.setdefault(case.why, Counter())[got.route] += 1
        else:
            in_scope += 1
            right += got.entry == case.expect
            false_answers += got.entry is not None and got.entry != case.expect
        if got.entry != case.expect:
            misses.append((case, got))
    ordered = sorted(latencies)
    return Result(
        name,
        top1=right / in_scope if in_scope else 1.0,
        abstain=abstained / out_of_scope if out_of_scope else 1.0,
        false_answers=false_answers,
        never_answered_broken=broken,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))] * 1000,
        misses=misses,
        routes=routes,
    )


def line(result: Result, in_scope: int, out_of_scope: int) -> str:
    return (
        f"  {result.name + ':':<10} top-1 {result.top1:6.1%} of {in_scope} in scope, "
        f"correct abstention {result.abstain:6.1%} of {out_of_scope} out of scope, "
        f"false answers {result.false_answers}, small talk/other place answered {result.never_answered_broken}, "
        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
    )


def routes_line(result: Result) -> str:
    parts = []
    for why, went in sorted(result.routes.items()):
        total = sum(went.values())
        where = ", ".join(f"{route} {count}" for route, count in went.most_common())
        parts.append(f"{why} ({total}) → {where}")
    return "  where the nulls went: " + "; ".join(parts)


def run_set(path: Path, delegasi: Delegasi, baseline: PlainFts5, show_misses: bool) -> bool:
    cases = load_cases(path)
    in_scope = sum(c.expect is not None for c in cases)
    out_of_scope = len(cases) - in_scope
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(cases)} questions")
    ours = evaluate("delegasi", delegasi.answer, cases)
    theirs = evaluate("baseline", baseline.search, cases)
    print(line(ours, in_scope, out_of_scope))
    print(line(theirs, in_scope, out_of_scope))
    if ours.routes:
        print(routes_line(ours))
    verdicts = [
        ("top-1", ours.top1 >= TARGET_TOP1, f">= {TARGET_TOP1:.0%}"),
        ("abstention", ours.abstain >= TARGET_ABSTAIN, f">= {TARGET_ABSTAIN:.0%}"),
        ("small talk/other place answered", ours.never_answered_broken == 0, "none"),
        ("p99", ours.p99_ms <= TARGET_P99_MS, f"<= {TARGET_P99_MS:.0f} ms"),
        ("ahead of baseline", ours.top1 > theirs.top1 and ours.abstain > theirs.abstain, "both"),
    ]
    print("  targets: " + ", ".join(f"{name} {target} {'PASS' if ok else 'FAIL'}" for name, ok, target in verdicts))
    if show_misses:
        for case, got in ours.misses:
            print(
                f"    miss [{case.lang}] {case.question!r}: "
                f"expected {case.expect or case.why}, got {got.entry or got.route}"
            )
    return all(ok for _, ok, _ in verdicts)


# --- the knowledge base at N times its size --------------------------------------------------------------------

_ELONGATED = re.compile(r"([a-z])\1{2,}")  # words() reads "aaa" as "a": no made-up word has one
_RAW_WORD = re.compile(
    r"\w+(?:['’\-]\w+)*"
)  # a word as written, hyphens and apostrophes inside it (words() joins them)
_ONSETS = ("b", "c", "d", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "y", "ng", "ny", "")
_VOWELS = "aiueo"
_CODAS = ("", "", "", "", "n", "r", "s", "k", "l", "ng", "t", "h")
_SYLLABLES = tuple(onset + vowel + coda for onset in _ONSETS for vowel in _VOWELS for coda in _CODAS)
SCALE_SEED = 14
TARGET_SCALE_P99_MS, TARGET_SCALE_BUILD_S = 10.0, 3.0


class PseudoWords:
    """Made-up words of Indonesian-looking syllables, deterministic for a seed, each given once and none a word of
    `taken` (the real content, the lexicon, the places, the questions)."""

    def __init__(self, seed: int, taken: set[str]) -> None:
        self._random = random.Random(seed)
        self._taken = taken

    def new(self, length: int) -> str:
        length, tries = max(length, 2), 0
        while True:
            word = "".join(self._random.choices(_SYLLABLES, k=length))[:length]  # a syllable has a letter or more
            if word not in self._taken and not _ELONGATED.search(word):
                self._taken.add(word)
                return word
            tries += 1
            if tries % 20 == 0:  # the short lengths run out: a word one letter longer
                length += 1


def synthetic_entries(entries: dict[str, Entry], copies: int, taken: set[str], lexicon: Lexicon) -> dict[str, Entry]:
    """`copies` made-up entries per real one ("kawah-ijen-x1" …), copy by copy: the same kind, parts and lengths of
    text, every word but the stop words and numbers replaced by a made-up word of the same length that no other
    entry has (one made-up word per real word within an entry, so its names recur in its texts as the real entry's
    do). The first copies are the same whatever `copies` is, so a smaller scale is a part of a larger one."""
    pseudo = PseudoWords(SCALE_SEED, taken)
    templates: dict[str, list[tuple[str, list[str]]]] = {}
    made: dict[str, Entry] = {}
    for copy in range(1, copies + 1):
        for entry in entries.values():
            twin = _twin(entry, f"{entry.id}-x{copy}", pseudo, lexicon, templates)
            made[twin.id] = twin
    return made


def _template(text: str) -> list[tuple[str, list[str]]]:
    """A text as (what stands before a word as written, the folded words of it) pairs, then ("rest", [])."""
    parts, end = [], 0
    for match in _RAW_WORD.finditer(text):
        parts.append((text[end : match.start()], words(match.group())))
        end = match.end()
    parts.append((text[end:], []))
    return parts


def _twin(
    entry: Entry,
    twin_id: str,
    pseudo: PseudoWords,
    lexicon: Lexicon,
    templates: dict[str, list[tuple[str, list[str]]]],
) -> Entry:
    own: dict[str, str] = {}

    def word_of(word: str) -> str:
        if word.isdigit() or lexicon.is_stopword(word):
            return word
        if word not in own:
            own[word] = pseudo.new(len(word))
        return own[word]

    def swap(text: str) -> str:
        if text not in templates:
            templates[text] = _template(text)
        return "".join(before + " ".join(map(word_of, folded)) for before, folded in templates[text])

    def bilingual(text: Text) -> Text:
        return Text(swap(text.id), swap(text.en))

    def per_language(phrases: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {lang: tuple(swap(p) for p in phrases.get(lang, ())) for lang in ("id", "en")}

    return dataclasses.replace(
        entry,
        id=twin_id,
        title=bilingual(entry.title),
        aliases=per_language(entry.aliases),
        keywords=per_language(entry.keywords),
        short=bilingual(entry.short),
        details=bilingual(entry.details),
        where=bilingual(entry.where) if entry.where else None,
        hours=bilingual(entry.hours) if entry.hours else None,
        getting_there=bilingual(entry.getting_there) if entry.getting_there else None,
        cost=bilingual(entry.cost) if entry.cost else None,
        tips=per_language(entry.tips),
        seasonal_tips=tuple(SeasonalTip(t.months, bilingual(t.text)) for t in entry.seasonal_tips),
        related=(),
    )


def entry_texts(entry: Entry) -> list[str]:
    texts = [entry.title.id, entry.title.en, entry.short.id, entry.short.en, entry.details.id, entry.details.en]
    for lang in ("id", "en"):
        texts += [*entry.aliases.get(lang, ()), *entry.keywords.get(lang, ()), *entry.every_tip(lang)]
    texts += [t.id + " " + t.en for t in (entry.where, entry.hours, entry.getting_there, entry.cost) if t]
    return texts


def words_in_use(knowledge: KnowledgeBase, places: Gazetteer, question_sets: Iterable[Path]) -> set[str]:
    """Every word a made-up one must not be: the content's, the lexicon's, the places', the questions'."""
    lexicon = knowledge.lexicon
    texts = [t for entry in knowledge.entries.values() for t in entry_texts(entry)]
    texts += [*lexicon.stopwords["id"], *lexicon.stopwords["en"], *lexicon.slang, *lexicon.slang.values()]
    texts += [w for group in lexicon.synonym_groups for w in group]
    texts += [c for cues in lexicon.intents.values() for phrases in cues.values() for c in phrases]
    texts += [p for phrases in lexicon.smalltalk.values() for p in phrases]
    texts += [*lexicon.visit_words, *lexicon.visit_markers, *lexicon.off_topic]
    texts += [*places.phrases, *places.before, *places.after, *places.locatives, *places.origins, *places.introductions]
    for path in question_sets:
        with path.open(encoding="utf-8") as handle:
            texts += [str(item["q"]) for item in yaml.safe_load(handle)]
    return {w for text in texts for w in words(text)}


def run_scales(
    scales: list[int], knowledge: KnowledgeBase, places: Gazetteer, cues: PlanCues, seed: Seed, sets: list[Path]
) -> None:
    """The question sets against the real entries plus N - 1 made-up copies of each (synthetic_entries): how long
    the index takes to build, and p50/p99 per question; quality is printed too, though not a target here (a made-up
    entry answering a real question is a false answer, and so is a word of the question read as a typo of one).

    The index is built as a new process does, stemming every word (Sastrawi is asked only about words it could
    shorten: core/knowledge/affixes.py), then given a staff answer as the bot does when one is saved
    (KnowledgeBase.with_entries: the new entry indexed into a copy); the questions are asked of that one. For
    comparison, the old way of a rebuild (every entry indexed again, the stems kept) is timed too."""
    started = time.perf_counter()
    taken = words_in_use(knowledge, places, [*sets, PLAN_SET])
    real_words = len(taken)
    made = synthetic_entries(knowledge.entries, max(scales), taken, knowledge.lexicon)  # one copy more: the staff's
    made_s = time.perf_counter() - started
    print(
        f"made-up entries: {len(made)} ({max(scales)} per real entry, {len(taken) - real_words} made-up words) "
        f"in {made_s:.1f} s"
    )
    first = next(iter(knowledge.entries))
    for scale in scales:
        entries = dict(knowledge.entries)
        entries.update((eid, e) for eid, e in made.items() if int(eid.rsplit("-x", 1)[1]) < scale)
        stems: dict[str, dict[str, str]] = {}
        stem.cache_clear()  # as in a new process: no word stemmed yet
        started = time.perf_counter()
        built = KnowledgeBase(entries, knowledge.lexicon, knowledge.areas, stems=stems)
        new_s = time.perf_counter() - started
        staff_answer = dataclasses.replace(made[f"{first}-x{scale}"], id="staff-1")  # words of its own, as the rest
        started = time.perf_counter()
        index = built.with_entries({staff_answer.id: staff_answer})
        saved_s = time.perf_counter() - started
        started = time.perf_counter()
        KnowledgeBase({**entries, staff_answer.id: staff_answer}, knowledge.lexicon, knowledge.areas, stems=stems)
        again_s = time.perf_counter() - started
        print(
            f"scale {scale}: {len(entries)} entries, {sum(map(len, stems.values()))} words stemmed; index built in "
            f"{new_s:.2f} s by a new process, given a staff answer in {saved_s:.3f} s (all indexed again, the "
            f"old way: {again_s:.2f} s)"
        )
        del built
        settle_start_up()  # what a running bot's index is: built before it settled (gc.freeze), or few objects more
        delegasi = Delegasi(index, places, cues, seed)
        verdicts = []
        if scale >= 100:
            verdicts += [
                ("build by a new process", new_s <= TARGET_SCALE_BUILD_S, f"<= {TARGET_SCALE_BUILD_S:.0f} s"),
                ("a staff answer saved", saved_s <= TARGET_SCALE_BUILD_S, f"<= {TARGET_SCALE_BUILD_S:.0f} s"),
            ]
        for path in sets:
            cases = load_cases(path)
            in_scope = sum(c.expect is not None for c in cases)
            ours = evaluate("delegasi", delegasi.answer, cases)
            print(f"  {path.name}: " + line(ours, in_scope, len(cases) - in_scope).strip().removeprefix("delegasi: "))
            verdicts.append(
                (f"p99 {path.name}", ours.p99_ms <= TARGET_SCALE_P99_MS, f"<= {TARGET_SCALE_P99_MS:.0f} ms")
            )
        gc.unfreeze()
        if scale >= 10:
            print(
                "  targets: "
                + ", ".join(f"{name} {target} {'PASS' if ok else 'FAIL'}" for name, ok, target in verdicts)
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--set", type=Path, action="append", help="a question set (repeatable; default: dev and chat)")
    parser.add_argument("--show-misses", action="store_true", help="list every question answered wrongly")
    parser.add_argument(
        "--scale",
        type=int,
        nargs="+",
        action="extend",
        metavar="N",
        help="instead: the sets against the knowledge base at N times its size (made-up entries), e.g. 1 10 100",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    knowledge = build_knowledge(theme_ids=frozenset(t.id for t in Content().themes))
    places = Gazetteer.load()
    cues = PlanCues.load(VenueCatalog())
    build_ms = (time.perf_counter() - started) * 1000
    print(f"{len(knowledge.entries)} entries, index built in {build_ms:.0f} ms")
    seed = load_seed()
    if args.scale:
        run_scales(sorted(set(args.scale)), knowledge, places, cues, seed, args.set or list(DEFAULT_SETS))
        return 0
    delegasi = Delegasi(knowledge, places, cues, seed)
    baseline = PlainFts5(knowledge.entries)
    for path in args.set or DEFAULT_SETS:
        run_set(path, delegasi, baseline, args.show_misses)
    if not args.set:
        plan = evaluate_plan_set(PLAN_SET, cues, seed)
        print(f"{PLAN_SET.relative_to(ROOT)}: {plan.total} questions on the seeded plan")
        print(
            f"  delegasi:  {plan.right / plan.total:6.1%} answered with exactly the expected items, "
            f"p99 {plan.p99_ms:.2f} ms"
        )
        if args.show_misses:
            for question, expected, got in plan.misses:
                print(f"    miss {question!r}: expected {expected}, got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
