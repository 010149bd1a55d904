"""Picks the handler for each Incoming and runs it as one database transaction.

Order of precedence: unreadable or blank input, a greeting or the menu asked for in a form (which shows where
the user is instead of taking it as an answer), commands, button actions (looked up in the action table), the
answer to the current step of a flow, and finally free text: text shaped like a join code is an attempt
to join, anything else goes to the question-answering hook when one is installed and otherwise gets a
friendly answer with the menu. Text a step declines (the code step takes only what could be a code) is
answered as free text, followed by a line saying the step still waits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from aiosqlite import Connection

from core import conversations, inbox, replies, windows
from core.errors import DomainError, PermissionDenied
from core.inbox import InboxKey
from core.locale import DEFAULT_LOCALE, choose_locale
from core.messages import Incoming, Recipient, Reply, reply
from core.model import Conversation, Database
from core.people import identify, recipient_of
from core.refusals import record_refusal
from core.services import Services

# Imported for the actions they declare: every module whose buttons the router must find is loaded here.
from handlers import (  # noqa: F401
    agenda,
    approvals,
    broadcast,
    desk,
    faq,
    held,
    menu,
    plan,
    privacy,
    questions,
    registration,
    reminders,
    status,
)
from handlers.actions import ACTIONS, StaleButton
from handlers.commands import COMMANDS, asks_for_menu, parse_command
from handlers.context import Turn
from handlers.flow import Answer, Flow
from handlers.join import JOINING, join_with_typed_code
from handlers.registration import REGISTRATION

logger = logging.getLogger(__name__)

FLOWS: dict[str, Flow] = {  # type: ignore[type-arg]
    REGISTRATION.name: REGISTRATION,
    JOINING.name: JOINING,
    questions.STAFF_ANSWER.name: questions.STAFF_ANSWER,
    questions.DISMISSING.name: questions.DISMISSING,
    agenda.AGENDA.name: agenda.AGENDA,
    approvals.REJECTING.name: approvals.REJECTING,
    approvals.PROPOSING.name: approvals.PROPOSING,
    broadcast.BROADCASTING.name: broadcast.BROADCASTING,
    faq.FAQ.name: faq.FAQ,
}


class QuestionAnswerer(Protocol):
    """The hook for free-text questions (the knowledge base). None means: not answered."""

    async def answer(self, turn: Turn, question: str) -> list[Reply] | None: ...


@dataclass(frozen=True)
class Handled:
    """The replies to one Incoming, and where "the current chat" is (in the user's language after handling)."""

    origin: Recipient
    replies: list[Reply]
    outbox_ids: tuple[int, ...] = ()  # the replies' rows in the outbox, in the same order
    origin_message_id: str | None = None  # the message whose button was pressed
    released_held: int = 0  # held messages this one released: the sender must be woken for them


class Router:
    def __init__(self, database: Database, services: Services, answerer: QuestionAnswerer | None = None) -> None:
        self.database = database
        self.services = services
        self.answerer = answerer

    async def handle(self, incoming: Incoming, received: InboxKey | None = None) -> Handled:
        """Handle one message in one transaction, which also queues its replies in the outbox (the channel then
        sends them, bot/answers.py) and marks `received`, its inbox row, handled: a message handled before and
        sent again by the platform is answered with nothing.

        A reply with a file still to make (an export, `Reply.document_from`) splits the turn in two: the turn's
        reads and changes are committed, the file is made in a worker thread while other chats, the sender and
        the scheduler use the database, and a second short transaction marks the message handled and queues the
        replies. A kill in between leaves the message unhandled in the inbox, to be handled again at the next
        start; such a turn only read, so doing it again is harmless."""
        incoming = incoming.cleaned()
        try:
            async with self.database.transaction() as conn:
                if received is not None and await inbox.handled(conn, received):
                    return Handled(Recipient(incoming.channel, incoming.chat_id, DEFAULT_LOCALE), [])
                origin, answers, released = await self._turn(conn, incoming)
                if not replies.unfinished(answers):
                    return await self._keep(conn, incoming, received, origin, answers, released)
            answers = await replies.finish(answers)
            async with self.database.transaction() as conn:
                return await self._keep(conn, incoming, received, origin, answers, released)
        except Exception:
            kind = "text" if incoming.text is not None else "button" if incoming.action is not None else "other"
            logger.exception("failed to handle a %s from %s chat %s", kind, incoming.channel, incoming.chat_id)
            origin = Recipient(incoming.channel, incoming.chat_id, choose_locale(incoming.language_code))
            return await self._answer_failure(Handled(origin, [reply("errors/internal")]), received)

    async def _turn(self, conn: Connection, incoming: Incoming) -> tuple[Recipient, list[Reply], int]:
        """Who wrote, and the replies: what the handler answered, or the error it raised as a message; and how many
        messages held for the chat (outside WhatsApp's window) its writing released."""
        user = await identify(conn, incoming, self.services.staff, self.services.clock)
        conversation = await conversations.current_of(conn, user)
        released = await windows.release_held(conn, incoming.channel, incoming.chat_id, self.services.clock.now())
        turn = Turn(conn, user, self.services, incoming, conversation, released)
        try:
            answers = await self._dispatch(turn)
        except PermissionDenied as error:
            await self._record_refusal(turn, error)
            answers = [Reply(error.template, error.params)]
        except DomainError as error:
            answers = [Reply(error.template, error.params)]
        except StaleButton:
            answers = [reply("errors/stale_button"), *await self._ask_again(turn, conversation)]
        return recipient_of(user), answers, released

    async def _keep(
        self,
        conn: Connection,
        incoming: Incoming,
        received: InboxKey | None,
        origin: Recipient,
        answers: list[Reply],
        released: int,
    ) -> Handled:
        """Mark the message handled and queue its replies, in the transaction that ends the turn."""
        now = self.services.clock.now()
        if received is not None and not await inbox.claim(conn, received, now):
            return Handled(origin, [])  # a copy of the message was handled while this one's file was made
        ids = await replies.keep(conn, answers, origin=origin, origin_message_id=incoming.origin_message_id, now=now)
        return Handled(origin, answers, tuple(ids), incoming.origin_message_id, released)

    async def _answer_failure(self, handled: Handled, received: InboxKey | None) -> Handled:
        """The turn was rolled back (or, once its file failed, ended): say so, and count the message handled, so it
        is not tried at every start."""
        now = self.services.clock.now()
        try:
            async with self.database.transaction() as conn:
                if received is not None:
                    await inbox.claim(conn, received, now)
                ids = await replies.keep(conn, handled.replies, origin=handled.origin, origin_message_id=None, now=now)
        except Exception:  # the database itself is failing: the message stays in the inbox for the next start
            logger.exception("could not record the failure of a message from %s", handled.origin.chat_id)
            return handled
        return Handled(handled.origin, handled.replies, tuple(ids))

    @staticmethod
    async def _record_refusal(turn: Turn, error: PermissionDenied) -> None:
        """A refused attempt stays in the audit log with who tried what, not only in the process log."""
        incoming = turn.incoming
        await record_refusal(turn, attempted=error.action, typed=incoming.text or incoming.action or "")

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming, conversation = turn.incoming, turn.conversation
        if incoming.is_unsupported:
            return [reply("errors/unsupported"), *await self._ask_again(turn, conversation)]
        if incoming.is_blank:  # answers no question and asks none: said so, then the question or the menu again
            return [reply("errors/blank"), *(await self._ask_again(turn, conversation) or [await menu.show_menu(turn)])]
        if conversation is not None and conversation.flow in FLOWS and asks_for_menu(incoming.text or ""):
            return [await menu.where_you_are(turn, conversation.flow), *await self._ask_again(turn, conversation)]
        if incoming.text is not None:
            command = parse_command(incoming.text)
            if command is not None:
                name, argument = command
                handler = COMMANDS.get(name)
                if handler is None:
                    return [reply("errors/unknown_command", command=name), *await self._ask_again(turn, conversation)]
                return await handler(turn, argument)
        if incoming.action is not None:
            pressed = ACTIONS.resolve(incoming.action)
            if pressed is None:
                raise StaleButton
            return await pressed(turn)
        text = incoming.text or ""
        if conversation is not None and conversation.flow in FLOWS:
            flow = FLOWS[conversation.flow]
            waiting = flow.declines(conversation, text)
            if waiting is None:
                return await flow.handle(turn, conversation, Answer(text=text))
            return [*await self._aside(turn, text), waiting]
        return await self._free_text(turn, text)

    async def _free_text(self, turn: Turn, text: str) -> list[Reply]:
        """Text that answers no step: a join code is an attempt to join; anything else goes to the question hook."""
        joining = await join_with_typed_code(turn, text)
        if joining is not None:
            return joining
        if self.answerer is not None:
            answered = await self.answerer.answer(turn, text)
            if answered is not None:
                return answered
        return await menu.unknown_text(turn)

    async def _aside(self, turn: Turn, text: str) -> list[Reply]:
        """Text the current step does not take, answered as outside the flow; a refusal of it (a question over the
        limit) is its answer, so the line saying the step still waits follows either way."""
        try:
            return await self._free_text(turn, text)
        except PermissionDenied:
            raise
        except DomainError as error:
            return [Reply(error.template, error.params)]

    @staticmethod
    async def _ask_again(turn: Turn, conversation: Conversation | None) -> list[Reply]:
        if conversation is None or conversation.flow not in FLOWS:
            return []
        return await FLOWS[conversation.flow].ask_again(turn, conversation)
