"""The WhatsApp channel's sending side: rendered Replies out through the Cloud API, with pywa's async client.

A Reply becomes one or more steps, each one send that WhatsApp gives a message id (core's Attempt records
them, so a kill repeats at most the step on its way): the text parts in WhatsApp's markup
(whatsapp_format), the buttons on the last part as reply buttons or a list (an interactive body holds at
most INTERACTIVE_BODY_LIMIT characters; a longer last part goes as text, and the buttons follow with a
short prompt), numbered options as lines of the last part, a file uploaded as a document (a picture as an
image), a venue as a location. A Reply that edits its origin on Telegram is simply sent anew.

Outside the 24-hour window (core.windows: the user last wrote more than a day ago, or WhatsApp answered
131047 all the same) a message goes as the approved template of its purpose (whatsapp_templates), with the
message itself on one line as its parameter and a button to see it in full; the channel raises Held, the
outbox keeps the message, and it goes in full when the user writes again. A template that cannot go either
(switched off in the settings, or refused) is OutsideWindow: counted, not retried.

Every call goes through `_call`: throttling (130429, 131056 to one user, 4, 80007) is waited out, network
errors and 5xx back off while the message is worth it, like Telegram's; 131026 (not on WhatsApp, or blocked)
is the user being unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
from pywa.errors import MessageUndeliverable, ReEngagementMessage, ThrottlingError, WhatsAppError
from pywa.types import Button, Section, SectionList, SectionRow
from pywa.types.templates import TemplateLanguage
from pywa_async import WhatsApp

from bot.channels.whatsapp_format import ListMenu, Numbered, ReplyButtons, layout, to_whatsapp_text, units
from bot.channels.whatsapp_templates import StandIn, StandIns, components
from bot.config import WhatsAppSettings
from bot.delivery import Attempt, DeliveryFailed, Held, OutsideWindow, RecipientBlocked, Retries, Step, send_steps
from bot.render import Renderer
from core import choices, windows
from core.clock import Clock
from core.messages import Label, Recipient, Reply
from core.model import Database

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
INTERACTIVE_BODY_LIMIT = 1024
"""Characters of the body of a message with reply buttons or a list (a text message holds 4,096)."""
TEXT_LIMIT = 4096
Sleep = Callable[[float], Awaitable[None]]


def build_client(settings: WhatsAppSettings) -> WhatsApp:
    """pywa's async client on our own HTTP session, pointed at WHATSAPP_API_BASE_URL.

    pywa fixes its session's base URL to graph.facebook.com; the session is ours, so its host is replaced
    afterwards (the API version pywa chose stays): the tests' fake Graph API is reached the same way.
    """
    session = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0))  # as long a wait as Telegram's sends
    client = WhatsApp(phone_id=settings.phone_number_id, token=settings.access_token, session=session, server=None)
    session.base_url = settings.api_base_url + session.base_url.path
    return client


class WhatsAppChannel:
    name = CHANNEL

    def __init__(
        self,
        client: WhatsApp,
        renderer: Renderer,
        database: Database,
        clock: Clock,
        stand_ins: StandIns,
        *,
        sleep: Sleep = asyncio.sleep,
        base_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self._client = client
        self._renderer = renderer
        self._database = database
        self._clock = clock
        self._stand_ins = stand_ins
        self._sleep = sleep
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        if not attempt.delivered and not await self._window_open(recipient.chat_id):
            await self._stand_in(recipient, reply, attempt)
        steps, numbered = self._steps(recipient, reply)
        if numbered is not None and len(attempt.delivered) < len(steps):
            async with self._database.transaction() as conn:  # before the lines go: an answer may come at once
                await choices.offer(conn, CHANNEL, recipient.chat_id, numbered, self._clock.now())
        try:
            await send_steps([partial(self._call, step, attempt.patience) for step in steps], attempt)
        except OutsideWindow:  # 131047: WhatsApp's count of the window beat ours
            async with self._database.transaction() as conn:
                await windows.refused(conn, CHANNEL, recipient.chat_id, self._clock.now())
            await self._stand_in(recipient, reply, attempt)

    async def _window_open(self, chat_id: str) -> bool:
        async with self._database.transaction() as conn:
            return await windows.is_open(conn, CHANNEL, chat_id, self._clock.now())

    async def _stand_in(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> None:
        """Send the template of the message's purpose in its place and raise Held; OutsideWindow if none can go."""
        html = "\n".join(self._renderer.render_reply(reply, recipient.locale).parts)
        stand_in = self._stand_ins.for_reply(reply.template, recipient.locale, html)
        if stand_in is None:
            raise OutsideWindow("outside the 24-hour window, and no template is set to stand in for the message")
        try:
            attempt.stand_in = await self._call(partial(self._template, recipient.chat_id, stand_in), attempt.patience)
        except (OutsideWindow, RecipientBlocked):
            raise
        except DeliveryFailed as error:
            raise OutsideWindow(
                f"outside the 24-hour window, and the template {stand_in.name} failed: {error}"
            ) from error
        raise Held(stand_in.name)

    def _steps(self, recipient: Recipient, reply: Reply) -> tuple[list[Step], list[str] | None]:
        """The sends of a Reply, and the actions it numbers (None: it numbers none)."""
        locale, to = recipient.locale, recipient.chat_id
        rendered = self._renderer.render_reply(reply, locale)
        texts = [to_whatsapp_text(part) for part in rendered.parts]
        offered = layout(rendered.buttons)
        numbered = [choice.action for choice in offered.choices] if isinstance(offered, Numbered) else None
        if isinstance(offered, Numbered):
            lines = f"{offered.lines()}\n\n{self._label('wa_numbered_hint', locale)}"
            if units(texts[-1]) + 2 + units(lines) <= TEXT_LIMIT:
                texts[-1] = f"{texts[-1]}\n\n{lines}"
            else:
                texts.append(lines)
        steps: list[Step] = [partial(self._text, to, text) for text in texts]
        if isinstance(offered, ReplyButtons | ListMenu):
            body = texts[-1]
            if units(body) > INTERACTIVE_BODY_LIMIT:
                body = self._label("wa_choose_prompt", locale)
            else:
                steps.pop()  # the last part carries the buttons
            steps.append(partial(self._interactive, to, body, offered, self._label("wa_choose", locale)))
        if reply.document is not None:
            document = reply.document
            steps.append(partial(self._document, to, document.data, document.filename, document.mime_type))
        if reply.venue is not None:
            venue = reply.venue
            steps.append(
                partial(self._location, to, venue.latitude, venue.longitude, venue.title, venue.address or None)
            )
        return steps, numbered

    def _label(self, name: str, locale: str) -> str:
        return self._renderer.label(Label(name), locale)

    async def _text(self, to: str, text: str) -> str:
        return (await self._client.send_message(to, text)).id

    async def _interactive(self, to: str, body: str, offered: ReplyButtons | ListMenu, opener: str) -> str:
        buttons: list[Button] | SectionList
        if isinstance(offered, ReplyButtons):
            buttons = [Button(choice.title, choice.action) for choice in offered.choices]
        else:
            rows = [SectionRow(c.title, c.action, description=c.description) for c in offered.choices]
            buttons = SectionList(opener, [Section(opener, rows)])
        return (await self._client.send_message(to, body, buttons=buttons)).id

    async def _document(self, to: str, data: bytes, filename: str, mime_type: str) -> str:
        """A picture (a QR code, a chart) is shown as one; any other file is sent as a document."""
        if mime_type.startswith("image/"):
            return (await self._client.send_image(to, data, mime_type=mime_type)).id
        return (await self._client.send_document(to, data, filename=filename, mime_type=mime_type)).id

    async def _template(self, to: str, stand_in: StandIn) -> str:
        language = TemplateLanguage(stand_in.language)
        return (await self._client.send_template(to, stand_in.name, language, components(stand_in))).id

    async def _location(self, to: str, latitude: float, longitude: float, name: str, address: str | None) -> str:
        return (await self._client.send_location(to, latitude, longitude, name=name, address=address)).id

    async def _call(self, request: Step, patience: float) -> str:
        """Run one send with retries; the waits add up to at most `patience` seconds, then it gives up."""
        retries = Retries(patience, self._sleep, self._base_backoff, self._max_backoff)
        while True:
            try:
                return await request()
            except ReEngagementMessage as error:
                raise OutsideWindow(f"outside the 24-hour window: {error.message}") from error
            except MessageUndeliverable as error:
                raise RecipientBlocked(error.message) from error
            except ThrottlingError as error:
                delay = retries.backoff(first=1.0)
                logger.warning("WhatsApp asked to slow down (%d), retrying in %.1f s", error.code, delay)
            except WhatsAppError as error:
                status = error.status_code or 0
                if status < 500 and not error.is_transient:
                    raise DeliveryFailed(f"WhatsApp refused the message ({error.code}): {error.message}") from error
                delay = retries.backoff()
                logger.warning("WhatsApp answered %d (%d), retrying in %.1f s", status, error.code, delay)
            except httpx.TransportError as error:  # includes timeouts
                delay = retries.backoff()
                logger.warning("WhatsApp network error %r, retrying in %.1f s", error, delay)
            await retries.wait(delay)
