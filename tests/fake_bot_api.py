"""In-process fake of the Telegram Bot API for end-to-end tests on 127.0.0.1.

The real python-telegram-bot ``Application`` talks to this server over HTTP (point
``ApplicationBuilder().base_url(fake.base_url)`` at it), so tests exercise the bot's real
request encoding, update parsing and error handling instead of mocks.  The server
enforces the Bot API rules that bots most often trip over in production (HTML parse
errors, message length, callback_data size, "message is not modified", blocked users,
flood control) and answers with the same status codes and descriptions.

All public methods must be called from the event loop thread that runs the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING or __package__:
    from .telegram_html import (
        MAX_CAPTION_LENGTH,
        MAX_MESSAGE_LENGTH,
        TelegramHtmlError,
        parse_telegram_html,
        utf16_length,
    )
else:  # imported as a top-level module because tests/ itself is on sys.path
    from telegram_html import (
        MAX_CAPTION_LENGTH,
        MAX_MESSAGE_LENGTH,
        TelegramHtmlError,
        parse_telegram_html,
        utf16_length,
    )

__all__ = ["FakeBotApi", "SentFile", "SentMessage"]

JsonDict = dict[str, Any]

MAX_LONG_POLL_SECONDS = 1.0
"""getUpdates never blocks longer than this, so tests and shutdown stay fast."""

MAX_CALLBACK_DATA_BYTES = 64

# Methods that produce/modify a chat message: subject to rate limiting.
_RATE_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "sendDocument",
        "sendLocation",
        "sendVenue",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
    }
)

_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# How form-encoded (all-string) parameters are turned back into typed values.  PTB sends
# ints/bools/objects JSON-encoded but plain strings raw, so the server has to know types.
_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "user_id",
        "cache_time",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "from_chat_id",
    }
)
_FLOAT_PARAMS = frozenset({"latitude", "longitude", "horizontal_accuracy", "timeout"})
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "drop_pending_updates",
        "disable_content_type_detection",
        "allow_paid_broadcast",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
    }
)
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_COMMAND_IN_TEXT_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?")
_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded (multipart part), kept so tests can inspect its bytes."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class SentMessage:
    """One accepted message-producing call, as the bot sent it.

    ``text`` is the raw ``text`` (or ``caption``) parameter including HTML markup;
    ``plain_text`` is what the user would see after Telegram parsed the markup.
    """

    method: str
    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    edited: bool
    params: JsonDict = field(repr=False)
    plain_text: str | None = None
    document: SentFile | None = None

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons (empty when there is no inline keyboard)."""
        if not self.reply_markup:
            return []
        return list(self.reply_markup.get("inline_keyboard") or [])

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


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
    if status in _DEFAULT_DESCRIPTIONS:
        return _DEFAULT_DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Error"


