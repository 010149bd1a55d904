"""The short exchanges outside the multi-step flows: greeting, the menu, help, language, leaving a flow, and the
friendly answer to text the bot does not understand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core import conversations, people
from core.clock import part_of_day
from core.locale import LOCALES
from core.membership import Visits, visits_of
from core.messages import Button, Reply, reply
from core.model import Role
from handlers.actions import WORD, Action, Signal, button, on
from handlers.context import Turn
from handlers.flow import flow_named

MENU = Action("menu", WORD)  # a menu button runs its command (handlers/commands.py takes it)
CHOOSE_LANGUAGE = Action("lang", WORD)
CANCEL_FLOW = Signal("flow:cancel")


def member_buttons() -> list[Button]:
    """What a member of a visit still to come (participant or coordinator) uses: schedule, calendar, reminders."""
    return [
        button("menu_schedule", MENU("jadwal")),
        button("calendar", MENU("kalender")),
        button("menu_reminders", MENU("pengingat")),
    ]


def menu_buttons(turn: Turn, visits: Visits) -> list[list[Button]]:
    """The main menu, shaped by what the user is: staff, coordinator, participant or newcomer."""
    rows = [member_buttons()] if visits.active else []
    rows += [
        [button("menu_register", MENU("daftar")), button("menu_join", MENU("gabung"))],
        [button("menu_innovations", MENU("inovasi")), button("menu_destinations", MENU("wisata"))],
        [button("menu_status", MENU("status"))],
    ]
    if visits.coordinated or turn.user.is_staff:
        rows[-1].append(button("menu_participants", MENU("peserta")))
    rows.append([button("menu_help", MENU("bantuan")), button("menu_language", MENU("bahasa"))])
    return rows


def role_of(turn: Turn, visits: Visits) -> str:
    """What the user is to the bot, as the templates tell them apart."""
    if turn.user.is_staff:
        return "staff"
    if visits.coordinated:
        return "coordinator"
    if visits.joined:
        return "participant"
    return "newcomer"


async def greeting(turn: Turn) -> dict[str, Any]:
    """What the `greeting` macro needs: good morning (afternoon, evening) by the host's clock, and the user addressed
    as a desk addresses an official."""
    return {
        "addressee": await people.addressee(turn.conn, turn.user, turn.services.content.forms_of_address),
        "daypart": part_of_day(turn.now, turn.services.tz),
    }


async def greet(turn: Turn) -> list[Reply]:
    visits = await visits_of(turn.conn, turn.user)
    return [reply("menu/start", menu_buttons(turn, visits), role=role_of(turn, visits), **await greeting(turn))]


async def show_menu(turn: Turn, template: str = "menu/menu") -> Reply:
    visits = await visits_of(turn.conn, turn.user)
    return reply(template, menu_buttons(turn, visits), role=role_of(turn, visits))


async def show_help(turn: Turn) -> list[Reply]:
    """The commands this user may use; admins count as "staff" in `role`, so their extra commands hang on a flag."""
    visits = await visits_of(turn.conn, turn.user)
    is_admin = turn.user.role is Role.ADMIN
    return [reply("menu/help", menu_buttons(turn, visits), role=role_of(turn, visits), is_admin=is_admin)]


async def ask_language(turn: Turn) -> list[Reply]:
    rows = [[button(f"language_{locale}", CHOOSE_LANGUAGE(locale)) for locale in LOCALES]]
    return [reply("menu/ask_language", rows)]


@on(CHOOSE_LANGUAGE)
async def change_language(turn: Turn, language: str) -> list[Reply]:
    if not await people.set_language(turn.conn, turn.user, language, turn.now):
        return await ask_language(turn)
    switched = replace(people.recipient_of(turn.user), locale=language)
    return [Reply("menu/language_set", to=switched)]  # already in the new language


@on(CANCEL_FLOW)
async def cancel_current_flow(turn: Turn) -> list[Reply]:
    """/batal or Batal: leave the flow, back to the screen it was started from if it has one, else the menu."""
    conversation = await conversations.current(turn)
    if conversation is None:
        return [await show_menu(turn, "menu/nothing_to_cancel")]
    flow = flow_named(conversation.flow)
    if flow is None:  # a flow this version no longer has
        await conversations.forget(turn)
    elif (back := await flow.cancel(turn, conversation)) is not None:
        return back
    return [await show_menu(turn, f"menu/cancelled_{conversation.flow}")]


async def where_you_are(turn: Turn, flow: str) -> Reply:
    """Said to someone who greets or asks for the menu in the middle of a form (the question follows)."""
    return reply("menu/in_flow", [[button("cancel_flow", CANCEL_FLOW())]], flow=flow, **await greeting(turn))


async def unknown_text(turn: Turn) -> list[Reply]:
    return [await show_menu(turn, "menu/fallback")]
