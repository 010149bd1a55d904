"""The outbox: every message waiting for the rate-limited sender, claimed before sending, settled after."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, literal, literals, load_instant
from storage.db import fetch_all, fetch_one


class OutboxKind(enum.StrEnum):
    """What a row sends; a composer registered for the kind turns the row into a message at send time."""

    REPLY = "reply"  # an answer, a notice or a relay written by a turn: the Reply itself is in the row
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
    HELD = "held"  # a stand-in went in its place and the message waits: a template outside WhatsApp's window
    # until the user replies, a console preview until that console user's session starts (bot/channels/console.py)
    OUTSIDE_WINDOW = "outside_window"  # outside the window and the platform refused the template too


WAITING = frozenset({OutboxStatus.PENDING, OutboxStatus.SENDING})
"""Rows not yet settled."""
_PENDING, _SENDING = literal(OutboxStatus.PENDING), literal(OutboxStatus.SENDING)


class Priority(enum.IntEnum):
    """Who goes first within the one rate budget: the lower, the sooner."""

    ANSWER = 0  # someone is waiting for it in the chat they wrote in
    NOTICE = 1  # a turn's message to another chat: a staff notice, a relayed answer
    QUEUED = 2  # broadcasts and reminders fill the rest of the rate


@dataclass(frozen=True)
class StoredReply:
    """A reply's row: where it goes and the Reply as JSON (core.reply_codec)."""

    channel: str
    chat_id: str
    locale: str
    user_id: int | None
    payload: str
    origin_message_id: str | None
    priority: Priority = Priority.ANSWER


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: OutboxKind
    ref: int  # 0 for a reply
    user_id: int  # 0 for a reply to someone not known as a user yet
    attempts: int
    reply: StoredReply | None = None
    priority: Priority = Priority.QUEUED
    created_at: datetime | None = None
    delivered: tuple[str, ...] = ()  # the platform's ids of the steps already accepted
    channel: str | None = None  # where it goes: a reply's own, else its user's (None: a user no longer there)
    chat_id: str | None = None  # of that channel, likewise


async def enqueue(conn: aiosqlite.Connection, *, kind: OutboxKind, ref: int, user_id: int, now: datetime) -> bool:
    """Queue a message once; False when the same (kind, ref, user) is already there."""
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, ref, user_id, priority, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (kind.value, ref, user_id, Priority.QUEUED, dump_instant(now)),
    )
    return cursor.rowcount == 1


async def enqueue_reply(conn: aiosqlite.Connection, reply: StoredReply, now: datetime) -> int:
    """Queue a reply already taken for sending by the turn that wrote it (which sends it right after its
    commit); a kill in between leaves it in flight, and in flight is sent again at the next start."""
    row = await fetch_one(
        conn,
        f"""INSERT INTO outbox (kind, user_id, channel, chat_id, locale, payload, origin_message_id, priority,
               status, attempts, created_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {_SENDING}, 1, ?, ?)
            RETURNING id""",
        (
            OutboxKind.REPLY.value,
            reply.user_id,
            reply.channel,
            reply.chat_id,
            reply.locale,
            reply.payload,
            reply.origin_message_id,
            reply.priority,
            dump_instant(now),
            dump_instant(now),
        ),
    )
    assert row is not None
    return int(row["id"])


_DELIVERED_SEPARATOR = ","


def _row(r: aiosqlite.Row) -> OutboxRow:
    kind = OutboxKind(r["kind"])
    priority = Priority(r["priority"])
    stored = None
    if kind is OutboxKind.REPLY:
        stored = StoredReply(
            r["channel"], r["chat_id"], r["locale"], r["user_id"], r["payload"] or "", r["origin_message_id"], priority
        )
    delivered = tuple(r["delivered"].split(_DELIVERED_SEPARATOR)) if r["delivered"] else ()
    return OutboxRow(
        r["id"],
        kind,
        r["ref"] or 0,
        r["user_id"] or 0,
        r["attempts"],
        stored,
        priority,
        load_instant(r["created_at"]),
        delivered,
        r["to_channel"],
        r["to_chat"],
    )


