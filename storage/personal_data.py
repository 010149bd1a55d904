"""Personal data: what the bot holds about one user, and removing it (on request, or after the retention period).

Rows are scrubbed rather than deleted where they carry counts the monthly report needs: a participant of
a past visit stays as a row without name, position or unit, so "people" does not shrink, and a visit
keeps its institution, province, size, dates, topics and status. Scrubbed text columns are NOT NULL in
the schema, so they become '' (REMOVED); readers show such a value as removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage._codec import dump_date, dump_instant, literals, load_date, load_instant
from storage.db import fetch_all, fetch_one
from storage.delegations import ACTIVE, DelegationStatus, status_in
from storage.outbox import WAITING

REMOVED = ""


@dataclass(frozen=True)
class MembershipRecord:
    """A visit the user joined, with what they gave when joining."""

    institution: str
    arrival: date
    departure: date
    status: DelegationStatus
    name: str
    position: str
    unit: str | None
    joined_at: datetime


@dataclass(frozen=True)
class CoordinatedRecord:
    """A visit the user registered, with the contact details they gave."""

    institution: str
    arrival: date
    departure: date
    status: DelegationStatus
    contact_name: str
    contact_phone: str
    topics_note: str | None


@dataclass(frozen=True)
class Holdings:
    """Everything stored about one user beyond their account row."""

    memberships: tuple[MembershipRecord, ...]
    coordinated: tuple[CoordinatedRecord, ...]
    questions: int
    reminder_settings: bool
    pending_messages: int


@dataclass(frozen=True)
class Erasure:
    """What one erasure did (or, before it, would do), for the user's confirmation and the audit log (counts only):
    only what was still held counts, so a past visit scrubbed before is not "removed" again."""

    memberships_left: int
    memberships_anonymised: int
    contacts_removed: int
    questions_deleted: int


_COORDINATED = """SELECT institution, arrival_date, departure_date, status, contact_name, contact_phone, topics_note
                  FROM delegations WHERE coordinator_id = ?"""
_VISITS_TO_COME = f"SELECT id FROM delegations WHERE departure_date >= ? AND {status_in(ACTIVE)}"
"""The visits an erasure takes the user out of (the rest keep them, anonymous); its one parameter is today."""
_NAMES_SOMEONE = f"(name != '{REMOVED}' OR position != '{REMOVED}' OR unit IS NOT NULL)"
"""A participant row that still holds a name, position or unit."""
_HOLDS_CONTACT = f"(contact_name != '{REMOVED}' OR contact_phone != '{REMOVED}' OR topics_note IS NOT NULL)"
"""A registration that still holds its coordinator's contact details or note."""


def _coordinated(row: aiosqlite.Row) -> CoordinatedRecord:
    return CoordinatedRecord(
        row["institution"],
        load_date(row["arrival_date"]),
        load_date(row["departure_date"]),
        DelegationStatus(row["status"]),
        row["contact_name"],
        row["contact_phone"],
        row["topics_note"],
    )


async def holdings_of(conn: aiosqlite.Connection, user_id: int) -> Holdings:
    memberships = await fetch_all(
        conn,
        """SELECT d.institution, d.arrival_date, d.departure_date, d.status, p.name, p.position, p.unit, p.joined_at
           FROM participants p JOIN delegations d ON d.id = p.delegation_id
           WHERE p.user_id = ? ORDER BY d.arrival_date, d.id""",
        (user_id,),
    )
    coordinated = await fetch_all(conn, f"{_COORDINATED} ORDER BY arrival_date, id", (user_id,))
    counts = await fetch_one(
        conn,
        f"""SELECT (SELECT COUNT(*) FROM questions WHERE user_id = ?) AS questions,
                  (SELECT COUNT(*) FROM reminder_prefs WHERE user_id = ?) AS prefs,
                  (SELECT COUNT(*) FROM outbox WHERE user_id = ? AND status IN {literals(WAITING)}) AS queued""",
        (user_id, user_id, user_id),
    )
    assert counts is not None
    return Holdings(
        memberships=tuple(
            MembershipRecord(
                r["institution"],
                load_date(r["arrival_date"]),
                load_date(r["departure_date"]),
                DelegationStatus(r["status"]),
                r["name"],
                r["position"],
                r["unit"],
                load_instant(r["joined_at"]),
            )
            for r in memberships
        ),
        coordinated=tuple(_coordinated(r) for r in coordinated),
        questions=counts["questions"],
        reminder_settings=bool(counts["prefs"]),
        pending_messages=counts["queued"],
    )


