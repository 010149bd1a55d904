"""Turning questions and entries into comparable terms: chat spellings, stop words, stemming per language.

Indonesian words are stemmed with Sastrawi ("perizinan" → "izin"), English ones with Snowball
("villages" → "villag"). Stemming is cached per word: questions reuse a small vocabulary, and
Sastrawi is the slow part.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from core.knowledge.affixes import could_shorten
from core.knowledge.entries import KNOWLEDGE_DIR, LANGUAGES
from core.yamlfile import read_yaml, require_text

_WORD = re.compile(r"[a-z0-9]+")


@cache
def _stemmers() -> tuple[Any, dict[str, Any], Any]:
    """Sastrawi, its Indonesian root words, and Snowball's English stemmer (PyStemmer's, in C, which snowballstemmer
    hands out when it is installed: the same stems, 17 times as fast): made by the first word stemmed (~50 ms of
    imports and reading the dictionary), so that a start that answers no question does not pay for them."""
    import snowballstemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    sastrawi = StemmerFactory().create_stemmer()
    roots: dict[str, Any] = sastrawi.delegatedStemmer.get_dictionary().words
    return sastrawi, roots, snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents; hyphens and apostrophes join ("G-Land" → "gland", "Jum'at" → "jumat")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if not decomposed.isascii():  # the accents are the combining marks among its characters: taken out at once
        marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
        decomposed = decomposed.translate(marks) if marks else decomposed
    return _JOINER.sub("", decomposed)


_JOINER = re.compile(r"['’\-](?<=\w['’\-])(?=\w)")  # a hyphen or apostrophe inside a word (the mark first: quicker)


_ELONGATED = re.compile(r"([a-z])\1{2,}")


def words(text: str) -> list[str]:
    """The folded words of `text`; a letter typed three times or more counts once ("siappp", "makasihhh"): no
    Indonesian or English word has one, chat has many."""
    return _WORD.findall(_ELONGATED.sub(r"\1", fold(text)))


@lru_cache(maxsize=20_000)
def stem(word: str, language: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    sastrawi, roots, snowball = _stemmers()
    if language == "id":
        if word in roots or not could_shorten(word, roots):  # what Sastrawi would answer, without its 0.25 ms
            return word
        return str(sastrawi.stem(word)) or word
    return str(snowball.stemWord(word))


def is_indonesian_word(word: str) -> bool:
    """A real Indonesian word (its root is in Sastrawi's dictionary), so not a typo to correct."""
    roots = _stemmers()[1]
    return word in roots or stem(word, "id") in roots


@dataclass(frozen=True)
class Lexicon:
    """content/knowledge/lexicon.yaml: stop words, chat spellings, synonym groups, intent cues, small talk, and the
    words that tell a question for the host's staff (visit_words) or for nobody here (off_topic)."""

    stopwords: dict[str, frozenset[str]]
    slang: dict[str, str]
    synonym_groups: tuple[tuple[str, ...], ...]
    intents: dict[str, dict[str, tuple[str, ...]]]
    smalltalk: dict[str, tuple[str, ...]]  # greetings, thanks, acknowledgements, fillers
    visit_words: frozenset[str]
    visit_markers: tuple[str, ...]
    off_topic: tuple[str, ...]

    @classmethod
    def load(cls, directory: Path = KNOWLEDGE_DIR) -> Lexicon:
        raw = read_yaml(directory / "lexicon.yaml")
        require_text(raw, "lexicon.yaml")
        return cls(
            stopwords={lang: frozenset(fold(w) for w in raw["stopwords"][lang]) for lang in LANGUAGES},
            slang={fold(k): fold(v) for k, v in raw["slang"].items()},
            synonym_groups=tuple(tuple(fold(w) for w in group) for group in raw["synonyms"]),
            intents={
                intent: {lang: tuple(fold(c) for c in cues[lang]) for lang in LANGUAGES}
                for intent, cues in raw["intents"].items()
            },
            smalltalk={kind: tuple(fold(p) for p in phrases) for kind, phrases in raw["smalltalk"].items()},
            visit_words=frozenset(fold(w) for w in raw["visit_words"]),
            visit_markers=tuple(fold(p) for p in raw["visit_markers"]),
            off_topic=tuple(fold(p) for p in raw["off_topic"]),
        )

    def expand_slang(self, tokens: Iterable[str]) -> list[str]:
        expanded: list[str] = []
        for token in tokens:
            expanded.extend(self.slang.get(token, token).split())
        return expanded

    def guess_language(self, text: str) -> str:
        """'en' when a text has more English than Indonesian stop words, else 'id' (the default)."""
        tokens = self.expand_slang(words(text))
        english = sum(t in self.stopwords["en"] and t not in self.stopwords["id"] for t in tokens)
        indonesian = sum(t in self.stopwords["id"] and t not in self.stopwords["en"] for t in tokens)
        return "en" if english > indonesian else "id"

    def is_stopword(self, token: str) -> bool:
        return token in self.stopwords["id"] or token in self.stopwords["en"]


def terms(text: str, language: str) -> list[str]:
    """Stemmed terms of a text in one language (used for both entries and questions)."""
    return [stem(w, language) for w in words(text)]