def _error_response(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: JsonDict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


def _update_type(update: JsonDict) -> str:
    """The update's kind, e.g. "message" or "callback_query" (the non-update_id key)."""
    return next((key for key in update if key != "update_id"), "")


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0", ""):
        return False
    raise _bad_request(f"invalid {name} specified")


def _coerce_param(name: str, value: Any) -> Any:
    """Turn a form value (always a string) or JSON value into the type the API expects."""
    if isinstance(value, SentFile):
        return value
    if name == "chat_id":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
        if text.startswith("@"):
            return text
        raise _bad_request("chat not found")
    if name in _INT_PARAMS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None
    if name in _FLOAT_PARAMS:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None
    if name in _BOOL_PARAMS:
        return _parse_bool(name, value)
    if name in _JSON_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            if name == "reply_markup":
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
            raise _bad_request(f"can't parse {name} JSON object") from None
    return value


class FakeBotApi:
    """A fake Bot API server; see the module docstring.

    Observe the bot through ``sent`` (accepted messages), ``calls`` (every request, including
    rejected ones), ``errors`` (method, status, exact description of every refusal, since PTB
    rewrites the description), ``commands`` (setMyCommands for the default scope, keyed by
    language_code; other scopes in ``commands_by_scope``) and ``rate_limited``.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "delegasi_test_bot",
        *,
        rate_limit_per_second: float | None = None,
        bot_first_name: str = "Delegasi Test",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.rate_limit_per_second = rate_limit_per_second

        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, JsonDict]] = []
        self.commands: dict[str | None, list[JsonDict]] = {}
        self.commands_by_scope: dict[tuple[str, str | None], list[JsonDict]] = {}
        self.callback_answers: list[JsonDict] = []
        self.bot_settings: dict[str, JsonDict] = {}
        self.errors: list[tuple[str, int, str]] = []  # (method, status, description) of refusals
        self.rate_limited = 0

        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._updates: list[JsonDict] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._next_callback_id = 1
        self._next_file_id = 1
        self._messages: dict[tuple[int, int], JsonDict] = {}  # what each chat currently shows
        self._chats: dict[int, JsonDict] = {}
        self._open_callback_queries: set[str] = set()
        self._blocked: set[int] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._cursors: dict[int, int] = {}
        self._send_times: deque[float] = deque()
        self._update_event = asyncio.Event()
        self._sent_event = asyncio.Event()

        handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._store_setting("setMyDescription"),
            "setMyShortDescription": self._store_setting("setMyShortDescription"),
            "setMyName": self._store_setting("setMyName"),
            "setChatMenuButton": self._store_setting("setChatMenuButton"),
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendDocument": self._send_document,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
        }
        # The Bot API treats method names case-insensitively.
        self._handlers = {name.lower(): (name, fn) for name, fn in handlers.items()}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=60 * 1024 * 1024)  # documents can be big
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._closing = False

    async def stop(self) -> None:
        """Stop serving; pending long polls return immediately."""
        self._closing = True
        self._update_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``; PTB appends ``<token>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ feeding updates

    def push_update(self, payload: JsonDict) -> JsonDict:
        """Queue an arbitrary update body (without update_id) and return the full Update."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._update_event.set()
        return update

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "User",
        language_code: str | None = "id",
        chat_id: int | None = None,
    ) -> JsonDict:
        """Queue a text message from a user; '/commands' get bot_command entities."""
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
        return self.push_update({"message": message})

    def user_sends_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        first_name: str = "User",
        language_code: str | None = "id",
        chat_id: int | None = None,
    ) -> JsonDict:
        """Queue a sticker message: the typical 'unsupported input' a bot must handle."""
        message = self._user_message(user_id, first_name, language_code, chat_id)
        file_no = self._take_file_id()
        message["sticker"] = {
            "file_id": f"CAACAgIAAxkBAAIB{file_no}",
            "file_unique_id": f"AgAD{file_no}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.push_update({"message": message})

    def user_presses(
        self,
        user_id: int,
        callback_data: str,
        *,
        message_id: int,
        language_code: str | None = "id",
        chat_id: int | None = None,
        first_name: str = "User",
    ) -> JsonDict:
        """Queue a callback_query as if the user pressed an inline button on ``message_id``."""
        chat_id = user_id if chat_id is None else chat_id
        user = self._user(user_id, first_name, language_code)
        self._remember_chat(chat_id, user)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            # A message we never saw (e.g. sent before the test); make it editable anyway.
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self.bot_user,
                "text": "(message not sent through FakeBotApi)",
            }
            self._messages[(chat_id, message_id)] = message
        query_id = str(4_000_000_000_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._open_callback_queries.add(query_id)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": json.loads(json.dumps(message)),  # snapshot
                    "chat_instance": str(-(10**18) - chat_id),
                    "data": callback_data,
                }
            }
        )

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _user_message(self, user_id: int, first_name: str, language_code: str | None, chat_id: int | None) -> JsonDict:
        chat_id = user_id if chat_id is None else chat_id
        user = self._user(user_id, first_name, language_code)
        self._remember_chat(chat_id, user)
        return {
            "message_id": self._take_message_id(),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": user,
        }

    def _remember_chat(self, chat_id: int, user: JsonDict) -> None:
        if chat_id == user["id"]:
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "private",
                "first_name": user["first_name"],
            }
        elif chat_id not in self._chats:
            is_super = str(chat_id).startswith("-100")
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "supergroup" if is_super else "group",
                "title": f"Group {chat_id}",
            }

    def _chat(self, chat_id: int) -> JsonDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        return {"id": chat_id, "type": "private" if chat_id > 0 else "group"}

    def _take_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def _take_file_id(self) -> int:
        file_no = self._next_file_id
        self._next_file_id += 1
        return file_no

    # ------------------------------------------------------------------ observing

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """All accepted messages (including edits) to ``chat_id``, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def current_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The Message object as the chat currently shows it (after edits), or None."""
        return self._messages.get((chat_id, message_id))

    def calls_to(self, method: str) -> list[JsonDict]:
        """Parameters of every call of ``method`` (case-insensitive), accepted or not."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

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

    def inject_fault(
        self,
        method: str,
        *,
        status: int,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any method) fail with ``status``."""
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = _Fault(
            status=status,
            description=description or _default_description(status, retry_after),
            retry_after=retry_after,
            remaining=times,
        )
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def block_user(self, chat_id: int) -> None:
        """Every send to ``chat_id`` answers 403, as after the user blocked the bot."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method.lower(), "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
        return None

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
        raw_method = request.match_info["method"]
        entry = self._handlers.get(raw_method.lower())
        method = entry[0] if entry else raw_method
        try:
            params = await self._read_params(request)
        except _ApiError as exc:
            self.calls.append((method, {}))
            return self._refuse(method, exc)
        self.calls.append((method, params))
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            fault = self._take_fault(method)
            if fault is not None:
                raise _ApiError(fault.status, fault.description, fault.retry_after)
            if entry is None:
                raise _ApiError(404, "Not Found")
            if method in _RATE_LIMITED_METHODS:
                self._check_rate_limit()
            result = await entry[1](params)
        except _ApiError as exc:
            return self._refuse(method, exc)
        return web.json_response({"ok": True, "result": result})

    def _refuse(self, method: str, exc: _ApiError) -> web.Response:
        self.errors.append((method, exc.status, exc.description))
        return _error_response(exc.status, exc.description, exc.retry_after)

    async def _read_params(self, request: web.Request) -> JsonDict:
        """Merge query string and body (JSON, urlencoded or multipart) into typed params."""
        raw: JsonDict = dict(request.query)
        if request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    raise _bad_request("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _bad_request("request body must be a JSON object")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = SentFile(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                    else:
                        raw[key] = value
        return {key: _coerce_param(key, value) for key, value in raw.items()}

    # ------------------------------------------------------------------ validation helpers

    def _require(self, params: JsonDict, name: str) -> Any:
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
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    @staticmethod
    def _parse_formatted(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JsonDict]]:
        """Apply parse_mode like Telegram: HTML is parsed, other modes kept literally."""
        if parse_mode is None or parse_mode == "":
            return text, list(entities or [])
        if not isinstance(parse_mode, str):
            raise _bad_request("unsupported parse_mode")
        mode = parse_mode.lower()
        if mode == "html":
            try:
                plain, entities = parse_telegram_html(text)
            except TelegramHtmlError as exc:
                raise _ApiError(400, exc.description) from None
            return plain, [dict(entity) for entity in entities]
        if mode in ("markdown", "markdownv2"):
            return text, []  # not validated by this fake
        raise _bad_request(f'unsupported parse_mode "{parse_mode}"')

    @staticmethod
    def _strip(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
        """Telegram trims surrounding whitespace and shifts/clips entities accordingly."""
        stripped_left = text.lstrip()
        shift = utf16_length(text) - utf16_length(stripped_left)
        result = stripped_left.rstrip()
        size = utf16_length(result)
        kept: list[JsonDict] = []
        for entity in entities:
            start = max(int(entity["offset"]) - shift, 0)
            end = min(int(entity["offset"]) + int(entity["length"]) - shift, size)
            if end > start:
                kept.append({**entity, "offset": start, "length": end - start})
        return result, kept

    @staticmethod
    def _check_reply_markup(markup: Any) -> JsonDict | None:
        """Validate reply_markup the way the Bot API rejects it."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    FakeBotApi._check_inline_button(button)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            for row in rows:
                for button in row:
                    label = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(label, str) or not label:
                        raise _bad_request("can't parse keyboard button: Text must be non-empty")
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        return markup

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad_request("can't parse inline keyboard button: Object expected")
        if not isinstance(button.get("text"), str) or not button["text"]:
            raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        elif "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"(https?|tg)://\S", url):
                raise _bad_request("BUTTON_URL_INVALID")
        elif not (
            {
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "web_app",
                "login_url",
                "pay",
                "callback_game",
                "copy_text",
            }
            & button.keys()
        ):
            raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")

    def _new_bot_message(self, chat_id: int, **content: Any) -> JsonDict:
        message: JsonDict = {
            "message_id": self._take_message_id(),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
        }
        message.update({k: v for k, v in content.items() if v not in (None, [])})
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _record(self, method: str, params: JsonDict, message: JsonDict, **fields: Any) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=int(message["chat"]["id"]),
                message_id=int(message["message_id"]),
                params=params,
                **fields,
            )
        )
        self._sent_event.set()

    def _message_to_edit(self, params: JsonDict) -> tuple[int, JsonDict]:
        chat_id = self._target_chat(params)
        message_id = self._require(params, "message_id")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        return chat_id, message

    @staticmethod
    def _inline_markup_only(markup: JsonDict | None) -> JsonDict | None:
        """Only inline keyboards are attached to (and echoed back with) a message."""
        return markup if markup and "inline_keyboard" in markup else None

    # ------------------------------------------------------------------ method handlers

    async def _true(self, params: JsonDict) -> bool:
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        """Long-poll like Telegram: confirm (drop) updates below offset, then wait for more."""
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_LONG_POLL_SECONDS)
        allowed = params.get("allowed_updates")

        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if allowed:
            # Telegram never delivers (and forgets) update types that are not allowed.
            self._updates = [u for u in self._updates if _update_type(u) in allowed]

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
            if allowed:
                self._updates = [u for u in self._updates if _update_type(u) in allowed]
        return self._updates[:limit]

    async def _delete_webhook(self, params: JsonDict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    @staticmethod
    def _scope_key(params: JsonDict) -> tuple[str, str | None]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        language = params.get("language_code") or None
        if language is not None and not _LANGUAGE_CODE_RE.fullmatch(str(language)):
            raise _bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            if not _BOT_COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope, language = self._scope_key(params)
        self.commands_by_scope[(scope, language)] = commands
        if json.loads(scope) == {"type": "default"}:
            self.commands[language] = commands
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands_by_scope.get(self._scope_key(params), [])

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        scope, language = self._scope_key(params)
        self.commands_by_scope.pop((scope, language), None)
        if json.loads(scope) == {"type": "default"}:
            self.commands.pop(language, None)
        return True

    def _store_setting(self, method: str) -> Callable[[JsonDict], Awaitable[bool]]:
        async def handler(params: JsonDict) -> bool:
            self.bot_settings[method] = params
            return True

        return handler

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(self._require(params, "callback_query_id"))
        if query_id not in self._open_callback_queries:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        self._open_callback_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def _send_chat_action(self, params: JsonDict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _message_text(self, params: JsonDict) -> tuple[str, list[JsonDict]]:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad_request("message text is empty")
        plain, entities = self._parse_formatted(text, params.get("parse_mode"), params.get("entities"))
        plain, entities = self._strip(plain, entities)
        if not plain:
            raise _bad_request("message text is empty")
        if utf16_length(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return plain, entities

    def _caption(self, params: JsonDict) -> tuple[str | None, list[JsonDict]]:
        caption = params.get("caption")
        if not caption:
            return None, []
        plain, entities = self._parse_formatted(str(caption), params.get("parse_mode"), params.get("caption_entities"))
        plain, entities = self._strip(plain, entities)
        if utf16_length(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return plain or None, entities

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        plain, entities = self._message_text(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        message = self._new_bot_message(
            chat_id,
            text=plain,
            entities=entities,
            reply_markup=self._inline_markup_only(markup),
        )
        self._record(
            "sendMessage",
            params,
            message,
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            edited=False,
            plain_text=plain,
        )
        return message

    async def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        if params.get("inline_message_id"):
            self._message_text(params)
            return True
        _, message = self._message_to_edit(params)
        plain, entities = self._message_text(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        new_markup = self._inline_markup_only(markup)
        if (
            message.get("text") == plain
            and message.get("entities", []) == entities
            and message.get("reply_markup") == new_markup
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a content and reply markup of the current message"
            )
        message["text"] = plain
        message["edit_date"] = int(time.time())
        for key, value in (("entities", entities), ("reply_markup", new_markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)  # omitting reply_markup removes the keyboard
        self._record(
            "editMessageText",
            params,
            message,
            text=params["text"],
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            edited=True,
            plain_text=plain,
        )
        return dict(message)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        markup = self._check_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        _, message = self._message_to_edit(params)
        new_markup = self._inline_markup_only(markup)
        if message.get("reply_markup") == new_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a content and reply markup of the current message"
            )
        if new_markup:
            message["reply_markup"] = new_markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        self._record(
            "editMessageReplyMarkup",
            params,
            message,
            text=None,
            parse_mode=None,
            reply_markup=markup,
            edited=True,
        )
        return dict(message)

    async def _delete_message(self, params: JsonDict) -> bool:
        chat_id = self._target_chat(params)
        message_id = self._require(params, "message_id")
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _bad_request("message to delete not found")
        return True

    async def _send_document(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document[len("attach://") :])
        if document is None or document == "":
            raise _bad_request("there is no document in the request")
        caption, caption_entities = self._caption(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        file_no = self._take_file_id()
        doc_info: JsonDict = {"file_id": f"BQACAgIAAxkBAAIC{file_no}", "file_unique_id": f"AgAC{file_no}"}
        if isinstance(document, SentFile):
            doc_info.update(
                file_name=document.filename or "file",
                mime_type=document.content_type or "application/octet-stream",
                file_size=len(document.data),
            )
        message = self._new_bot_message(
            chat_id,
            document=doc_info,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=self._inline_markup_only(markup),
        )
        self._record(
            "sendDocument",
            params,
            message,
            text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            edited=False,
            plain_text=caption,
            document=document if isinstance(document, SentFile) else None,
        )
        return message

    def _location(self, params: JsonDict) -> JsonDict:
        latitude = self._require(params, "latitude")
        longitude = self._require(params, "longitude")
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise _bad_request("wrong coordinates")
        return {"latitude": latitude, "longitude": longitude}

    async def _send_location(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        location = self._location(params)
        markup = self._check_reply_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat_id, location=location, reply_markup=self._inline_markup_only(markup))
        self._record(
            "sendLocation",
            params,
            message,
            text=None,
            parse_mode=None,
            reply_markup=markup,
            edited=False,
        )
        return message

    async def _send_venue(self, params: JsonDict) -> JsonDict:
        chat_id = self._target_chat(params)
        location = self._location(params)
        title = self._require(params, "title")
        address = self._require(params, "address")
        markup = self._check_reply_markup(params.get("reply_markup"))
        message = self._new_bot_message(
            chat_id,
            location=location,
            venue={"location": location, "title": title, "address": address},
            reply_markup=self._inline_markup_only(markup),
        )
        self._record(
            "sendVenue",
            params,
            message,
            text=title,
            parse_mode=None,
            reply_markup=markup,
            edited=False,
            plain_text=title,
        )
        return message
