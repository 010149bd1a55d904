"""Picks the handler for each Incoming and runs it as one database transaction.

Order of precedence: unreadable input, commands, button actions, the answer to the current
step of a flow, and finally free text, which goes to the question-answering hook when one is
installed (a later issue) and otherwise gets a friendly answer with the menu.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from core.errors import DomainError, PermissionDenied
from core.locale import choose_locale
from core.messages import Incoming, Recipient, Reply, reply
from core.people import identify, recipient_of
from handlers import agenda, approvals, broadcast, desk, menu, plan, privacy, questions, reminders
from handlers.commands import COMMANDS, parse_command
from handlers.context import Services, Turn
from handlers.flow import Answer, Flow
from handlers.join import JOINING
from handlers.registration import REGISTRATION, resume_registration
from storage.conversations import Conversation, load_conversation
from storage.db import Database

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
