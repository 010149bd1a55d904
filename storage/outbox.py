"""The outbox: every message waiting for the rate-limited sender, claimed before sending, settled after."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, literal
from storage.db import fetch_all


class OutboxKind(enum.StrEnum):
    """What a row sends; a composer registered for the kind turns the row into a message at send time."""

    REMINDER = "reminder"
    BROADCAST = "broadcast"
    BROADCAST_REPORT = "broadcast_report"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the sender
    SENDING = "sending"  # claimed: on its way (released for another try after a crash)
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the user blocked the bot
    FAILED = "failed"  # refused for good, or still failing after the retries
    DROPPED = "dropped"  # nothing to send any more (the visit was cancelled, the reminder went)


WAITING = frozenset({OutboxStatus.PENDING, OutboxStatus.SENDING})
"""Rows not yet settled."""
_PENDING, _SENDING = literal(OutboxStatus.PENDING), literal(OutboxStatus.SENDING)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: OutboxKind
    ref: int
    user_id: int
    attempts: int


async def enqueue(conn: aiosqlite.Connection, *, kind: OutboxKind, ref: int, user_id: int, now: datetime) -> bool:
    """Queue a message once; False when the same (kind, ref, user) is already there."""
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, ref, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (kind.value, ref, user_id, dump_instant(now)),
    )
    return cursor.rowcount == 1


async def pending(conn: aiosqlite.Connection, limit: int = 500) -> list[OutboxRow]:
    rows = await fetch_all(
        conn,
        f"SELECT id, kind, ref, user_id, attempts FROM outbox WHERE status = {_PENDING} ORDER BY id LIMIT ?",
        (limit,),
    )
    return [OutboxRow(r["id"], OutboxKind(r["kind"]), r["ref"], r["user_id"], r["attempts"]) for r in rows]


async def claim(conn: aiosqlite.Connection, row_id: int, now: datetime) -> bool:
    """Take a row for sending; False when someone else took or settled it."""
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = {_SENDING}, claimed_at = ?, attempts = attempts + 1
            WHERE id = ? AND status = {_PENDING}""",
        (dump_instant(now), row_id),
    )
    return cursor.rowcount == 1


async def settle(
    conn: aiosqlite.Connection, row_id: int, status: OutboxStatus, now: datetime, error: str | None = None
) -> None:
    await conn.execute(
        "UPDATE outbox SET status = ?, finished_at = ?, error = ? WHERE id = ?",
        (status.value, dump_instant(now), error, row_id),
    )


async def release_in_flight(conn: aiosqlite.Connection) -> int:
    """After a crash: messages claimed but never settled go out again (a rare duplicate beats a lost message)."""
    cursor = await conn.execute(f"UPDATE outbox SET status = {_PENDING} WHERE status = {_SENDING}")
    return cursor.rowcount


async def counts_by_status(conn: aiosqlite.Connection, kind: OutboxKind | None = None) -> dict[OutboxStatus, int]:
    where, params = ("WHERE kind = ?", (kind.value,)) if kind else ("", ())
    rows = await fetch_all(conn, f"SELECT status, COUNT(*) AS n FROM outbox {where} GROUP BY status", params)
    return {OutboxStatus(r["status"]): r["n"] for r in rows}


async def counts_for(conn: aiosqlite.Connection, kind: OutboxKind, ref: int) -> dict[OutboxStatus, int]:
    rows = await fetch_all(
        conn, "SELECT status, COUNT(*) AS n FROM outbox WHERE kind = ? AND ref = ? GROUP BY status", (kind.value, ref)
    )
    return {OutboxStatus(r["status"]): r["n"] for r in rows}
