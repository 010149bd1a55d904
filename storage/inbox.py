"""The inbox: updates from the platforms, written before they are acknowledged, handled once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage._codec import dump_instant
from storage.db import fetch_all, fetch_one


@dataclass(frozen=True)
class InboxKey:
    """Which update of which platform (Telegram's update_id; a WhatsApp message id)."""

    channel: str
    update_key: str


@dataclass(frozen=True)
class InboxRow:
    id: int
    key: InboxKey
    payload: dict[str, Any]


async def record(
    conn: aiosqlite.Connection, key: InboxKey, chat_id: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Keep an update; False when it was kept before (the platform sent it again)."""
    cursor = await conn.execute(
        """INSERT INTO inbox (channel, update_key, chat_id, payload, received_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (channel, update_key) DO NOTHING""",
        (key.channel, key.update_key, chat_id, json.dumps(payload, ensure_ascii=False), dump_instant(now)),
    )
    return cursor.rowcount == 1


async def mark_handled(conn: aiosqlite.Connection, key: InboxKey, now: datetime) -> bool:
    """Claim the update for handling, in the transaction of its effects; False when it was handled already.

    An update that never reached the inbox (handled straight away, as the tests and the console do) is
    inserted as handled, so a late copy of it is recognised too.
    """
    cursor = await conn.execute(
        """INSERT INTO inbox (channel, update_key, chat_id, payload, received_at, handled_at)
           VALUES (?, ?, '', NULL, ?, ?)
           ON CONFLICT (channel, update_key) DO UPDATE SET handled_at = excluded.handled_at, payload = NULL
           WHERE handled_at IS NULL""",
        (key.channel, key.update_key, dump_instant(now), dump_instant(now)),
    )
    return cursor.rowcount == 1


async def is_handled(conn: aiosqlite.Connection, key: InboxKey) -> bool:
    """Whether the update was handled already, without claiming it (see core.inbox.handled)."""
    row = await fetch_one(
        conn,
        "SELECT 1 FROM inbox WHERE channel = ? AND update_key = ? AND handled_at IS NOT NULL",
        (key.channel, key.update_key),
    )
    return row is not None


async def unhandled(conn: aiosqlite.Connection, channel: str, limit: int = 1000) -> list[InboxRow]:
    rows = await fetch_all(
        conn,
        """SELECT id, channel, update_key, payload FROM inbox
           WHERE handled_at IS NULL AND channel = ? ORDER BY id LIMIT ?""",
        (channel, limit),
    )
    return [InboxRow(r["id"], InboxKey(r["channel"], r["update_key"]), json.loads(r["payload"])) for r in rows]


async def forget_handled_before(conn: aiosqlite.Connection, before: datetime) -> int:
    cursor = await conn.execute(
        "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ?", (dump_instant(before),)
    )
    return cursor.rowcount


async def forget_chat(conn: aiosqlite.Connection, channel: str, chat_id: str) -> None:
    """What a user sent that is still waiting goes with their data."""
    await conn.execute("DELETE FROM inbox WHERE channel = ? AND chat_id = ?", (channel, chat_id))
