"""Participants: the users who joined a delegation with its code."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_all, fetch_one


@dataclass(frozen=True)
class Participant:
    id: int
    delegation_id: int
    user_id: int
    name: str
    position: str
    unit: str | None
    joined_at: datetime


class AlreadyJoined(Exception):
    """The user is already a participant of that delegation."""


_COLUMNS = "id, delegation_id, user_id, name, position, unit, joined_at"


def _participant(row: aiosqlite.Row) -> Participant:
    return Participant(
        id=row["id"],
        delegation_id=row["delegation_id"],
        user_id=row["user_id"],
        name=row["name"],
        position=row["position"],
        unit=row["unit"],
        joined_at=load_instant(row["joined_at"]),
    )


async def insert_participant(
    conn: aiosqlite.Connection,
    *,
    delegation_id: int,
    user_id: int,
    name: str,
    position: str,
    unit: str | None,
    now: datetime,
) -> Participant:
    try:
        row = await fetch_one(
            conn,
            f"""INSERT INTO participants (delegation_id, user_id, name, position, unit, joined_at)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
            (delegation_id, user_id, name, position, unit, dump_instant(now)),
        )
    except sqlite3.IntegrityError as error:
        raise AlreadyJoined(delegation_id) from error
    assert row is not None
    return _participant(row)


async def find_participant(conn: aiosqlite.Connection, delegation_id: int, user_id: int) -> Participant | None:
    row = await fetch_one(
        conn, f"SELECT {_COLUMNS} FROM participants WHERE delegation_id = ? AND user_id = ?", (delegation_id, user_id)
    )
    return None if row is None else _participant(row)


async def participants_of(conn: aiosqlite.Connection, delegation_id: int) -> list[Participant]:
    rows = await fetch_all(
        conn, f"SELECT {_COLUMNS} FROM participants WHERE delegation_id = ? ORDER BY joined_at, id", (delegation_id,)
    )
    return [_participant(row) for row in rows]