async def pending(
    conn: aiosqlite.Connection, limit: int = 500, *, kinds: Iterable[OutboxKind] | None = None
) -> list[OutboxRow]:
    """What waits to be sent (of these kinds), by priority, each in the order it was queued.

    A turn's replies are not among them while the turn sends them itself: they are written in flight.
    """
    only = f"AND o.kind IN {literals(kinds)}" if kinds is not None else ""
    rows = await fetch_all(
        conn,
        f"""SELECT o.id, o.kind, o.ref, o.user_id, o.attempts, o.channel, o.chat_id, o.locale, o.payload,
                   o.origin_message_id, o.priority, o.created_at, o.delivered,
                   COALESCE(o.channel, u.channel) AS to_channel, COALESCE(o.chat_id, u.chat_id) AS to_chat
            FROM outbox o LEFT JOIN users u ON u.id = o.user_id
            WHERE o.status = {_PENDING} {only} ORDER BY o.priority, o.id LIMIT ?""",
        (limit,),
    )
    return [_row(r) for r in rows]


async def release(conn: aiosqlite.Connection, row_ids: list[int]) -> None:
    """Rows taken but not sent after all (the sending turn failed): back in the queue for the sender."""
    await conn.executemany(
        f"UPDATE outbox SET status = {_PENDING} WHERE id = ? AND status = {_SENDING}", [(i,) for i in row_ids]
    )


async def claim(conn: aiosqlite.Connection, row_id: int, now: datetime) -> bool:
    """Take a row for sending; False when someone else took or settled it."""
    return row_id in await claim_many(conn, [row_id], now)


async def claim_many(conn: aiosqlite.Connection, row_ids: Sequence[int], now: datetime) -> set[int]:
    """Take rows for sending, in one statement; returns those taken (not those someone else took or settled)."""
    if not row_ids:
        return set()
    rows = await fetch_all(
        conn,
        f"""UPDATE outbox SET status = {_SENDING}, claimed_at = ?, attempts = attempts + 1
            WHERE id IN ({", ".join("?" * len(row_ids))}) AND status = {_PENDING} RETURNING id""",
        (dump_instant(now), *row_ids),
    )
    return {int(r["id"]) for r in rows}


async def settle(
    conn: aiosqlite.Connection,
    row_id: int,
    status: OutboxStatus,
    now: datetime,
    error: str | None = None,
    delivered: Sequence[str] = (),
) -> None:
    """Record how a send ended, with the platform's ids of what it accepted."""
    await conn.execute(  # a reply's content is personal: it goes once the reply is settled
        "UPDATE outbox SET status = ?, finished_at = ?, error = ?, delivered = ?, payload = NULL WHERE id = ?",
        (status.value, dump_instant(now), error, _dump_delivered(delivered), row_id),
    )


@dataclass(frozen=True)
class End:
    """How one row's send ended: its status, the error if it was not sent, the platform's ids of what it accepted."""

    row_id: int
    status: OutboxStatus
    error: str | None = None
    delivered: Sequence[str] = ()


async def settle_many(conn: aiosqlite.Connection, ends: Sequence[End], now: datetime) -> None:
    """Record how several sends ended, in one trip to the database (the sender settles what finished together)."""
    await conn.executemany(
        "UPDATE outbox SET status = ?, finished_at = ?, error = ?, delivered = ?, payload = NULL WHERE id = ?",
        [(e.status.value, dump_instant(now), e.error, _dump_delivered(e.delivered), e.row_id) for e in ends],
    )


async def save_delivered(conn: aiosqlite.Connection, row_id: int, delivered: Sequence[str]) -> None:
    """The steps of a message accepted so far, saved before the next step goes (see the migration 0010)."""
    await conn.execute("UPDATE outbox SET delivered = ? WHERE id = ?", (_dump_delivered(delivered), row_id))


def _dump_delivered(delivered: Sequence[str]) -> str | None:
    return _DELIVERED_SEPARATOR.join(delivered) or None


async def hold(
    conn: aiosqlite.Connection, row_id: int, channel: str, chat_id: str, delivered: Sequence[str], now: datetime
) -> None:
    """A template went in the message's place: keep the row, its recipient and content, until the chat writes."""
    await conn.execute(
        f"""UPDATE outbox SET status = {literal(OutboxStatus.HELD)}, channel = ?, chat_id = ?, delivered = ?,
               finished_at = ? WHERE id = ?""",
        (channel, chat_id, _dump_delivered(delivered), dump_instant(now), row_id),
    )


