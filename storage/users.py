"""Users of every channel: who they are, which language they read, which role they have."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, literals, load_instant, load_optional_instant
from storage.db import fetch_all, fetch_one


class Role(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"  # approves, plans, broadcasts, answers questions
    ADMIN = "admin"  # staff who may also take exports and reports


STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


@dataclass(frozen=True)
class User:
    id: int
    channel: str
    external_id: str
    chat_id: str
    display_name: str
    language: str
    role: Role
    blocked_at: datetime | None
    created_at: datetime

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


_COLUMNS = "id, channel, external_id, chat_id, display_name, language, role, blocked_at, created_at"


def _user(row: aiosqlite.Row) -> User:
    return User(
        id=row["id"],
        channel=row["channel"],
        external_id=row["external_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        language=row["language"],
        role=Role(row["role"]),
        blocked_at=load_optional_instant(row["blocked_at"]),
        created_at=load_instant(row["created_at"]),
    )


async def upsert_user(
    conn: aiosqlite.Connection,
    *,
    channel: str,
    external_id: str,
    chat_id: str,
    display_name: str,
    default_language: str,
    role: Role,
    now: datetime,
) -> User:
    """Create the user on first contact, else refresh name, chat and role; the language they chose is kept.

    A user who writes again has evidently unblocked the bot, so blocked_at is cleared.
    """
    stamp = dump_instant(now)
    row = await fetch_one(
        conn,
        f"""
        INSERT INTO users (channel, external_id, chat_id, display_name, language, role, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (channel, external_id) DO UPDATE SET
            chat_id = excluded.chat_id,
            display_name = excluded.display_name,
            role = excluded.role,
            blocked_at = NULL,
            updated_at = excluded.updated_at
        RETURNING {_COLUMNS}
        """,
        (channel, external_id, chat_id, display_name, default_language, role.value, stamp, stamp),
    )
    assert row is not None
    return _user(row)


async def get_user(conn: aiosqlite.Connection, user_id: int) -> User | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return None if row is None else _user(row)


async def get_users(conn: aiosqlite.Connection, user_ids: Iterable[int]) -> dict[int, User]:
    """Several users in one query, by id (the ids not found are missing)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await fetch_all(conn, f"SELECT {_COLUMNS} FROM users WHERE id IN ({', '.join('?' * len(ids))})", tuple(ids))
    return {user.id: user for user in map(_user, rows)}


async def find_user(conn: aiosqlite.Connection, channel: str, external_id: str) -> User | None:
    row = await fetch_one(
        conn, f"SELECT {_COLUMNS} FROM users WHERE channel = ? AND external_id = ?", (channel, external_id)
    )
    return None if row is None else _user(row)


async def latest_given_name(conn: aiosqlite.Connection, user_id: int) -> str | None:
    """The name this user last gave in a form: as a participant joining, or as the contact of a visit they registered.

    A removed name (an erasure, the retention job) is not a name; None when no form gave one.
    """
    row = await fetch_one(
        conn,
        """SELECT name FROM (
               SELECT name, joined_at AS given_at, 0 AS kind, id FROM participants WHERE user_id = ? AND name != ''
               UNION ALL
               SELECT contact_name, created_at, 1, id FROM delegations WHERE coordinator_id = ? AND contact_name != ''
           ) ORDER BY given_at DESC, kind DESC, id DESC LIMIT 1""",
        (user_id, user_id),
    )
    return None if row is None else str(row["name"])


async def staff_users(conn: aiosqlite.Connection) -> list[User]:
    rows = await fetch_all(conn, f"SELECT {_COLUMNS} FROM users WHERE role IN {literals(STAFF_ROLES)} ORDER BY id")
    return [_user(row) for row in rows]


async def set_language(conn: aiosqlite.Connection, user_id: int, language: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE users SET language = ?, updated_at = ? WHERE id = ?", (language, dump_instant(now), user_id)
    )


async def mark_blocked(conn: aiosqlite.Connection, channel: str, chat_id: str, now: datetime) -> int:
    """Record that the platform refused delivery because the user blocked the bot; returns rows changed."""
    cursor = await conn.execute(
        "UPDATE users SET blocked_at = ?, updated_at = ? WHERE channel = ? AND chat_id = ?",
        (dump_instant(now), dump_instant(now), channel, chat_id),
    )
    return cursor.rowcount
