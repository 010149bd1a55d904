"""Staff answers saved as knowledge entries (learned_answers): written once from a closed question, edited, retired,
and counted each time the bot answers with one.

Every change of what is searched or shown adds one to the row's `revision`, so `learned_version` changes with
every save, edit and retirement, even two within the same clock tick; counting a use does not (the index of a
process need not be rebuilt for it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, load_instant, load_optional_instant
from storage.db import fetch_all, fetch_one


@dataclass(frozen=True)
class LearnedText:
    """What staff decide about an entry: the question, its other wordings, the answer in one language or both, its
    kind (a key of core.knowledge.entries.KINDS) and its themes."""

    question: str
    phrasings: tuple[str, ...]
    answer_id: str | None
    answer_en: str | None
    kind: str
    themes: tuple[str, ...]


@dataclass(frozen=True)
class LearnedAnswer:
    id: int
    text: LearnedText
    locale: str  # the language the question was asked in (and so its first answer written in)
    source_question_id: int | None  # None once the question was erased with its asker's data
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None
    revision: int
    uses: int
    last_used_at: datetime | None

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


_COLUMNS = """id, kind, question, locale, phrasings, answer_id, answer_en, themes, source_question_id, created_by,
              created_at, updated_at, retired_at, revision, uses, last_used_at"""


def _learned(row: aiosqlite.Row) -> LearnedAnswer:
    return LearnedAnswer(
        id=row["id"],
        text=LearnedText(
            question=row["question"],
            phrasings=tuple(json.loads(row["phrasings"])),
            answer_id=row["answer_id"],
            answer_en=row["answer_en"],
            kind=row["kind"],
            themes=tuple(json.loads(row["themes"])),
        ),
        locale=row["locale"],
        source_question_id=row["source_question_id"],
        created_by=row["created_by"],
        created_at=load_instant(row["created_at"]),
        updated_at=load_instant(row["updated_at"]),
        retired_at=load_optional_instant(row["retired_at"]),
        revision=row["revision"],
        uses=row["uses"],
        last_used_at=load_optional_instant(row["last_used_at"]),
    )


def _list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


async def insert_learned(
    conn: aiosqlite.Connection,
    text: LearnedText,
    *,
    locale: str,
    source_question_id: int | None,
    created_by: int,
    now: datetime,
) -> LearnedAnswer | None:
    """Save a new entry; None when the question it comes from was saved already (by someone else meanwhile)."""
    stamp = dump_instant(now)
    row = await fetch_one(
        conn,
        f"""INSERT INTO learned_answers (kind, question, locale, phrasings, answer_id, answer_en, themes,
                                         source_question_id, created_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (source_question_id) WHERE source_question_id IS NOT NULL DO NOTHING
            RETURNING {_COLUMNS}""",
        (
            text.kind,
            text.question,
            locale,
            _list(text.phrasings),
            text.answer_id,
            text.answer_en,
            _list(text.themes),
            source_question_id,
            created_by,
            stamp,
            stamp,
        ),
    )
    return None if row is None else _learned(row)


async def update_learned(
    conn: aiosqlite.Connection, learned_id: int, text: LearnedText, *, revision: int, now: datetime
) -> bool:
    """Replace what staff decide about an entry, if it is still at `revision` and not retired; False otherwise
    (changed or retired by someone else since the edit began)."""
    cursor = await conn.execute(
        """UPDATE learned_answers SET kind = ?, question = ?, phrasings = ?, answer_id = ?, answer_en = ?, themes = ?,
                  updated_at = ?, revision = revision + 1
           WHERE id = ? AND revision = ? AND retired_at IS NULL""",
        (
            text.kind,
            text.question,
            _list(text.phrasings),
            text.answer_id,
            text.answer_en,
            _list(text.themes),
            dump_instant(now),
            learned_id,
            revision,
        ),
    )
    return cursor.rowcount == 1


async def retire_learned(conn: aiosqlite.Connection, learned_id: int, *, now: datetime) -> bool:
    """Stop an entry being searched; False when it was retired already."""
    stamp = dump_instant(now)
    cursor = await conn.execute(
        """UPDATE learned_answers SET retired_at = ?, updated_at = ?, revision = revision + 1
           WHERE id = ? AND retired_at IS NULL""",
        (stamp, stamp, learned_id),
    )
    return cursor.rowcount == 1


async def count_learned_use(conn: aiosqlite.Connection, learned_id: int, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE learned_answers SET uses = uses + 1, last_used_at = ? WHERE id = ?", (dump_instant(now), learned_id)
    )


async def get_learned(conn: aiosqlite.Connection, learned_id: int) -> LearnedAnswer | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM learned_answers WHERE id = ?", (learned_id,))
    return None if row is None else _learned(row)


async def learned_from(conn: aiosqlite.Connection, question_id: int) -> LearnedAnswer | None:
    """The entry saved from this question, if there is one."""
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM learned_answers WHERE source_question_id = ?", (question_id,))
    return None if row is None else _learned(row)


async def all_learned(conn: aiosqlite.Connection, *, include_retired: bool = False) -> list[LearnedAnswer]:
    """The entries in the order they were saved; retired ones only when asked for."""
    where = "" if include_retired else "WHERE retired_at IS NULL"
    rows = await fetch_all(conn, f"SELECT {_COLUMNS} FROM learned_answers {where} ORDER BY id")
    return [_learned(row) for row in rows]


async def retired_count(conn: aiosqlite.Connection) -> int:
    row = await fetch_one(conn, "SELECT COUNT(*) AS n FROM learned_answers WHERE retired_at IS NOT NULL")
    return int(row["n"]) if row is not None else 0


async def learned_version(conn: aiosqlite.Connection) -> tuple[int, int, int, str]:
    """A value that changes whenever an entry is saved, edited or retired, in this process or another one sharing
    the database file: the rows, the last id, the sum of the revisions and the last change."""
    row = await fetch_one(
        conn,
        """SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last, COALESCE(SUM(revision), 0) AS revisions,
                  COALESCE(MAX(updated_at), '') AS changed
           FROM learned_answers""",
    )
    assert row is not None
    return int(row["n"]), int(row["last"]), int(row["revisions"]), str(row["changed"])