async def erasure_preview(conn: aiosqlite.Connection, user_id: int, *, today: date) -> Erasure:
    """What `erase_user` would remove today, counted by the same rules, so /hapusdata says only what it will do."""
    row = await fetch_one(
        conn,
        f"""SELECT (SELECT COUNT(*) FROM participants WHERE user_id = ? AND delegation_id IN ({_VISITS_TO_COME}))
                       AS leaving,
                   (SELECT COUNT(*) FROM participants WHERE user_id = ? AND {_NAMES_SOMEONE}
                       AND delegation_id NOT IN ({_VISITS_TO_COME})) AS anonymising,
                   (SELECT COUNT(*) FROM delegations WHERE coordinator_id = ? AND {_HOLDS_CONTACT}) AS contacts,
                   (SELECT COUNT(*) FROM questions WHERE user_id = ?) AS questions""",
        (user_id, dump_date(today), user_id, dump_date(today), user_id, user_id),
    )
    assert row is not None
    return Erasure(row["leaving"], row["anonymising"], row["contacts"], row["questions"])


async def upcoming_coordinated(conn: aiosqlite.Connection, user_id: int, today: date) -> list[CoordinatedRecord]:
    """Visits the user registered that are still to happen (pending or approved, not yet over)."""
    rows = await fetch_all(
        conn,
        f"{_COORDINATED} AND departure_date >= ? AND {status_in(ACTIVE)} ORDER BY arrival_date, id",
        (user_id, dump_date(today)),
    )
    return [_coordinated(r) for r in rows]


async def erase_user(conn: aiosqlite.Connection, user_id: int, *, today: date, now: datetime) -> Erasure:
    """Remove one user's personal data; the caller checked they coordinate no visit still to come.

    Joining a visit still to come is undone (they leave it: no reminders, not on the roster); a past
    visit keeps an anonymous participant row. The account row is kept, scrubbed and detached from the
    chat account, so the next message from that person starts afresh as a new user.
    """
    left = await conn.execute(
        f"DELETE FROM participants WHERE user_id = ? AND delegation_id IN ({_VISITS_TO_COME})",
        (user_id, dump_date(today)),
    )
    anonymised = await conn.execute(
        f"UPDATE participants SET name = ?, position = ?, unit = NULL WHERE user_id = ? AND {_NAMES_SOMEONE}",
        (REMOVED, REMOVED, user_id),
    )
    contacts = await conn.execute(
        f"""UPDATE delegations SET contact_name = ?, contact_phone = ?, topics_note = NULL, updated_at = ?
            WHERE coordinator_id = ? AND {_HOLDS_CONTACT}""",
        (REMOVED, REMOVED, dump_instant(now), user_id),
    )
    questions = await conn.execute("DELETE FROM questions WHERE user_id = ?", (user_id,))
    for table in ("inbox", "numbered_choices", "chat_windows"):  # kept by chat: the user's own
        await conn.execute(
            f"DELETE FROM {table} WHERE (channel, chat_id) IN (SELECT channel, chat_id FROM users WHERE id = ?)",
            (user_id,),
        )
    for table in ("conversations", "reminder_prefs", "reminders", "outbox"):
        await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
    # Wrong join codes stay: they are counted by a keyed hash of the platform identity, with no user id and no
    # typed code (core.join_limits), so erasing does not reset a guesser's count; they are pruned at two hours old.
    # The audit log keeps what was done, by an account that no longer names anyone; what they typed goes.
    await conn.execute(
        "UPDATE audit_log SET detail = json_remove(detail, '$.typed', '$.last.typed') WHERE actor_id = ?", (user_id,)
    )
    stamp = dump_instant(now)
    await conn.execute(
        """UPDATE users SET display_name = ?, chat_id = ?, external_id = 'erased-' || id, blocked_at = ?,
                  erased_at = ?, updated_at = ? WHERE id = ?""",
        (REMOVED, REMOVED, stamp, stamp, stamp, user_id),
    )
    return Erasure(left.rowcount, anonymised.rowcount, contacts.rowcount, questions.rowcount)


async def visits_to_scrub(conn: aiosqlite.Connection, ended_before: date, limit: int = 500) -> list[int]:
    """Visits (any status) whose last day is before `ended_before` and still carry personal data."""
    rows = await fetch_all(
        conn,
        """SELECT id FROM delegations WHERE departure_date < ? AND personal_data_removed_at IS NULL
           ORDER BY departure_date, id LIMIT ?""",
        (dump_date(ended_before), limit),
    )
    return [int(r["id"]) for r in rows]


async def scrub_visits(conn: aiosqlite.Connection, delegation_ids: list[int], now: datetime) -> None:
    """Remove the personal fields of these visits and of their participants, keeping everything countable."""
    if not delegation_ids:
        return
    marks = ", ".join("?" for _ in delegation_ids)
    stamp = dump_instant(now)
    await conn.execute(
        f"""UPDATE delegations SET head_name = ?, contact_name = ?, contact_phone = ?, topics_note = NULL,
                   decision_note = NULL, personal_data_removed_at = ?, updated_at = ?
            WHERE id IN ({marks})""",
        (REMOVED, REMOVED, REMOVED, stamp, stamp, *delegation_ids),
    )
    await conn.execute(
        f"UPDATE participants SET name = ?, position = ?, unit = NULL WHERE delegation_id IN ({marks})",
        (REMOVED, REMOVED, *delegation_ids),
    )
