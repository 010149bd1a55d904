"""Read-only queries for exports and the monthly report.

These rows are a reporting view: a delegation with the number of participants who joined it, a
participant with its delegation's code and dates beside it, so a spreadsheet or a count needs no
lookups. Delegations are read with the aggregate's own columns and row mapping (storage.delegations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_date, load_date, load_instant
from storage.db import fetch_all
from storage.delegations import ACTIVE, COLUMNS, Delegation, DelegationStatus, delegation_from_row, status_in


@dataclass(frozen=True)
class DelegationRecord(Delegation):
    """One delegation as a row of an export, with how many participants joined it with the code."""

    participants: int

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


_DELEGATION_SELECT = f"""
    SELECT {", ".join("d." + column.strip() for column in COLUMNS.split(","))},
           (SELECT COUNT(*) FROM participants p WHERE p.delegation_id = d.id) AS participant_count
    FROM delegations d
"""


def _delegation(row: aiosqlite.Row) -> DelegationRecord:
    return DelegationRecord(**vars(delegation_from_row(row)), participants=row["participant_count"])


def _status_filter(include_inactive: bool) -> tuple[str, tuple[str, ...]]:
    if include_inactive:
        return "", ()
    return f" AND {status_in(ACTIVE, 'd.status')}", ()


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
    rows = await fetch_all(
        conn,
        f"""SELECT institution, COUNT(*) AS visits FROM delegations
            WHERE arrival_date < ? AND {status_in(ACTIVE)} GROUP BY institution""",
        (dump_date(before),),
    )
    return [InstitutionVisits(row["institution"], row["visits"]) for row in rows]
