"""How values are written to and read from SQLite text columns."""

from __future__ import annotations

from datetime import UTC, date, datetime


def dump_instant(value: datetime) -> str:
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
