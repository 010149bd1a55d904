"""The button of a WhatsApp template sent outside the 24-hour window: "show me the full message".

Any message from the chat releases what was held for it (the router does that first, core.windows), and the
outbox sender then delivers it in full; so pressing the button needs no answer of its own, unless nothing
was waiting any more (an earlier message had released it), which is said with the menu.
"""

from __future__ import annotations

from core.messages import Reply
from handlers.actions import Signal, on
from handlers.context import Turn
from handlers.menu import show_menu

SHOW_HELD = Signal("held:show")


@on(SHOW_HELD)
async def show_held(turn: Turn) -> list[Reply]:
    if turn.released_held:
        return []
    return [await show_menu(turn, "menu/nothing_held")]
