"""Options offered as numbered lines, picked by typing their numbers: "2", "1, 3, 5", "1 3".

A channel with too few buttons for a reply (WhatsApp past ten options) numbers them instead and calls
`offer`; a message from that chat that is only numbers is then the options it names, in that order, each
handled as if its button had been pressed. Anything else is text as usual, and a number that was not
offered leaves the text as typed (the flow then answers it as it answers any text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from aiosqlite import Connection

from storage import numbered_choices

_SEPARATORS = re.compile(r"[\s,;]+")


async def offer(conn: Connection, channel: str, chat_id: str, actions: Sequence[str], now: datetime) -> None:
    """These options were just shown in the chat as lines 1, 2, …: the next typed numbers mean them."""
    await numbered_choices.remember(conn, channel, chat_id, actions, now)


async def picked_actions(conn: Connection, channel: str, chat_id: str, typed: str) -> list[str]:
    """The actions a typed answer picks from what the chat was last offered (empty: it picks none)."""
    offered = await numbered_choices.offered(conn, channel, chat_id)
    numbers = picked(typed, len(offered)) if offered else None
    return [offered[n - 1] for n in numbers] if numbers else []


def picked(typed: str, count: int) -> list[int] | None:
    """The option numbers (1-based) typed as an answer to `count` numbered options; None when the text is not only
    such numbers, or names one that was not offered."""
    numbers = _SEPARATORS.split(typed.strip())
    if not numbers or not all(n.isascii() and n.isdigit() for n in numbers):
        return None
    chosen = [int(n) for n in numbers]
    return chosen if all(1 <= n <= count for n in chosen) else None
