"""The gazetteer: names of places that are not the host (content/places.yaml), and where a question names one.

The desk answers questions about Banyuwangi; "MPP di kota Surabaya" or "cuaca di Bandung besok" ask about another
place, and the knowledge base's entry of the same name would be a wrong answer. `Gazetteer.mentions` finds those
places in a folded question; what to do with them is the caller's rule (core/knowledge/triage.py).

How a question is read (every word list comes from the YAML's `cues` and `ambiguity`, none from here):
- Whole words, the longest phrase first, no overlaps: "jawa barat" is one mention, not "jawa"; "kota batu" is one.
- A qualifier before or after a name is part of the phrase and picks the kind where a name has several
  ("kabupaten bandung" is the regency, "kota bandung" the city, "batu city" the city).
- A name that is also an ordinary word ("batu", "malang", "pati", "bone") is a place only when qualified, or right
  after a preposition of place ("wisata di malang"); some ("puncak", "padang", "batu") only when qualified, since
  visitors write "sampai di puncak" or "duduk di batu". The YAML's `ambiguity` lists them by hand; the tests check
  that it decides on every one-word name that Sastrawi's root dictionary knows (is_indonesian_word), so the start
  needs no stemming. Names of two or more words are places as they stand, unless listed ("tebing tinggi").
- Origin: a place is where the asker comes from, not what they ask about, when, within the two words before it
  (passing over qualifiers and words such as "pemerintah"), the nearest cue is an origin word ("dari", "asal",
  "from") rather than another preposition ("di", "ke", "to"); or when it is the first place named within six words
  after a self-introduction ("kami dari dinas kominfo kabupaten cianjur"), with no preposition of place between.
- The host's own names (and the regions containing it: Jawa Timur, Indonesia) are never mentions, nor is a phrase
  the caller passes in `ignore` (the knowledge base's place names: Ketapang the port, not Kabupaten Ketapang). An
  ignored phrase also covers the names inside it ("selat bali" hides "bali"). A qualified name is not covered by
  its bare form: with "ketapang" ignored, "kabupaten ketapang" is still a mention.

Everything is indexed once in `load`, so `mentions` costs O(words x longest phrase) dictionary look-ups.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from core.content import CONTENT_DIR
from core.knowledge.text import words
from core.yamlfile import read_yaml, require_text

Kind = Literal["province", "regency", "city", "island", "landmark", "country", "foreign city"]
_KIND_ORDER: tuple[Kind, ...] = ("province", "city", "regency", "island", "landmark", "country", "foreign city")
"""Which place a bare name means when several share it ("gorontalo": the province; "bandung": the city)."""
_INTRODUCTION_REACH = 6  # words between a self-introduction and the place it introduces


@dataclass(frozen=True)
class Place:
    name: str  # as written in the content ("Surabaya")
    kind: Kind  # a name that is both a regency and a city is two places; the phrase's qualifier picks one


@dataclass(frozen=True)
class Mention:
    place: Place
    phrase: str  # the folded words that matched, qualifier included ("kota surabaya", "jogja")
    origin: bool  # where the asker comes from ("kami dari Cianjur"), not what they ask about


class _Needs(enum.IntEnum):
    """What a name needs around it to be read as a place."""

    NOTHING = 0
    LOCATIVE = 1  # a qualifier, or a preposition of place right before it
    QUALIFIER = 2  # a qualifier


_HOST: tuple[Place, ...] = ()  # the index's value for a phrase of the host: it matches, and is never a mention


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """content/places.yaml as an index of folded phrases; immutable, so one instance can serve every question."""

    places: tuple[Place, ...]  # every place a phrase can name, in the file's order
    phrases: Mapping[str, tuple[Place, ...]]  # folded phrase → its places, preferred first; () for the host's
    needs: Mapping[str, _Needs]  # phrases that are also ordinary words; any other needs nothing
    host_names: frozenset[str]  # the host itself (not the regions that contain it)
    localities: frozenset[str]  # the host's own places named like a regency elsewhere: ignored unless qualified
    before: Mapping[str, Kind]  # qualifiers written before a name ("kota")
    after: Mapping[str, Kind]  # and after it ("city")
    locatives: frozenset[str]
    origins: frozenset[str]
    origin_skip: frozenset[str]
    introductions: frozenset[str]
    starts: frozenset[str]  # the first word of every phrase and qualifier: any other word starts nothing
    longest: int  # words in the longest phrase
    longest_introduction: int

    @classmethod
    def load(cls, path: Path = CONTENT_DIR / "places.yaml") -> Gazetteer:
        raw = read_yaml(path)
        require_text(raw, path.name)
        found: dict[str, list[tuple[bool, int, Place]]] = {}  # phrase → (is an alias, kind rank, place)
        order: dict[Place, None] = {}  # every place once, in the file's order

        def add(place: Place, name: str, aliases: Iterable[str]) -> None:
            order.setdefault(place)
            rank = _KIND_ORDER.index(place.kind)
            named = [(False, name), *((True, alias) for alias in aliases)]
            spelled = _phrase(name)
            if " " in spelled:  # "Tanjung Pinang" is also written "Tanjungpinang"
                named.append((True, spelled.replace(" ", "")))
            for is_alias, text in named:
                phrase = _phrase(text)
                if " " not in phrase and len(phrase) <= 2:
                    raise ValueError(f"{path.name}: {text!r} ({place.name}) is too short to tell from a word")
                entries = found.setdefault(phrase, [])
                if not any(p == place for _, _, p in entries):
                    entries.append((is_alias, rank, place))

        indonesia, foreign = raw["indonesia"], raw["foreign"]
        codes = {p["code"] for p in indonesia["provinces"]}
        sections: tuple[tuple[Mapping[str, Any], str, Kind], ...] = (
            (indonesia, "provinces", "province"),
            (indonesia, "regencies", "regency"),
            (indonesia, "cities", "city"),
            (indonesia, "islands", "island"),
            (indonesia, "landmarks", "landmark"),
            (foreign, "countries", "country"),
            (foreign, "cities", "foreign city"),
        )
        by_name: dict[str, list[Place]] = {}  # the regencies and cities, for the aliases written apart
        for group, section, kind in sections:
            for item in group.get(section) or ():
                if "province" in item and item["province"] not in codes:
                    raise ValueError(f"{path.name}: {item['name']} is in province {item['province']}, not listed")
                place = Place(item["name"], kind)
                if kind in ("regency", "city"):
                    by_name.setdefault(item["name"], []).append(place)
                add(place, item["name"], item.get("aliases") or ())
        for item in indonesia.get("aliases") or ():
            if item["name"] not in by_name:
                raise ValueError(f"{path.name}: aliases of {item['name']!r}, which is no regency or city")
            for place in by_name[item["name"]]:
                add(place, item["name"], item["aliases"])

        host = {_phrase(n) for n in raw["host"]["names"]}
        host_raw = raw["host"]
        within = {_phrase(n) for n in (*host_raw["within"], *host_raw["neighbours"])}
        host |= {p.replace(" ", "") for p in host}  # run together too, like every name ("jawatimur")
        within |= {p.replace(" ", "") for p in within}
        phrases: dict[str, tuple[Place, ...]] = {
            phrase: tuple(p for _, _, p in sorted(entries, key=lambda e: (e[0], e[1])))
            for phrase, entries in found.items()
        }
        phrases.update(dict.fromkeys(host | within, _HOST))  # the host wins over a place of the same name

        needs = _needs(raw["ambiguity"], phrases, path.name)
        cues = raw["cues"]
        locatives = frozenset(_phrase(w) for w in cues["locatives"])
        for phrase in phrases:
            if phrase.split()[0] in locatives and " " in phrase:  # "DI Yogyakarta" would swallow "di" ("in")
                raise ValueError(f"{path.name}: {phrase!r} starts with a preposition of place; drop or reword it")
        before = {_phrase(w): k for w, k in cues["before"].items()}
        after = {_phrase(w): k for w, k in cues["after"].items()}
        for word, kind in (before | after).items():
            if kind not in _KIND_ORDER:
                raise ValueError(f"{path.name}: the qualifier {word!r} names no kind of place ({kind!r})")
        introductions = frozenset(_phrase(p) for p in cues["introductions"])
        reachable = {p for places in phrases.values() for p in places}
        return cls(
            places=tuple(p for p in order if p in reachable),
            phrases=MappingProxyType(phrases),
            needs=MappingProxyType(needs),
            host_names=frozenset(host),
            localities=frozenset(_phrase(n) for n in host_raw["localities"]),
            before=MappingProxyType(before),
            after=MappingProxyType(after),
            locatives=locatives,
            origins=frozenset(_phrase(w) for w in cues["origins"]),
            origin_skip=frozenset(_phrase(w) for w in cues["origin_skip"]) | before.keys(),
            introductions=introductions,
            starts=frozenset(p.split()[0] for p in phrases) | before.keys(),
            longest=max(len(p.split()) for p in phrases),
            longest_introduction=max(len(p.split()) for p in introductions),
        )

    def mentions(self, folded: str, ignore: Iterable[str] = (), also: Iterable[str] = ()) -> list[Mention]:
        """The places other than the host that a folded question (`" ".join(words(question))`) names, in order.

        `ignore`: folded phrases of the host's own places (pass the same frozenset every time: its index is then built
        only once); `also`: a few more for this question only, ignored as those are (indexed on each call)."""
        tokens = folded.split()
        skipped = [_skipped(self.localities, frozenset(ignore))]
        if also:
            skipped.append(_index(also))
        found: list[Mention] = []
        last_end = 0  # where the last phrase (a mention, the host's, an ignored one) ended
        i = 0
        while i < len(tokens):
            end, place = self._match(tokens, i, skipped)
            if end == i:
                i += 1
                continue
            if place is not None:
                found.append(Mention(place, " ".join(tokens[i:end]), self._origin(tokens, i, last_end)))
            last_end = i = end
        return found

    def names_host(self, folded: str) -> bool:
        """Whether a folded question names the host itself ("banyuwangi"), not only a region it lies in."""
        tokens = folded.split()
        return any(
            " ".join(tokens[i : i + n]) in self.host_names
            for i in range(len(tokens))
            for n in range(1, min(self.longest, len(tokens) - i) + 1)
        )

    def _match(self, tokens: list[str], i: int, skipped: list[_Skipped]) -> tuple[int, Place | None]:
        """The longest phrase starting at word i: (its end, its place, or None for the host's or an ignored phrase).

        An end equal to i: nothing starts there. On equal lengths an ignored phrase wins, then a qualified name."""
        word = tokens[i]
        if word not in self.starts and not any(word in s.starts for s in skipped):
            return i, None
        best_end, best = i, None
        for some in skipped:  # the longest ignored phrase here, of all the sets
            for n in range(min(some.longest, len(tokens) - i), best_end - i, -1):
                if " ".join(tokens[i : i + n]) in some.phrases:
                    best_end = i + n
                    break
        kind = self.before.get(word)
        if kind is not None:
            end, places = self._name(tokens, i + 1, qualified=True)
            if places is not None and end > best_end:
                best_end, best = end, _pick(places, kind)
        end, places = self._name(tokens, i, qualified=False)
        if places is not None and end > best_end:
            best_end, best = end, _pick(places, None)
            if places and end < len(tokens) and tokens[end] in self.after:
                best_end, best = end + 1, _pick(places, self.after[tokens[end]])
        return best_end, best

    def _name(self, tokens: list[str], i: int, qualified: bool) -> tuple[int, tuple[Place, ...] | None]:
        """The longest name at word i that can count here: (its end, its places), or (i, None)."""
        for n in range(min(self.longest, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            places = self.phrases.get(phrase)
            if places is None:
                continue
            if qualified or not places:
                return i + n, places
            needs = self.needs.get(phrase, _Needs.NOTHING)
            end = i + n
            if (
                needs is _Needs.NOTHING
                or (end < len(tokens) and tokens[end] in self.after)
                or (needs is _Needs.LOCATIVE and i > 0 and tokens[i - 1] in self.locatives)
            ):
                return end, places
        return i, None

    def _origin(self, tokens: list[str], start: int, last_end: int) -> bool:
        seen, j = 0, start - 1
        while j >= 0 and seen < 2:
            word = tokens[j]
            if word in self.origins:
                return True
            if word in self.locatives:
                return False
            if word not in self.origin_skip:
                seen += 1
            j -= 1
        return self._introduced(tokens, start, last_end)

    def _introduced(self, tokens: list[str], start: int, last_end: int) -> bool:
        """Whether a self-introduction ends within reach before `start`, with no place or preposition between."""
        for end in range(start, max(last_end, start - _INTRODUCTION_REACH) - 1, -1):
            if end < start and tokens[end] in self.locatives:
                return False
            for n in range(1, min(self.longest_introduction, end) + 1):
                if " ".join(tokens[end - n : end]) in self.introductions:
                    return True
        return False


@dataclass(frozen=True)
class _Skipped:
    phrases: frozenset[str]
    starts: frozenset[str]
    longest: int


@lru_cache(maxsize=16)
def _skipped(localities: frozenset[str], ignore: frozenset[str]) -> _Skipped:
    """The host's localities and the caller's ignored phrases, indexed once per set (the knowledge base passes the
    same set every time: found again by identity, however many phrases it has)."""
    return _index(localities | ignore)


def _index(ignore: Iterable[str]) -> _Skipped:
    phrases = frozenset(" ".join(p.split()) for p in ignore) - {""}
    return _Skipped(
        phrases=phrases,
        starts=frozenset(p.split()[0] for p in phrases),
        longest=max((len(p.split()) for p in phrases), default=0),
    )


def _pick(places: tuple[Place, ...], kind: str | None) -> Place | None:
    """The place of the qualifier's kind ("kota bandung": the city), else the one the bare name means; None for
    the host's phrase."""
    return next((p for p in places if p.kind == kind), places[0]) if places else None


def _phrase(text: str) -> str:
    return " ".join(words(text))


def _needs(ambiguity: Mapping[str, Any], phrases: Mapping[str, tuple[Place, ...]], where: str) -> dict[str, _Needs]:
    """Which phrases are also ordinary words, and what they need to count as places (see the module docstring).

    A name run together inherits its spaced form's need ("batubara" is "batu bara", coal)."""
    listed: dict[str, _Needs] = {}
    for section, needs in (("names", _Needs.NOTHING), ("words", _Needs.LOCATIVE), ("landscape", _Needs.QUALIFIER)):
        for text in ambiguity.get(section) or ():
            phrase = _phrase(text)
            if phrase not in phrases or not phrases[phrase]:
                raise ValueError(f"{where}: ambiguity.{section} lists {text!r}, which names no place here")
            if phrase in listed:
                raise ValueError(f"{where}: {text!r} is in more than one list of `ambiguity`")
            listed[phrase] = needs
    for phrase, needs in list(listed.items()):
        joined = phrase.replace(" ", "")
        if joined != phrase and joined in phrases and joined not in listed:
            listed[joined] = needs
    return {phrase: needs for phrase, needs in listed.items() if needs is not _Needs.NOTHING}
