"""Questions the bot could not answer: queued for host staff once, then closed once, answered (relayed to the
asker) or dismissed (with a reason, if staff give one, told to the asker). A staff member who comes to a question
already closed is told by whom; staff see each asker by the name they gave and the visit they belong to (Asker).

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
from datetime import UTC, date, datetime, timedelta

from aiosqlite import Connection

from core.errors import DomainError, ValidationError
from core.knowledge.text import words
from core.membership import visits_of
from core.messages import Recipient
from core.people import display_name, reachable, require_staff
from core.session import Session
from storage.delegations import Delegation
from storage.participants import find_participant
from storage.questions import (
    Question,
    QuestionStatus,
    asked_between,
    asked_since,
    get_question,
    open_questions,
    queue_question,
    record_answer,
    record_dismissal,
)
from storage.users import get_user

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
class Asker:
    """Who asked, as staff see them: the name they gave joining (or registering) a visit, and that visit; someone
    in no visit goes by their chat name. `role` ("participant" or "coordinator") comes with the institution."""

    name: str
    institution: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Passed:
    """A question passed to staff: the stored row, and how staff are to hear of it."""

    question: Question
    is_new: bool  # False: this user's same question is already waiting, nothing was queued
    notice: StaffNotice
    slot_ends: datetime  # when the person's questions are announced one by one again
    asker: Asker


@dataclass(frozen=True)
class OpenQuestion:
    """A queued question as the staff lists show it (status: a QuestionStatus value)."""

    id: int
    text: str
    asked_at: datetime
    asker: Asker
    status: str = QuestionStatus.OPEN.value

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.OPEN


@dataclass(frozen=True)
class Burst:
    """A person's questions of one slot past the first (which staff got on its own): what the burst notice lists."""

    asker: Asker
    until: datetime
    questions: list[OpenQuestion]


@dataclass(frozen=True)
class Closed:
    """How a question left the queue, for a staff member who comes to it afterwards (status: answered or
    dismissed; `by`: the staff member's chat name)."""

    question_id: int
    status: str
    by: str
    at: datetime | None
    answer: str | None
    reason: str | None


@dataclass(frozen=True)
class Settled:
    """A question just answered or dismissed, and where its asker can be told."""

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
    """Queue the question for staff and say how they hear of it; refused past QUESTION_LIMIT (nothing stored).

    Staff are the desk, so what a staff member types that the knowledge base cannot answer is not queued: it
    was, and a second staff member's answer typed after "already answered" became a question to the others."""
    conn, user, now = session.conn, session.user, session.now
    if user.is_staff:
        raise DomainError("questions/not_passed_from_staff", question=question)
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
    asker = await asker_of(conn, user.id, session.today)
    if not is_new:
        return Passed(queued, False, StaffNotice.NONE, slot_end, asker)
    if len(recent) + 1 == QUESTION_LIMIT:
        logger.info("user %s reached the limit of %d questions to staff", user.id, QUESTION_LIMIT)
    notice = {0: StaffNotice.OWN, 1: StaffNotice.BURST}.get(earlier_in_slot, StaffNotice.NONE)
    return Passed(queued, True, notice, slot_end, asker)


async def asker_of(conn: Connection, user_id: int, today: date) -> Asker:
    """The asker as staff are shown them: of the visits they coordinate or joined, the one still to come that is
    soonest (else the last one), with the name they gave it; else their chat name."""
    user = await get_user(conn, user_id)
    if user is None:
        return Asker("")
    visits = await visits_of(conn, user)
    named: list[tuple[Delegation, str, str]] = [(d, d.contact_name, "coordinator") for d in visits.coordinated]
    for delegation in visits.joined:
        participant = await find_participant(conn, delegation.id, user_id)
        if participant is not None:
            named.append((delegation, participant.name, "participant"))
    if not named:
        return Asker(user.display_name)

    def relevance(entry: tuple[Delegation, str, str]) -> tuple[int, int]:
        delegation = entry[0]
        if delegation.is_active and delegation.departure_date >= today:
            return 0, delegation.arrival_date.toordinal()
        return 1, -delegation.departure_date.toordinal()

    delegation, name, role = min(named, key=relevance)
    return Asker(name, delegation.institution, role)


async def burst_of(session: Session, question_id: int) -> Burst:
    """The questions of the slot of `question_id`'s asker that staff were not told of one by one."""
    require_staff(session.user, "open questions")
    question = await get_question(session.conn, question_id)
    if question is None:
        raise DomainError("errors/stale_button")
    start, end = burst_slot(question.asked_at)
    asker = await asker_of(session.conn, question.user_id, session.today)
    held = (await asked_between(session.conn, question.user_id, start, end))[1:]
    return Burst(asker, end, [_listed(q, asker) for q in held])


async def waiting(session: Session) -> list[OpenQuestion]:
    require_staff(session.user, "open questions")
    conn, today = session.conn, session.today
    return [_listed(q, await asker_of(conn, q.user_id, today)) for q in await open_questions(conn)]


def _listed(question: Question, asker: Asker) -> OpenQuestion:
    return OpenQuestion(question.id, question.text, question.asked_at, asker, question.status.value)


async def to_close(session: Session, question_id: int, action: str) -> Question:
    """A question a staff member is about to answer or dismiss; one closed already says how, and by whom."""
    require_staff(session.user, action)
    question = await get_question(session.conn, question_id)
    if question is None:
        raise DomainError("errors/stale_button")
    if not question.is_open:
        raise await _already_closed(session.conn, question)
    return question


async def answer(session: Session, question_id: int, text: str) -> Settled:
    """Record a staff answer, to be relayed to the asker; closed meanwhile by someone else, it says by whom."""
    question = await to_close(session, question_id, "answer a question")
    if not await record_answer(session.conn, question.id, answer=text, answered_by=session.user.id, now=session.now):
        raise await _already_closed(session.conn, question)
    await session.audit("question.answered", "question", question.id)
    return Settled(question, await reachable(session.conn, question.user_id))


async def dismiss(session: Session, question_id: int, reason: str | None) -> Settled:
    """Close a question without an answer; the asker is told only when there is a reason to tell them."""
    question = await to_close(session, question_id, "dismiss a question")
    if not await record_dismissal(
        session.conn, question.id, reason=reason, dismissed_by=session.user.id, now=session.now
    ):
        raise await _already_closed(session.conn, question)
    await session.audit("question.dismissed", "question", question.id, reason=reason)
    asker = await reachable(session.conn, question.user_id) if reason is not None else None
    return Settled(question, asker)


async def _already_closed(conn: Connection, question: Question) -> DomainError:
    """The message for a question closed before this staff member came to it, read as it is now."""
    now_closed = await get_question(conn, question.id) or question
    by = await display_name(conn, now_closed.closed_by) if now_closed.closed_by is not None else ""
    closed = Closed(
        now_closed.id,
        now_closed.status.value,
        by,
        now_closed.closed_at,
        now_closed.answer,
        now_closed.dismiss_reason,
    )
    return DomainError("questions/already_closed", question_id=question.id, closed=closed)
