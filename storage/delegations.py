"""Delegations: one registered visit each, with its join code and approval status."""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_date, dump_instant, literal, literals, load_date, load_instant
from storage.db import fetch_all, fetch_one


class DelegationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ACTIVE: frozenset[DelegationStatus] = frozenset({DelegationStatus.PENDING, DelegationStatus.APPROVED})
"""A visit that is still on: waiting for a decision, or approved. A cancelled or rejected one did not happen:
nobody joins it, it gets no reminders or broadcasts, and reports count it apart."""


def status_in(statuses: Iterable[DelegationStatus], column: str = "status") -> str:
    """The SQL condition `column IN ('approved', 'pending')` for these statuses."""
    return f"{column} IN {literals(statuses)}"


class VisitMode(enum.StrEnum):
    ONSITE = "onsite"
    VIRTUAL = "virtual"


@dataclass(frozen=True)
class NewDelegation:
    """What a coordinator registered, before it has an id."""

    institution: str
    province_code: str
    head_name: str
    head_position: str
    planned_size: int
    mode: VisitMode
    arrival_date: date
    departure_date: date
    topics: tuple[str, ...]
    topics_note: str | None
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class Delegation(NewDelegation):
    id: int
    join_code: str
    coordinator_id: int
    status: DelegationStatus
    created_at: datetime

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Proposal:
    """Other dates staff offered for a visit still pending, awaiting its coordinator's answer."""

    arrival: date
    departure: date


@dataclass(frozen=True)
class PendingVisit:
    """A visit that waits for the host: for a decision, or (dates proposed) for its coordinator's answer."""

    delegation: Delegation
    proposal: Proposal | None


class JoinCodeTaken(Exception):
    """The generated join code already exists; the caller draws another."""


COLUMNS = (
    "id, join_code, coordinator_id, institution, province_code, head_name, head_position, planned_size, "
    "mode, arrival_date, departure_date, topics, topics_note, contact_name, contact_phone, status, created_at"
)


