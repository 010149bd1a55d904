"""The outbox: every message waiting for the rate-limited sender, claimed before sending, settled after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant
from storage.db import fetch_all


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    ref: int
    user_id: int
    attempts: int


async def enqueue(conn: aiosqlite.Connection, *, kind: str, ref: int, user_id: int, now: datetime) -> bool:
    """Queue a message once; False when the same (kind, ref, user) is already there."""
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, ref, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (kind, ref, user_id, dump_instant(now)),
    )
    return cursor.rowcount == 1


async def pending(conn: aiosqlite.Connection, limit: int = 500) -> list[OutboxRow]:
    rows = await fetch_all(
        conn,
        "SELECT id, kind, ref, user_id, attempts FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?",
        (limit,),
    )
    return [OutboxRow(r["id"], r["kind"], r["ref"], r["user_id"], r["attempts"]) for r in rows]


async def claim(conn: aiosqlite.Connection, row_id: int, now: datetime) -> bool:
    """Take a row for sending; False when someone else took or settled it."""
    cursor = await conn.execute(
        """UPDATE outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1
           WHERE id = ? AND status = 'pending'""",
        (dump_instant(now), row_id),
    )
    return cursor.rowcount == 1


async def settle(conn: aiosqlite.Connection, row_id: int, status: str, now: datetime, error: str | None = None) -> None:
    await conn.execute(
        "UPDATE outbox SET status = ?, finished_at = ?, error = ? WHERE id = ?",
        (status, dump_instant(now), error, row_id),
    )


async def release_in_flight(conn: aiosqlite.Connection) -> int:
    """After a crash: messages claimed but never settled go out again (a rare duplicate beats a lost message)."""
    cursor = await conn.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    return cursor.rowcount


async def counts_by_status(conn: aiosqlite.Connection, kind: str | None = None) -> dict[str, int]:
    where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
    rows = await fetch_all(conn, f"SELECT status, COUNT(*) AS n FROM outbox {where} GROUP BY status", params)
    return {r["status"]: r["n"] for r in rows}


async def counts_for(conn: aiosqlite.Connection, kind: str, ref: int) -> dict[str, int]:
    rows = await fetch_all(
        conn, "SELECT status, COUNT(*) AS n FROM outbox WHERE kind = ? AND ref = ? GROUP BY status", (kind, ref)
    )
    return {r["status"]: r["n"] for r in rows}
