"""Questions the bot could not answer: queued for host staff once, answered once, relayed to the asker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import DomainError, ValidationError
from core.knowledge.text import words
from core.messages import Recipient
from core.people import display_name, reachable, require_staff
from core.session import Session
from storage.questions import Question, get_question, open_questions, queue_question, record_answer

TEXT_LENGTH = 3000  # of a question kept, and of a staff answer
ANSWER_LENGTH = (2, TEXT_LENGTH)


@dataclass(frozen=True)
class OpenQuestion:
    """A queued question as the staff list shows it."""

    id: int
    text: str
    asked_at: datetime
    asker: str


@dataclass(frozen=True)
class Answered:
    question: Question
    asker: Recipient | None  # None when the asker can no longer be reached


def parse_answer(typed: str) -> str:
    text = typed.strip()
    if not ANSWER_LENGTH[0] <= len(text) <= ANSWER_LENGTH[1]:
        raise ValidationError("questions/errors/answer_length", high=ANSWER_LENGTH[1])
    return text


async def pass_to_staff(session: Session, question: str, locale: str) -> tuple[Question, bool]:
    """Queue the question for staff; False when this user's same question is already waiting."""
    return await queue_question(
        session.conn,
        user_id=session.user.id,
        text=question[:TEXT_LENGTH],
        normalized=" ".join(words(question)),
        locale=locale,
        now=session.now,
    )


async def waiting(session: Session) -> list[OpenQuestion]:
    require_staff(session.user, "open questions")
    return [
        OpenQuestion(q.id, q.text, q.asked_at, await display_name(session.conn, q.user_id))
        for q in await open_questions(session.conn)
    ]


async def to_answer(session: Session, question_id: int) -> Question:
    """A question a staff member is about to answer (it may have been answered already: see `answer`)."""
    require_staff(session.user, "answer a question")
    question = await get_question(session.conn, question_id)
    if question is None:
        raise DomainError("errors/stale_button")
    return question


async def answer(session: Session, question_id: int, text: str) -> Answered | None:
    """Record a staff answer; None when someone answered it first (the asker is told only once)."""
    require_staff(session.user, "answer a question")
    question = await get_question(session.conn, question_id)
    if question is None or not await record_answer(
        session.conn, question_id, answer=text, answered_by=session.user.id, now=session.now
    ):
        return None
    await session.audit("question.answered", "question", question.id)
    return Answered(question, await reachable(session.conn, question.user_id))