async def release_held(conn: aiosqlite.Connection, channel: str, chat_id: str, now: datetime) -> int:
    """The chat wrote: its held messages go to the sender, worth it from now (the user asked for them)."""
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = {_PENDING}, created_at = ?, finished_at = NULL
            WHERE channel = ? AND chat_id = ? AND status = {literal(OutboxStatus.HELD)}""",
        (dump_instant(now), channel, chat_id),
    )
    return cursor.rowcount


async def drop_held_before(conn: aiosqlite.Connection, before: datetime, now: datetime) -> int:
    """Held messages whose template went before `before` and that nobody asked for: dropped, content and all."""
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = {literal(OutboxStatus.DROPPED)}, payload = NULL, finished_at = ?,
               error = 'held, never asked for' WHERE status = {literal(OutboxStatus.HELD)} AND finished_at < ?""",
        (dump_instant(now), dump_instant(before)),
    )
    return cursor.rowcount


async def mark_after_sent(
    conn: aiosqlite.Connection, row_id: int, status: OutboxStatus, error: str, now: datetime
) -> bool:
    """A message recorded as sent failed after all (the platform said so later); False if it was not sent."""
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = ?, error = ?, finished_at = ?
            WHERE id = ? AND status = {literal(OutboxStatus.SENT)}""",
        (status.value, error, dump_instant(now), row_id),
    )
    return cursor.rowcount == 1


async def release_in_flight(conn: aiosqlite.Connection, chat: tuple[str, str] | None = None) -> int:
    """After a crash: messages claimed but never settled go out again (a rare duplicate beats a lost message).

    With `chat` (channel, chat id), only that chat's: a console session shares the database with others, whose
    messages in flight are on their way now, not left by a crash.
    """
    if chat is None:
        cursor = await conn.execute(f"UPDATE outbox SET status = {_PENDING} WHERE status = {_SENDING}")
        return cursor.rowcount
    cursor = await conn.execute(
        f"""UPDATE outbox SET status = {_PENDING} WHERE status = {_SENDING} AND id IN (
                SELECT o.id FROM outbox o LEFT JOIN users u ON u.id = o.user_id
                WHERE o.status = {_SENDING} AND COALESCE(o.channel, u.channel) = ?
                  AND COALESCE(o.chat_id, u.chat_id) = ?)""",
        chat,
    )
    return cursor.rowcount


async def oldest_waiting(conn: aiosqlite.Connection) -> datetime | None:
    """When the oldest message not yet settled was queued (None: nothing waits)."""
    row = await fetch_one(conn, f"SELECT MIN(created_at) AS at FROM outbox WHERE status IN ({_PENDING}, {_SENDING})")
    return load_instant(row["at"]) if row is not None and row["at"] is not None else None


async def any_waiting(conn: aiosqlite.Connection, kind: OutboxKind, ref: int) -> bool:
    """Whether a row of this kind and ref is not settled yet: a look in the index of such rows (outbox_waiting), so
    asking after each of a broadcast's copies costs the same at its first copy as at its ten-thousandth."""
    row = await fetch_one(
        conn,
        f"SELECT 1 FROM outbox WHERE kind = ? AND ref = ? AND status IN ({_PENDING}, {_SENDING}) LIMIT 1",
        (kind.value, ref),
    )
    return row is not None


async def counts_by_status(conn: aiosqlite.Connection, kind: OutboxKind | None = None) -> dict[OutboxStatus, int]:
    where, params = ("WHERE kind = ?", (kind.value,)) if kind else ("", ())
    rows = await fetch_all(conn, f"SELECT status, COUNT(*) AS n FROM outbox {where} GROUP BY status", params)
    return {OutboxStatus(r["status"]): r["n"] for r in rows}


async def counts_for(conn: aiosqlite.Connection, kind: OutboxKind, ref: int) -> dict[OutboxStatus, int]:
    rows = await fetch_all(
        conn, "SELECT status, COUNT(*) AS n FROM outbox WHERE kind = ? AND ref = ? GROUP BY status", (kind.value, ref)
    )
    return {OutboxStatus(r["status"]): r["n"] for r in rows}
