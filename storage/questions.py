"""Questions the bot could not answer: queued for host staff, then closed once (answered and relayed to the asker,
or dismissed), remembering who closed it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, literal, literals, load_instant, load_optional_instant
from storage.db import fetch_all, fetch_one


class QuestionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    DISMISSED = "dismissed"  # closed by staff without an answer (an optional reason went to the asker)


_OPEN = literal(QuestionStatus.OPEN)
_ANY_STATUS = literals(QuestionStatus)
"""Every status: with it the (status, asked_at) index serves a time range of one user's questions."""


@dataclass(frozen=True)
class Question:
    id: int
    user_id: int
    text: str
    locale: str
    status: QuestionStatus
    asked_at: datetime
    answer: str | None
    closed_at: datetime | None  # answered or dismissed
    closed_by: int | None = None  # the staff member's user id
    dismiss_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is QuestionStatus.OPEN


_COLUMNS = "id, user_id, text, locale, status, asked_at, answer, closed_at, closed_by, dismiss_reason"


def _question(row: aiosqlite.Row) -> Question:
    return Question(
        id=row["id"],
        user_id=row["user_id"],
        text=row["text"],
        locale=row["locale"],
        status=QuestionStatus(row["status"]),
        asked_at=load_instant(row["asked_at"]),
        answer=row["answer"],
        closed_at=load_optional_instant(row["closed_at"]),
        closed_by=row["closed_by"],
        dismiss_reason=row["dismiss_reason"],
    )


async def queue_question(
    conn: aiosqlite.Connection, *, user_id: int, text: str, normalized: str, locale: str, now: datetime
) -> tuple[Question, bool]:
    """Queue a question for staff; returns it and whether it is new (False: the same one is already open)."""
    row = await fetch_one(
        conn,
        f"""INSERT INTO questions (user_id, text, normalized, locale, asked_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id, normalized) WHERE status = {_OPEN} DO NOTHING RETURNING {_COLUMNS}""",
        (user_id, text, normalized, locale, dump_instant(now)),
    )
    if row is not None:
        return _question(row), True
    existing = await fetch_one(
        conn,
        f"SELECT {_COLUMNS} FROM questions WHERE user_id = ? AND normalized = ? AND status = {_OPEN}",
        (user_id, normalized),
    )
    assert existing is not None
    return _question(existing), False


async def open_questions(conn: aiosqlite.Connection, limit: int = 20) -> list[Question]:
    rows = await fetch_all(
        conn,
        f"SELECT {_COLUMNS} FROM questions WHERE status = {_OPEN} ORDER BY asked_at, id LIMIT ?",
        (limit,),
    )
    return [_question(row) for row in rows]


async def asked_since(conn: aiosqlite.Connection, user_id: int, since: datetime, limit: int) -> list[datetime]:
    """When this user's latest questions (at most `limit`, newest first) asked after `since` were queued."""
    rows = await fetch_all(
        conn,
        f"""SELECT asked_at FROM questions WHERE status IN {_ANY_STATUS} AND asked_at > ? AND user_id = ?
            ORDER BY asked_at DESC, id DESC LIMIT ?""",
        (dump_instant(since), user_id, limit),
    )
    return [load_instant(row["asked_at"]) for row in rows]


async def asked_between(conn: aiosqlite.Connection, user_id: int, start: datetime, end: datetime) -> list[Question]:
    """This user's questions asked from `start` until before `end`, answered or not, in the order they came."""
    rows = await fetch_all(
        conn,
        f"""SELECT {_COLUMNS} FROM questions
            WHERE status IN {_ANY_STATUS} AND asked_at >= ? AND asked_at < ? AND user_id = ?
            ORDER BY asked_at, id""",
        (dump_instant(start), dump_instant(end), user_id),
    )
    return [_question(row) for row in rows]


async def get_question(conn: aiosqlite.Connection, question_id: int) -> Question | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM questions WHERE id = ?", (question_id,))
    return None if row is None else _question(row)


async def record_answer(
    conn: aiosqlite.Connection, question_id: int, *, answer: str, answered_by: int, now: datetime
) -> bool:
    """Answer an open question; False when it was already closed (by someone else meanwhile)."""
    cursor = await conn.execute(
        f"""UPDATE questions SET status = {literal(QuestionStatus.ANSWERED)}, answer = ?, closed_by = ?,
                closed_at = ? WHERE id = ? AND status = {_OPEN}""",
        (answer, answered_by, dump_instant(now), question_id),
    )
    return cursor.rowcount == 1


async def record_dismissal(
    conn: aiosqlite.Connection, question_id: int, *, reason: str | None, dismissed_by: int, now: datetime
) -> bool:
    """Dismiss an open question; False when it was already closed (by someone else meanwhile)."""
    cursor = await conn.execute(
        f"""UPDATE questions SET status = {literal(QuestionStatus.DISMISSED)}, dismiss_reason = ?, closed_by = ?,
                closed_at = ? WHERE id = ? AND status = {_OPEN}""",
        (reason, dismissed_by, dump_instant(now), question_id),
    )
    return cursor.rowcount == 1
