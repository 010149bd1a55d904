"""The options last offered in a chat as numbered lines (see migration 0012)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant
from storage.db import fetch_one


async def remember(
    conn: aiosqlite.Connection, channel: str, chat_id: str, actions: Sequence[str], now: datetime
) -> None:
    await conn.execute(
        """INSERT INTO numbered_choices (channel, chat_id, actions, offered_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (channel, chat_id) DO UPDATE SET actions = excluded.actions, offered_at = excluded.offered_at""",
        (channel, chat_id, json.dumps(list(actions)), dump_instant(now)),
    )


async def offered(conn: aiosqlite.Connection, channel: str, chat_id: str) -> list[str]:
    """The actions last offered in the chat, in their numbered order (empty: none)."""
    row = await fetch_one(
        conn, "SELECT actions FROM numbered_choices WHERE channel = ? AND chat_id = ?", (channel, chat_id)
    )
    return [str(action) for action in json.loads(row["actions"])] if row is not None else []
