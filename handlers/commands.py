"""Every slash command: the name (Indonesian, with its English alias) and the flow function it starts.

The router looks a command up here; the channels read the command menus, and the role tests read
which commands are for staff and admins. Most commands only need the turn; the few that read what
follows the command say so in their own small function. A menu button is its command pressed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.greetings import is_greeting
from core.messages import Reply
from core.model import Role
from handlers import (
    agenda,
    asking,
    broadcast,
    desk,
    faq,
    menu,
    participants,
    plan,
    privacy,
    questions,
    reminders,
    reports,
    status,
)
from handlers.actions import on
from handlers.context import Turn
from handlers.join import join_with_typed_code, start_join
from handlers.registration import start_registration

Command = Callable[[Turn, str], Awaitable[list[Reply]]]
JOIN_LINK = "join-"  # /start join-CODE: the argument of the deep link t.me/<bot>?start=join-CODE
MENU_WORDS = frozenset({"menu", "start"})  # typed alone, with or without the slash: the menu


def parse_command(text: str) -> tuple[str, str] | None:
    """'/gabung@delegasi_bot ABC' → ('gabung', 'ABC'); None when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, argument = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, argument.strip()


def asks_for_menu(text: str) -> bool:
    """A greeting, /start (not a join link), /menu or "menu": someone opening the chat, not answering a question."""
    command = parse_command(text)
    if command is not None:
        name, argument = command
        return name == "menu" or (name == "start" and not argument.lower().startswith(JOIN_LINK))
    return text.strip().lower().strip("!.") in MENU_WORDS or is_greeting(text)


def _turn_only(action: Callable[[Turn], Awaitable[list[Reply]]]) -> Command:
    """A command that ignores anything typed after it ("/status please" is still /status)."""

    async def command(turn: Turn, argument: str) -> list[Reply]:
        return await action(turn)

    return command


async def _start(turn: Turn, argument: str) -> list[Reply]:
    if argument.lower().startswith(JOIN_LINK):
        return await start_join(turn, argument[len(JOIN_LINK) :])
    return [*await desk.todo_on_start(turn), *await menu.greet(turn)]  # staff: what waits for the desk first


async def _join(turn: Turn, argument: str) -> list[Reply]:
    return await start_join(turn, argument or None)


async def _language(turn: Turn, argument: str) -> list[Reply]:
    return await menu.change_language(turn, argument.lower()) if argument else await menu.ask_language(turn)


async def _menu(turn: Turn) -> list[Reply]:
    return [await menu.show_menu(turn)]


async def _ask(turn: Turn, argument: str) -> list[Reply]:
    """/tanya: a question; a join code after it is still an attempt to join, never a question for staff."""
    joining = await join_with_typed_code(turn, argument)
    return joining if joining is not None else await asking.answer_question(turn, argument)


_register = _turn_only(start_registration)
_help = _turn_only(menu.show_help)
_cancel = _turn_only(menu.cancel_current_flow)
_participants = participants.show_participants
_innovations = _turn_only(questions.browse_innovations)
_destinations = _turn_only(questions.browse_destinations)
_open_questions = _turn_only(questions.list_open_questions)
_schedule = _turn_only(plan.show_schedule)
_calendar = _turn_only(plan.send_calendars)
_reminder_settings = _turn_only(reminders.show_reminder_settings)
_guest_calendar = _turn_only(desk.show_guest_calendar)
_broadcast = _turn_only(broadcast.start_broadcast)
_export = reports.export_command
_report = reports.report_command
_my_data = _turn_only(privacy.show_my_data)
_faq = _turn_only(faq.show_faq)

COMMANDS: dict[str, Command] = {
    "start": _start,
    "menu": _turn_only(_menu),
    "daftar": _register,
    "register": _register,
    "gabung": _join,
    "join": _join,
    "batal": _cancel,
    "cancel": _cancel,
    "bantuan": _help,
    "help": _help,
    "status": _turn_only(status.show_status),
    "bahasa": _language,
    "language": _language,
    "peserta": _participants,
    "participants": _participants,
    "tanya": _ask,
    "ask": _ask,
    "inovasi": _innovations,
    "innovations": _innovations,
    "wisata": _destinations,
    "destinations": _destinations,
    "pertanyaan": _open_questions,
    "questions": _open_questions,
    "agenda": agenda.open_agenda,
    "jadwal": _schedule,
    "schedule": _schedule,
    "kalender": _calendar,
    "calendar": _calendar,
    "pengingat": _reminder_settings,
    "reminders": _reminder_settings,
    "kalender_tamu": _guest_calendar,
    "guests": _guest_calendar,
    "siaran": _broadcast,
    "broadcast": _broadcast,
    "siaran_status": _turn_only(broadcast.broadcast_status),
    "ekspor": _export,
    "export": _export,
    "laporan": _report,
    "report": _report,
    "hapusdata": _my_data,
    "mydata": _my_data,
    "faq": _faq,
}
# The commands offered in the platform's command menu, in this order (descriptions are labels). Everyone sees
# the public ones; host staff and admins get theirs added in their own chats (help lists them the same way).
MENU_COMMANDS = (
    "start",
    "daftar",
    "gabung",
    "status",
    "jadwal",
    "kalender",
    "pengingat",
    "tanya",
    "inovasi",
    "wisata",
    "peserta",
    "hapusdata",
    "bahasa",
    "bantuan",
    "batal",
)
STAFF_MENU_COMMANDS = ("agenda", "kalender_tamu", "siaran", "siaran_status", "pertanyaan", "faq")
ADMIN_MENU_COMMANDS = ("ekspor", "laporan")
# Every command a member is refused, with its English alias (checked by the role tests).
ADMIN_COMMANDS = frozenset({*ADMIN_MENU_COMMANDS, "export", "report"})
STAFF_COMMANDS = frozenset({*STAFF_MENU_COMMANDS, *ADMIN_COMMANDS, "guests", "broadcast", "questions"})


def menu_commands_for(role: Role) -> tuple[str, ...]:
    """The command menu a user of this role is offered: staff commands go before the housekeeping ones."""
    extra = {Role.MEMBER: (), Role.STAFF: STAFF_MENU_COMMANDS, Role.ADMIN: STAFF_MENU_COMMANDS + ADMIN_MENU_COMMANDS}
    split = MENU_COMMANDS.index("hapusdata")
    return MENU_COMMANDS[:split] + extra[role] + MENU_COMMANDS[split:]


@on(menu.MENU)
async def run_from_menu(turn: Turn, name: str) -> list[Reply]:
    """A menu button: the same as typing its command."""
    command = COMMANDS.get(name)
    return await command(turn, "") if command else await menu.greet(turn)
