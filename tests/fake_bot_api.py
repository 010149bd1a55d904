"""In-process fake of the Telegram Bot API for end-to-end tests on 127.0.0.1.

The real python-telegram-bot ``Application`` talks to this server over HTTP (point
``ApplicationBuilder().base_url(fake.base_url)`` at it), so tests exercise the bot's real
request encoding, update parsing and error handling instead of mocks.

Only the methods the bot calls are served (getMe, deleteWebhook and getUpdates for polling,
setMyCommands, answerCallbackQuery, sendMessage, editMessageText, sendDocument, sendVenue);
anything else answers 404.  The server enforces the Bot API rules that bots most often trip
over in production (HTML parse errors, message length, callback_data size, "message is not
modified", blocked users, flood control) and answers with the same status codes and
descriptions.

All public methods must be called from the event loop thread that runs the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING or __package__:
    from .telegram_html import MAX_MESSAGE_LENGTH, TelegramHtmlError, parse_telegram_html, utf16_length
else:  # imported as a top-level module because tests/ itself is on sys.path
    from telegram_html import MAX_MESSAGE_LENGTH, TelegramHtmlError, parse_telegram_html, utf16_length

__all__ = ["FakeBotApi", "SentFile", "SentMessage"]

JsonDict = dict[str, Any]

MAX_LONG_POLL_SECONDS = 1.0
"""getUpdates never blocks longer than this, so tests and shutdown stay fast."""

MAX_CALLBACK_DATA_BYTES = 64
BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)

_RATE_LIMITED_METHODS = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendVenue"})
# PTB sends string parameters raw and JSON-encodes everything else (ints, floats, objects).
_STRING_PARAMS = frozenset({"text", "parse_mode", "callback_query_id", "language_code", "title", "address"})
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_COMMAND_IN_TEXT_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?")
_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded (multipart part), kept so tests can inspect its bytes."""

    filename: str | None
    data: bytes


@dataclass(frozen=True)
class SentMessage:
    """One accepted message-producing call, as the bot sent it.

    ``text`` is the raw ``text`` parameter (the title for a venue) including HTML markup;
    ``plain_text`` is what the user would see after Telegram parsed the markup.
    """

    method: str
    chat_id: int
    message_id: int
    params: JsonDict = field(repr=False)
    text: str | None = None
    plain_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JsonDict | None = None
    document: SentFile | None = None
    at: float = field(default=0.0, compare=False)  # time.monotonic() when the fake accepted it (benches)

    def button_data(self, label: str) -> str:
        """The callback_data of the one button of this message whose label contains `label`."""
        matches = [
            button["callback_data"]
            for row in self.inline_keyboard
            for button in row
            if label in button["text"] and "callback_data" in button
        ]
        labels = [button["text"] for row in self.inline_keyboard for button in row]
        assert len(matches) == 1, f"want one button labelled {label!r}, the message has {labels}"
        return matches[0]

    @property
    def edited(self) -> bool:
        return self.method == "editMessageText"

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons (empty when there is no inline keyboard)."""
        return list((self.reply_markup or {}).get("inline_keyboard") or [])

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [button["callback_data"] for row in self.inline_keyboard for button in row if "callback_data" in button]


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    remaining: int


class _ApiError(Exception):
    """Raised by method handlers; turned into an ``{"ok": false, ...}`` response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _decode(name: str, value: Any) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # a plain string where the method expects something else: refused later


