"""Reminder rows and each user's reminder preferences."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_instant, literal, load_instant
from storage.db import fetch_all, fetch_one


class ReminderKind(enum.StrEnum):
    EVENING = "evening"  # the evening before a visit day
    MORNING = "morning"  # the morning of a visit day
    ITEM = "item"  # a lead time before one agenda item


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its time
    QUEUED = "queued"  # handed to the outbox
    MISSED = "missed"  # its time passed while the bot was down, and it is no longer useful
    CANCELLED = "cancelled"  # the plan or the member changed; revived if the plan comes back to it


_PENDING, _CANCELLED = literal(ReminderStatus.PENDING), literal(ReminderStatus.CANCELLED)


@dataclass(frozen=True)
class ReminderSpec:
    """A reminder as the plan says it should be."""

    key: str
    kind: ReminderKind
    user_id: int
    delegation_id: int
    item_id: int | None
    day: date | None
    due_at: datetime
    useful_until: datetime


@dataclass(frozen=True)
class Reminder(ReminderSpec):
    id: int = 0
    status: ReminderStatus = ReminderStatus.PENDING


@dataclass(frozen=True)
class ReminderPrefs:
    muted: bool = False
    lead_minutes: int | None = None


_COLUMNS = "id, key, kind, user_id, delegation_id, item_id, day, due_at, useful_until, status"


def _reminder(row: aiosqlite.Row) -> Reminder:
    return Reminder(
        id=row["id"],
        key=row["key"],
        kind=ReminderKind(row["kind"]),
        user_id=row["user_id"],
        delegation_id=row["delegation_id"],
        item_id=row["item_id"],
        day=date.fromisoformat(row["day"]) if row["day"] else None,
        due_at=load_instant(row["due_at"]),
        useful_until=load_instant(row["useful_until"]),
        status=ReminderStatus(row["status"]),
    )


async def pending_reminders_of(conn: aiosqlite.Connection, delegation_id: int) -> list[Reminder]:
    rows = await fetch_all(
        conn,
        f"SELECT {_COLUMNS} FROM reminders WHERE delegation_id = ? AND status = {_PENDING}",
        (delegation_id,),
    )
    return [_reminder(r) for r in rows]


async def upsert_reminder(conn: aiosqlite.Connection, spec: ReminderSpec, now: datetime) -> None:
    """Create the reminder, or move a pending one to its new time (a sent one stays sent; a cancelled one revives)."""
    await conn.execute(
        f"""INSERT INTO reminders (key, kind, user_id, delegation_id, item_id, day, due_at, useful_until, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, useful_until = excluded.useful_until,
                updated_at = excluded.updated_at, status = {_PENDING}
            WHERE status IN ({_PENDING}, {_CANCELLED})""",
        (
            spec.key,
            spec.kind.value,
            spec.user_id,
            spec.delegation_id,
            spec.item_id,
            spec.day.isoformat() if spec.day else None,
            dump_instant(spec.due_at),
            dump_instant(spec.useful_until),
            dump_instant(now),
        ),
    )


async def cancel_reminders(conn: aiosqlite.Connection, reminder_ids: list[int], now: datetime) -> None:
    await conn.executemany(
        f"UPDATE reminders SET status = {_CANCELLED}, updated_at = ? WHERE id = ? AND status = {_PENDING}",
        [(dump_instant(now), rid) for rid in reminder_ids],
    )


async def next_due(conn: aiosqlite.Connection) -> datetime | None:
    row = await fetch_one(conn, f"SELECT MIN(due_at) AS due FROM reminders WHERE status = {_PENDING}")
    return load_instant(row["due"]) if row is not None and row["due"] else None


async def due_reminders(conn: aiosqlite.Connection, now: datetime, limit: int = 5000) -> list[Reminder]:
    rows = await fetch_all(
        conn,
        f"SELECT {_COLUMNS} FROM reminders WHERE status = {_PENDING} AND due_at <= ? ORDER BY due_at LIMIT ?",
        (dump_instant(now), limit),
    )
    return [_reminder(r) for r in rows]


async def set_reminder_status(
    conn: aiosqlite.Connection, reminder_id: int, status: ReminderStatus, now: datetime
) -> None:
    await conn.execute(
        "UPDATE reminders SET status = ?, updated_at = ? WHERE id = ?", (status.value, dump_instant(now), reminder_id)
    )


async def get_reminder(conn: aiosqlite.Connection, reminder_id: int) -> Reminder | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM reminders WHERE id = ?", (reminder_id,))
    return None if row is None else _reminder(row)


async def get_prefs(conn: aiosqlite.Connection, user_id: int) -> ReminderPrefs:
    row = await fetch_one(conn, "SELECT muted, lead_minutes FROM reminder_prefs WHERE user_id = ?", (user_id,))
    return ReminderPrefs() if row is None else ReminderPrefs(bool(row["muted"]), row["lead_minutes"])


async def save_prefs(conn: aiosqlite.Connection, user_id: int, prefs: ReminderPrefs, now: datetime) -> None:
    await conn.execute(
        """INSERT INTO reminder_prefs (user_id, muted, lead_minutes, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET muted = excluded.muted, lead_minutes = excluded.lead_minutes,
               updated_at = excluded.updated_at""",
        (user_id, int(prefs.muted), prefs.lead_minutes, dump_instant(now)),
    )