def delegation_from_row(row: aiosqlite.Row) -> Delegation:
    """A row selected with the COLUMNS (any alias prefix) as a Delegation; other queries reuse it."""
    return Delegation(
        id=row["id"],
        join_code=row["join_code"],
        coordinator_id=row["coordinator_id"],
        institution=row["institution"],
        province_code=row["province_code"],
        head_name=row["head_name"],
        head_position=row["head_position"],
        planned_size=row["planned_size"],
        mode=VisitMode(row["mode"]),
        arrival_date=load_date(row["arrival_date"]),
        departure_date=load_date(row["departure_date"]),
        topics=tuple(json.loads(row["topics"])),
        topics_note=row["topics_note"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        status=DelegationStatus(row["status"]),
        created_at=load_instant(row["created_at"]),
    )


async def insert_delegation(
    conn: aiosqlite.Connection, new: NewDelegation, *, join_code: str, coordinator_id: int, now: datetime
) -> Delegation:
    stamp = dump_instant(now)
    try:
        row = await fetch_one(
            conn,
            f"""
            INSERT INTO delegations (join_code, coordinator_id, institution, province_code, head_name,
                head_position, planned_size, mode, arrival_date, departure_date, topics, topics_note,
                contact_name, contact_phone, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {literal(DelegationStatus.PENDING)}, ?, ?)
            RETURNING {COLUMNS}
            """,
            (
                join_code,
                coordinator_id,
                new.institution,
                new.province_code,
                new.head_name,
                new.head_position,
                new.planned_size,
                new.mode.value,
                dump_date(new.arrival_date),
                dump_date(new.departure_date),
                json.dumps(list(new.topics)),
                new.topics_note,
                new.contact_name,
                new.contact_phone,
                stamp,
                stamp,
            ),
        )
    except sqlite3.IntegrityError as error:
        if "join_code" in str(error):
            raise JoinCodeTaken(join_code) from error
        raise
    assert row is not None
    return delegation_from_row(row)


async def get_delegation(conn: aiosqlite.Connection, delegation_id: int) -> Delegation | None:
    row = await fetch_one(conn, f"SELECT {COLUMNS} FROM delegations WHERE id = ?", (delegation_id,))
    return None if row is None else delegation_from_row(row)


async def find_by_join_code(conn: aiosqlite.Connection, join_code: str) -> Delegation | None:
    row = await fetch_one(conn, f"SELECT {COLUMNS} FROM delegations WHERE join_code = ?", (join_code,))
    return None if row is None else delegation_from_row(row)


async def delegations_of_coordinator(conn: aiosqlite.Connection, user_id: int) -> list[Delegation]:
    rows = await fetch_all(
        conn, f"SELECT {COLUMNS} FROM delegations WHERE coordinator_id = ? ORDER BY arrival_date, id", (user_id,)
    )
    return [delegation_from_row(row) for row in rows]


async def delegations_joined_by(conn: aiosqlite.Connection, user_id: int) -> list[Delegation]:
    rows = await fetch_all(
        conn,
        f"""SELECT {", ".join("d." + c.strip() for c in COLUMNS.split(","))}
            FROM delegations d JOIN participants p ON p.delegation_id = d.id
            WHERE p.user_id = ? ORDER BY d.arrival_date, d.id""",
        (user_id,),
    )
    return [delegation_from_row(row) for row in rows]


async def delegations_from(conn: aiosqlite.Connection, first_day: date, limit: int = 50) -> list[Delegation]:
    """Visits whose departure is on or after `first_day`, soonest first (the staff overview)."""
    rows = await fetch_all(
        conn,
        f"SELECT {COLUMNS} FROM delegations WHERE departure_date >= ? ORDER BY arrival_date, id LIMIT ?",
        (dump_date(first_day), limit),
    )
    return [delegation_from_row(row) for row in rows]


async def pending_visits(
    conn: aiosqlite.Connection, first_day: date, *, coordinator_id: int | None = None, limit: int = 50
) -> list[PendingVisit]:
    """Pending visits not over before `first_day` (of one coordinator, or all), soonest first, with their proposal."""
    mine = "" if coordinator_id is None else "AND coordinator_id = ?"
    rows = await fetch_all(
        conn,
        f"""SELECT {COLUMNS}, proposed_arrival, proposed_departure FROM delegations
            WHERE status = {literal(DelegationStatus.PENDING)} AND departure_date >= ? {mine}
            ORDER BY arrival_date, id LIMIT ?""",
        (dump_date(first_day), *(() if coordinator_id is None else (coordinator_id,)), limit),
    )
    return [
        PendingVisit(
            delegation_from_row(row),
            None
            if row["proposed_arrival"] is None
            else Proposal(load_date(row["proposed_arrival"]), load_date(row["proposed_departure"])),
        )
        for row in rows
    ]


async def set_status(conn: aiosqlite.Connection, delegation_id: int, status: DelegationStatus, now: datetime) -> None:
    await conn.execute(
        "UPDATE delegations SET status = ?, updated_at = ? WHERE id = ?",
        (status.value, dump_instant(now), delegation_id),
    )


MEMBERSHIPS = """SELECT coordinator_id AS user_id, id AS delegation_id FROM delegations
                  UNION SELECT user_id, delegation_id FROM participants"""
"""Who belongs to which visit: its coordinator and everyone who joined it (a subquery for other queries)."""


async def delegation_ids_of_member(conn: aiosqlite.Connection, user_id: int) -> list[int]:
    """The visits a user coordinates or joined."""
    rows = await fetch_all(
        conn, f"SELECT DISTINCT delegation_id FROM ({MEMBERSHIPS}) WHERE user_id = ? ORDER BY 1", (user_id,)
    )
    return [int(row[0]) for row in rows]


async def member_ids(conn: aiosqlite.Connection, delegation_id: int) -> list[int]:
    """The members of a visit, each once: the coordinator first, then the participants in the order they joined."""
    rows = await fetch_all(
        conn,
        """SELECT coordinator_id AS user_id, 0 AS rank, '' AS joined_at, 0 AS id FROM delegations WHERE id = ?
           UNION ALL SELECT user_id, 1, joined_at, id FROM participants WHERE delegation_id = ?
           ORDER BY rank, joined_at, id""",
        (delegation_id, delegation_id),
    )
    return list(dict.fromkeys(int(row[0]) for row in rows))


async def delegations_between(
    conn: aiosqlite.Connection, first_day: date, last_day: date, statuses: Iterable[DelegationStatus]
) -> list[Delegation]:
    """Visits on any day of [first_day, last_day] with one of the statuses, soonest first."""
    rows = await fetch_all(
        conn,
        f"""SELECT {COLUMNS} FROM delegations WHERE arrival_date <= ? AND departure_date >= ?
            AND {status_in(statuses)} ORDER BY arrival_date, id""",
        (dump_date(last_day), dump_date(first_day)),
    )
    return [delegation_from_row(row) for row in rows]


async def decide(
    conn: aiosqlite.Connection, delegation_id: int, status: DelegationStatus, note: str | None, now: datetime
) -> bool:
    """Approve or reject a pending visit; False when it was not pending any more (decided meanwhile).

    A proposal of other dates still open is withdrawn with the decision: the coordinator can no longer answer it."""
    cursor = await conn.execute(
        f"""UPDATE delegations SET status = ?, decision_note = ?, proposed_arrival = NULL, proposed_departure = NULL,
                   updated_at = ?
            WHERE id = ? AND status = {literal(DelegationStatus.PENDING)}""",
        (status.value, note, dump_instant(now), delegation_id),
    )
    return cursor.rowcount == 1


async def propose_dates(
    conn: aiosqlite.Connection, delegation_id: int, arrival: date, departure: date, now: datetime
) -> None:
    await conn.execute(
        f"""UPDATE delegations SET proposed_arrival = ?, proposed_departure = ?, updated_at = ?
            WHERE id = ? AND status = {literal(DelegationStatus.PENDING)}""",
        (dump_date(arrival), dump_date(departure), dump_instant(now), delegation_id),
    )


async def proposed_dates(conn: aiosqlite.Connection, delegation_id: int) -> tuple[date, date] | None:
    row = await fetch_one(
        conn, "SELECT proposed_arrival, proposed_departure FROM delegations WHERE id = ?", (delegation_id,)
    )
    if row is None or row["proposed_arrival"] is None:
        return None
    return load_date(row["proposed_arrival"]), load_date(row["proposed_departure"])


async def settle_proposal(conn: aiosqlite.Connection, delegation_id: int, *, accepted: bool, now: datetime) -> bool:
    """Accepting moves the visit to the proposed dates and approves it; declining keeps it pending. Either only
    while the visit is pending with a proposal (False: answered already, or the visit was decided meanwhile)."""
    if accepted:
        cursor = await conn.execute(
            f"""UPDATE delegations SET arrival_date = proposed_arrival, departure_date = proposed_departure,
                   status = {literal(DelegationStatus.APPROVED)}, proposed_arrival = NULL, proposed_departure = NULL,
                   updated_at = ?
               WHERE id = ? AND status = {literal(DelegationStatus.PENDING)} AND proposed_arrival IS NOT NULL""",
            (dump_instant(now), delegation_id),
        )
    else:
        cursor = await conn.execute(
            f"""UPDATE delegations SET proposed_arrival = NULL, proposed_departure = NULL, updated_at = ?
               WHERE id = ? AND status = {literal(DelegationStatus.PENDING)} AND proposed_arrival IS NOT NULL""",
            (dump_instant(now), delegation_id),
        )
    return cursor.rowcount == 1
