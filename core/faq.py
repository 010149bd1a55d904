"""The desk learns from its answers: a staff answer to a forwarded question saved as a bot answer, then listed with
how often the bot gave it (/faq), edited, and retired. Only staff do any of it, and each change is audited.

A saved answer keeps the question's words and nothing of who asked: it is the desk's answer, so an asker's
/hapusdata leaves it (their question row goes, and with it the entry's link to it). What staff type as the question,
its other phrasings and the answer is checked here; that the entry is found is core/knowledge/learned.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from datetime import date, datetime

from aiosqlite import Connection

from core.errors import DomainError, ValidationError
from core.knowledge.entries import KINDS
from core.knowledge.learned import entry_id_of, written_in
from core.people import display_name, require_staff
from core.questions import parse_answer
from core.session import Session
from storage.learned import (
    LearnedAnswer,
    LearnedText,
    all_learned,
    get_learned,
    insert_learned,
    learned_from,
    retire_learned,
    retired_count,
    update_learned,
)
from storage.questions import QuestionStatus, get_question

logger = logging.getLogger(__name__)

QUESTION_LENGTH = (3, 500)  # a question as staff retype it: it is the title of every answer given with it
PHRASING_LENGTH = (3, 300)
MAX_PHRASINGS = 20
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s*")


@dataclass(frozen=True)
class ToLearn:
    """An answered question about to be saved as a bot answer: its words, the language it was asked in, the answer."""

    question_id: int
    question: str
    locale: str
    answer: str


@dataclass(frozen=True)
class FaqRow:
    """A saved answer as /faq lists it (days in WIB)."""

    id: int
    entry_id: str
    question: str
    kind: str
    languages: tuple[str, ...]
    uses: int
    last_used_on: date | None
    saved_on: date


@dataclass(frozen=True)
class FaqListing:
    rows: list[FaqRow]
    retired: int


def parse_question(typed: str) -> str:
    text = " ".join(typed.split())
    if not QUESTION_LENGTH[0] <= len(text) <= QUESTION_LENGTH[1]:
        raise ValidationError("faq/errors/question_length", low=QUESTION_LENGTH[0], high=QUESTION_LENGTH[1])
    return text


def parse_phrasings(typed: str, already: list[str]) -> list[str]:
    """The phrasings typed (one a line, list bullets or numbers dropped) added to those given before; the same one
    twice counts once."""
    found = list(already)
    seen = {p.casefold() for p in found}
    for line in typed.splitlines():
        text = " ".join(_BULLET.sub("", line).split())
        if not text:
            continue
        if not PHRASING_LENGTH[0] <= len(text) <= PHRASING_LENGTH[1]:
            raise ValidationError("faq/errors/phrasing_length", low=PHRASING_LENGTH[0], high=PHRASING_LENGTH[1])
        if text.casefold() not in seen:
            seen.add(text.casefold())
            found.append(text)
    if len(found) > MAX_PHRASINGS:
        raise ValidationError("faq/errors/too_many_phrasings", limit=MAX_PHRASINGS)
    return found


def parse_kind(value: str) -> str:
    if value not in KINDS:
        raise ValidationError("errors/use_buttons")
    return value


def _checked(session: Session, text: LearnedText) -> LearnedText:
    """What the flow gathered, checked once more where it is stored (a draft saved by an older version, a theme
    since removed from content)."""
    parse_kind(text.kind)
    if not (text.answer_id or text.answer_en):
        raise ValidationError("faq/errors/answer_needed")
    answers = {lang: parse_answer(a) if a else None for lang, a in (("id", text.answer_id), ("en", text.answer_en))}
    theme_ids = {t.id for t in session.services.content.themes}
    return LearnedText(
        question=text.question.strip(),
        phrasings=tuple(text.phrasings),
        answer_id=answers["id"],
        answer_en=answers["en"],
        kind=text.kind,
        themes=tuple(t for t in text.themes if t in theme_ids),
    )


async def to_learn(session: Session, question_id: int) -> ToLearn:
    """An answered question a staff member is about to save; one saved already says as which entry."""
    require_staff(session.user, "save a staff answer")
    question = await get_question(session.conn, question_id)
    if question is None or question.status is not QuestionStatus.ANSWERED or not question.answer:
        raise DomainError("errors/stale_button")
    saved = await learned_from(session.conn, question_id)
    if saved is not None:
        raise DomainError("faq/already_saved", number=saved.id)
    return ToLearn(question.id, question.text, question.locale, question.answer)


async def save(session: Session, question_id: int, locale: str, text: LearnedText) -> LearnedAnswer:
    """Save a staff answer as a bot answer, searched from the next question on; once per question."""
    require_staff(session.user, "save a staff answer")
    text = _checked(session, text)
    question = await get_question(session.conn, question_id)
    source = question.id if question is not None else None  # erased with its asker meanwhile: saved without the link
    saved = await insert_learned(
        session.conn, text, locale=locale, source_question_id=source, created_by=session.user.id, now=session.now
    )
    if saved is None:
        existing = await learned_from(session.conn, question_id)
        raise DomainError("faq/already_saved", number=existing.id if existing else 0)
    await session.audit(
        "faq.saved", "learned_answer", saved.id, question_id=source, kind=text.kind, languages=list(written_in(saved))
    )
    logger.info("staff answer saved as %s", entry_id_of(saved.id))
    return saved


async def for_editing(session: Session, learned_id: int) -> LearnedAnswer:
    """A saved answer a staff member is about to edit or retire; a retired one says so."""
    require_staff(session.user, "edit a staff answer")
    learned = await get_learned(session.conn, learned_id)
    if learned is None:
        raise DomainError("errors/stale_button")
    if learned.is_retired:
        raise DomainError("faq/already_retired", number=learned.id)
    return learned


async def update(session: Session, learned_id: int, revision: int, text: LearnedText) -> LearnedAnswer:
    """Save an edit begun at `revision`; changed or retired by someone else since, it says so and saves nothing."""
    before = await for_editing(session, learned_id)
    text = _checked(session, text)
    if not await update_learned(session.conn, learned_id, text, revision=revision, now=session.now):
        await for_editing(session, learned_id)  # retired meanwhile: says so
        raise DomainError("faq/changed_meanwhile", number=learned_id)
    after = await get_learned(session.conn, learned_id)
    assert after is not None
    changed = [f.name for f in fields(LearnedText) if getattr(before.text, f.name) != getattr(text, f.name)]
    await session.audit("faq.edited", "learned_answer", learned_id, changed=changed)
    return after


async def retire(session: Session, learned_id: int) -> LearnedAnswer:
    """Stop a saved answer being given; it stays in the database (and in an export with --include-retired)."""
    learned = await for_editing(session, learned_id)
    if not await retire_learned(session.conn, learned_id, now=session.now):
        await for_editing(session, learned_id)
    await session.audit("faq.retired", "learned_answer", learned_id)
    return learned


async def listing(session: Session) -> FaqListing:
    """/faq: every saved answer still given, with its uses; the retired ones are only counted."""
    require_staff(session.user, "list staff answers")
    rows = [_row(session, learned) for learned in await all_learned(session.conn)]
    return FaqListing(rows, await retired_count(session.conn))


def _row(session: Session, learned: LearnedAnswer) -> FaqRow:
    return FaqRow(
        id=learned.id,
        entry_id=entry_id_of(learned.id),
        question=learned.text.question,
        kind=learned.text.kind,
        languages=written_in(learned),
        uses=learned.uses,
        last_used_on=_day(session, learned.last_used_at),
        saved_on=_day(session, learned.created_at) or session.today,
    )


def _day(session: Session, at: datetime | None) -> date | None:
    return at.astimezone(session.services.tz).date() if at is not None else None


async def exportable(conn: Connection, *, include_retired: bool = False) -> list[tuple[LearnedAnswer, str]]:
    """The saved answers for `python -m bot faq export`, each with the chat name of the staff member who saved it
    ('' when unknown)."""
    found = []
    for learned in await all_learned(conn, include_retired=include_retired):
        name = await display_name(conn, learned.created_by) if learned.created_by is not None else ""
        found.append((learned, name))
    return found
