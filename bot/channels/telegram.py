"""The Telegram channel: python-telegram-bot's Application in, rendered HTML messages out.

Updates of one chat are processed strictly in order (ChatOrderedProcessor) while different chats
run concurrently. Every Bot API call goes through `_call`, which waits out 429 (honouring retry_after),
retries network errors and 5xx with backoff for as long as the message is worth it (core.sending), and
turns 403 into RecipientBlocked; every send waits long for its answer and records the message id.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    InputFile,
    Message,
    Update,
)
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes, TypeHandler
from telegram.request import BaseRequest, RequestData

from bot.answers import AnswerSender
from bot.channels.telegram_http import AiohttpBotRequest
from bot.delivery import Attempt, DeliveryFailed, RecipientBlocked, Retries, Step, send_steps
from bot.ordering import KeyedLocks
from bot.render import RenderedReply, Renderer
from core import inbox
from core.clock import Clock
from core.inbox import InboxKey
from core.locale import LOCALES
from core.messages import Incoming, Label, Recipient, Reply
from core.model import Database, Role
from core.people import StaffDirectory
from handlers.commands import menu_commands_for
from handlers.router import Router

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, strictly sequential within one chat."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._locks.hold(chat.id):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def to_incoming(update: Update) -> Incoming | None:
    """The channel-neutral view of an update; None for updates the bot ignores.

    Only private chats are served: a user's chat id is where their personal notifications go, so
    a message in a group must never move them there. Edits and channel posts are ignored too.
    """
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        if chat is not None:
            logger.info("ignoring an update from %s chat %s", chat.type, chat.id)
        return None
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if message is None or query.data is None:
            return None
        return Incoming(
            channel=CHANNEL,
            chat_id=str(message.chat.id),
            user_external_id=str(query.from_user.id),
            display_name=query.from_user.full_name,
            language_code=query.from_user.language_code,
            action=query.data,
            origin_message_id=str(message.message_id),
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    return Incoming(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        user_external_id=str(message.from_user.id),
        display_name=message.from_user.full_name,
        language_code=message.from_user.language_code,
        text=message.text,
    )


def read_update(data: object, bot: Bot) -> tuple[InboxKey, Incoming | None, str | None]:
    """A webhook's update: its inbox key, the Incoming (None: ignored), and the id of a pressed button's query
    (the webhook's answer stops its spinner). Raises ValueError when it is not an update."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not a Telegram update")
    try:
        update = Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a Telegram update: {error}") from error
    query = update.callback_query
    return inbox_key(update), to_incoming(update), query.id if query is not None else None


def inbox_key(update: Update) -> InboxKey:
    return InboxKey(CHANNEL, str(update.update_id))


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue, which keeps every update in the inbox before Telegram learns it arrived.

    PTB's Updater puts the updates of a getUpdates answer here, moves its offset past them, and the *next*
    getUpdates confirms them to Telegram. The updates are queued for handling at once and written to the
    inbox together, in one transaction, before that next getUpdates goes out (KeepBeforeConfirming). A kill
    at any moment loses none: Telegram resends what was not confirmed, and what was kept but not handled is
    handled at the next start. If the database cannot keep them, the getUpdates waits and tries again.
    """

    def __init__(self, database: Database, clock: Clock) -> None:
        super().__init__()
        self._database = database
        self._clock = clock
        self._unkept: list[tuple[InboxKey, Incoming]] = []
        self._keeping = asyncio.Lock()

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            incoming = to_incoming(item)
            if incoming is not None:
                self._unkept.append((inbox_key(item), incoming))
        await super().put(item)

    async def keep(self) -> None:
        """Write the updates received since the last getUpdates to the inbox; raises NetworkError if it cannot."""
        async with self._keeping:
            if not self._unkept:
                return
            batch = list(self._unkept)
            try:
                async with self._database.transaction() as conn:
                    for key, incoming in batch:
                        await inbox.receive(conn, key, incoming, self._clock.now())
            except (sqlite3.Error, OSError) as error:
                logger.error("could not keep %d updates (%s); not confirming them to Telegram", len(batch), error)
                raise NetworkError(f"could not keep the updates: {error}") from error
            del self._unkept[: len(batch)]


class KeepBeforeConfirming(BaseRequest):
    """The getUpdates connection: before each call (which confirms the previous answer) the updates are kept."""

    def __init__(self, inner: BaseRequest, updates: DurableUpdateQueue) -> None:
        self._inner = inner
        self._updates = updates

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        await self._updates.keep()
        return await self._inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )


def _retry_after_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


ANSWER_TIMEOUT = 60.0
"""Seconds a send waits for the Bot API's answer. A send given up on too early may have been accepted all
the same, and sending it again would show it twice: so the answer is awaited long (the platform usually
answers in well under a second, python-telegram-bot's default gives up after 5) and its message id recorded."""
OTHER_CALLS_PATIENCE = 60.0
"""Seconds of retrying worth it for a call that is not a message (the command menu at start)."""


class TelegramChannel:
    """Sends Replies as Telegram HTML messages, with retries."""

    name = CHANNEL

    def __init__(
        self,
        application: Application,
        renderer: Renderer,
        *,
        sleep: Sleep = asyncio.sleep,
        base_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self._application = application
        self._renderer = renderer
        self._sleep = sleep
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        rendered = self._renderer.render_reply(reply, recipient.locale)
        bot = self._application.bot
        keyboard = _keyboard(rendered)
        if reply.replace_origin and origin_message_id and len(rendered.parts) == 1 and not attempt.delivered:
            edit = _message(rendered.parts[0], keyboard, chat_id=recipient.chat_id, message_id=int(origin_message_id))
            try:
                await self._post("editMessageText", edit, attempt.patience)
                await attempt.accepted(origin_message_id, more_to_come=False)
                return
            except DeliveryFailed as error:
                if "not modified" in str(error.__cause__ or "").lower():
                    return
                logger.info("editing message %s failed, sending anew", origin_message_id)
        last = len(rendered.parts) - 1
        sends: list[Step] = [
            partial(
                self._post,
                "sendMessage",
                _message(part, keyboard if index == last else None, chat_id=recipient.chat_id),
                attempt.patience,
            )
            for index, part in enumerate(rendered.parts)
        ]
        timeouts = {"read_timeout": ANSWER_TIMEOUT}
        if reply.document is not None:
            upload = InputFile(reply.document.data, filename=reply.document.filename)
            sends.append(
                partial(self._send, partial(bot.send_document, recipient.chat_id, upload, **timeouts), attempt.patience)
            )
        if reply.venue is not None:
            venue = reply.venue
            send_venue = partial(
                bot.send_venue,
                recipient.chat_id,
                venue.latitude,
                venue.longitude,
                venue.title,
                venue.address,
                **timeouts,
            )
            sends.append(partial(self._send, send_venue, attempt.patience))
        await send_steps(sends, attempt)

    async def _post(self, method: str, data: dict[str, object], patience: float) -> str:
        """A sendMessage or editMessageText, with the retries of `_call`; returns the id of the message. It goes
        through the Bot's `_post`, under send_message and edit_message_text: the same request, the same errors and
        so the same retries, without building a Message of the answer (PTB's Message.de_json, a fifth of the work
        of a turn's answer) only to read its id."""
        request = partial(self._application.bot._post, method, data, read_timeout=ANSWER_TIMEOUT)
        result = await self._call(request, patience)
        return str(result["message_id"]) if isinstance(result, dict) else str(data.get("message_id", ""))

    async def _send(self, send: Callable[[], Awaitable[Message]], patience: float) -> str:
        return str((await self._call(send, patience)).message_id)

    async def _call(self, request: Callable[[], Awaitable[T]], patience: float = OTHER_CALLS_PATIENCE) -> T:
        """Run one Bot API call with retries: 429 waits retry_after, network errors and 5xx back off; the waits
        add up to at most `patience` seconds, then it gives up. 403 and 400 are final."""
        retries = Retries(patience, self._sleep, self._base_backoff, self._max_backoff)
        while True:
            try:
                return await request()
            except RetryAfter as error:
                delay = _retry_after_seconds(error)
                logger.warning("Telegram asked to wait %.1f s (attempt %d)", delay, retries.attempt)
            except Forbidden as error:
                raise RecipientBlocked(str(error)) from error
            except BadRequest as error:
                raise DeliveryFailed(f"Telegram refused the request: {error}") from error
            except NetworkError as error:  # includes timeouts and 5xx answers
                delay = retries.backoff()
                logger.warning(
                    "Telegram network error %r, retrying in %.1f s (attempt %d)", error, delay, retries.attempt
                )
            except TelegramError as error:
                raise DeliveryFailed(f"Telegram error: {error}") from error
            await retries.wait(delay)

    async def register_commands(self, staff: StaffDirectory) -> None:
        """The command menu in Indonesian (default) and English, descriptions from the label templates.

        Everyone gets the public commands; each configured staff member's own chat also lists the staff
        (and, for admins, the admin) commands, so participants are never shown what they cannot use.
        """
        scopes: list[tuple[BotCommandScope | None, tuple[str, ...]]] = [(None, menu_commands_for(Role.MEMBER))]
        for telegram_id in sorted(staff.telegram_ids | staff.admin_telegram_ids):
            role = staff.role_of(CHANNEL, str(telegram_id))
            scopes.append((BotCommandScopeChat(telegram_id), menu_commands_for(role)))
        for scope, names in scopes:
            for locale in LOCALES:
                commands = [BotCommand(name, self._renderer.label(Label(f"cmd_{name}"), locale)) for name in names]
                language = None if locale == "id" else locale
                await self._call(
                    partial(self._application.bot.set_my_commands, commands, scope=scope, language_code=language)
                )


def _keyboard(rendered: RenderedReply) -> dict[str, object] | None:
    """The inline keyboard as the Bot API reads it (what InlineKeyboardMarkup.to_dict gives)."""
    if not rendered.buttons:
        return None
    return {
        "inline_keyboard": [[{"text": b.label, "callback_data": b.action} for b in row] for row in rendered.buttons]
    }


_NO_PREVIEW = {"is_disabled": True}


def _message(text: str, keyboard: dict[str, object] | None, **where: object) -> dict[str, object]:
    """The parameters of a sendMessage or editMessageText in HTML, with no link preview."""
    data: dict[str, object] = {
        **where,
        "text": text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW,
    }
    if keyboard is not None:
        data["reply_markup"] = keyboard
    return data


def build_application(
    *,
    token: str,
    base_url: str,
    router: Router,
    answers: AnswerSender,
    updates: DurableUpdateQueue,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The PTB Application wired to the router; the caller registers the TelegramChannel with the delivery."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(ChatOrderedProcessor())
        .update_queue(updates)
    )
    builder = builder.request(request or AiohttpBotRequest())
    builder = builder.get_updates_request(
        KeepBeforeConfirming(get_updates_request or AiohttpBotRequest(pool_size=1), updates)
    )
    application = builder.build()

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Turn the update into an Incoming, let the router answer, deliver the replies."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as error:  # only stops the button's spinner; never worth failing the update
                logger.info("answerCallbackQuery failed: %s", error)
        await answers.send(await router.handle(incoming, inbox_key(update)))  # from the outbox rows of the turn

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log everything the handlers did not expect, with the update; the bot keeps running."""
        update_id = update.update_id if isinstance(update, Update) else None  # the update itself names people
        logger.error("error while handling update %s", update_id, exc_info=context.error)

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


async def handle_kept_updates(router: Router, answers: AnswerSender, database: Database) -> int:
    """Before polling: the updates kept but not handled at the last stop, oldest first; returns how many."""
    async with database.transaction() as conn:
        waiting = await inbox.waiting(conn, CHANNEL)
    for key, incoming in waiting:
        await answers.send(await router.handle(incoming, key))
    if waiting:
        logger.warning("handled %d updates kept before the last stop", len(waiting))
    return len(waiting)
