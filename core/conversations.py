"""Where a user is in a multi-step conversation: the flow, its step, the steps answered and the draft so far.

The flow engine (handlers/flow.py) keeps its state here, in SQLite rather than memory, so a half-finished
registration continues at the same step after a restart.
"""

from __future__ import annotations

from typing import Any

from aiosqlite import Connection

from core.session import Session
from storage.conversations import Conversation, clear_conversation, load_conversation, save_conversation
from storage.users import User


async def current(session: Session) -> Conversation | None:
    return await current_of(session.conn, session.user)


async def current_of(conn: Connection, user: User) -> Conversation | None:
    """The conversation a user is in, read as their message arrives (before the turn has begun)."""
    return await load_conversation(conn, user.id)


async def remember(session: Session, flow: str, step: str, data: dict[str, Any], answered: tuple[str, ...]) -> None:
    await save_conversation(session.conn, session.user.id, flow, step, data, session.now, answered)


async def forget(session: Session) -> None:
    await clear_conversation(session.conn, session.user.id)
