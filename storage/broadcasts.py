"""Broadcasts: a text from host staff to an audience, delivered through the outbox."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_date, dump_instant, literal, load_instant
from storage.db import fetch_all, fetch_one
from storage.delegations import ACTIVE, MEMBERSHIPS, DelegationStatus, status_in


class Audience(enum.StrEnum):
    """Who a broadcast reaches."""

    DELEGATION = "delegation"  # the members of one visit (audience_ref: its id)
    DATE = "date"  # the members of every active visit on one day (audience_ref: the ISO date)
    COORDINATORS = "coordinators"  # the coordinators of active visits
    PARTICIPANTS = "participants"  # the participants of approved visits not yet over
    EVERYONE = "everyone"  # everyone who coordinates or joined a visit

    @property
    def needs_target(self) -> bool:
        """Whether the audience names a visit or a day."""
        return self in (Audience.DELEGATION, Audience.DATE)


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int
    audience: Audience
    audience_ref: str | None
    text: str
    recipients: int
    skipped: int
    created_at: datetime
    reported_at: datetime | None


_COLUMNS = "id, author_id, audience, audience_ref, text, recipients, skipped, created_at, reported_at"


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        author_id=row["author_id"],
        audience=Audience(row["audience"]),
        audience_ref=row["audience_ref"],
        text=row["text"],
        recipients=row["recipients"],
        skipped=row["skipped"],
        created_at=load_instant(row["created_at"]),
        reported_at=load_instant(row["reported_at"]) if row["reported_at"] else None,
    )


async def insert_broadcast(
    conn: aiosqlite.Connection,
    *,
    author_id: int,
    audience: Audience,
    audience_ref: str | None,
    text: str,
    recipients: int,
    skipped: int,
    now: datetime,
) -> Broadcast:
    row = await fetch_one(
        conn,
        f"""INSERT INTO broadcasts (author_id, audience, audience_ref, text, recipients, skipped, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
        (author_id, audience.value, audience_ref, text, recipients, skipped, dump_instant(now)),
    )
    assert row is not None
    return _broadcast(row)


async def get_broadcast(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    return None if row is None else _broadcast(row)


async def recent_broadcasts(conn: aiosqlite.Connection, limit: int = 5) -> list[Broadcast]:
    rows = await fetch_all(conn, f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
    return [_broadcast(r) for r in rows]


async def mark_reported(conn: aiosqlite.Connection, broadcast_id: int, now: datetime) -> bool:
    """Claim the delivery report once (False when it was already sent)."""
    cursor = await conn.execute(
        "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL", (dump_instant(now), broadcast_id)
    )
    return cursor.rowcount == 1


async def audience_user_ids(
    conn: aiosqlite.Connection, audience: Audience, ref: str | None, today: date
) -> list[tuple[int, bool]]:
    """(user id, blocked) of everyone an audience reaches, each once; an erased user is nobody to reach."""
    active = status_in(ACTIVE, "d.status")
    params: tuple[object, ...]
    if audience is Audience.DELEGATION:
        sql = f"SELECT m.user_id FROM ({MEMBERSHIPS}) m WHERE m.delegation_id = ?"
        params = (int(ref or 0),)
    elif audience is Audience.DATE:
        sql = f"""SELECT m.user_id FROM ({MEMBERSHIPS}) m JOIN delegations d ON d.id = m.delegation_id
                  WHERE {active} AND d.arrival_date <= ? AND d.departure_date >= ?"""
        params = (ref, ref)
    elif audience is Audience.COORDINATORS:
        sql = f"SELECT d.coordinator_id FROM delegations d WHERE {active}"
        params = ()
    elif audience is Audience.PARTICIPANTS:
        sql = f"""SELECT p.user_id FROM participants p JOIN delegations d ON d.id = p.delegation_id
                 WHERE d.status = {literal(DelegationStatus.APPROVED)} AND d.departure_date >= ?"""
        params = (dump_date(today),)
    else:
        sql = f"SELECT m.user_id FROM ({MEMBERSHIPS}) m"
        params = ()
    rows = await fetch_all(
        conn,
        f"""SELECT u.id, u.blocked_at IS NOT NULL AS blocked FROM users u
            WHERE u.id IN ({sql}) AND u.erased_at IS NULL ORDER BY u.id""",
        params,
    )
    return [(int(r["id"]), bool(r["blocked"])) for r in rows]
