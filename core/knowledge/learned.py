"""Staff answers as knowledge entries, searched together with the reviewed content.

When staff answer a question the bot could not, they may save the answer (handlers/faq.py); it is a row of
learned_answers (storage/learned.py), and here an `Entry` with an id "staff-<row>": the question is its title, the
other phrasings its aliases, the answer its short answer and details, and `learned` marks it as a staff answer.

Each process keeps one index of both (`LearnedKnowledge`): before answering it reads a cheap version of the table
(`storage.learned.learned_version`) and rebuilds the index only when that changed. So an entry saved in one process
is found at once by another sharing the database file (console sessions do), with no restart and no message between
them. The version costs about 0.1 ms a question; a rebuild copies the reviewed index and indexes the saved answers
into it (KnowledgeBase.with_entries), once per change, not per question. It runs in a worker thread, so the event
loop goes on sending meanwhile. The index is built only from what the transaction reads, and a turn that saves or
edits an entry does not ask for it, so a rolled-back change never lingers in it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from aiosqlite import Connection

from core.knowledge.entries import LANGUAGES, Entry, LearnedMark, Text
from core.knowledge.search import KnowledgeBase
from core.knowledge.text import Lexicon
from core.prepared import Prepared
from storage.learned import LearnedAnswer, all_learned, count_learned_use, learned_version

if TYPE_CHECKING:
    from core.session import Session

logger = logging.getLogger(__name__)

ID_PREFIX = "staff-"


def entry_id_of(learned_id: int) -> str:
    return f"{ID_PREFIX}{learned_id}"


def learned_id_of(entry_id: str) -> int | None:
    """The row of an entry id "staff-12"; None for a reviewed entry's id."""
    if not entry_id.startswith(ID_PREFIX):
        return None
    number = entry_id[len(ID_PREFIX) :]
    return int(number) if number.isascii() and number.isdigit() else None


def written_in(learned: LearnedAnswer) -> tuple[str, ...]:
    """The languages the answer was written in, the question's own first."""
    text = learned.text
    present = [lang for lang, answer in (("id", text.answer_id), ("en", text.answer_en)) if answer]
    return tuple(sorted(present, key=lambda lang: lang != learned.locale))


def answer_text(learned: LearnedAnswer) -> Text:
    """The answer in both languages; a language staff did not write shows the one they did."""
    text = learned.text
    fallback = text.answer_id or text.answer_en or ""
    return Text(id=text.answer_id or fallback, en=text.answer_en or fallback)


def phrasings_in(learned: LearnedAnswer, lexicon: Lexicon) -> dict[str, list[str]]:
    """The question (in the language it was asked in) and each phrasing (in the language it reads as), by language."""
    found: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    found.setdefault(learned.locale, []).append(learned.text.question)
    for phrasing in learned.text.phrasings:
        found[lexicon.guess_language(phrasing)].append(phrasing)
    return found


def title_text(learned: LearnedAnswer, lexicon: Lexicon) -> Text:
    """The question as asked; in the other language, the first phrasing staff gave in it, else the question again."""
    by_language = phrasings_in(learned, lexicon)
    question = learned.text.question
    return Text(
        *(question if lang == learned.locale else next(iter(by_language[lang]), question) for lang in LANGUAGES)
    )


def learned_entry(learned: LearnedAnswer, tz: tzinfo, lexicon: Lexicon) -> Entry:
    text = learned.text
    question = title_text(learned, lexicon)
    answer = answer_text(learned)
    phrasings = tuple(text.phrasings)
    return Entry(
        id=entry_id_of(learned.id),
        kind=text.kind,
        title=question,
        aliases={lang: phrasings for lang in LANGUAGES},  # the index stems names in both languages anyway
        keywords={lang: () for lang in LANGUAGES},
        short=answer,
        details=answer,
        themes=tuple(text.themes),
        learned=LearnedMark(learned.id, learned.updated_at.astimezone(tz).date(), written_in(learned)),
    )


@dataclass
class _Built:
    version: tuple[int, int, int, str]
    index: KnowledgeBase


class LearnedKnowledge:
    """The reviewed knowledge base and the staff answers saved in the database, as one index kept current."""

    def __init__(self, reviewed: Prepared[KnowledgeBase], tz: tzinfo) -> None:
        self.reviewed = reviewed  # indexed on first use (core/prepared.py)
        self.tz = tz
        self._built: _Built | None = None

    async def current(self, conn: Connection) -> KnowledgeBase:
        """The index of the reviewed entries and every staff answer not retired, as the database has them now."""
        version = await learned_version(conn)
        built = self._built
        if built is not None and built.version == version:
            return built.index
        reviewed = await self.reviewed.ready()
        learned = [learned_entry(row, self.tz, reviewed.lexicon) for row in await all_learned(conn)]
        index = reviewed
        if learned:
            index = await asyncio.to_thread(reviewed.with_entries, {e.id: e for e in learned})
        logger.info("knowledge index rebuilt with %d staff answers", len(learned))
        self._built = _Built(version, index)
        return index


async def knowledge_now(session: Session) -> KnowledgeBase:
    """The knowledge base to answer from: the reviewed content and the staff answers saved up to this moment."""
    return await session.services.learned.current(session.conn)


async def count_use(session: Session, entry: Entry) -> None:
    """Count that the bot answered with this entry (a staff answer's uses show in /faq); a reviewed one is not
    counted."""
    if entry.learned is not None:
        await count_learned_use(session.conn, entry.learned.row_id, now=session.now)
