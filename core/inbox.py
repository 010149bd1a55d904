"""Nothing a platform handed over is lost: an update is kept before the platform is told it arrived, and
handled once, in the same transaction as what it does. After a kill, what was kept but not handled is
handled first at the next start; a platform sending an update again changes nothing."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta

from aiosqlite import Connection

from core.messages import Incoming
from storage import inbox
from storage.inbox import InboxKey

HANDLED_KEPT = timedelta(days=2)
"""How long the key of a handled update is kept to recognise a late copy (its content goes at once)."""

__all__ = ["HANDLED_KEPT", "InboxKey", "claim", "handled", "prune", "receive", "waiting"]


_FIELDS = tuple(f.name for f in fields(Incoming))


async def receive(conn: Connection, key: InboxKey, incoming: Incoming, now: datetime) -> bool:
    """Keep an update before it is acknowledged; False when it was kept before."""
    payload = {name: getattr(incoming, name) for name in _FIELDS}  # its fields are text: no deep copy (asdict) needed
    return await inbox.record(conn, key, incoming.chat_id, payload, now)


async def claim(conn: Connection, key: InboxKey, now: datetime) -> bool:
    """Mark the update handled in this transaction; False when it was handled before (then it is not again)."""
    return await inbox.mark_handled(conn, key, now)


async def handled(conn: Connection, key: InboxKey) -> bool:
    """Whether the update was handled before, leaving it unclaimed: a turn that makes a file after its reads
    claims the update only in the transaction that keeps its replies, so a kill in between loses nothing."""
    return await inbox.is_handled(conn, key)


async def waiting(conn: Connection, channel: str) -> list[tuple[InboxKey, Incoming]]:
    """The updates kept but not handled (a kill came in between), oldest first."""
    return [(row.key, Incoming(**row.payload)) for row in await inbox.unhandled(conn, channel)]


async def prune(conn: Connection, now: datetime) -> int:
    return await inbox.forget_handled_before(conn, now - HANDLED_KEPT)
