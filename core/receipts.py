"""What became of a message after the platform accepted it: receipts (sent, delivered, read) and late failures.

WhatsApp tells by status webhooks. They are recorded against the message ids each send was given
(storage.receipts), so the broadcast report and /siaran_status can say how many copies reached the phone
and how many were read. A failure reported after the send was accepted changes the row's end: outside the
24-hour window (the platform's count beat ours: the window is closed from then on), the user unreachable
(recorded on the user, as a refused send is), or failed.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiosqlite import Connection

from core import windows
from core.people import WHATSAPP, mark_blocked
from storage import outbox, receipts
from storage.outbox import OutboxStatus
from storage.receipts import ReceiptState, Seen

logger = logging.getLogger(__name__)

__all__ = ["Failure", "Receipt", "ReceiptState", "Seen", "prune", "record", "seen_for", "tie", "told"]

TELLING_CHANNELS = frozenset({WHATSAPP})
"""Channels that say what became of a message (Telegram says nothing once it accepted one)."""


def told(channel: str) -> bool:
    return channel in TELLING_CHANNELS


class Failure(enum.Enum):
    """Why a message the platform accepted failed after all, in the channel's neutral words."""

    OUTSIDE_WINDOW = "outside the 24-hour window"
    UNREACHABLE = "the user cannot be reached"
    OTHER = "failed after it was accepted"


_ENDS = {Failure.OUTSIDE_WINDOW: OutboxStatus.OUTSIDE_WINDOW, Failure.UNREACHABLE: OutboxStatus.UNREACHABLE}


@dataclass(frozen=True)
class Receipt:
    channel: str
    chat_id: str
    message_id: str
    state: ReceiptState
    at: datetime  # when the platform says it happened
    failure: Failure | None = None
    error_code: int | None = None


async def tie(conn: Connection, outbox_id: int, message_ids: Sequence[str], now: datetime) -> None:
    """The platform's ids of an outbox row's messages, for their receipts to find the row."""
    if message_ids:
        await receipts.tie(conn, outbox_id, message_ids, now)


async def record(conn: Connection, news: Iterable[Receipt], now: datetime) -> int:
    """Record the receipts of one webhook; returns how many changed something."""
    changed = 0
    for receipt in news:
        row_id = await receipts.advance(conn, receipt.message_id, receipt.state, receipt.error_code, now)
        if receipt.state is ReceiptState.FAILED and row_id is not None:
            await _failed_after_sent(conn, row_id, receipt)
        changed += row_id is not None
    return changed


async def _failed_after_sent(conn: Connection, row_id: int, receipt: Receipt) -> None:
    failure = receipt.failure or Failure.OTHER
    error = f"{failure.value} ({receipt.error_code})" if receipt.error_code else failure.value
    if not await outbox.mark_after_sent(conn, row_id, _ENDS.get(failure, OutboxStatus.FAILED), error, receipt.at):
        return
    logger.warning("%s message %s to %s: %s", receipt.channel, receipt.message_id, receipt.chat_id, error)
    if failure is Failure.OUTSIDE_WINDOW:
        await windows.refused(conn, receipt.channel, receipt.chat_id, receipt.at)
    elif failure is Failure.UNREACHABLE:
        await mark_blocked(conn, receipt.channel, receipt.chat_id, receipt.at)


UNTIED_KEPT = timedelta(days=2)
"""How long a receipt waits for its send to be recorded; a send is tied to its ids within seconds."""


async def prune(conn: Connection, now: datetime) -> int:
    return await receipts.forget_untied_before(conn, now - UNTIED_KEPT)


async def seen_for(conn: Connection, kind: str, ref: int) -> Seen:
    return await receipts.seen_for(conn, kind, ref)
