"""Answering a question from the knowledge base: SQLite FTS5 with bm25 over both languages, then a check
of how much of the question the best entry really covers, so the bot can say "I don't know yet".

The pipeline, each step general rather than tuned to particular questions:
1. fold and split the question, expand chat spellings ("gmn" → "bagaimana"), drop stop words;
2. correct words the knowledge base does not contain to the closest word it does (rapidfuzz),
   so "kawah ijn" finds "ijen";
3. add synonyms ("beach" ↔ "pantai") and stem each word for Indonesian (Sastrawi) and English (Snowball);
4. rank entries with FTS5's bm25, names weighing more than keywords, keywords more than text;
5. score the best few by coverage: the share of the question's words (weighted by rarity) that an
   entry contains, with a bonus when one of its names appears in the question; abstain below a threshold;
6. read the intent (what / where / when / directions / cost) from cue words, to pick the part to answer with.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from core.knowledge.entries import Area, Entry
from core.knowledge.text import Lexicon, fold, is_indonesian_word, stem, words

INTENT_PARTS = {
    "where": ("where", "getting_there"),
    "when": ("hours",),
    "directions": ("getting_there", "where"),
    "cost": ("cost",),
}
ANSWER_THRESHOLD = 0.55
_FIELD_WEIGHT = {"names": 1.0, "keys": 0.8, "body": 0.55}
_CUE_WEIGHT = 0.3
_GENERIC_WEIGHT = 0.4
_PROPER_NOUN_WEIGHT = 3.0
_UNKNOWN_WEIGHT = 1.3
_FIT_BONUS = 0.05
_COLUMNS = ("names_id", "names_en", "keys_id", "keys_en", "body_id", "body_en")


@dataclass(frozen=True)
class Answer:
    """What the search concluded. `entry` is None when it abstains; `alternatives` are the next closest."""

    question: str
    entry: Entry | None
    score: float
    intent: str
    alternatives: tuple[Entry, ...] = ()
    smalltalk: bool = False


@dataclass(frozen=True)
class _Token:
    """One word of the question with every stem that counts as a match for it."""

    word: str
    stems: frozenset[str]
    cue: bool
    known: bool  # the knowledge base uses this word (or a near spelling of it)
    topic: bool  # some entry has it among its names or keywords
    proper_noun: bool  # written with a capital inside the sentence ("Surabaya", "ATM")


class KnowledgeBase:
    def __init__(self, entries: dict[str, Entry], lexicon: Lexicon, areas: tuple[Area, ...] = ()) -> None:
        self.entries = entries
        self.lexicon = lexicon
        self.areas = areas
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            f"CREATE VIRTUAL TABLE kb USING fts5(eid UNINDEXED, {', '.join(_COLUMNS)}, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        self._fields: dict[str, dict[str, frozenset[str]]] = {}
        self._df: dict[str, int] = {}
        self._topic_terms: set[str] = set()  # words that name or describe some entry, not just appear in a text
        vocabulary: set[str] = set()
        for entry in entries.values():
            columns = self._columns(entry)
            self._db.execute(
                f"INSERT INTO kb (eid, {', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry.id, *(" ".join(columns[c]) for c in _COLUMNS)),
            )
            fields = {
                field: frozenset(columns[f"{field}_id"]) | frozenset(columns[f"{field}_en"])
                for field in ("names", "keys", "body")
            }
            self._fields[entry.id] = fields
            for term in frozenset().union(*fields.values()):
                self._df[term] = self._df.get(term, 0) + 1
            self._topic_terms.update(fields["names"] | fields["keys"])
            vocabulary.update(words(" ".join(self._texts(entry))))
        self._vocabulary = sorted(w for w in vocabulary if len(w) >= 3 and not w.isdigit())
        self._known_words = frozenset(vocabulary)
        self._names = {entry.id: self._name_phrases(entry) for entry in entries.values()}
        self._synonyms = {word: group for group in lexicon.synonym_groups for word in group}
        self._cue_words = frozenset(
            word
            for cues in lexicon.intents.values()
            for phrases in cues.values()
            for p in phrases
            for word in p.split()
        )
        self._smalltalk = sorted((fold(p) for p in lexicon.smalltalk), key=len, reverse=True)

    # --- building ----------------------------------------------------------------------------

    @staticmethod
    def _texts(entry: Entry) -> list[str]:
        parts = [entry.title.id, entry.title.en, entry.short.id, entry.short.en, entry.details.id, entry.details.en]
        for lang in ("id", "en"):
            parts += [*entry.aliases[lang], *entry.keywords[lang], *entry.every_tip(lang)]
        for name in ("where", "hours", "getting_there", "cost"):
            text = entry.part(name)
            if text:
                parts += [text.id, text.en]
        return parts

    @staticmethod
    def _columns(entry: Entry) -> dict[str, list[str]]:
        names = [entry.title.id, entry.title.en, *entry.aliases["id"], *entry.aliases["en"]]
        columns: dict[str, list[str]] = {}
        for lang in ("id", "en"):
            body = [entry.short.in_(lang), entry.details.in_(lang), *entry.every_tip(lang)]
            body += [t.in_(lang) for t in (entry.where, entry.hours, entry.getting_there, entry.cost) if t]
            columns[f"names_{lang}"] = [stem(w, lang) for w in words(" ".join(names))]
            columns[f"keys_{lang}"] = [stem(w, lang) for w in words(" ".join(entry.keywords[lang]))]
            columns[f"body_{lang}"] = [stem(w, lang) for w in words(" ".join(body))]
        return columns

    @staticmethod
    def _name_phrases(entry: Entry) -> list[str]:
        """The entry's names as folded phrases, for spotting them whole in a question."""
        names = {entry.title.id, entry.title.en, *entry.aliases["id"], *entry.aliases["en"]}
        phrases = set()
        for name in names:
            phrase = " ".join(words(re.sub(r"\(.*?\)", " ", name)))
            if len(phrase) >= 3:
                phrases.add(phrase)
            short = re.findall(r"\(([^)]+)\)", name)  # "Mal Pelayanan Publik (MPP)" also answers to "MPP"
            phrases.update(" ".join(words(s)) for s in short if len(s) >= 3)
        return sorted(phrases, key=len, reverse=True)

    # --- answering ---------------------------------------------------------------------------

    def search(self, question: str, limit: int = 8) -> Answer:
        folded = " ".join(words(question))
        intent = self.intent_of(folded)
        if self._is_smalltalk(folded):
            return Answer(question, None, 0.0, intent, smalltalk=True)
        tokens = self._tokens(folded, proper_nouns=_proper_nouns(question))
        if not tokens:
            return Answer(question, None, 0.0, intent)
        candidates = self._candidates(tokens, limit)
        scored = sorted(
            (
                (self._confidence(eid, tokens, folded) + self._fit(eid, intent), -rank, eid)
                for rank, eid in enumerate(candidates)
            ),
            reverse=True,
        )
        if not scored:
            return Answer(question, None, 0.0, intent)
        best_score, _, best_id = scored[0]
        others = tuple(self.entries[eid] for score, _, eid in scored[1:3] if score > 0.2)
        # The price of a place nobody wrote down is a question for the committee, not for the place's other
        # facts (a programme has no ticket: "is it free?" is answered by what the programme is).
        best = self.entries[best_id]
        unanswerable = intent == "cost" and best.cost is None and best.kind != "innovation"
        if best_score < ANSWER_THRESHOLD or unanswerable:
            closest = tuple(self.entries[eid] for score, _, eid in scored[:2] if score > 0.2)
            return Answer(question, None, round(min(best_score, 1.0), 3), intent, closest)
        return Answer(question, self.entries[best_id], round(min(best_score, 1.0), 3), intent, others)

    def intent_of(self, folded_question: str) -> str:
        """The cue that matches the longest stretch of the question decides; none means "what is it"."""
        best, best_length = "what", 0
        padded = f" {folded_question} "
        for intent, cues in self.lexicon.intents.items():
            for cue in (*cues["id"], *cues["en"]):
                if len(cue) > best_length and f" {cue} " in padded:
                    best, best_length = intent, len(cue)
        return best

    def _is_smalltalk(self, folded: str) -> bool:
        rest = f" {folded} "
        for phrase in self._smalltalk:
            rest = rest.replace(f" {phrase} ", " ")
        return all(self.lexicon.is_stopword(w) for w in rest.split()) and rest.strip() != folded

    def _tokens(self, folded: str, proper_nouns: frozenset[str] = frozenset()) -> list[_Token]:
        cue_words = self._cue_words
        raw = self.lexicon.expand_slang(folded.split())
        tokens: list[_Token] = []
        seen: set[str] = set()
        for word in raw:
            if word in seen or self.lexicon.is_stopword(word) or len(word) < 2:
                continue
            seen.add(word)
            plain = word in self._known_words or word.isdigit() or word in cue_words
            corrected = word if plain else self._correct(word)
            variants = {corrected} | set(self._synonyms.get(corrected, ()))
            stems = {stem(v, lang) for v in variants for piece in [v] for lang in ("id", "en")}
            stems |= {stem(p, lang) for v in variants if " " in v for p in v.split() for lang in ("id", "en")}
            known = corrected in self._known_words or corrected.isdigit() or bool(stems & self._df.keys())
            topic = bool(stems & self._topic_terms)
            tokens.append(_Token(word, frozenset(stems), word in cue_words, known, topic, word in proper_nouns))
        return tokens

    def _correct(self, word: str) -> str:
        """The closest word the knowledge base knows, if the word looks like a typo of it.

        Real Indonesian words are left alone ("pesan" is not a typo of "pekan"), and so is the first
        letter, which typists rarely get wrong ("lonely" is not "only").
        """
        if len(word) < 3 or is_indonesian_word(word):
            return word
        cutoff = 85 if len(word) <= 4 else 80
        same_start = [w for w in self._vocabulary if w[0] == word[0]]
        match = process.extractOne(word, same_start, scorer=fuzz.ratio, score_cutoff=cutoff)
        return str(match[0]) if match else word

    def _candidates(self, tokens: Iterable[_Token], limit: int) -> list[str]:
        terms = sorted({s for t in tokens for s in t.stems if s})
        if not terms:
            return []
        query = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        rows = self._db.execute(
            "SELECT eid FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 0, 10, 10, 5, 5, 1, 1) LIMIT ?",
            (query, limit),
        ).fetchall()
        return [row[0] for row in rows]

    def _confidence(self, entry_id: str, tokens: list[_Token], folded: str) -> float:
        """How much of the question this entry answers: 0 (nothing) to 1 (every word, by name)."""
        fields = self._fields[entry_id]
        total = covered = 0.0
        rarest = math.log((len(self.entries) + 1) / 1.5)
        for token in tokens:
            df = min((self._df.get(s, 0) for s in token.stems if self._df.get(s)), default=0)
            # a word the knowledge base never uses weighs like its rarest word: it may name something else,
            # all the more when it is written as a name
            weight = math.log((len(self.entries) + 1) / (df + 0.5)) if df else rarest
            weight *= _CUE_WEIGHT if token.cue else 1.0
            matched = next((f for f in ("names", "keys", "body") if token.stems & fields[f]), None)
            if matched is not None:
                covered += weight * _FIELD_WEIGHT[matched]
            elif not token.known:
                weight *= _PROPER_NOUN_WEIGHT if token.proper_noun else _UNKNOWN_WEIGHT
            elif token.known and not token.topic:
                weight *= _GENERIC_WEIGHT  # an ordinary word of some text, not a sign of another topic
            total += weight
        coverage = covered / total if total else 0.0
        name = self._name_match(entry_id, folded)
        score = coverage + 0.15 * name  # above 1 only to rank; reported scores are capped
        unknown = any(not t.known for t in tokens)
        if name > 0 and coverage >= 0.3 and not unknown:  # naming the entry makes it the topic, despite other words
            score = max(score, 0.6 + 0.3 * name)
        return score

    def _fit(self, entry_id: str, intent: str) -> float:
        """A little preference for an entry that has the kind of answer asked for (hours for "when" …)."""
        entry = self.entries[entry_id]
        parts = INTENT_PARTS.get(intent, ())
        has_part = any(entry.part(p) is not None for p in parts) or (intent == "where" and entry.location is not None)
        return _FIT_BONUS if parts and has_part else 0.0

    def _name_match(self, entry_id: str, folded: str) -> float:
        """1 when one of the entry's names stands whole in the question, less for a near miss ("mal pelayan publik")."""
        padded = f" {folded} "
        names = self._names[entry_id]
        if any(f" {name} " in padded for name in names):
            return 1.0
        fuzzy = max((fuzz.partial_ratio(name, folded) for name in names if len(name) >= 8), default=0.0)
        return (fuzzy - 85) / 15 if fuzzy >= 85 else 0.0


def _proper_nouns(question: str) -> frozenset[str]:
    """Words written with a capital letter after the first word of a sentence ("… di Surabaya")."""
    found = set()
    for sentence in re.split(r"[.?!]\s*", question):
        for word in re.findall(r"\b\w[\w'-]*", sentence)[1:]:
            if word[0].isupper():
                found.update(words(word))
    return frozenset(found)
