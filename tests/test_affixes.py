"""core/knowledge/affixes.py tells from a word's shape that Sastrawi would give it back unchanged; stemming then
skips Sastrawi. Here that shortcut is checked against Sastrawi itself: on every word of the content, on affixed
forms of the dictionary's roots (every prefix, suffix, recoding and infix rule), on chains of rules, and on
made-up words like bench/faq.py's, which it must also pass over quickly (most of them, not a few)."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from core.knowledge import build_knowledge
from core.knowledge.affixes import could_shorten
from core.knowledge.text import _stemmers, stem, words


def listed(text: str) -> tuple[str, ...]:
    """The words of `text`; "-" stands for none (no prefix, no suffix)."""
    return tuple("" if word == "-" else word for word in text.split())


PREFIXES = listed(
    "- di ke se ber be bel per pe pel me mem men meng meny pem pen peng peny ter te memper diper dipe ku kau mempe"
    " terper keber seper"
)
SUFFIXES = listed("- i kan an nya lah kah tah pun ku mu kannya annya inya kanlah nyalah isasi isme is kanpun")
CHAINS = listed(
    "menyapu memukul menulis mengirim menyanyi mengelola memperbaiki mempermainkan diperkenalkan pelajaran belajar"
    " pembelajaran kesehatan pemberdayaan perizinan telunjuk gemetar menelusuri ditelusuri kinerja sinambung"
    " pengembangannya diberdayakan ketidakadilan keberangkatan penyelenggaraan mengikutsertakan terpercaya"
    " minemaku pinemaku dimeminta kumakan kaulihat bersekolah berangkat pengrajin menggunakan menyelidiki"
)
SYLLABLES = tuple(
    onset + vowel + coda
    for onset in ("b", "c", "d", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "y", "ng", "ny", "")
    for vowel in "aiueo"
    for coda in ("", "", "", "", "n", "r", "s", "k", "l", "ng", "t", "h")
)


def sastrawi(word: str) -> str:
    return str(_stemmers()[0].stem(word)) or word


def roots() -> dict[str, object]:
    return _stemmers()[1]


def wrongly_skipped(candidates: Iterable[str]) -> list[tuple[str, str]]:
    """The words the shortcut says Sastrawi leaves alone but Sastrawi changes, with what it makes of them."""
    found = []
    for word in sorted(set(candidates)):
        if len(word) <= 3 or word.isdigit() or word in roots() or could_shorten(word, roots()):
            continue
        if (stemmed := sastrawi(word)) != word:
            found.append((word, stemmed))
    return found


def test_the_content_s_words_stem_as_sastrawi_stems_them() -> None:
    knowledge = build_knowledge()
    texts = [knowledge.lexicon.slang.keys(), knowledge.lexicon.visit_words]
    found = {w for text in texts for phrase in text for w in words(phrase)}
    for entry in knowledge.entries.values():
        for lang in ("id", "en"):
            found.update(words(" ".join([entry.title.in_(lang), entry.short.in_(lang), entry.details.in_(lang)])))
            found.update(w for phrase in [*entry.aliases[lang], *entry.keywords[lang]] for w in words(phrase))
    assert len(found) > 1500
    assert wrongly_skipped(found) == []
    assert all(stem(word, "id") == (word if len(word) <= 3 or word.isdigit() else sastrawi(word)) for word in found)


@pytest.mark.parametrize("share", [0, 1, 2])
def test_affixed_forms_of_the_dictionary_s_roots_stem_as_sastrawi_stems_them(share: int) -> None:
    rng = random.Random(share)
    forms: set[str] = set()
    for root in rng.sample(sorted(roots()), 40):
        for prefix in PREFIXES:
            for suffix in rng.sample(SUFFIXES, 3):
                forms.add(prefix + root + suffix)
                if prefix.endswith(("m", "n", "ng", "ny")):
                    forms.add(prefix + root[1:] + suffix)  # the root's first letter taken into the prefix
        if len(root) > 3 and root[0] not in "aiueo" and root[1] in "aiueo":
            forms.update(root[0] + infix + root[1:] for infix in ("el", "em", "er", "in"))
    assert len(forms) > 3000
    assert wrongly_skipped(forms) == []


def test_chains_of_rules_stem_as_sastrawi_stems_them() -> None:
    assert wrongly_skipped(CHAINS) == []
    assert (stem("menyapu", "id"), stem("kinerja", "id"), stem("kumakan", "id")) == ("sapu", "kerja", "makan")
    assert stem("pemberdayaan", "id") == sastrawi("pemberdayaan") == "daya"


def test_made_up_words_are_mostly_passed_over_and_never_wrongly() -> None:
    rng = random.Random(14)
    made_up = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(3000)}
    made_up = {w for w in made_up if len(w) > 3 and w not in roots()}
    assert wrongly_skipped(made_up) == []
    passed_over = sum(not could_shorten(word, roots()) for word in made_up)
    assert passed_over >= 0.85 * len(made_up), f"{passed_over} of {len(made_up)}"
