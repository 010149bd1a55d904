"""The audit log: who changed what, and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_all


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: int | None
    detail: dict[str, Any]


async def record(
    conn: aiosqlite.Connection,
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    now: datetime,
    **detail: Any,
) -> None:
    await conn.execute(
        """INSERT INTO audit_log (at, actor_id, action, subject_type, subject_id, detail)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (
            dump_instant(now),
            actor_id,
            action,
            subject_type,
            subject_id,
            json.dumps(detail, ensure_ascii=False, default=str),
        ),
    )


async def entries_for(conn: aiosqlite.Connection, subject_type: str, subject_id: int) -> list[AuditEntry]:
    """The history of one thing (a delegation, a question …), oldest first."""
    return await _entries(conn, "WHERE subject_type = ? AND subject_id = ?", (subject_type, subject_id))


async def entries_by(conn: aiosqlite.Connection, actor_id: int) -> list[AuditEntry]:
    """Everything one person did (or tried), oldest first."""
    return await _entries(conn, "WHERE actor_id = ?", (actor_id,))


async def entries_with_action(conn: aiosqlite.Connection, action: str) -> list[AuditEntry]:
    """Every entry of one kind (e.g. all erasures), oldest first."""
    return await _entries(conn, "WHERE action = ?", (action,))


async def _entries(conn: aiosqlite.Connection, where: str, params: tuple[Any, ...]) -> list[AuditEntry]:
    rows = await fetch_all(
        conn,
        f"SELECT id, at, actor_id, action, subject_type, subject_id, detail FROM audit_log {where} ORDER BY id",
        params,
    )
    return [
        AuditEntry(
            id=row["id"],
            at=load_instant(row["at"]),
            actor_id=row["actor_id"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            detail=json.loads(row["detail"]),
        )
        for row in rows
    ]


async def count_since(conn: aiosqlite.Connection, actor_id: int, action: str, since: datetime) -> int:
    rows = await fetch_all(
        conn,
        "SELECT COUNT(*) FROM audit_log WHERE actor_id = ? AND action = ? AND at >= ?",
        (actor_id, action, dump_instant(since)),
    )
    return int(rows[0][0])


async def latest_since(conn: aiosqlite.Connection, actor_id: int, action: str, since: datetime) -> AuditEntry | None:
    found = await _entries(
        conn, "WHERE actor_id = ? AND action = ? AND at >= ?", (actor_id, action, dump_instant(since))
    )
    return found[-1] if found else None


async def replace_detail(conn: aiosqlite.Connection, entry_id: int, detail: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE audit_log SET detail = ? WHERE id = ?", (json.dumps(detail, ensure_ascii=False, default=str), entry_id)
    )
