"""Answering a question from the knowledge base: SQLite FTS5 with bm25 over both languages, then a check
of how much of the question the best entry really covers, so the bot can say "I don't know yet".

The pipeline, each step general rather than tuned to particular questions:
1. fold and split the question, expand chat spellings ("gmn" → "bagaimana"), drop stop words;
2. correct words the knowledge base does not contain to the closest word it does (rapidfuzz),
   so "kawah ijn" finds "ijen"; only among the words of the same first letter and a length and letters close enough
   to be within the cutoff, so that a vocabulary a hundred times as large costs little more (_Spellings);
3. add synonyms ("beach" ↔ "pantai") and stem each word for Indonesian (Sastrawi) and English (Snowball);
4. rank entries with FTS5's bm25, names weighing more than keywords, keywords more than text;
5. score the best few by coverage: the share of the question's words (weighted by rarity) that an
   entry contains, with a bonus when one of its names appears in the question; abstain below a threshold;
6. read the intents (what / where / when / directions / cost / dress) from cue words, to pick the parts to answer
   with: a two-part question ("cara ke Kawah Ijen dan berapa tiketnya?") gets both.

Before any of it, a message that is only small talk (greetings, thanks, "ok siap") is recognised as such and never
matched to an entry. Words about the visit itself that no entry is about (content's visit_words: the hotel, what to
wear, where the bus parks) weigh, where an entry does not have them, as heavily as unknown words, so such a
question goes to staff instead of to an entry that shares another word. The Answer says whether the question had
any, and whether it had an off-topic cue (core/knowledge/triage.py decides from that what is not for the desk).

What a question needs is indexed when the index is built (names by their first word, spellings by first letter and
length), so a question costs about the same with ten or a hundred times the entries (bench/faq.py --scale).
"""

from __future__ import annotations

import enum
import gc
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache, partial

from rapidfuzz import fuzz, process

from core.knowledge.entries import Area, Entry
from core.knowledge.text import Lexicon, is_indonesian_word, stem, words

KINDS_ALL = ("innovation", "destination", "logistics")
INTENT_PARTS = {
    "where": ("where", "getting_there"),
    "when": ("hours",),
    "directions": ("getting_there", "where"),
    "cost": ("cost",),
    "dress": (),  # no entry says what to wear: a question about it is for the host's staff
}
NEEDS_PART = {"cost": ("destination", "logistics"), "dress": KINDS_ALL, "when": ("destination",)}
"""Intents an entry of these kinds cannot answer without the part itself: a place's other facts are no answer to
"how much", "when is it open" or "what to wear". A programme has no ticket and no opening hours, so "is it free?" and
"since when?" are answered by what the programme is."""
QUESTION_WORDS = frozenset(
    [
        "apa",
        "mana",
        "dimana",
        "kemana",
        "berapa",
        "kapan",
        "bagaimana",
        "gimana",
        "siapa",
        "kenapa",
        "mengapa",
        "apakah",
        "adakah",
        "where",
        "what",
        "when",
        "how",
        "who",
        "why",
        "which",
    ]
)
"""A message with one of these asks something, however much small talk is around it ("pagi, ke mana hari ini?")."""
ANSWER_THRESHOLD = 0.55
_FIELD_WEIGHT = {"names": 1.0, "keys": 0.8, "body": 0.55}
_CUE_WEIGHT = 0.3
_GENERIC_WEIGHT = 0.4
_PROPER_NOUN_WEIGHT = 3.0
_UNKNOWN_WEIGHT = 1.3
_FIT_BONUS = 0.05
_SENTENCE_MARGIN = 0.1
_STRANGERS_SHARE = 0.25
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_COLUMNS = ("names_id", "names_en", "keys_id", "keys_en", "body_id", "body_en")
_CORRECTIONS_KEPT = 4096  # words of questions and their corrections, per index
_FEW_SPELLINGS = 256


