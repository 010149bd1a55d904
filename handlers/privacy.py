"""/hapusdata: a user sees everything the bot holds about them and can delete it with one confirmation."""

from __future__ import annotations

from dataclasses import replace

from core.messages import Reply, reply
from core.people import recipient_of
from core.personal_data import erase_my_data, my_data
from core.registration import format_phone
from handlers.actions import Signal, button, on
from handlers.context import Turn
from handlers.menu import show_menu

ERASE = Signal("priv:erase")
KEEP = Signal("priv:keep")


async def show_my_data(turn: Turn) -> list[Reply]:
    data = await my_data(turn)
    rows = [[button("erase_my_data", ERASE())]] if data.can_erase else []
    rows.append([button("keep_my_data", KEEP())])
    phones = {c.contact_phone: format_phone(c.contact_phone) for c in data.holdings.coordinated if c.contact_phone}
    return [
        reply(
            "privacy/holdings",
            rows,
            account=data.user,
            holdings=data.holdings,
            erasure=data.erasure,
            phones=phones,
            blocking=data.blocking,
            can_erase=data.can_erase,
            retention_days=turn.services.retention_days,
        )
    ]


@on(ERASE)
async def erase_confirmed(turn: Turn) -> list[Reply]:
    """The button was pressed: check again (a visit may have been registered since) and erase.

    The confirmation goes to the chat, not to the account, which no longer names anyone: no row left
    behind points at the erased user.
    """
    erasure = await erase_my_data(turn)
    chat = replace(recipient_of(turn.user), user_id=None)
    return [replace(reply("privacy/erased", erasure=erasure), to=chat)]


@on(KEEP)
async def keep(turn: Turn) -> list[Reply]:
    return [await show_menu(turn, "privacy/kept")]
