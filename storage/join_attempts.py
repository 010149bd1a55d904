"""Wrong join codes, kept to slow code guessing: per platform identity, and across everyone.

A row is who tried (a keyed hash of the platform identity, made in core.join_limits) and when; no user id
and no typed code, so the rows stay when someone erases their data, and are pruned once older than any
limit reads.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_all, fetch_one


async def install_key(conn: aiosqlite.Connection, name: str, candidate: bytes) -> bytes:
    """The random key stored under `name`; the first call stores `candidate`, and it is kept from then on."""
    row = await fetch_one(conn, "SELECT key FROM install_keys WHERE name = ?", (name,))
    if row is None:
        await conn.execute("INSERT OR IGNORE INTO install_keys (name, key) VALUES (?, ?)", (name, candidate))
        row = await fetch_one(conn, "SELECT key FROM install_keys WHERE name = ?", (name,))
        assert row is not None
    return bytes(row["key"])


async def record_failure(conn: aiosqlite.Connection, identity: bytes, now: datetime) -> None:
    await conn.execute("INSERT INTO join_failures (identity, at) VALUES (?, ?)", (identity, dump_instant(now)))


async def failures_of(conn: aiosqlite.Connection, identity: bytes, since: datetime) -> list[datetime]:
    """Times of this identity's wrong codes after `since`, oldest first."""
    rows = await fetch_all(
        conn,
        "SELECT at FROM join_failures WHERE identity = ? AND at > ? ORDER BY at",
        (identity, dump_instant(since)),
    )
    return [load_instant(row["at"]) for row in rows]


async def failures_everywhere_since(conn: aiosqlite.Connection, since: datetime) -> int:
    """How many wrong codes anyone tried after `since`."""
    row = await fetch_one(conn, "SELECT COUNT(*) AS n FROM join_failures WHERE at > ?", (dump_instant(since),))
    assert row is not None
    return int(row["n"])


async def forget_failures_before(conn: aiosqlite.Connection, before: datetime) -> int:
    cursor = await conn.execute("DELETE FROM join_failures WHERE at < ?", (dump_instant(before),))
    return cursor.rowcount