class FakeBotApi:
    """A fake Bot API server; see the module docstring.

    Observe the bot through ``sent`` (accepted messages), ``calls`` (every request, including
    rejected ones), ``errors`` (method, status, exact description of every refusal, since PTB
    rewrites the description), ``commands`` (setMyCommands for the default scope, keyed by
    language_code; every scope in ``commands_by_scope``), ``callback_answers`` and ``rate_limited``.
    For timing (bench/peak.py): ``handed_over`` maps each update_id to the time.monotonic() at which a
    getUpdates first returned it, and each ``SentMessage.at`` is when the fake accepted the message.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "delegasi_test_bot",
        *,
        rate_limit_per_second: float | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.rate_limit_per_second = rate_limit_per_second

        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, JsonDict]] = []
        self.commands: dict[str | None, list[JsonDict]] = {}
        self.commands_by_scope: dict[tuple[str, str | None], list[JsonDict]] = {}
        self.callback_answers: list[JsonDict] = []
        self.errors: list[tuple[str, int, str]] = []  # (method, status, description) of refusals
        self.rate_limited = 0
        self.webhook: JsonDict | None = None  # what setWebhook set (url, secret_token, allowed_updates)
        self.handed_over: dict[int, float] = {}  # update_id -> when a getUpdates first returned it

        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], JsonDict] = {}  # what each chat currently shows
        self._open_callback_queries: set[str] = set()
        self._blocked: set[int] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._late_answers: dict[str, deque[float]] = {}
        self._cursors: dict[int, int] = {}
        self._send_times: deque[float] = deque()
        self._update_event = asyncio.Event()
        self._sent_event = asyncio.Event()

        self._handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "answerCallbackQuery": self._answer_callback_query,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "sendDocument": self._send_document,
            "sendVenue": self._send_venue,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=50 * 1024 * 1024)  # documents can be big
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/bot"
        self._closing = False

    async def stop(self) -> None:
        """Stop serving; pending long polls return immediately."""
        self._closing = True
        self._update_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``; PTB appends ``<token>/<method>``."""
        if self._base_url is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._base_url

    @property
    def bot_user(self) -> JsonDict:
        bot_id = self.token.split(":", 1)[0]
        return {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Delegasi Test",
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ feeding updates

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "User",
        language_code: str | None = "id",
        chat_id: int | None = None,
    ) -> JsonDict:
        """Queue a text message from a user (to a group if ``chat_id`` is given); '/commands' get entities."""
        message = self._user_message(user_id, first_name, language_code, chat_id)
        message["text"] = text
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_length(text[: match.start()]),
                "length": utf16_length(match.group(0)),
            }
            for match in _COMMAND_IN_TEXT_RE.finditer(text)
        ]
        if entities:
            message["entities"] = entities
        return self._push_update({"message": message})

    def user_sends_sticker(
        self, user_id: int, *, first_name: str = "User", language_code: str | None = "id"
    ) -> JsonDict:
        """Queue a sticker message: the typical 'unsupported input' a bot must handle."""
        message = self._user_message(user_id, first_name, language_code, None)
        file_no = next(self._file_ids)
        message["sticker"] = {
            "file_id": f"CAACAgIAAxkBAAIB{file_no}",
            "file_unique_id": f"AgAD{file_no}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._push_update({"message": message})

    def user_presses(
        self,
        user_id: int,
        callback_data: str,
        *,
        message_id: int,
        first_name: str = "User",
        language_code: str | None = "id",
    ) -> JsonDict:
        """Queue a callback_query as if the user pressed an inline button on the bot's ``message_id``."""
        message = self._messages.get((user_id, message_id))
        if message is None:
            raise AssertionError(f"chat {user_id} shows no message {message_id} sent through FakeBotApi")
        query_id = str(next(self._callback_ids))
        self._open_callback_queries.add(query_id)
        return self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, first_name, language_code),
                    "message": copy.deepcopy(message),  # a snapshot: later edits don't change it
                    "chat_instance": str(-(10**18) - user_id),
                    "data": callback_data,
                }
            }
        )

    def _push_update(self, payload: JsonDict) -> JsonDict:
        update = {"update_id": next(self._update_ids), **payload}
        self._updates.append(update)
        self._update_event.set()
        return update

    @staticmethod
    def _user(user_id: int, first_name: str, language_code: str | None) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _user_message(self, user_id: int, first_name: str, language_code: str | None, chat_id: int | None) -> JsonDict:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user_id if chat_id is None else chat_id),
            "from": self._user(user_id, first_name, language_code),
        }

    @staticmethod
    def _chat(chat_id: int) -> JsonDict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    # ------------------------------------------------------------------ observing

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """All accepted messages (including edits) to ``chat_id``, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def current_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The Message object as the chat currently shows it (after edits), or None."""
        return self._messages.get((chat_id, message_id))

    def calls_to(self, method: str) -> list[JsonDict]:
        """Parameters of every call of ``method``, accepted or not."""
        return [params for name, params in self.calls if name == method]

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the whole wait, part of the API
    ) -> list[SentMessage]:
        """Wait for the next ``count`` unread messages to ``chat_id`` and mark them read.

        Returns exactly ``count`` messages; any further ones stay unread for the next call.
        Raises AssertionError listing what did arrive if they don't come within ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._sent_event.clear()
            cursor = self._cursors.get(chat_id, 0)
            unread = self.messages_to(chat_id)[cursor:]
            if len(unread) >= count:
                self._cursors[chat_id] = cursor + count
                return unread[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"expected {count} new message(s) to chat {chat_id} within {timeout}s, "
                    f"got {len(unread)}: {[(m.method, m.text) for m in unread]!r}; "
                    f"recent calls: {[name for name, _ in self.calls[-10:]]!r}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sent_event.wait(), remaining)

    async def assert_no_messages(self, chat_id: int, within: float = 0.3) -> None:
        """Assert that no unread message to ``chat_id`` arrives within ``within`` seconds."""
        await asyncio.sleep(within)
        unread = self.messages_to(chat_id)[self._cursors.get(chat_id, 0) :]
        if unread:
            raise AssertionError(f"unexpected message(s) to chat {chat_id}: {[(m.method, m.text) for m in unread]!r}")

    # ------------------------------------------------------------------ fault injection

    def inject_fault(self, method: str, *, status: int, retry_after: int | None = None, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status`` (429 defaults to retry_after 1)."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = BLOCKED if status == 403 else HTTPStatus(status).phrase
        fault = _Fault(status=status, description=description, retry_after=retry_after, remaining=times)
        self._faults.setdefault(method, deque()).append(fault)

    def answer_late(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are carried out at once but answered ``seconds`` later, as a
        platform under load does: a client that stops waiting and sends again shows the message twice."""
        self._late_answers.setdefault(method, deque()).extend([seconds] * times)

    def block_user(self, chat_id: int) -> None:
        """Every send to ``chat_id`` answers 403, as after the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _check_rate_limit(self) -> None:
        if self.rate_limit_per_second is None:
            return
        now = time.monotonic()
        while self._send_times and self._send_times[0] <= now - 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= self.rate_limit_per_second:
            self.rate_limited += 1
            raise _ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._send_times.append(now)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: JsonDict = {}
        try:
            form = await request.post()  # form-urlencoded, or multipart with files
        except ConnectionResetError:
            # The client went away mid-body (a bot stopping while a call is under way): nothing
            # arrived, so nothing is recorded, and there is no one left to answer.
            return web.Response(status=499)
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = SentFile(filename=value.filename, data=value.file.read())
            else:
                params[key] = _decode(key, value)
        self.calls.append((method, params))
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            fault = self._take_fault(method)
            if fault is not None:
                raise _ApiError(fault.status, fault.description, fault.retry_after)
            handler = self._handlers.get(method)
            if handler is None:
                raise _ApiError(404, "Not Found")
            if method in _RATE_LIMITED_METHODS:
                self._check_rate_limit()
            result = await handler(params)
            late = self._late_answers.get(method)
            if late:
                await asyncio.sleep(late.popleft())
        except _ApiError as exc:
            self.errors.append((method, exc.status, exc.description))
            body: JsonDict = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return web.json_response(body, status=exc.status)
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------------ validation helpers

    @staticmethod
    def _require(params: JsonDict, name: str) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise _bad_request(f"{name} is empty")
        return value

    def _target_chat(self, params: JsonDict) -> int:
        """chat_id of a sending method; refuses blocked users like Telegram does."""
        chat_id = self._require(params, "chat_id")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, BLOCKED)
        return chat_id

    @staticmethod
    def _message_text(params: JsonDict) -> tuple[str, list[JsonDict]]:
        """The text as shown and its entities: HTML parsed, surrounding whitespace trimmed, length checked."""
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        entities: list[JsonDict]
        if not parse_mode:
            plain, entities = text, []
        elif str(parse_mode).lower() == "html":
            try:
                plain, parsed = parse_telegram_html(text)
            except TelegramHtmlError as exc:
                raise _ApiError(400, exc.description) from None
            entities = [dict(entity) for entity in parsed]
        else:
            raise _bad_request(f'unsupported parse_mode "{parse_mode}"')
        # Telegram trims surrounding whitespace and shifts/clips entities accordingly.
        stripped_left = plain.lstrip()
        shift = utf16_length(plain) - utf16_length(stripped_left)
        plain = stripped_left.rstrip()
        size = utf16_length(plain)
        kept: list[JsonDict] = []
        for entity in entities:
            start = max(int(entity["offset"]) - shift, 0)
            end = min(int(entity["offset"]) + int(entity["length"]) - shift, size)
            if end > start:
                kept.append({**entity, "offset": start, "length": end - start})
        if not plain:
            raise _bad_request("message text is empty")
        if size > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return plain, kept

    @staticmethod
    def _inline_keyboard(params: JsonDict) -> JsonDict | None:
        """reply_markup, which the bot only uses for inline keyboards, validated like the Bot API."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for button in (button for row in rows for button in row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
                raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(self, chat_id: int, **content: Any) -> JsonDict:
        message: JsonDict = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
        }
        message.update({k: v for k, v in content.items() if v not in (None, [])})
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _record(self, method: str, params: JsonDict, message: JsonDict, **fields: Any) -> None:
        chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        self.sent.append(SentMessage(method, chat_id, message_id, params, **fields, at=time.monotonic()))
        self._sent_event.set()

    # ------------------------------------------------------------------ method handlers

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _delete_webhook(self, params: JsonDict) -> bool:
        """Called by PTB before it starts polling: the webhook, if any, is gone."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _set_webhook(self, params: JsonDict) -> bool:
        """Webhook mode: the test posts the updates to the URL itself (``webhook`` records what was set)."""
        self._require(params, "url")
        self.webhook = params
        return True

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        """Long-poll like Telegram: confirm (drop) updates below offset, then wait for more."""
        offset = params.get("offset")
        timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_LONG_POLL_SECONDS)
        allowed = params.get("allowed_updates")

        def drop_confirmed_and_unwanted() -> None:
            # Telegram never delivers (and forgets) update types that are not allowed.
            self._updates = [
                update
                for update in self._updates
                if (offset is None or update["update_id"] >= offset)
                and (not allowed or any(kind in update for kind in allowed))
            ]

        drop_confirmed_and_unwanted()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._update_event.clear()
            try:
                await asyncio.wait_for(self._update_event.wait(), remaining)
            except TimeoutError:
                break
            drop_confirmed_and_unwanted()
        now = time.monotonic()
        for update in self._updates:
            self.handed_over.setdefault(update["update_id"], now)
        return list(self._updates)

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        language = params.get("language_code") or None
        if language is not None and not _LANGUAGE_CODE_RE.fullmatch(language):
            raise _bad_request("invalid language code specified")
        self.commands_by_scope[(json.dumps(scope, sort_keys=True), language)] = commands
        if scope == {"type": "default"}:
            self.commands[language] = commands
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(self._require(params, "callback_query_id"))
        if query_id not in self._open_callback_queries:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callback_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        plain, entities = self._message_text(params)
        markup = self._inline_keyboard(params)
        message = self._new_bot_message(chat_id, text=plain, entities=entities, reply_markup=markup)
        self._record(
            "sendMessage",
            params,
            message,
            text=params["text"],
            plain_text=plain,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )
        return message

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        message = self._messages.get((chat_id, self._require(params, "message_id")))
        if message is None:
            raise _bad_request("message to edit not found")
        plain, entities = self._message_text(params)
        markup = self._inline_keyboard(params)
        if (message.get("text"), message.get("entities", []), message.get("reply_markup")) == (plain, entities, markup):
            raise _bad_request(NOT_MODIFIED)
        message["text"] = plain
        message["edit_date"] = int(time.time())
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)  # omitting reply_markup removes the keyboard
        self._record(
            "editMessageText",
            params,
            message,
            text=params["text"],
            plain_text=plain,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )
        return dict(message)

    async def _send_document(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if not isinstance(document, SentFile):
            raise _bad_request("there is no document in the request")
        file_no = next(self._file_ids)
        info = {
            "file_id": f"BQACAgIAAxkBAAIC{file_no}",
            "file_unique_id": f"AgAC{file_no}",
            "file_name": document.filename or "file",
            "file_size": len(document.data),
        }
        message = self._new_bot_message(chat_id, document=info)
        self._record("sendDocument", params, message, document=document)
        return message

    async def _send_venue(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        latitude = self._require(params, "latitude")
        longitude = self._require(params, "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad_request("wrong coordinates")
        title = self._require(params, "title")
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": location, "title": title, "address": self._require(params, "address")}
        message = self._new_bot_message(chat_id, location=location, venue=venue)
        self._record("sendVenue", params, message, text=title, plain_text=title)
        return message


@contextlib.asynccontextmanager
async def running(token: str, bot_username: str) -> AsyncIterator[FakeBotApi]:
    """A fake Bot API started on 127.0.0.1 for the duration of the block (the tests' `fake` fixtures)."""
    api = FakeBotApi(token, bot_username=bot_username)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
