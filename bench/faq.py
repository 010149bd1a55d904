"""Question answering quality and speed on the public development set, against a plain FTS5 baseline.

    .venv/bin/python bench/faq.py [--set tests/data/faq_dev.yaml] [--show-misses]

For delegasi and, in the same run over the same content, for a plain FTS5 index (unicode61, no
stemming, no synonyms, no typo tolerance, abstaining only when nothing matches), it prints top-1
accuracy on in-scope questions, the correct-abstention rate on out-of-scope ones, false answers
(an entry given where another or none was expected), and p50/p99 latency per question.
Targets: top-1 >= 95 %, correct abstention >= 90 %, p99 <= 20 ms, and clearly ahead of the baseline.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from core.content import Content
from core.knowledge import build_knowledge
from core.knowledge.entries import Entry
from core.knowledge.search import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "data" / "faq_dev.yaml"
TARGET_TOP1, TARGET_ABSTAIN, TARGET_P99_MS = 0.95, 0.90, 20.0


@dataclass(frozen=True)
class Case:
    question: str
    expect: str | None
    lang: str
    intent: str | None


@dataclass
class Result:
    name: str
    top1: float
    abstain: float
    false_answers: int
    p50_ms: float
    p99_ms: float
    misses: list[tuple[Case, str | None]]


def load_cases(path: Path) -> list[Case]:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return [Case(item["q"], item.get("expect"), item.get("lang", "id"), item.get("intent")) for item in raw]


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

    def search(self, question: str) -> str | None:
        tokens = re.findall(r"\w+", question.lower())
        if not tokens:
            return None
        query = " OR ".join(f'"{t}"' for t in tokens)
        row = self._db.execute("SELECT eid FROM kb WHERE kb MATCH ? ORDER BY rank LIMIT 1", (query,)).fetchone()
        return row[0] if row else None


def evaluate(name: str, answer: Callable[[str], str | None], cases: list[Case]) -> Result:
    for case in cases[:20]:  # warm caches (stemmer, fuzzy vocabulary) before timing
        answer(case.question)
    latencies: list[float] = []
    right = in_scope = abstained = out_of_scope = false_answers = 0
    misses: list[tuple[Case, str | None]] = []
    for case in cases:
        started = time.perf_counter()
        got = answer(case.question)
        latencies.append(time.perf_counter() - started)
        if case.expect is None:
            out_of_scope += 1
            abstained += got is None
            false_answers += got is not None
        else:
            in_scope += 1
            right += got == case.expect
            false_answers += got is not None and got != case.expect
        if got != case.expect:
            misses.append((case, got))
    ordered = sorted(latencies)
    return Result(
        name,
        top1=right / in_scope,
        abstain=abstained / out_of_scope if out_of_scope else 1.0,
        false_answers=false_answers,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))] * 1000,
        misses=misses,
    )


def line(result: Result, in_scope: int, out_of_scope: int) -> str:
    return (
        f"{result.name + ':':<10} top-1 {result.top1:6.1%} of {in_scope} in scope, "
        f"correct abstention {result.abstain:6.1%} of {out_of_scope} out of scope, "
        f"false answers {result.false_answers}, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="questions with expected entry ids")
    parser.add_argument("--show-misses", action="store_true", help="list every question answered wrongly")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    knowledge: KnowledgeBase = build_knowledge(theme_ids=frozenset(t.id for t in Content().themes))
    build_ms = (time.perf_counter() - started) * 1000
    cases = load_cases(args.set)
    in_scope = sum(c.expect is not None for c in cases)
    out_of_scope = len(cases) - in_scope
    print(
        f"{len(cases)} questions ({in_scope} in scope, {out_of_scope} out of scope), "
        f"{len(knowledge.entries)} entries, index built in {build_ms:.0f} ms"
    )

    def ours(question: str) -> str | None:
        found = knowledge.search(question).entry
        return found.id if found else None

    delegasi = evaluate("delegasi", ours, cases)
    baseline = evaluate("baseline", PlainFts5(knowledge.entries).search, cases)
    print(line(delegasi, in_scope, out_of_scope))
    print(line(baseline, in_scope, out_of_scope))
    verdicts = [
        ("top-1", delegasi.top1 >= TARGET_TOP1, f">= {TARGET_TOP1:.0%}"),
        ("abstention", delegasi.abstain >= TARGET_ABSTAIN, f">= {TARGET_ABSTAIN:.0%}"),
        ("p99", delegasi.p99_ms <= TARGET_P99_MS, f"<= {TARGET_P99_MS:.0f} ms"),
        ("ahead of baseline", delegasi.top1 > baseline.top1 and delegasi.abstain > baseline.abstain, "both"),
    ]
    print("targets: " + ", ".join(f"{name} {target} {'PASS' if ok else 'FAIL'}" for name, ok, target in verdicts))
    if args.show_misses:
        for case, got in delegasi.misses:
            print(f"  miss [{case.lang}] {case.question!r}: expected {case.expect}, got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
