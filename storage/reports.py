"""Read-only queries for exports and the monthly report.

These rows are a reporting view, not the Delegation aggregate: they carry what a spreadsheet or a
count needs (the number of participants, the delegation's code beside each participant) and read
only the columns of the first migration, so later columns of `delegations` cannot break an export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_date, load_date, load_instant
from storage.db import fetch_all
from storage.delegations import DelegationStatus, VisitMode

# A visit that was cancelled or rejected did not happen; reports count only these statuses.
ACTIVE_STATUSES = (DelegationStatus.PENDING, DelegationStatus.APPROVED)


@dataclass(frozen=True)
class DelegationRecord:
    """One delegation as a row of an export, with how many participants joined it with the code."""

    id: int
    join_code: str
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
    status: DelegationStatus
    created_at: datetime
    participants: int

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def days(self) -> int:
        return (self.departure_date - self.arrival_date).days + 1


@dataclass(frozen=True)
class ParticipantRecord:
    """One participant with the delegation it belongs to, so the sheet reads without a lookup."""

    id: int
    delegation_id: int
    join_code: str
    institution: str
    arrival_date: date
    status: DelegationStatus
    name: str
    position: str
    unit: str | None
    joined_at: datetime


@dataclass(frozen=True)
class InstitutionVisits:
    """How many visits an institution (as it typed its name) made."""

    institution: str
    visits: int


_DELEGATION_SELECT = """
    SELECT d.id, d.join_code, d.institution, d.province_code, d.head_name, d.head_position, d.planned_size,
           d.mode, d.arrival_date, d.departure_date, d.topics, d.topics_note, d.contact_name, d.contact_phone,
           d.status, d.created_at,
           (SELECT COUNT(*) FROM participants p WHERE p.delegation_id = d.id) AS participant_count
    FROM delegations d
"""


def _delegation(row: aiosqlite.Row) -> DelegationRecord:
    return DelegationRecord(
        id=row["id"],
        join_code=row["join_code"],
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
        participants=row["participant_count"],
    )


def _status_filter(include_inactive: bool) -> tuple[str, tuple[str, ...]]:
    if include_inactive:
        return "", ()
    marks = ", ".join("?" for _ in ACTIVE_STATUSES)
    return f" AND d.status IN ({marks})", tuple(s.value for s in ACTIVE_STATUSES)


async def delegations_overlapping(
    conn: aiosqlite.Connection, first_day: date, last_day: date, *, include_inactive: bool = True
) -> list[DelegationRecord]:
    """Visits with at least one day in [first_day, last_day], soonest first.

    Cancelled and rejected visits are included by default: an export is a record of what was asked
    for, and the status column tells them apart.
    """
    extra, statuses = _status_filter(include_inactive)
    rows = await fetch_all(
        conn,
        f"""{_DELEGATION_SELECT} WHERE d.arrival_date <= ? AND d.departure_date >= ?{extra}
            ORDER BY d.arrival_date, d.id""",
        (dump_date(last_day), dump_date(first_day), *statuses),
    )
    return [_delegation(row) for row in rows]


async def delegations_arriving(conn: aiosqlite.Connection, first_day: date, last_day: date) -> list[DelegationRecord]:
    """Visits (every status) that arrive in [first_day, last_day]: a visit over a month's end counts once."""
    rows = await fetch_all(
        conn,
        f"{_DELEGATION_SELECT} WHERE d.arrival_date BETWEEN ? AND ? ORDER BY d.arrival_date, d.id",
        (dump_date(first_day), dump_date(last_day)),
    )
    return [_delegation(row) for row in rows]


async def participants_overlapping(
    conn: aiosqlite.Connection, first_day: date, last_day: date, *, include_inactive: bool = True
) -> list[ParticipantRecord]:
    """The participants of the visits `delegations_overlapping` returns, by visit then by joining order."""
    extra, statuses = _status_filter(include_inactive)
    rows = await fetch_all(
        conn,
        f"""SELECT p.id, p.delegation_id, d.join_code, d.institution, d.arrival_date, d.status,
                   p.name, p.position, p.unit, p.joined_at
            FROM participants p JOIN delegations d ON d.id = p.delegation_id
            WHERE d.arrival_date <= ? AND d.departure_date >= ?{extra}
            ORDER BY d.arrival_date, d.id, p.joined_at, p.id""",
        (dump_date(last_day), dump_date(first_day), *statuses),
    )
    return [
        ParticipantRecord(
            id=row["id"],
            delegation_id=row["delegation_id"],
            join_code=row["join_code"],
            institution=row["institution"],
            arrival_date=load_date(row["arrival_date"]),
            status=DelegationStatus(row["status"]),
            name=row["name"],
            position=row["position"],
            unit=row["unit"],
            joined_at=load_instant(row["joined_at"]),
        )
        for row in rows
    ]


async def visits_before(conn: aiosqlite.Connection, before: date) -> list[InstitutionVisits]:
    """Visits that arrived before `before` and were not cancelled or rejected, counted per institution name.

    Names are grouped as typed; the caller folds case and spacing, which SQLite's lower() cannot do
    beyond ASCII.
    """
    marks = ", ".join("?" for _ in ACTIVE_STATUSES)
    rows = await fetch_all(
        conn,
        f"""SELECT institution, COUNT(*) AS visits FROM delegations
            WHERE arrival_date < ? AND status IN ({marks}) GROUP BY institution""",
        (dump_date(before), *(s.value for s in ACTIVE_STATUSES)),
    )
    return [InstitutionVisits(row["institution"], row["visits"]) for row in rows]
