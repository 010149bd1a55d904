"""When each chat last wrote to the bot: WhatsApp's 24-hour window is counted from it (see migration 0013)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, load_optional_instant
from storage.db import fetch_one


async def wrote(conn: aiosqlite.Connection, channel: str, chat_id: str, at: datetime) -> None:
    """The chat wrote at `at` (a later message only ever moves it forward)."""
    await conn.execute(
        """INSERT INTO chat_windows (channel, chat_id, last_inbound_at) VALUES (?, ?, ?)
           ON CONFLICT (channel, chat_id) DO UPDATE SET last_inbound_at = excluded.last_inbound_at
           WHERE last_inbound_at IS NULL OR last_inbound_at < excluded.last_inbound_at""",
        (channel, chat_id, dump_instant(at)),
    )


async def last_inbound(conn: aiosqlite.Connection, channel: str, chat_id: str) -> datetime | None:
    """When the chat last wrote (None: never, or the platform has since said the window is closed)."""
    row = await fetch_one(
        conn, "SELECT last_inbound_at FROM chat_windows WHERE channel = ? AND chat_id = ?", (channel, chat_id)
    )
    return load_optional_instant(row["last_inbound_at"]) if row is not None else None


async def close(conn: aiosqlite.Connection, channel: str, chat_id: str, before: datetime) -> None:
    """The platform refused a free-form message sent at `before`: the window was closed then, whatever we
    counted (a message written since still reopens it)."""
    await conn.execute(
        "UPDATE chat_windows SET last_inbound_at = NULL WHERE channel = ? AND chat_id = ? AND last_inbound_at <= ?",
        (channel, chat_id, dump_instant(before)),
    )
