"""How values are written to and read from SQLite text columns."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, date, datetime


def dump_instant(value: datetime) -> str:
    if value.tzinfo is UTC:  # what the clock gives: no conversion to make (a turn writes a dozen of these)
        return value.isoformat(timespec="microseconds")
    if value.tzinfo is None:
        raise ValueError("store aware datetimes only")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def load_instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def load_optional_instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def dump_date(value: date) -> str:
    return value.isoformat()


def load_date(value: str) -> date:
    return date.fromisoformat(value)


def literal(value: enum.StrEnum) -> str:
    """A status or kind as an SQL literal: 'pending'.

    Statuses go into SQL as literals, not bound parameters: a partial index such as
    `WHERE status = 'pending'` is only used when the planner can see the value. They are our own
    enum values, never text a user typed.
    """
    return "'" + value.value.replace("'", "''") + "'"


def literals(values: Iterable[enum.StrEnum]) -> str:
    """A set of statuses as an SQL list: ('approved', 'pending'), in a stable order."""
    return "(" + ", ".join(sorted(literal(v) for v in values)) + ")"