class SmallTalk(enum.StrEnum):
    """A message that is not a question, by what it answers to."""

    GREETING = "greeting"  # answered with a greeting and the menu
    THANKS = "thanks"  # "sama-sama"
    ACKNOWLEDGEMENT = "acknowledgement"  # "ok siap": a short "baik"

    @property
    def lexicon_key(self) -> str:
        """Its list in lexicon.yaml's smalltalk section."""
        return {"greeting": "greetings", "thanks": "thanks", "acknowledgement": "acknowledgements"}[self.value]


@dataclass(frozen=True)
class Answer:
    """What the search concluded. `entry` is None when it abstains; `alternatives` are the next closest.

    `intents` are every kind of fact asked for, in the order asked (`intent` the first, "what" for none);
    `topical` says a word of the question names or describes some entry, `about_visit` that one is about the
    visit itself (content's visit_words), `off_topic` that it has a general-knowledge cue."""

    question: str
    entry: Entry | None
    score: float
    intent: str
    alternatives: tuple[Entry, ...] = ()
    smalltalk: SmallTalk | None = None
    intents: tuple[str, ...] = ()
    topical: bool = False
    about_visit: bool = False
    off_topic: bool = False


@dataclass(frozen=True)
class _Token:
    """One word of the question with every stem that counts as a match for it."""

    word: str
    stems: frozenset[str]
    cue: bool
    visit: bool  # a word about the visit itself that no entry is about (the hotel, the dress code)
    known: bool  # the knowledge base uses this word (or a near spelling of it)
    topic: bool  # some entry has it among its names or keywords
    proper_noun: bool  # written with a capital inside the sentence ("Surabaya", "ATM")
    noise: bool = False  # unknown, and no Indonesian word either: chat spelling or slang ("nyontoh", "bapak2")
    spelled: str = ""  # the word as the knowledge base spells it ("budgetting" → "budgeting"), to find names by


_STEMS: dict[str, dict[str, str]] = {"id": {}, "en": {}}
"""The stems of the entries' words, per language, kept for the process: a rebuild (a staff answer saved) stems only
the words it has not seen. As many as the words of the content indexed, unlike text.stem's bounded cache."""


