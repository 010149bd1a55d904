"""Conversation state: the flow a user is in, its current step, the steps answered and the answers so far.

Kept in SQLite (not memory) so a half-finished registration continues at the same step after a restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_one


@dataclass(frozen=True)
class Conversation:
    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    answered: tuple[str, ...] | None = None  # None: saved by a version that did not record it


async def load_conversation(conn: aiosqlite.Connection, user_id: int) -> Conversation | None:
    row = await fetch_one(
        conn, "SELECT user_id, flow, step, data, answered, updated_at FROM conversations WHERE user_id = ?", (user_id,)
    )
    if row is None:
        return None
    return Conversation(
        user_id=row["user_id"],
        flow=row["flow"],
        step=row["step"],
        data=json.loads(row["data"]),
        updated_at=load_instant(row["updated_at"]),
        answered=None if row["answered"] is None else tuple(json.loads(row["answered"])),
    )


async def save_conversation(
    conn: aiosqlite.Connection,
    user_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
    answered: tuple[str, ...] = (),
) -> None:
    await conn.execute(
        """INSERT INTO conversations (user_id, flow, step, data, answered, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,
               data = excluded.data, answered = excluded.answered, updated_at = excluded.updated_at""",
        (user_id, flow, step, json.dumps(data, ensure_ascii=False), json.dumps(list(answered)), dump_instant(now)),
    )


async def clear_conversation(conn: aiosqlite.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
