"""Test doubles for the core: a recording channel and chat users that type and press buttons.

Core tests drive the real Router and Delivery with a temporary database and a FakeClock, and
read what each user would see. Dialogs are tables of (what the user does, which templates answer).
The stories many test files start from (a registered visit, a participant who joined, a planned
programme) are at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bot.app import Core, WebRuntime
from bot.delivery import Attempt
from bot.render import RenderedReply
from core.messages import Incoming, Recipient, Reply
from tests.telegram_html import MAX_MESSAGE_LENGTH, telegram_text_length, validate_telegram_html


@dataclass(frozen=True)
class Sent:
    recipient: Recipient
    reply: Reply
    rendered: RenderedReply

    @property
    def template(self) -> str:
        return self.reply.template

    @property
    def text(self) -> str:
        return "\n".join(self.rendered.parts)

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.rendered.buttons for b in row]


class Recorder:
    """Channels that render like the real ones, check the HTML is what Telegram accepts, and record."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sent: list[Sent] = []
        for name in ("console", "telegram"):
            core.delivery.register(_RecordingChannel(name, self))

    def to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.recipient.chat_id == chat_id]


class _RecordingChannel:
    def __init__(self, name: str, recorder: Recorder) -> None:
        self.name = name
        self._recorder = recorder

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        rendered = self._recorder.core.renderer.render_reply(reply, recipient.locale)
        for part in rendered.parts:
            validate_telegram_html(part)
            assert telegram_text_length(part) <= MAX_MESSAGE_LENGTH
        self._recorder.sent.append(Sent(recipient, reply, rendered))


@dataclass(frozen=True)
class Press:
    """Press the button whose label macro is `label` (first match) in the latest message with buttons."""

    label: str
    nth: int = 0


class ChatUser:
    def __init__(
        self,
        recorder: Recorder,
        name: str,
        *,
        language_code: str | None = "id",
        channel: str = "console",
        external_id: str | None = None,
    ) -> None:
        self.recorder = recorder
        self.name = name
        self.language_code = language_code
        self.channel = channel
        self.external_id = external_id or name
        self.last_buttons: list[tuple[str, str]] = []  # (label macro, action)

    async def says(self, text: str | None) -> list[Sent]:
        return await self._send(text=text, action=None)

    async def presses(self, label: str, nth: int = 0) -> list[Sent]:
        matches = [action for name, action in self.last_buttons if name == label]
        assert len(matches) > nth, f"no button {label!r} in {[n for n, _ in self.last_buttons]}"
        return await self._send(text=None, action=matches[nth])

    async def presses_action(self, action: str) -> list[Sent]:
        return await self._send(text=None, action=action)

    async def does(self, what: str | Press | None) -> list[Sent]:
        if isinstance(what, Press):
            return await self.presses(what.label, what.nth)
        return await self.says(what)

    async def _send(self, *, text: str | None, action: str | None) -> list[Sent]:
        before = len(self.recorder.sent)
        incoming = Incoming(
            channel=self.channel,
            chat_id=self.external_id,
            user_external_id=self.external_id,
            display_name=self.name,
            language_code=self.language_code,
            text=text,
            action=action,
            origin_message_id="1" if action is not None else None,
        )
        handled = await self.recorder.core.router.handle(incoming)
        await self.recorder.core.answers.send(handled)  # as the channels send a turn's replies from the outbox
        new = self.recorder.sent[before:]
        mine = [s for s in new if s.recipient.chat_id == self.external_id]
        for sent in mine:
            if sent.reply.buttons:
                self.last_buttons = [(b.label.name, b.action) for row in sent.reply.buttons for b in row]
        return mine


Expected = Sequence[str | tuple[str, str]]


async def play(user: ChatUser, table: Sequence[tuple[str | Press | None, Expected]]) -> list[Sent]:
    """Run a dialog table. Each expected item is a template name, or (template, text the message contains)."""
    everything: list[Sent] = []
    for number, (action, expected) in enumerate(table, 1):
        sent = await user.does(action)
        everything.extend(sent)
        templates = [s.template for s in sent]
        wanted = [e if isinstance(e, str) else e[0] for e in expected]
        assert templates == wanted, f"line {number} {action!r}: got {templates}, wanted {wanted}"
        for item, message in zip(expected, sent, strict=True):
            if isinstance(item, tuple):
                assert item[1] in message.text, f"line {number}: {item[1]!r} not in {message.text!r}"
    return everything


# --- stories several test files start from ----------------------------------------------------

UP_TO_SUMMARY: list[tuple[str | Press | None, Expected]] = [
    ("/daftar", ["registration/intro", "registration/ask_institution"]),
    ("Pemkab Cianjur", ["registration/ask_province"]),
    ("jabar", ["registration/ask_head"]),
    ("Herman Suherman, Bupati", ["registration/ask_size"]),
    ("45", ["registration/ask_mode"]),
    (Press("mode_onsite"), ["registration/ask_arrival"]),
    ("10/12/2026", ["registration/ask_departure"]),
    (Press("next_day"), ["registration/ask_topics"]),
    (Press("theme_toggle", 0), [("registration/ask_topics", "Pelayanan publik")]),
    (Press("theme_toggle", 2), [("registration/ask_topics", "Pelayanan publik, Desa digital")]),
    (Press("done"), ["registration/ask_contact_name"]),
    (Press("use_my_name"), ["registration/ask_contact_phone"]),
    ("0812 3456 7890", [("registration/summary", "+62 812-3456-7890")]),
]


async def register(coordinator: ChatUser) -> str:
    """A confirmed registration (45 people, 10–11 Dec 2026); returns its join code."""
    await play(coordinator, UP_TO_SUMMARY)
    [submitted, *_qr_codes] = await coordinator.presses("confirm")  # a QR code per channel
    return str(submitted.reply.params["delegation"].join_code)


async def join_as(recorder: Recorder, name: str, code: str) -> ChatUser:
    """A participant joins with the code (name, position Camat, no unit) and is confirmed."""
    member = ChatUser(recorder, name)
    await play(
        member,
        [
            (f"/gabung {code}", ["join/welcome", "join/ask_name"]),
            (name.split()[-1], ["join/ask_position"]),
            ("Camat", ["join/ask_unit"]),
            ("-", ["join/confirm"]),
            (Press("confirm"), ["join/joined"]),
        ],
    )
    return member


async def plan_with_programme(staff: ChatUser, program_button: int = 0) -> None:
    """Staff apply a ready-made programme to the first coming visit and save it (not yet published)."""
    await play(
        staff,
        [
            ("/agenda", ["agenda/choose"]),
            (Press("text"), ["agenda/plan"]),
            (Press("agenda_program"), ["agenda/programs"]),
            (Press("text", program_button), [("agenda/confirm", "Tidak ada bentrok")]),
            (Press("agenda_save"), ["agenda/saved", "agenda/plan"]),
        ],
    )


async def publish(staff: ChatUser) -> list[Sent]:
    """Staff press "publish" under the plan and confirm who will be told; returns what staff get then."""
    await play(staff, [(Press("agenda_publish"), ["agenda/confirm_publish"])])
    return await staff.presses("agenda_publish_confirm")


class RecordedSleep:
    """How the channel waits between retries: remembers the delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def served(web: WebRuntime) -> AsyncIterator[str]:
    """Serve the web server on a free port of 127.0.0.1 as `python -m bot serve` serves it (its own thread, loop and
    database connection, bot/web.py); yields its URL, and stops it as SIGTERM does."""
    async with web.server.running("127.0.0.1", 0) as url:
        yield url
