"""The vocabulary of questions about a visit's plan (content/plan_questions.yaml), read once: every phrase with
what it means, the venues' names as places, chat spellings and short names, and the lookup of a typed word
that tolerates one typo in words of 5 letters or more.

Typo tolerance stops at 5 letters because shorter words are one letter away from too many others ("rabu" and
"baru", "lusa" and "lupa"), and at one letter because two turn real words into cues ("penerima", a recipient,
into "penerimaan", the reception). A real Indonesian word (Sastrawi's dictionary) is never a typo: "selama"
(during) is not "selasa", nor "kamus" "kamis". A correction counts only where it completes a cue, so "hujan"
stays "hujan" rather than becoming the "hutan" of "hutan trembesi".
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from core.content import CONTENT_DIR
from core.knowledge.text import fold, is_indonesian_word, words
from core.venues import VenueCatalog
from core.yamlfile import read_yaml

CUES_FILE = CONTENT_DIR / "plan_questions.yaml"
TYPO_FROM = 5  # letters: shorter words are taken only as typed
READ_CACHE_WORDS = 20_000
SUFFIXES = ("nya", "kah", "lah")  # "jadwalnya", "besokkah": the word they end is the cue
_NAME_PARTS = re.compile(r"[(),—–:]")  # "Boom Beach (Marina Boom)": each part names the venue too

Phrase = tuple[str, ...]


class Cue(enum.StrEnum):
    """What a phrase of a question says."""

    OWN_VISIT = "own_visit"  # kita, rombongan, we
    WHEN = "when"  # kapan, jam berapa: of a place, the time of the visit's item there
    SCHEDULE = "schedule"  # jadwal, agenda, itinerary
    NEXT = "next"
    LATER = "later"  # nanti: today
    START = "start"
    END = "end"
    LEAVE = "leave"
    HOTEL = "hotel"
    LIAISON = "liaison"
    RELATIVE_DAY = "relative_day"  # value: days from today
    WEEKDAY = "weekday"  # value: Monday 0
    VISIT_DAY = "visit_day"  # value: the visit's day 1, 2 … or -1, the last
    ACTIVITY = "activity"  # value: the activity's key (lunch, reception …)
    PLACE = "place"  # value: a venue id
    ABOUT_A_THING = "about_a_thing"  # apa itu, tiket, jam buka: asks about a place, not the visit
    IGNORE = "ignore"  # says nothing about what is asked


_LISTS = (  # the YAML's lists named after their cue
    *(Cue.OWN_VISIT, Cue.WHEN, Cue.SCHEDULE, Cue.NEXT, Cue.LATER),
    *(Cue.START, Cue.END, Cue.LEAVE, Cue.HOTEL, Cue.LIAISON),
)
_NUMBERED = {"relative_days": Cue.RELATIVE_DAY, "weekdays": Cue.WEEKDAY, "visit_days": Cue.VISIT_DAY}


@dataclass(frozen=True)
class Meaning:
    cue: Cue
    value: str | int | None = None


@dataclass(frozen=True)
class PlanCues:
    phrases: Mapping[Phrase, Meaning]
    spellings: Mapping[str, tuple[str, ...]]
    months: Mapping[str, int]
    day_of_month: frozenset[str]  # "tanggal 10": a day number with no month
    activities: Mapping[str, tuple[Phrase, ...]]  # an item is the activity when its title has one of these
    place_names: Mapping[str, tuple[Phrase, ...]]  # venue id → the phrases that name it
    hotels_near: str  # the venue whose travel minutes stand in for the hotels'
    generic_institution_words: frozenset[str]
    longest: int = 1
    _known: frozenset[str] = frozenset()  # every word of a phrase, a month or a day-of-month word: taken as typed
    _targets: tuple[str, ...] = ()  # the words a typo is corrected to: those of the cues (not of `ignore`)
    _read: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # typed word → word, cached

    @classmethod
    def load(cls, venues: VenueCatalog, path: Path = CUES_FILE) -> PlanCues:
        """The cues of `path`, with `venues`' names as places; a phrase declared twice is an error."""
        raw = read_yaml(path)
        table: dict[Phrase, Meaning] = {}
        for cue in _LISTS:
            _declare(table, raw[cue.value], Meaning(cue))
        for key, cue in _NUMBERED.items():
            for number, phrases in raw[key].items():
                _declare(table, phrases, Meaning(cue, int(number)))
        activities = {key: _phrases(group) for key, group in raw["activities"].items()}
        for key, group in activities.items():
            _declare(table, [" ".join(p) for p in group], Meaning(Cue.ACTIVITY, key))
        _declare(table, raw["about_a_thing"], Meaning(Cue.ABOUT_A_THING))
        _declare(table, raw["ignore"], Meaning(Cue.IGNORE))
        place_names = _place_names(venues, raw["places"], frozenset(words(" ".join(raw["generic_place_words"]))))
        for venue_id, names in place_names.items():
            for name in names:
                table.setdefault(name, Meaning(Cue.PLACE, venue_id))  # a cue word is a cue first
        if raw["hotels_near"] not in venues.venues:
            raise ValueError(f"{path.name}: hotels_near names an unknown venue {raw['hotels_near']!r}")
        months = {fold(name): int(number) for number, names in raw["months"].items() for name in names}
        spellings = {fold(k): tuple(words(v)) for k, v in raw["spellings"].items()}
        cue_words = {w for phrase, meaning in table.items() if meaning.cue is not Cue.IGNORE for w in phrase}
        day_of_month = frozenset(words(" ".join(raw["day_of_month"])))
        return cls(
            phrases=table,
            spellings=spellings,
            months=months,
            day_of_month=day_of_month,
            activities=activities,
            place_names=place_names,
            hotels_near=raw["hotels_near"],
            generic_institution_words=frozenset(words(" ".join(raw["generic_institution_words"]))),
            longest=max(len(p) for p in table),
            _known=frozenset(w for phrase in table for w in phrase) | set(months) | day_of_month,
            _targets=tuple(sorted(w for w in cue_words | set(months) if len(w) >= TYPO_FROM)),
        )

    def spelled(self, text: str) -> list[str]:
        """The words of `text`, folded, with chat spellings and short names written out ("bsk" is "besok")."""
        return [part for w in words(text) for part in self.spellings.get(w, (w,))]

    def word(self, typed: str) -> str:
        """A typed word as the cue it is: itself when known, without a suffix ("jadwalnya"), or with one typo (not
        a real Indonesian word)."""
        if typed in self._read:
            return self._read[typed]
        if len(self._read) >= READ_CACHE_WORDS:  # every word anyone types is kept: start again rather than grow
            self._read.clear()
        found = typed
        if typed not in self._known:
            stems = [typed[: -len(s)] for s in SUFFIXES if typed.endswith(s) and typed[: -len(s)] in self._known]
            if stems:
                found = stems[0]
            elif len(typed) >= TYPO_FROM and not typed.isdigit() and not is_indonesian_word(typed):
                match = process.extractOne(
                    typed, self._targets, scorer=Levenshtein.distance, score_cutoff=typo_limit(typed)
                )
                found = match[0] if match else typed
        self._read[typed] = found
        return found


