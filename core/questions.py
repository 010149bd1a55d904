"""Questions the bot could not answer: queued for host staff once, answered once, relayed to the asker.

What one person can cause is bounded twice. At most QUESTION_LIMIT of their questions reach staff within
QUESTION_WINDOW; the next is refused before it is stored, with the time they may ask again. And staff are
not told of a burst one question at a time: per BURST_SLOT of the clock, a person's first question is
announced on its own, the second brings one notice for the rest of the slot, and its button lists all of them
(each with its answer button), so every stored question reaches staff in exactly one notice. Both are counted
from the questions table itself, so they hold across restarts and need no state of their own.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import DomainError, ValidationError
from core.knowledge.text import words
from core.messages import Recipient
from core.people import display_name, reachable, require_staff
from core.session import Session
from storage.questions import (
    Question,
    QuestionStatus,
    asked_between,
    asked_since,
    get_question,
    open_questions,
    queue_question,
    record_answer,
)

logger = logging.getLogger(__name__)

TEXT_LENGTH = 3000  # of a question kept, and of a staff answer
ANSWER_LENGTH = (2, TEXT_LENGTH)

QUESTION_LIMIT = 10
"""Questions one person may pass to staff within QUESTION_WINDOW. More than a coordinator asks in a busy
hour, and few enough that a script cannot bury the desk: one user once sent 200 questions in 20 seconds,
and every one was stored and announced to each staff chat. Those past it are not stored at all."""
QUESTION_WINDOW = timedelta(minutes=10)
"""The sliding window of QUESTION_LIMIT: a question counts for this long after it was asked."""
BURST_SLOT = timedelta(minutes=2)
"""Staff hear of one person's questions per slot of this length, aligned to the clock (10:00, 10:02, …): two
notices at most per slot, whatever the number of questions. A fixed slot, not a window sliding from the
last notice, so that whether a question was announced follows from when the questions were asked alone
(nothing to store, nothing to lose in a restart); a burst across a slot boundary costs two more notices."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StaffNotice(enum.Enum):
    """How staff hear of a question just queued."""

    OWN = "own"  # the person's first question of the slot: announced on its own, as every question used to be
    BURST = "burst"  # the second: one notice for it and the rest of the slot, pointing to the list of them
    NONE = "none"  # a later one of the slot (in that list), or the same question already waiting


@dataclass(frozen=True)
class Passed:
    """A question passed to staff: the stored row, and how staff are to hear of it."""

    question: Question
    is_new: bool  # False: this user's same question is already waiting, nothing was queued
    notice: StaffNotice
    slot_ends: datetime  # when the person's questions are announced one by one again


@dataclass(frozen=True)
class OpenQuestion:
    """A queued question as the staff list shows it."""

    id: int
    text: str
    asked_at: datetime
    asker: str
    answered: bool = False


@dataclass(frozen=True)
class Burst:
    """A person's questions of one slot past the first (which staff got on its own): what the burst notice lists."""

    asker: str
    until: datetime
    questions: list[OpenQuestion]


@dataclass(frozen=True)
class Answered:
    question: Question
    asker: Recipient | None  # None when the asker can no longer be reached


def parse_answer(typed: str) -> str:
    text = typed.strip()
    if not ANSWER_LENGTH[0] <= len(text) <= ANSWER_LENGTH[1]:
        raise ValidationError("questions/errors/answer_length", high=ANSWER_LENGTH[1])
    return text


def burst_slot(at: datetime) -> tuple[datetime, datetime]:
    """The slot of BURST_SLOT that `at` falls in: its start, and its end (the start of the next)."""
    start = _EPOCH + (at - _EPOCH) // BURST_SLOT * BURST_SLOT
    return start, start + BURST_SLOT


async def pass_to_staff(session: Session, question: str, locale: str) -> Passed:
    """Queue the question for staff and say how they hear of it; refused past QUESTION_LIMIT (nothing stored)."""
    conn, user, now = session.conn, session.user, session.now
    recent = await asked_since(conn, user.id, now - QUESTION_WINDOW, QUESTION_LIMIT)
    if len(recent) >= QUESTION_LIMIT:
        raise DomainError(
            "questions/limit_reached",
            question=question,
            count=len(recent),
            window_minutes=QUESTION_WINDOW // timedelta(minutes=1),
            until=recent[-1] + QUESTION_WINDOW,  # when the oldest of them leaves the window
        )
    slot_start, slot_end = burst_slot(now)
    earlier_in_slot = len(await asked_between(conn, user.id, slot_start, slot_end))
    queued, is_new = await queue_question(
        conn,
        user_id=user.id,
        text=question[:TEXT_LENGTH],
        normalized=" ".join(words(question)),
        locale=locale,
        now=now,
    )
    if not is_new:
        return Passed(queued, False, StaffNotice.NONE, slot_end)
    if len(recent) + 1 == QUESTION_LIMIT:
        logger.info("user %s reached the limit of %d questions to staff", user.id, QUESTION_LIMIT)
    notice = {0: StaffNotice.OWN, 1: StaffNotice.BURST}.get(earlier_in_slot, StaffNotice.NONE)
    return Passed(queued, True, notice, slot_end)


async def burst_of(session: Session, question_id: int) -> Burst:
    """The questions of the slot of `question_id`'s asker that staff were not told of one by one."""
    require_staff(session.user, "open questions")
    question = await get_question(session.conn, question_id)
    if question is None:
        raise DomainError("errors/stale_button")
    start, end = burst_slot(question.asked_at)
    asker = await display_name(session.conn, question.user_id)
    held = (await asked_between(session.conn, question.user_id, start, end))[1:]
    listed = [OpenQuestion(q.id, q.text, q.asked_at, asker, q.status is QuestionStatus.ANSWERED) for q in held]
    return Burst(asker, end, listed)


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