class KnowledgeBase:
    def __init__(
        self,
        entries: dict[str, Entry],
        lexicon: Lexicon,
        areas: tuple[Area, ...] = (),
        stems: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """`stems`: where the entries' words' stems are kept, by language ("id", "en"); the process's own by default
        (a fresh one stems every word again, as a new process would)."""
        self.entries = entries
        self.lexicon = lexicon
        self.areas = areas
        self._stems = _STEMS if stems is None else stems
        for lang in ("id", "en"):
            self._stems.setdefault(lang, {})
        with _collector_paused():
            self._index(entries, lexicon)

    def with_entries(self, extra: dict[str, Entry]) -> KnowledgeBase:
        """This index and `extra` entries (the staff answers: core/knowledge/learned.py), indexing only those: the
        table is copied as it is (sqlite3's serialize), and the counts, names and spellings are this index's with
        the new entries' added. The same answers as an index built of all the entries at once; a staff answer saved
        costs 4 ms with the real content, 0.5-0.65 s at 100 times it instead of 7-8 s (bench/faq.py --scale)."""
        if overlap := extra.keys() & self.entries.keys():
            raise ValueError(f"already indexed: {sorted(overlap)}")
        index = KnowledgeBase.__new__(KnowledgeBase)
        index.entries = {**self.entries, **extra}
        index.lexicon, index.areas, index._stems = self.lexicon, self.areas, self._stems
        with _collector_paused():
            index._db = _new_table(self._db.serialize())
            index._fields, index._df, index._topic_terms = dict(self._fields), dict(self._df), set(self._topic_terms)
            found = index._add(extra.values())
            index._db.commit()
            added = found - self._known_words
            index._known_words = self._known_words | added
            index._spellings = _with_spellings(self._spellings, added)
            index._names = {**self._names, **{entry.id: self._name_phrases(entry) for entry in extra.values()}}
            index._names_by_start = {start: list(named) for start, named in self._names_by_start.items()}
            index._index_names(extra.keys())
            index._synonyms, index._cue_words = self._synonyms, self._cue_words
            index._smalltalk, index._fillers = self._smalltalk, self._fillers
            index._corrected = _corrections(index._spellings)
        return index

    def _index(self, entries: dict[str, Entry], lexicon: Lexicon) -> None:
        self._db = _new_table()
        self._fields: dict[str, dict[str, frozenset[str]]] = {}
        self._df: dict[str, int] = {}
        self._topic_terms: set[str] = set()  # words that name or describe some entry, not just appear in a text
        vocabulary = self._add(entries.values())
        # one b-tree per term instead of one per batch of inserts: the same answers, found in half the time
        self._db.execute("INSERT INTO kb (kb) VALUES ('optimize')")
        self._db.commit()  # FTS5 keeps what a transaction wrote in memory until it ends: a copy would lack it
        self._known_words = frozenset(vocabulary)
        self._spellings = _with_spellings({}, vocabulary)
        self._corrected = _corrections(self._spellings)
        self._names = {entry.id: self._name_phrases(entry) for entry in entries.values()}
        self._names_by_start: dict[str, list[tuple[str, str]]] = {}  # a name's first word → (name, entry id)
        self._index_names(entries.keys())
        self._synonyms = {word: group for group in lexicon.synonym_groups for word in group}
        self._cue_words = frozenset(
            word
            for cues in lexicon.intents.values()
            for phrases in cues.values()
            for p in phrases
            for word in p.split()
        )
        self._smalltalk = sorted(
            ((phrase, kind) for kind in SmallTalk for phrase in lexicon.smalltalk.get(kind.lexicon_key, ())),
            key=lambda pair: len(pair[0]),
            reverse=True,
        )
        self._fillers = frozenset(lexicon.smalltalk.get("fillers", ()))

    def _add(self, entries: Iterable[Entry]) -> set[str]:
        """Index the entries' stems (the table, their fields, the document frequencies, the topic terms); returns
        the words they use."""
        vocabulary: set[str] = set()
        rows = []
        for entry in entries:
            columns, found = self._columns(entry)
            rows.append((entry.id, *(" ".join(columns[c]) for c in _COLUMNS)))
            fields = {
                field: frozenset(columns[f"{field}_id"]) | frozenset(columns[f"{field}_en"])
                for field in ("names", "keys", "body")
            }
            self._fields[entry.id] = fields
            for term in frozenset().union(*fields.values()):
                self._df[term] = self._df.get(term, 0) + 1
            self._topic_terms.update(fields["names"] | fields["keys"])
            vocabulary.update(found)
        self._db.executemany(f"INSERT INTO kb (eid, {', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return vocabulary

    def _index_names(self, entry_ids: Iterable[str]) -> None:
        for entry_id in entry_ids:
            for name in self._names[entry_id]:
                self._names_by_start.setdefault(name.split(" ", 1)[0], []).append((name, entry_id))

    # --- building ----------------------------------------------------------------------------

    def _columns(self, entry: Entry) -> tuple[dict[str, list[str]], set[str]]:
        """The entry's stems per column (names, keywords, the rest, in each language), and its words."""
        names = words(" ".join([entry.title.id, entry.title.en, *entry.aliases["id"], *entry.aliases["en"]]))
        columns: dict[str, list[str]] = {}
        found = set(names)
        for lang in ("id", "en"):
            body = [entry.short.in_(lang), entry.details.in_(lang), *entry.every_tip(lang)]
            body += [t.in_(lang) for t in (entry.where, entry.hours, entry.getting_there, entry.cost) if t]
            keys, rest = words(" ".join(entry.keywords[lang])), words(" ".join(body))
            found.update(keys, rest)
            columns[f"names_{lang}"] = self._stem_all(names, lang)
            columns[f"keys_{lang}"] = self._stem_all(keys, lang)
            columns[f"body_{lang}"] = self._stem_all(rest, lang)
        return columns, found

    def _stem_all(self, found: list[str], lang: str) -> list[str]:
        known = self._stems[lang]
        stems = []
        for word in found:
            stemmed = known.get(word)
            if stemmed is None:
                stemmed = known[word] = stem(word, lang)
            stems.append(stemmed)
        return stems

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

    def search(self, question: str, limit: int = 8, context: frozenset[str] = frozenset()) -> Answer:
        """The entry that answers `question`, or None. `context` are folded words that say who asks rather than
        what ("kami dari Dinas Kominfo Kabupaten Sigi"): unless some entry is about them, they are not held against
        an entry that lacks them."""
        folded = " ".join(words(question))
        intents = self.intents_of(folded)
        intent = intents[0] if intents else "what"
        smalltalk = self.smalltalk_of(question, folded)
        if smalltalk is not None:
            return Answer(question, None, 0.0, intent, smalltalk=smalltalk, intents=intents)
        proper_nouns = _proper_nouns(question)
        tokens = [
            t for t in self._tokens(self._without_smalltalk(folded), proper_nouns) if t.topic or t.word not in context
        ]
        unanswered = Answer(
            question,
            None,
            0.0,
            intent,
            intents=intents,
            topical=any(t.topic for t in tokens),
            about_visit=any(t.visit for t in tokens),
            off_topic=self._is_off_topic(folded),
        )
        scored = self._scored(tokens, folded, intents, limit)
        if scored and scored[0][0] < ANSWER_THRESHOLD:
            scored = self._best_sentence(question, context, proper_nouns, limit) or scored
        if not scored:
            return unanswered
        best_score, best_id = scored[0]
        score = round(min(best_score, 1.0), 3)
        # The price of a place nobody wrote down is a question for the committee, not for the place's other facts.
        if best_score < ANSWER_THRESHOLD or not self._can_answer(self.entries[best_id], intents):
            closest = tuple(self.entries[eid] for s, eid in scored[:2] if s > 0.2)
            return replace(unanswered, score=score, alternatives=closest)
        others = tuple(self.entries[eid] for s, eid in scored[1:3] if s > 0.2)
        return replace(unanswered, entry=self.entries[best_id], score=score, alternatives=others)

    def _scored(
        self, tokens: list[_Token], folded: str, intents: tuple[str, ...], limit: int
    ) -> list[tuple[float, str]]:
        """The candidate entries with their confidence, best first (ties: FTS5's rank)."""
        if not tokens:
            return []
        candidates = self._candidates(tokens, limit)
        spellings = {t.word: t.spelled for t in tokens if t.spelled and t.spelled != t.word}
        respelled = " ".join(spellings.get(w, w) for w in folded.split())  # names found despite a typo in them
        ranked = sorted(
            (
                (self._confidence(eid, tokens, respelled) + self._fit(eid, intents), -rank, eid)
                for rank, eid in enumerate(candidates)
            ),
            reverse=True,
        )
        return [(score, eid) for score, _, eid in ranked]

    def _best_sentence(
        self, question: str, context: frozenset[str], proper_nouns: frozenset[str], limit: int
    ) -> list[tuple[float, str]]:
        """For a message of several sentences that is not answered as a whole: the sentence answered most surely
        ("Selamat pagi. Kami rombongan dari Setda Kabupaten Sumbawa, … Langkah pendaftarannya apa saja?"). The rest
        of a long message is context that dilutes the words that matter. The sentence that asks (it ends with a
        question mark) is the question and needs only the usual confidence; any other needs a clear margin more, so
        that a sentence that merely mentions an entry does not answer."""
        sentences = [s for s in _SENTENCE_END.split(question) if len(words(s)) >= 3]
        if len(sentences) < 2:
            return []
        best: list[tuple[float, str]] = []
        for sentence in sentences:
            folded = " ".join(words(sentence))
            tokens = [
                t
                for t in self._tokens(self._without_smalltalk(folded), proper_nouns)
                if t.topic or t.word not in context
            ]
            scored = self._scored(tokens, folded, self.intents_of(folded), limit)
            needed = ANSWER_THRESHOLD + (0.0 if sentence.rstrip().endswith("?") else _SENTENCE_MARGIN)
            if scored and scored[0][0] >= needed and (not best or scored[0] > best[0]):
                best = scored
        return best

    @staticmethod
    def _can_answer(entry: Entry, intents: tuple[str, ...]) -> bool:
        """False when everything asked needs a part this entry lacks (a price, a dress code). A staff answer has no
        parts: it was written to answer just such a question."""
        if entry.learned is not None:
            return True
        needing = [i for i in intents if entry.kind in NEEDS_PART.get(i, ())]
        if not intents or len(needing) < len(intents):
            return True
        return any(any(entry.part(p) is not None for p in INTENT_PARTS[i]) for i in needing)

    def intent_of(self, folded_question: str) -> str:
        """The first kind of fact asked for; none means "what is it"."""
        intents = self.intents_of(folded_question)
        return intents[0] if intents else "what"

    def intents_of(self, folded_question: str) -> tuple[str, ...]:
        """Every kind of fact the question asks for, in the order asked. Longer cues are read first and a word
        counts for one cue only, so "berapa lama perjalanan" is directions, not also cost."""
        padded = f" {folded_question} "
        taken = [False] * len(padded)
        found: list[tuple[int, str]] = []
        for cue, intent in self._cues:
            start = padded.find(f" {cue} ")
            while start != -1:
                span = range(start + 1, start + 1 + len(cue))
                if not any(taken[i] for i in span):
                    for i in span:
                        taken[i] = True
                    found.append((start, intent))
                start = padded.find(f" {cue} ", start + 1)
        ordered: list[str] = []
        for _, intent in sorted(found):
            if intent not in ordered:
                ordered.append(intent)
        return tuple(ordered)

    @cached_property
    def _cues(self) -> list[tuple[str, str]]:
        pairs = [(cue, intent) for intent, cues in self.lexicon.intents.items() for cue in (*cues["id"], *cues["en"])]
        return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)

    def smalltalk_of(self, question: str, folded: str | None = None) -> SmallTalk | None:
        """What a message of small talk answers to; None for anything that asks something.

        Small talk is a message of courtesies only (with fillers and stop words: "terima kasih banyak ya"), a message
        of no words at all ("👍"), or one that opens with thanks or an acknowledgement and goes on to say, not ask,
        something that names no entry and no kind of fact ("oke pak, nanti saya sampaikan ke rombongan")."""
        folded = " ".join(words(question)) if folded is None else folded
        tokens = folded.split()
        if not tokens:
            return SmallTalk.ACKNOWLEDGEMENT if question.strip() and "?" not in question else None
        if any(t in QUESTION_WORDS for t in self.lexicon.expand_slang(tokens)):
            return None
        kinds, rest = self._courtesies(folded)
        if not kinds:
            return None
        if all(self.lexicon.is_stopword(w) or w in self._fillers for w in rest):
            return _first_of(kinds)  # "halo?" and "kamu bot ya?" ask nothing either
        opener, _ = self._courtesies(tokens[0])
        if "?" in question:
            return None
        said = " ".join(rest)
        if opener & {SmallTalk.THANKS, SmallTalk.ACKNOWLEDGEMENT} and not (
            self.intents_of(said) or self.names_an_entry(said) or any(t.visit for t in self._tokens(said))
        ):
            return _first_of(kinds)
        return None

    def _courtesies(self, folded: str) -> tuple[set[SmallTalk], list[str]]:
        """The kinds of small talk phrase in `folded`, and the words left when they are taken out."""
        tokens = folded.split()
        kinds: set[SmallTalk] = set()
        for phrase, kind in self._smalltalk:
            size = phrase.count(" ") + 1
            i = 0
            while i + size <= len(tokens):
                if " ".join(tokens[i : i + size]) == phrase:
                    kinds.add(kind)
                    del tokens[i : i + size]
                else:
                    i += 1
        return kinds, tokens

    def _without_smalltalk(self, folded: str) -> str:
        """The question without the courtesies around it ("selamat siang pak, mohon info …"): a greeting of one word
        only where it opens the message, since "siang" also asks about lunch ("makan siang")."""
        rest = f" {folded} "
        for phrase, _ in self._smalltalk:
            if " " in phrase:
                rest = rest.replace(f" {phrase} ", " ")
        first, _, after = rest.strip().partition(" ")
        if after and any(first == phrase for phrase, _ in self._smalltalk):
            return after
        return rest.strip()

    def _is_off_topic(self, folded: str) -> bool:
        padded = f" {folded} "
        return any(f" {cue} " in padded for cue in self.lexicon.off_topic)

    def names_an_entry(self, folded: str) -> bool:
        """Whether one of the entries' names stands whole in the question ("ijen", "pulau merah")."""
        return bool(self._named(folded))

    def _named(self, folded: str) -> set[str]:
        """The entries one of whose names stands whole in the question. A name standing there starts at one of the
        question's words, so only the names starting with one are looked for: O(words), not O(entries)."""
        padded = f" {folded} "
        return {
            entry_id
            for start in set(folded.split(" "))
            for name, entry_id in self._names_by_start.get(start, ())
            if f" {name} " in padded
        }

    @cached_property
    def own_place_phrases(self) -> frozenset[str]:
        """Every entry's names as folded phrases: places of the host, never "another place" even where a regency
        elsewhere has the same name (Ketapang, Genteng)."""
        return frozenset(name for names in self._names.values() for name in names)

    def places_of_named(self, folded: str) -> frozenset[str]:
        """The keywords of the entries the question names, as folded phrases: where such an entry is ("Baluran …
        Situbondo") is the entry's place, not another one; without Baluran, Situbondo is elsewhere."""
        return frozenset(
            " ".join(words(keyword))
            for entry_id in self._named(folded)
            for lang in ("id", "en")
            for keyword in self.entries[entry_id].keywords[lang]
        )

    def _tokens(self, folded: str, proper_nouns: frozenset[str] = frozenset()) -> list[_Token]:
        """The question's words that carry meaning, each with its spellings and stems (see the module docstring)."""
        cue_words = self._cue_words
        raw = self.lexicon.expand_slang(folded.split())
        indonesian = self.lexicon.guess_language(folded) == "id"  # English has no dictionary here to tell noise
        tokens: list[_Token] = []
        seen: set[str] = set()
        for word in raw:
            if word in seen or self.lexicon.is_stopword(word) or len(word) < 2:
                continue
            seen.add(word)
            visit_word = word in self.lexicon.visit_words
            plain = word in self._known_words or word.isdigit() or word in cue_words or visit_word
            corrected = word if plain else self._correct(word)
            variants = {corrected} | set(self._synonyms.get(corrected, ()))
            stems = {self._stem(v, lang) for v in variants for piece in [v] for lang in ("id", "en")}
            stems |= {self._stem(p, lang) for v in variants if " " in v for p in v.split() for lang in ("id", "en")}
            known = corrected in self._known_words or corrected.isdigit() or bool(stems & self._df.keys())
            topic = bool(stems & self._topic_terms)
            visit = visit_word and not topic
            proper = word in proper_nouns
            noise = not known and not proper and indonesian and not is_indonesian_word(corrected)
            tokens.append(
                _Token(word, frozenset(stems), word in cue_words, visit, known, topic, proper, noise, corrected)
            )
        return tokens

    def _stem(self, word: str, lang: str) -> str:
        """text.stem, from the entries' stems when the word is one of theirs."""
        known = self._stems[lang].get(word)
        return stem(word, lang) if known is None else known

    def _correct(self, word: str) -> str:
        """The closest word the knowledge base knows, if the word looks like a typo of it.

        Real Indonesian words are left alone ("pesan" is not a typo of "pekan"), and so is the first
        letter, which typists rarely get wrong ("lonely" is not "only"). Of equally close words, the first in
        alphabetical order. Kept per word (the last _CORRECTIONS_KEPT words): questions repeat their words.
        """
        return self._corrected(word)

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
        elsewhere = False  # a word pointing away from this entry: a name nobody wrote
        strangers = 0  # real words no entry has ("sewa jeep"): a few are context, many another question
        for token in tokens:
            df = min((self._df.get(s, 0) for s in token.stems if self._df.get(s)), default=0)
            # a word the knowledge base never uses weighs like its rarest word: it may name something else,
            # all the more when it is written as a name
            weight = math.log((len(self.entries) + 1) / (df + 0.5)) if df else rarest
            weight *= _CUE_WEIGHT if token.cue else 1.0
            matched = next((f for f in ("names", "keys", "body") if token.stems & fields[f]), None)
            if matched is not None:
                covered += weight * _FIELD_WEIGHT[matched]
            elif token.visit:  # about the visit, and not in this entry: as telling as a word nobody wrote
                weight = rarest * _UNKNOWN_WEIGHT
                strangers += 1
            elif not token.known:
                weight *= _PROPER_NOUN_WEIGHT if token.proper_noun else _UNKNOWN_WEIGHT
                elsewhere = elsewhere or token.proper_noun
                strangers += not token.noise and not token.proper_noun
            elif token.known and not token.topic:
                weight *= _GENERIC_WEIGHT  # an ordinary word of some text, not a sign of another topic
            total += weight
        coverage = covered / total if total else 0.0
        name = self._name_match(entry_id, folded)
        score = coverage + 0.15 * name  # above 1 only to rank; reported scores are capped
        # Naming the entry makes it the topic, despite chat words no entry has ("nyontoh", "bapak2") and a few real
        # ones of the context; not despite a name nobody wrote, nor when real words no entry uses are a good part of
        # the question ("biaya sewa jeep ke Ijen" asks about renting a jeep).
        if name > 0 and coverage >= 0.3 and not elsewhere and strangers < _STRANGERS_SHARE * len(tokens):
            score = max(score, 0.6 + 0.3 * name)
        return score

    def _fit(self, entry_id: str, intents: tuple[str, ...]) -> float:
        """A little preference for an entry that has the kind of answer asked for (hours for "when" …)."""
        entry = self.entries[entry_id]
        intent = intents[0] if intents else "what"
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


class _Spellings:
    """The vocabulary's words of one first letter and one length, in the vocabulary's order, with, for each letter
    and count n, the words that have the letter at least n times: bit j of an int stands for words[j], so the words
    that share too few letters with a word are ruled out a few integer operations at a time, not one by one."""

    __slots__ = ("at_least", "every", "words")

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.every = (1 << len(words)) - 1
        self.at_least: dict[str, list[int]] = {}  # letter → [words with it at least once, twice …]
        if len(words) <= _FEW_SPELLINGS:
            return  # rapidfuzz is as quick on so few as the filter: none is ruled out
        length, joined = len(words[0]), "".join(words)
        alphabet = set(joined)
        for letter in alphabet:
            table = str.maketrans({c: "1" if c == letter else "0" for c in alphabet})
            levels = [self.every]  # levels[n]: the words with the letter at least n times, in the columns so far
            for position in range(length):
                column = int(joined[position::length].translate(table)[::-1], 2)  # bit j: words[j] has it here
                if levels[-1] & column:
                    levels.append(0)
                for n in range(len(levels) - 1, 0, -1):
                    levels[n] |= levels[n - 1] & column
            self.at_least[letter] = levels[1:]

    def sharing(self, letters: Counter[str], shared: int) -> list[str]:
        """The words that have at least `shared` of `letters` (each letter as often as both have it), in order."""
        allowed = sum(letters.values()) - shared  # how many of the word's letters a word may lack
        if allowed < 0:
            return []
        if len(self.words) <= _FEW_SPELLINGS:
            return self.words
        lacking = [0] * (allowed + 2)  # lacking[n]: the words lacking at least n of the letters so far (n ≥ 1)
        for letter, count in letters.items():
            levels = self.at_least.get(letter, [])
            for n in range(count):
                lacks = self.every ^ levels[n] if n < len(levels) else self.every
                for m in range(allowed + 1, 1, -1):
                    lacking[m] |= lacking[m - 1] & lacks
                lacking[1] |= lacks
        kept = self.every ^ lacking[allowed + 1]
        if kept == self.every:
            return self.words
        bits = format(kept, "b")[::-1]
        found, j = [], bits.find("1")
        while j != -1:
            found.append(self.words[j])
            j = bits.find("1", j + 1)
        return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an index is built: it would walk the millions of objects being made again
    and again (a tenth of the time at 100 times the content), and none of them is garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _new_table(image: bytes | None = None) -> sqlite3.Connection:
    """The index's FTS5 table in memory: empty, or a copy of another index's (`image`, sqlite3's serialize)."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    if image is not None:
        db.deserialize(image)
        return db
    db.execute(
        f"CREATE VIRTUAL TABLE kb USING fts5(eid UNINDEXED, {', '.join(_COLUMNS)}, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    return db


def _with_spellings(
    spellings: dict[str, dict[int, _Spellings]], added: Iterable[str]
) -> dict[str, dict[int, _Spellings]]:
    """The words to correct a typo to, by first letter and length, each in alphabetical order: `spellings` (left
    as it is) with the `added` words, whose groups alone are made again."""
    grouped: dict[str, dict[int, list[str]]] = {}
    for word in added:
        if len(word) >= 3 and not word.isdigit():
            grouped.setdefault(word[0], {}).setdefault(len(word), []).append(word)
    merged = {first: dict(lengths) for first, lengths in spellings.items()}
    for first, lengths in grouped.items():
        same_start = merged.setdefault(first, {})
        for length, new in lengths.items():
            old = same_start.get(length)
            same_start[length] = _Spellings(sorted(new if old is None else [*old.words, *new]))
    return merged


def _corrections(spellings: dict[str, dict[int, _Spellings]]) -> Callable[[str], str]:
    """KnowledgeBase._correct's cache, over the spellings alone: a cache of a bound method would tie the index to
    itself, and a discarded index (a staff answer saved) would wait for a full collection, millions of objects
    at 100 times the content, instead of going at once."""
    return lru_cache(maxsize=_CORRECTIONS_KEPT)(partial(_closest_known, spellings))


def _closest_known(spellings_by_start: dict[str, dict[int, _Spellings]], word: str) -> str:
    if len(word) < 3 or is_indonesian_word(word):
        return word
    size = len(word)
    cutoff = 85 if size <= 4 else 80
    letters = Counter(word)
    best: tuple[float, str] | None = None
    spellings = spellings_by_start.get(word[0], {})
    for length in sorted(spellings, key=lambda length: (abs(length - size), length)):  # likeliest first
        # fuzz.ratio is 200 x (letters in common, in order) / (both lengths): no more than 200 x the letters the
        # two words share, counted as many times as both have them (see _Spellings.sharing)
        needed = cutoff if best is None else best[0]  # no worse than the best so far (a tie: the first word)
        shared = math.ceil(needed * (size + length) / 200 - 1e-6)  # a little low rather than high: only fewer ruled out
        if shared > min(size, length):
            continue
        near = spellings[length].sharing(letters, shared)
        match = process.extractOne(word, near, scorer=fuzz.ratio, score_cutoff=needed) if near else None
        if match is not None and (best is None or match[1] > best[0] or match[0] < best[1]):
            best = (match[1], match[0])
    return best[1] if best else word


def _first_of(kinds: set[SmallTalk]) -> SmallTalk:
    """Thanks are answered before a greeting, a greeting before an acknowledgement ("pagi, makasih ya")."""
    return next(kind for kind in (SmallTalk.THANKS, SmallTalk.GREETING, SmallTalk.ACKNOWLEDGEMENT) if kind in kinds)


def _proper_nouns(question: str) -> frozenset[str]:
    """Words written with a capital letter after the first word of a sentence ("… di Surabaya")."""
    found = set()
    for sentence in re.split(r"[.?!]\s*", question):
        for word in re.findall(r"\b\w[\w'-]*", sentence)[1:]:
            if word[0].isupper():
                found.update(words(word))
    return frozenset(found)
