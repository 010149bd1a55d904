"""Agenda items: what a delegation does when and where during its visit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import aiosqlite

from storage._codec import dump_instant, load_instant
from storage.db import fetch_all, fetch_one


@dataclass(frozen=True)
class NewAgendaItem:
    starts_at: datetime
    minutes: int
    venue_id: str
    title: str
    host_officer: str | None = None
    notes: str | None = None
    title_en: str | None = None  # the title in English, when it came from content; None: as typed, for everyone

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    def day(self, tz: tzinfo) -> date:
        """The day the item starts on where the host is (times are stored in UTC)."""
        return self.starts_at.astimezone(tz).date()


@dataclass(frozen=True)
class AgendaItem(NewAgendaItem):
    id: int = 0
    delegation_id: int = 0
    uid: str = ""


def items_on(items: Iterable[AgendaItem], day: date, tz: tzinfo) -> list[AgendaItem]:
    """The items that start on `day` where the host is."""
    return [item for item in items if item.day(tz) == day]


_COLUMNS = "id, delegation_id, uid, starts_at, minutes, venue_id, title, host_officer, notes, title_en"


def _item(row: aiosqlite.Row) -> AgendaItem:
    return AgendaItem(
        id=row["id"],
        delegation_id=row["delegation_id"],
        uid=row["uid"],
        starts_at=load_instant(row["starts_at"]),
        minutes=row["minutes"],
        venue_id=row["venue_id"],
        title=row["title"],
        host_officer=row["host_officer"],
        notes=row["notes"],
        title_en=row["title_en"],
    )


def _editable(item: NewAgendaItem) -> tuple[object, ...]:
    """The columns staff edit, in the order both INSERT and UPDATE list them."""
    return (
        dump_instant(item.starts_at),
        item.minutes,
        item.venue_id,
        item.title,
        item.host_officer,
        item.notes,
        item.title_en,
    )


async def insert_item(
    conn: aiosqlite.Connection, delegation_id: int, item: NewAgendaItem, *, uid: str, now: datetime
) -> AgendaItem:
    row = await fetch_one(
        conn,
        f"""INSERT INTO agenda_items (delegation_id, uid, starts_at, minutes, venue_id, title, host_officer, notes,
                title_en, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}""",
        (delegation_id, uid, *_editable(item), dump_instant(now), dump_instant(now)),
    )
    assert row is not None
    return _item(row)


async def update_item(conn: aiosqlite.Connection, item_id: int, item: NewAgendaItem, *, now: datetime) -> None:
    await conn.execute(
        """UPDATE agenda_items SET starts_at = ?, minutes = ?, venue_id = ?, title = ?, host_officer = ?, notes = ?,
               title_en = ?, updated_at = ? WHERE id = ?""",
        (*_editable(item), dump_instant(now), item_id),
    )


async def delete_item(conn: aiosqlite.Connection, item_id: int) -> None:
    await conn.execute("DELETE FROM agenda_items WHERE id = ?", (item_id,))


async def items_of(conn: aiosqlite.Connection, delegation_id: int) -> list[AgendaItem]:
    rows = await fetch_all(
        conn, f"SELECT {_COLUMNS} FROM agenda_items WHERE delegation_id = ? ORDER BY starts_at, id", (delegation_id,)
    )
    return [_item(row) for row in rows]


async def items_at_venue_between(
    conn: aiosqlite.Connection, venue_id: str, start: datetime, end: datetime, *, except_delegation: int
) -> list[AgendaItem]:
    """Other delegations' items at a venue that overlap [start, end) — for the venue's capacity."""
    rows = await fetch_all(
        conn,
        f"""SELECT {_COLUMNS} FROM agenda_items
            WHERE venue_id = ? AND delegation_id != ? AND starts_at < ?
              AND datetime(starts_at, '+' || minutes || ' minutes') > datetime(?)""",
        (venue_id, except_delegation, dump_instant(end), dump_instant(start)),
    )
    return [_item(row) for row in rows]


async def set_plan_published(conn: aiosqlite.Connection, delegation_id: int, now: datetime) -> bool:
    """Mark the plan published; False when it was already (a second press, a race)."""
    cursor = await conn.execute(
        "UPDATE delegations SET plan_published_at = ? WHERE id = ? AND plan_published_at IS NULL",
        (dump_instant(now), delegation_id),
    )
    return cursor.rowcount == 1


async def plan_published(conn: aiosqlite.Connection, delegation_id: int) -> bool:
    row = await fetch_one(conn, "SELECT plan_published_at FROM delegations WHERE id = ?", (delegation_id,))
    return row is not None and row["plan_published_at"] is not None


async def get_item(conn: aiosqlite.Connection, item_id: int) -> AgendaItem | None:
    row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM agenda_items WHERE id = ?", (item_id,))
    return None if row is None else _item(row)
