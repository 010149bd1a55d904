"""Staff answers written out in content/knowledge/'s format, for a reviewer to turn into reviewed entries
(`python -m bot faq export`).

Each file holds everything content/knowledge/ asks of an entry (check_knowledge accepts it as it is), so a
reviewer adds what only a reviewer can: the `sources:` that back the answer, and the texts marked
`# TODO reviewer`. Where staff wrote a language only, the other is filled with the same text, marked to translate;
keywords are the distinctive words of the question and its phrasings (no stop words, the most frequent first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import PurePosixPath
from typing import Any

import yaml

from core.knowledge.entries import KINDS, LANGUAGES
from core.knowledge.learned import answer_text, entry_id_of, phrasings_in, title_text, written_in
from core.knowledge.text import Lexicon, words
from storage.learned import LearnedAnswer

KEYWORDS = 6
_NAMES = {"id": "Indonesian", "en": "English"}


@dataclass(frozen=True)
class ExportedFile:
    path: PurePosixPath  # under the export directory: <kind folder>/<id>.yaml
    text: str


def export_file(learned: LearnedAnswer, staff_name: str, lexicon: Lexicon, tz: tzinfo) -> ExportedFile:
    entry_id = entry_id_of(learned.id)
    text = learned.text
    languages = written_in(learned)
    by_language = phrasings_in(learned, lexicon)
    saved_on = learned.created_at.astimezone(tz).date().isoformat()
    given = "once" if learned.uses == 1 else f"{learned.uses} times"
    header = [
        f"A staff answer saved in the bot by {staff_name or 'a staff member'} on {saved_on} (bot answer #{learned.id},",
        f"given {given}), exported for review. It is not reviewed content yet: a reviewer must add",
        "`sources:` (https:// pages that back the answer) and see to every TODO below before it joins",
        "content/knowledge/; renaming the id (and the file) to a slug is welcome.",
    ]
    if learned.retired_at is not None:
        header.append(f"Retired in the bot on {learned.retired_at.astimezone(tz).date().isoformat()}.")
    lines = [f"# {line}" for line in header]
    lines += _dump({"id": entry_id, "kind": text.kind})
    title = title_text(learned, lexicon)
    titled = {lang: title.in_(lang) for lang in LANGUAGES if lang == learned.locale or by_language[lang]}
    lines += _bilingual("title", titled, "the question")
    lines += _words("aliases", {lang: _aliases(learned, by_language, lang) for lang in LANGUAGES}, "phrasings")
    answer = answer_text(learned)
    written = {lang: answer.in_(lang) for lang in languages}
    keywords = {
        lang: _keywords(by_language.get(lang, []), lexicon) or _keywords([written.get(lang, "")], lexicon)
        for lang in LANGUAGES
    }
    lines += _words("keywords", keywords, "keywords")
    lines += _bilingual("short", written, "the answer (a sentence or two)")
    lines += _bilingual("details", written, "the answer (its details: the short answer says it all now)")
    lines += _dump({"themes": list(text.themes)})
    return ExportedFile(PurePosixPath(KINDS[text.kind]) / f"{entry_id}.yaml", "\n".join(lines) + "\n")


def _aliases(learned: LearnedAnswer, by_language: Mapping[str, list[str]], language: str) -> list[str]:
    texts = by_language.get(language, [])
    phrasings = [t for t in texts if t != learned.text.question]
    return phrasings or texts


def _keywords(texts: Iterable[str], lexicon: Lexicon) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            w for w in dict.fromkeys(words(text)) if len(w) >= 4 and not w.isdigit() and not lexicon.is_stopword(w)
        )
    return [word for word, _ in counts.most_common(KEYWORDS)]


def _bilingual(key: str, written: Mapping[str, str], what: str) -> list[str]:
    """`key:` with both languages: the one missing is the other's text, marked for the reviewer to translate."""
    lines = [f"{key}:"]
    for lang in LANGUAGES:
        value = written.get(lang)
        if not value:
            source = next(lang for lang in LANGUAGES if written.get(lang))
            lines.append(f"  # TODO reviewer: {what} in {_NAMES[lang]}; this is the {_NAMES[source]} text")
            value = written[source]
        lines += _dump({lang: value}, indent=2)
    return lines


def _words(key: str, found: Mapping[str, list[str]], what: str) -> list[str]:
    """`key:` with a list per language; a language without any gets the other's, marked for the reviewer."""
    lines = [f"{key}:"]
    for lang in LANGUAGES:
        values = found.get(lang) or []
        if not values:
            source = next((other for other in LANGUAGES if found.get(other)), lang)
            lines.append(f"  # TODO reviewer: {what} in {_NAMES[lang]}; these are the {_NAMES[source]} ones")
            values = list(found.get(source) or [])
        lines += _dump({lang: values}, indent=2)
    return lines


def _dump(mapping: Mapping[str, Any], indent: int = 0) -> list[str]:
    """The keys in YAML as content/knowledge/ writes them: a list on one line ("[a, b]"), a text as PyYAML quotes it."""
    lines = []
    for key, value in mapping.items():
        flow = None if isinstance(value, list) else False
        text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=110, default_flow_style=flow)
        lines += [" " * indent + line for line in text.splitlines()]
    return lines
