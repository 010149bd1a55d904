"""How a send's end is recorded in its outbox row: by the outbox sender (bot/sender.py, several at once) and by the
answers of a turn (bot/answers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiosqlite import Connection

from bot.delivery import Attempt, Outcome
from core import receipts
from core.messages import Recipient
from storage import outbox
from storage.db import Database
from storage.outbox import OutboxStatus

SETTLED_AS = {
    Outcome.SENT: OutboxStatus.SENT,
    Outcome.UNREACHABLE: OutboxStatus.UNREACHABLE,
    Outcome.OUTSIDE_WINDOW: OutboxStatus.OUTSIDE_WINDOW,
}
"""How a send's outcome is recorded; anything else failed (HELD is not an end: the row waits, outbox.hold)."""


@dataclass(frozen=True)
class Finished:
    """How one row's send ended, to be recorded."""

    row_id: int
    to: Recipient
    outcome: Outcome
    attempt: Attempt


async def settle(
    conn: Connection, row_id: int, to: Recipient, outcome: Outcome, attempt: Attempt, now: datetime
) -> None:
    """Record how one row's send ended (answers and queued rows alike); see settle_all."""
    await settle_all(conn, [Finished(row_id, to, outcome, attempt)], now)


async def settle_all(conn: Connection, finished: Sequence[Finished], now: datetime) -> None:
    """Record how rows' sends ended, with the message ids the platform gave, tied to the row where the channel
    later tells what became of them (core.receipts). The rows that simply ended are written in one statement."""
    ends: list[outbox.End] = []
    for done in finished:
        row_id, to, outcome, attempt = done.row_id, done.to, done.outcome, done.attempt
        if receipts.told(to.channel):
            sent = [*attempt.delivered, *([attempt.stand_in] if attempt.stand_in else [])]
            await receipts.tie(conn, row_id, sent, now)
        if outcome is Outcome.HELD:
            await outbox.hold(conn, row_id, to.channel, to.chat_id, attempt.delivered, now)
            continue
        status = SETTLED_AS.get(outcome, OutboxStatus.FAILED)
        error = None if status is OutboxStatus.SENT else outcome.value
        ends.append(outbox.End(row_id, status, error, tuple(attempt.delivered)))
    if ends:
        await outbox.settle_many(conn, ends, now)


async def save_delivered(database: Database, row_id: int, delivered: Sequence[str]) -> None:
    """An Attempt's `save`: the steps of a row accepted so far, in a transaction of their own."""
    async with database.transaction() as conn:
        await outbox.save_delivered(conn, row_id, delivered)