def typo_limit(word: str) -> int:
    """How many letters a typed word may be off: none below 5 letters, else one."""
    return 0 if len(word) < TYPO_FROM else 1


def near(typed: str, word: str) -> bool:
    """`typed` is `word`, or `word` with a typo as typo_limit allows."""
    limit = typo_limit(word)
    return typed == word or (limit > 0 and Levenshtein.distance(typed, word, score_cutoff=limit) <= limit)


def _phrases(raw: Iterable[Any]) -> tuple[Phrase, ...]:
    texts = list(raw)
    wrong = [t for t in texts if not isinstance(t, str)]
    if wrong:  # YAML reads a bare on, no or yes as a boolean: in a word list it is always a mistake
        raise ValueError(f'plan_questions.yaml: {wrong!r} is not text; quote words such as "on" or "no"')
    return tuple(phrase for text in texts if (phrase := tuple(words(text))))


def _declare(table: dict[Phrase, Meaning], raw: Iterable[Any], meaning: Meaning) -> None:
    for phrase in _phrases(raw):
        if phrase in table and table[phrase] != meaning:
            raise ValueError(f"plan_questions.yaml: {' '.join(phrase)!r} is declared twice")
        table[phrase] = meaning


def _place_names(
    venues: VenueCatalog, aliases: Mapping[str, Iterable[str]], generic: frozenset[str]
) -> dict[str, tuple[Phrase, ...]]:
    """Each venue's names: its own names and their parts, the aliases content gives, and every word of its names
    that no other venue's names have (and that is not a generic word like "pantai")."""
    unknown = set(aliases) - set(venues.venues)
    if unknown:
        raise ValueError(f"plan_questions.yaml: places names unknown venues {sorted(unknown)}")
    names: dict[str, set[Phrase]] = {}
    for venue in venues.venues.values():
        own = {tuple(words(part)) for n in (venue.name.id, venue.name.en) for part in [n, *_NAME_PARTS.split(n)]}
        names[venue.id] = {n for n in own if n} | set(_phrases(aliases.get(venue.id, ())))
    seen_in: dict[str, set[str]] = {}
    for venue_id, phrases in names.items():
        for phrase in phrases:
            for w in phrase:
                seen_in.setdefault(w, set()).add(venue_id)
    for w, where in seen_in.items():
        if len(where) == 1 and len(w) >= 4 and w not in generic and not w.isdigit():
            names[next(iter(where))].add((w,))
    return {venue_id: tuple(sorted(phrases, key=len, reverse=True)) for venue_id, phrases in names.items()}
