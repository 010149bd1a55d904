"""Join attempts, kept to lock out code guessing (five wrong codes in an hour)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_all


async def record_attempt(
    conn: aiosqlite.Connection, user_id: int, code_tried: str, succeeded: bool, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO join_attempts (user_id, code_tried, succeeded, at) VALUES (?, ?, ?, ?)",
        (user_id, code_tried[:32], int(succeeded), dump_instant(now)),
    )


async def failures_since(conn: aiosqlite.Connection, user_id: int, since: datetime) -> list[datetime]:
    """Times of failed attempts at or after `since`, oldest first."""
    rows = await fetch_all(
        conn,
        "SELECT at FROM join_attempts WHERE user_id = ? AND succeeded = 0 AND at >= ? ORDER BY at",
        (user_id, dump_instant(since)),
    )
    return [load_instant(row["at"]) for row in rows]
