"""WhatsApp's 24-hour window: a message the bot starts goes free-form only within a day of the user's last one.

Past it the platform takes only an approved message template; the WhatsApp channel then sends one in the
message's place and the message is held (storage.outbox, HELD) until the user writes again, when it goes
in full. Every message a windowed chat sends opens its window again and releases what was held for it.

The window is counted from when the bot received the user's message, a little shorter than the platform's
own (WINDOW_MARGIN): a webhook WhatsApp delivers late, or a send that takes a while, must not cross it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiosqlite import Connection

from core.people import WHATSAPP
from storage import outbox, windows

WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=10)
HELD_KEPT = timedelta(days=7)
"""How long a held message waits for its reply; then it is dropped (its template told the essentials, and the
content of a message nobody asked for is not kept longer)."""
WINDOWED_CHANNELS = frozenset({WHATSAPP})
"""Channels that count a window (Telegram and the console take any message at any time)."""


def counts_window(channel: str) -> bool:
    return channel in WINDOWED_CHANNELS


async def wrote(conn: Connection, channel: str, chat_id: str, now: datetime) -> None:
    """The chat sent a message: its window is open for the next day (kept with the message, before the 200)."""
    if counts_window(channel):
        await windows.wrote(conn, channel, chat_id, now)


async def is_open(conn: Connection, channel: str, chat_id: str, now: datetime) -> bool:
    """Whether a free-form message may go to the chat now."""
    if not counts_window(channel):
        return True
    last = await windows.last_inbound(conn, channel, chat_id)
    return last is not None and now < last + WINDOW - WINDOW_MARGIN


async def refused(conn: Connection, channel: str, chat_id: str, sent_at: datetime) -> None:
    """The platform refused a free-form message as outside the window: believe it over our count."""
    await windows.close(conn, channel, chat_id, sent_at)


async def release_held(conn: Connection, channel: str, chat_id: str, now: datetime) -> int:
    """The chat wrote: what was held for it goes now (returns how many; the caller wakes the sender)."""
    if not counts_window(channel):
        return 0
    return await outbox.release_held(conn, channel, chat_id, now)


async def drop_unasked(conn: Connection, now: datetime) -> int:
    """The daily job: held messages nobody asked for within HELD_KEPT are dropped, their content with them."""
    return await outbox.drop_held_before(conn, now - HELD_KEPT, now)
