"""What the platform says became of each message it accepted: sent, delivered, read or failed (migration 0013).

A message id is tied to its outbox row when the send is recorded; a receipt that arrives first is kept and
finds its row then. A receipt only moves forward (sent → delivered → read; failed ends it), whatever order
the platform's webhooks arrive in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant
from storage.db import fetch_all, fetch_one


class ReceiptState(enum.StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


_RANK = "CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END"


async def tie(conn: aiosqlite.Connection, outbox_id: int, message_ids: Iterable[str], now: datetime) -> None:
    """The platform's ids of a row's messages (its steps, or the template sent in its place)."""
    await conn.executemany(
        """INSERT INTO message_receipts (message_id, outbox_id, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (message_id) DO UPDATE SET outbox_id = excluded.outbox_id""",
        [(message_id, outbox_id, dump_instant(now)) for message_id in message_ids],
    )


async def advance(
    conn: aiosqlite.Connection, message_id: str, state: ReceiptState, error_code: int | None, now: datetime
) -> int | None:
    """Record a receipt if it is news (later than what is known); returns the message's outbox row when the
    receipt changed something and the row is known."""
    row = await fetch_one(
        conn,
        f"""INSERT INTO message_receipts (message_id, receipt, error_code, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (message_id) DO UPDATE SET receipt = excluded.receipt, error_code = excluded.error_code,
                updated_at = excluded.updated_at
            WHERE {_RANK.format("excluded.receipt")} > {_RANK.format("message_receipts.receipt")}
            RETURNING outbox_id""",
        (message_id, state.value, error_code, dump_instant(now)),
    )
    return int(row["outbox_id"]) if row is not None and row["outbox_id"] is not None else None


@dataclass(frozen=True)
class Seen:
    """Of a set of outbox rows: how many went on a channel that tells (tracked), how many of those reached the
    phone, and how many were read (read ones were delivered)."""

    tracked: int = 0
    delivered: int = 0
    read: int = 0


async def seen_for(conn: aiosqlite.Connection, kind: str, ref: int) -> Seen:
    """Delivered and read rows of one broadcast (or other kind and ref), by the best receipt of any message."""
    rows = await fetch_all(
        conn,
        f"""SELECT MAX({_RANK.format("r.receipt")}) AS best FROM message_receipts r JOIN outbox o ON o.id = r.outbox_id
            WHERE o.kind = ? AND o.ref = ? GROUP BY r.outbox_id""",
        (kind, ref),
    )
    best = [int(r["best"]) for r in rows]
    return Seen(tracked=len(best), delivered=sum(1 for b in best if b in (2, 3)), read=sum(1 for b in best if b == 3))


async def forget_untied_before(conn: aiosqlite.Connection, before: datetime) -> int:
    """Receipts of message ids no send was ever tied to (another app on the number, a row since erased)."""
    cursor = await conn.execute(
        "DELETE FROM message_receipts WHERE outbox_id IS NULL AND updated_at < ?", (dump_instant(before),)
    )
    return cursor.rowcount
