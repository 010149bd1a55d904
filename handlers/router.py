"""Picks the handler for each Incoming and runs it as one database transaction.

Order of precedence: unreadable input, commands, button actions, the answer to the current
step of a flow, and finally free text, which goes to the question-answering hook when one is
installed (a later issue) and otherwise gets a friendly answer with the menu.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.errors import DomainError, PermissionDenied
from bot.messages import Incoming, Recipient, Reply, reply
from bot.people import identify, recipient_of
from bot.render import choose_locale
from handlers import agenda, approvals, broadcast, desk, menu, plan, privacy, questions, reminders, reports
from handlers.context import Services, Turn
from handlers.flow import Answer, Flow
from handlers.join import JOINING, start_join
from handlers.registration import REGISTRATION, resume_registration, start_registration
from storage.conversations import Conversation, load_conversation
from storage.db import Database
from storage.users import Role

logger = logging.getLogger(__name__)

FLOWS: dict[str, Flow] = {  # type: ignore[type-arg]
    REGISTRATION.name: REGISTRATION,
    JOINING.name: JOINING,
    questions.STAFF_ANSWER.name: questions.STAFF_ANSWER,
    agenda.AGENDA.name: agenda.AGENDA,
    approvals.REJECTING.name: approvals.REJECTING,
    approvals.PROPOSING.name: approvals.PROPOSING,
    broadcast.BROADCASTING.name: broadcast.BROADCASTING,
}  # type: ignore[type-arg]


class QuestionAnswerer(Protocol):
    """The hook for free-text questions (knowledge base, a later issue). None means: not answered."""

    async def answer(self, turn: Turn, question: str) -> list[Reply] | None: ...


@dataclass(frozen=True)
class Handled:
    """The replies to one Incoming, and where "the current chat" is (in the user's language after handling)."""

    origin: Recipient
    replies: list[Reply]


Command = Callable[[Turn, str, Conversation | None], Awaitable[list[Reply]]]


def parse_command(text: str) -> tuple[str, str] | None:
    """'/gabung@delegasi_bot ABC' → ('gabung', 'ABC'); None when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, argument = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, argument.strip()


async def _start(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    if argument.lower().startswith("join-"):
        return await start_join(turn, argument[5:])
    return await menu.greet(turn)


async def _register(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await start_registration(turn, conversation)


async def _join(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await start_join(turn, argument or None)


async def _cancel(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await menu.cancel_current_flow(turn)


async def _help(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await menu.show_help(turn)


async def _status(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await menu.show_status(turn)


async def _language(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await menu.change_language(turn, argument.lower()) if argument else await menu.ask_language(turn)


async def _participants(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await menu.show_participants(turn, argument)


async def _ask(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await questions.answer_question(turn, argument)


async def _innovations(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await questions.browse_innovations(turn)


async def _destinations(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await questions.browse_destinations(turn)


async def _open_questions(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await questions.list_open_questions(turn)


async def _agenda(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await agenda.open_agenda(turn, argument)


async def _schedule(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await plan.show_schedule(turn)


async def _calendar(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await plan.send_calendar(turn)


async def _reminder_settings(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await reminders.show_reminder_settings(turn)


async def _guest_calendar(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await desk.show_guest_calendar(turn)


async def _broadcast(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await broadcast.start_broadcast(turn)


async def _broadcast_status(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await broadcast.broadcast_status(turn)


async def _export(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await reports.export_command(turn, argument)


async def _report(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await reports.report_command(turn, argument)


async def _my_data(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return await privacy.show_my_data(turn)


async def _menu(turn: Turn, argument: str, conversation: Conversation | None) -> list[Reply]:
    return [await menu.show_menu(turn)]


COMMANDS: dict[str, Command] = {
    "start": _start,
    "menu": _menu,
    "daftar": _register,
    "register": _register,
    "gabung": _join,
    "join": _join,
    "batal": _cancel,
    "cancel": _cancel,
    "bantuan": _help,
    "help": _help,
    "status": _status,
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
    "agenda": _agenda,
    "jadwal": _schedule,
    "schedule": _schedule,
    "kalender": _calendar,
    "calendar": _calendar,
    "pengingat": _reminder_settings,
    "kalender_tamu": _guest_calendar,
    "siaran": _broadcast,
    "broadcast": _broadcast,
    "siaran_status": _broadcast_status,
    "ekspor": _export,
    "export": _export,
    "laporan": _report,
    "report": _report,
    "guests": _guest_calendar,
    "reminders": _reminder_settings,
    "hapusdata": _my_data,
    "mydata": _my_data,
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
STAFF_MENU_COMMANDS = ("agenda", "kalender_tamu", "siaran", "siaran_status", "pertanyaan")
ADMIN_MENU_COMMANDS = ("ekspor", "laporan")
# Every command a member is refused, with its English alias (checked by the role tests).
ADMIN_COMMANDS = frozenset({*ADMIN_MENU_COMMANDS, "export", "report"})
STAFF_COMMANDS = frozenset({*STAFF_MENU_COMMANDS, *ADMIN_COMMANDS, "guests", "broadcast", "questions"})


def menu_commands_for(role: Role) -> tuple[str, ...]:
    """The command menu a user of this role is offered: staff commands go before the housekeeping ones."""
    extra = {Role.MEMBER: (), Role.STAFF: STAFF_MENU_COMMANDS, Role.ADMIN: STAFF_MENU_COMMANDS + ADMIN_MENU_COMMANDS}
    split = MENU_COMMANDS.index("hapusdata")
    return MENU_COMMANDS[:split] + extra[role] + MENU_COMMANDS[split:]


class Router:
    def __init__(self, database: Database, services: Services, answerer: QuestionAnswerer | None = None) -> None:
        self.database = database
        self.services = services
        self.answerer = answerer

    async def handle(self, incoming: Incoming) -> Handled:
        try:
            async with self.database.transaction() as conn:
                user = await identify(conn, incoming, self.services.staff, self.services.clock)
                turn = Turn(conn, user, incoming, self.services)
                try:
                    replies = await self._dispatch(turn)
                except PermissionDenied as error:
                    await self._record_refusal(turn, error)
                    replies = [Reply(error.template, error.params)]
                except DomainError as error:
                    replies = [Reply(error.template, error.params)]
                return Handled(recipient_of(user), replies)
        except Exception:
            logger.exception("failed to handle %s", incoming)
            origin = Recipient(incoming.channel, incoming.chat_id, choose_locale(incoming.language_code))
            return Handled(origin, [reply("errors/internal")])

    @staticmethod
    async def _record_refusal(turn: Turn, error: PermissionDenied) -> None:
        """A refused attempt stays in the audit log with who tried what, not only in the process log."""
        incoming = turn.incoming
        await turn.audit(
            "access.refused",
            "user",
            turn.user.id,
            attempted=error.action,
            role=turn.user.role.value,
            typed=(incoming.text or incoming.action or "")[:200],
        )

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        conversation = await load_conversation(turn.conn, turn.user.id)
        if incoming.is_unsupported:
            return [reply("errors/unsupported"), *await self._ask_again(turn, conversation)]
        if incoming.text is not None:
            command = parse_command(incoming.text)
            if command is not None:
                name, argument = command
                handler = COMMANDS.get(name)
                if handler is None:
                    return [reply("errors/unknown_command", command=name), *await self._ask_again(turn, conversation)]
                return await handler(turn, argument, conversation)
        if incoming.action is not None:
            return await self._press(turn, incoming.action, conversation)
        text = incoming.text or ""
        if conversation is not None and conversation.flow in FLOWS:
            return await FLOWS[conversation.flow].handle(turn, conversation, Answer(text=text))
        if self.answerer is not None:
            answered = await self.answerer.answer(turn, text)
            if answered is not None:
                return answered
        return await menu.unknown_text(turn)

    async def _press(self, turn: Turn, action: str, conversation: Conversation | None) -> list[Reply]:
        kind, _, rest = action.partition(":")
        if kind == "menu":
            handler = COMMANDS.get(rest)
            return await handler(turn, "", conversation) if handler else await menu.greet(turn)
        if kind == "lang":
            return await menu.change_language(turn, rest)
        if kind == "flow" and rest == "cancel":
            return await menu.cancel_current_flow(turn)
        if action.startswith("reg:resume:"):
            return await resume_registration(turn, conversation, rest.partition(":")[2])
        if kind == "qa":
            return await self._press_question(turn, rest)
        if kind == "plan":
            return await self._press_plan(turn, rest)
        if action == privacy.ERASE_ACTION:
            return await privacy.erase_confirmed(turn)
        if action == privacy.KEEP_ACTION:
            return await privacy.keep(turn)
        if kind == "remind":
            return await reminders.change_reminder_settings(turn, rest)
        if kind in ("appr", "prop", "tamu"):
            return await self._press_desk(turn, kind, rest)
        if kind == "visit":
            verb, _, target = rest.partition(":")
            if verb == "cancel" and target.isdigit():
                return await menu.ask_cancel_visit(turn, int(target))
            if verb == "cancel_yes" and target.isdigit():
                return await menu.cancel_visit_confirmed(turn, int(target))
            return [await menu.show_menu(turn, "status/kept")]
        if kind in FLOWS:
            step, _, value = rest.partition(":")
            if conversation is not None and conversation.flow == kind and conversation.step == step:
                return await FLOWS[kind].handle(turn, conversation, Answer(choice=value))
        return [reply("errors/stale_button"), *await self._ask_again(turn, conversation)]

    async def _press_question(self, turn: Turn, rest: str) -> list[Reply]:
        verb, _, target = rest.partition(":")
        if verb == "open":
            return await questions.open_card(turn, target)
        if verb == "loc":
            return await questions.send_location(turn, target)
        if verb == "theme":
            return await questions.browse_theme(turn, target)
        if verb == "area":
            return await questions.browse_area(turn, target)
        if verb == "reply" and target.isdigit():
            return await questions.start_staff_answer(turn, int(target))
        return [reply("errors/stale_button")]

    async def _press_plan(self, turn: Turn, rest: str) -> list[Reply]:
        verb, _, target = rest.partition(":")
        first, _, second = target.partition(":")
        number = int(first) if first.isdigit() else None
        if verb == "loc":
            return await plan.send_venue(turn, target)
        if verb == "ics" and number is not None:
            return await plan.send_calendar(turn, number)
        if number is None:
            return [reply("errors/stale_button")]
        by_delegation = {
            "open": agenda.show_plan,
            "add": agenda.start_add,
            "programs": agenda.choose_program,
            "suggest": agenda.propose_suggestion,
            "publish": agenda.publish,
        }
        by_item = {"edit": agenda.start_edit, "del": agenda.confirm_delete, "delete_yes": agenda.delete_confirmed}
        if verb in by_delegation:
            return await by_delegation[verb](turn, number)
        if verb in by_item:
            return await by_item[verb](turn, number)
        if verb == "apply":
            return await agenda.propose_program(turn, number, second)
        if verb == "field":
            return await agenda.start_edit_field(turn, number, second)
        return [reply("errors/stale_button")]

    async def _press_desk(self, turn: Turn, kind: str, rest: str) -> list[Reply]:
        verb, _, target = rest.partition(":")
        if kind == "tamu" and verb == "day":
            return await desk.show_day(turn, target)
        if not target.isdigit():
            return [reply("errors/stale_button")]
        number = int(target)
        if kind == "prop" and verb in ("accept", "decline"):
            return await approvals.answer_proposal(turn, number, accepted=verb == "accept")
        staff_actions = {
            "load": approvals.show_load,
            "approve": approvals.approve,
            "reject": approvals.start_reject,
            "propose": approvals.start_propose,
        }
        if kind == "appr" and verb in staff_actions:
            return await staff_actions[verb](turn, number)
        return [reply("errors/stale_button")]

    async def _ask_again(self, turn: Turn, conversation: Conversation | None) -> list[Reply]:
        if conversation is None or conversation.flow not in FLOWS:
            return []
        return await FLOWS[conversation.flow].ask_again(turn, conversation)
