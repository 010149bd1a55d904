"""`python -m bot ask`: the knowledge base answering from the terminal, one question or a batch from stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

from bot.config import Settings
from core.content import Content
from core.knowledge import build_knowledge
from core.knowledge.places import Gazetteer
from core.knowledge.search import KnowledgeBase
from core.knowledge.triage import Route, triage
from core.knowledge.views import HostDetails, plain_answer


def answer_record(
    knowledge: KnowledgeBase, places: Gazetteer, host: HostDetails, question: str, language: str | None
) -> dict[str, object]:
    """The JSON shape of one answer: question, entry_id (null when abstaining), score, intent, answer, and route
    (where the bot sends it: answer, smalltalk, other_place, general or staff; the visit's own plan is not
    consulted here, there is no visit at the terminal)."""
    verdict = triage(knowledge, places, question)
    result = verdict.answer
    entry = result.entry if verdict.route is Route.ANSWER else None
    locale = language or knowledge.lexicon.guess_language(question)
    return {
        "question": question,
        "entry_id": entry.id if entry else None,
        "score": result.score,
        "intent": result.intent,
        "answer": plain_answer(entry, result.intents, locale, host) if entry else None,
        "route": verdict.route.value,
    }


_NO_ANSWER = {
    Route.STAFF.value: "would be passed to host staff",
    Route.SMALLTALK.value: "small talk, answered in kind",
    Route.OTHER_PLACE.value: "about another place, declined and not passed to staff",
    Route.GENERAL.value: "general knowledge, declined and not passed to staff",
}
TERMINAL_HINT = "type a question and press Enter for its answer, one a line; Ctrl-D ends"


def _questions(arguments: list[str]) -> list[str]:
    """`ask "apa itu MPP" "where is Ijen"` is two questions; `ask apa itu MPP` (no quotes) is one."""
    if any(" " in argument.strip() for argument in arguments):
        return [a.strip() for a in arguments if a.strip()]
    return [" ".join(arguments)]


def run_ask(
    settings: Settings,
    questions: list[str],
    *,
    as_json: bool,
    language: str | None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    knowledge = build_knowledge(theme_ids=frozenset(t.id for t in Content().themes))
    places = Gazetteer.load()
    host = HostDetails(settings.host_name, settings.host_contact)
    stdin = stdin or sys.stdin
    if not questions and stdin.isatty():  # a person, not a pipe: say what the silence waits for
        print(TERMINAL_HINT, file=sys.stderr)
    batch: Iterable[str] = _questions(questions) if questions else (line.strip() for line in stdin)
    for question in batch:
        if not question:
            continue
        record = answer_record(knowledge, places, host, question, language)
        if as_json:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif record["entry_id"] is None:
            out.write(f"? {question}\n  (no answer: {_NO_ANSWER[str(record['route'])]})\n")
        else:
            out.write(
                f"? {question}\n  [{record['entry_id']} · {record['intent']} · {record['score']}] {record['answer']}\n"
            )
        out.flush()
    return 0
