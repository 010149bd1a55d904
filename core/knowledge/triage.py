"""Where a free-text question goes: small talk, not for this desk (another place, general knowledge), an entry of
the knowledge base, or the host's staff.

The search (core/knowledge/search.py) finds the entry; this decides what the desk does with everything else, so that
staff get only what staff can answer:
- small talk is answered in kind, never with an entry ("terima kasih" is not Rantang Kasih);
- a question about another place ("MPP di kota Surabaya", "cuaca di Bandung") is declined politely, even when the
  knowledge base has an entry of the same name: Banyuwangi's MPP is not Surabaya's. A place the asker comes from
  ("kami dari Cianjur"), one named in a sentence that only tells beside one that asks, or the other end of a route
  to something of the host's ("dari Surabaya ke Ijen") is no such question;
- an entry that answers is the answer, unless it is asked the way from a place it never mentions (its way is from
  town: staff know the road from Surabaya);
- a question the knowledge base cannot answer is declined as general knowledge when it has an off-topic cue
  ("resep", "world cup") or nothing at all to tie it to the visit or the host (no word of an entry, about the visit,
  of a kind of fact asked, or marking the asker's own visit); anything else goes to staff, as before.
The plan of the asker's own visit comes before all of this (core/plan_questions.py), since it needs the database.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from core.knowledge.places import Gazetteer, Mention, Place
from core.knowledge.search import Answer, KnowledgeBase
from core.knowledge.text import words

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_AGENCY_WORDS = 3  # "kami dari Dinas Kominfo …": the words after an introduction that name the asker's office
_INTRODUCTION_REACH = 8  # how far after an introduction the place of the asker is looked for


class Route(enum.StrEnum):
    SMALLTALK = "smalltalk"
    OTHER_PLACE = "other_place"
    GENERAL = "general"
    ANSWER = "answer"
    STAFF = "staff"

    @property
    def declined(self) -> bool:
        """Not for this desk: answered with what the bot can help with, and not sent to staff."""
        return self in (Route.OTHER_PLACE, Route.GENERAL)


@dataclass(frozen=True)
class Triage:
    route: Route
    answer: Answer
    place: Place | None = None  # the other place asked about (Route.OTHER_PLACE)


def triage(knowledge: KnowledgeBase, places: Gazetteer, question: str) -> Triage:
    """What the desk does with `question` (see the module's docstring for the order and why)."""
    folded = " ".join(knowledge.lexicon.expand_slang(words(question)))  # "dr bali" is "dari bali", an origin
    ignore, named = knowledge.own_place_phrases, knowledge.places_of_named(folded)  # one big set, one small
    mentions = _as_context(
        places.mentions(folded, ignore=ignore, also=named), _telling(knowledge, places, question, ignore, named)
    )
    answer = knowledge.search(question, context=_who_asks(places, folded, mentions))
    if answer.smalltalk is not None:
        return Triage(Route.SMALLTALK, answer)
    place = _other_place(knowledge, places, folded, answer, mentions)
    if place is not None:
        return Triage(Route.OTHER_PLACE, answer, place)
    if answer.entry is not None:
        if _route_from_elsewhere(answer, mentions):
            return Triage(Route.STAFF, answer)
        return Triage(Route.ANSWER, answer)
    about_the_visit = answer.about_visit or _marks_visit(knowledge, folded) or places.names_host(folded)
    if answer.off_topic and not about_the_visit:
        return Triage(Route.GENERAL, answer)
    if not (answer.topical or answer.intents or about_the_visit):
        return Triage(Route.GENERAL, answer)
    return Triage(Route.STAFF, answer)


def _telling(
    knowledge: KnowledgeBase, places: Gazetteer, question: str, ignore: frozenset[str], named: frozenset[str]
) -> set[str]:
    """The phrases of the places named in the sentences of a message that only tell ("We are a group of 35 from a
    regency in Sumatra, mostly from the health office."), when another sentence asks: context, like an origin."""
    sentences = [s for s in _SENTENCE.split(question) if s.strip()]
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    if len(sentences) < 2 or not asking:
        return set()
    telling: set[str] = set()
    for sentence in sentences:
        if sentence not in asking:
            folded = " ".join(knowledge.lexicon.expand_slang(words(sentence)))
            telling.update(m.phrase for m in places.mentions(folded, ignore=ignore, also=named))
    return telling


def _as_context(mentions: list[Mention], telling: set[str]) -> list[Mention]:
    return [replace(m, origin=True) if m.phrase in telling else m for m in mentions]


def _who_asks(places: Gazetteer, folded: str, mentions: list[Mention]) -> frozenset[str]:
    """The words that say who is asking, not what: where they come from, and the office they introduce themselves
    with ("kami dari Dinas Kominfo Kabupaten Lombok Timur": up to the place, or the three words after the
    introduction when no place follows)."""
    tokens = folded.split()
    said = {word for m in mentions if m.origin for word in m.phrase.split()}
    origins = [m.phrase.split() for m in mentions if m.origin]
    for start in range(len(tokens)):
        for intro in places.introductions:
            size = intro.count(" ") + 1
            if tokens[start : start + size] != intro.split():
                continue
            end = start + size + _AGENCY_WORDS
            for phrase in origins:
                for i in range(start + size, min(len(tokens), start + size + _INTRODUCTION_REACH)):
                    if tokens[i : i + len(phrase)] == phrase:
                        end = max(end, i + len(phrase))
            said.update(tokens[start:end])
    return frozenset(said)


def _other_place(
    knowledge: KnowledgeBase, places: Gazetteer, folded: str, answer: Answer, mentions: list[Mention]
) -> Place | None:
    """The place other than the host that the question is about, if any.

    Where the asker comes from is context, not the topic; so is either end of a route to something of the host's
    ("dari Surabaya ke Ijen berapa jam?"; but "from Malang to Bromo" is all elsewhere), and so is a place named
    beside the host ("MPP Banyuwangi dan MPP Surabaya bedanya apa?")."""
    if places.names_host(folded) or ("directions" in answer.intents and knowledge.names_an_entry(folded)):
        return None
    for mention in mentions:
        if not mention.origin:
            return mention.place
    return None


def _route_from_elsewhere(answer: Answer, mentions: list[Mention]) -> bool:
    """A way there from a place the entry never mentions ("How far is Ijen from Surabaya?"): the entry's way is
    from town, which answers another question; the committee knows the road from Surabaya."""
    if "directions" not in answer.intents or answer.entry is None or not mentions:
        return False
    entry = answer.entry
    texts = " ".join(t.id + " " + t.en for t in (entry.getting_there, entry.where, entry.details, entry.short) if t)
    said = f" {' '.join(words(texts))} "
    return any(f" {m.phrase} " not in said and f" {fold_name(m.place.name)} " not in said for m in mentions)


def fold_name(name: str) -> str:
    return " ".join(words(name))


def _marks_visit(knowledge: KnowledgeBase, folded: str) -> bool:
    padded = f" {folded} "
    return any(f" {marker} " in padded for marker in knowledge.lexicon.visit_markers)
