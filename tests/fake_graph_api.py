"""In-process fake of the WhatsApp Cloud API (Graph API) for tests, on 127.0.0.1.

pywa's real client talks to it over HTTP (WHATSAPP_API_BASE_URL), so the tests exercise the requests the bot
really makes. It answers as the Graph API does ({"messages": [{"id": "wamid…"}]}, media ids, error bodies
with a code) and refuses what the real one refuses: texts over 4,096 characters, interactive bodies over
1,024, more than 3 reply buttons or titles over 20, more than 10 list rows, row titles over 24 or
descriptions over 72, a list button over 20; a free-form message to someone outside the 24-hour window
(131047) unless the test opened it; more than 45 messages to one user within 6 seconds (131056, the pair
rate limit); a template that was not approved (132001: the approved ones are those
of content/whatsapp_templates.yaml, as submitted) or whose parameters do not fit it (132000, 131008:
a count that differs, a line break, a tab or more than four spaces in a row, a body over 1,024, no payload
for its quick-reply button). Faults (5xx, throttling codes) can be injected per call.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.channels.whatsapp_templates import TemplateSpec, read_specs

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class WaSent:
    """One message the fake accepted."""

    id: str
    to: str
    type: str
    body: JsonDict = field(repr=False)
    at: float = field(default=0.0, compare=False)  # time.monotonic() when the fake accepted it

    @property
    def text(self) -> str:
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.type == "template":
            return " | ".join(self.template_params)
        return ""

    @property
    def template_name(self) -> str:
        return str(self.body["template"]["name"]) if self.type == "template" else ""

    @property
    def template_params(self) -> list[str]:
        """The body parameters of a template message, in order."""
        components = self.body["template"].get("components", []) if self.type == "template" else []
        return [str(p["text"]) for c in components if c["type"] == "body" for p in c["parameters"]]

    @property
    def template_payload(self) -> str:
        """What the template's quick-reply button sends back when tapped."""
        components = self.body["template"].get("components", []) if self.type == "template" else []
        buttons = [c for c in components if c["type"] == "button"]
        return str(buttons[0]["parameters"][0]["payload"]) if buttons else ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the reply buttons or list rows."""
        if self.type != "interactive":
            return []
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeGraphApi:
    def __init__(
        self,
        token: str,
        phone_number_id: str,
        *,
        enforce_window: bool = True,
        latency: float = 0.0,
        pair_limit: tuple[int, float] = (45, 6.0),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.pair_limit = pair_limit  # at most this many messages to one user within so many seconds (131056)
        self.monotonic = monotonic  # the pair limit's clock (a test may make its own)
        self._to_user: dict[str, deque[float]] = {}
        self.latency = latency  # seconds each way of every call, as over a network
        self.phone_number_id = phone_number_id
        self.enforce_window = enforce_window
        self.window_open: set[str] = set()  # wa_ids that wrote in the last 24 hours
        self.approved: dict[str, TemplateSpec] = {spec.name: spec for spec in read_specs().values()}
        self.sent: list[WaSent] = []
        self.media: dict[str, tuple[str, bytes]] = {}  # media id -> (filename, data)
        self.refused: list[tuple[int, str]] = []  # (code, message) of every refusal
        self._faults: deque[tuple[int, int]] = deque()  # (HTTP status, error code) for the next calls
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._media)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def inject_fault(self, status: int, code: int, *, times: int = 1) -> None:
        """The next `times` calls fail with this HTTP status and Graph API error code."""
        self._faults.extend([(status, code)] * times)

    def to(self, wa_id: str) -> list[WaSent]:
        return [s for s in self.sent if s.to == wa_id]

    # --- HTTP -----------------------------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        try:
            self._check(request)
            body = await request.json()
            to, kind = str(body.get("to")), str(body.get("type"))
            _validate(body, kind)
            if kind == "template":
                validate_template(body["template"], self.approved)
            if self.enforce_window and kind != "template" and to not in self.window_open:
                raise _Refused(400, 131047, "Re-engagement message")
            self._count_pair(to)
        except _Refused as refused:
            return self._error(refused)
        sent = WaSent(f"wamid.FAKE{next(self._ids)}", to, kind, body, time.monotonic())
        self.sent.append(sent)
        await asyncio.sleep(self.latency)
        return web.json_response(
            {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": sent.id}]}
        )

    async def _media(self, request: web.Request) -> web.Response:
        try:
            self._check(request)
        except _Refused as refused:
            return self._error(refused)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return self._error(_Refused(400, 100, "file is required"))
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = (upload.filename, upload.file.read())
        return web.json_response({"id": media_id})

    def _count_pair(self, to: str) -> None:
        """WhatsApp's pair rate limit: too many messages to one user in a short time are refused (131056)."""
        most, seconds = self.pair_limit
        now = self.monotonic()
        recent = self._to_user.setdefault(to, deque())
        while recent and now - recent[0] >= seconds:
            recent.popleft()
        if len(recent) >= most:
            raise _Refused(400, 131056, "(Business Account, Consumer Account) pair rate limit hit")
        recent.append(now)

    def _check(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise _Refused(401, 190, "Invalid OAuth access token")
        if request.match_info["phone"] != self.phone_number_id:
            raise _Refused(400, 100, "Unknown phone number id")
        if self._faults:
            status, code = self._faults.popleft()
            raise _Refused(status, code, "injected fault")

    def _error(self, refused: _Refused) -> web.Response:
        self.refused.append((refused.code, refused.message))
        error = {"message": refused.message, "type": "OAuthException", "code": refused.code, "fbtrace_id": "fake"}
        return web.json_response({"error": error}, status=refused.status)


def _validate(body: JsonDict, kind: str) -> None:
    """Refuse what the Cloud API refuses (error 131009, parameter value is not valid)."""

    def refuse(why: str) -> None:
        raise _Refused(400, 131009, why)

    if kind == "text" and _units(body["text"]["body"]) > 4096:
        refuse("text body longer than 4096")
    if kind != "interactive":
        return
    interactive = body["interactive"]
    if _units(interactive["body"]["text"]) > 1024:
        refuse("interactive body longer than 1024")
    action = interactive["action"]
    if interactive["type"] == "button":
        buttons = action["buttons"]
        if not 1 <= len(buttons) <= 3 or any(_units(b["reply"]["title"]) > 20 for b in buttons):
            refuse("1 to 3 buttons, titles of at most 20")
    else:
        rows = [row for section in action["sections"] for row in section["rows"]]
        if _units(action["button"]) > 20 or not 1 <= len(rows) <= 10:
            refuse("a list button of at most 20 and 1 to 10 rows")
        for row in rows:
            if _units(row["title"]) > 24 or _units(row.get("description") or "") > 72:
                refuse("row titles of at most 24, descriptions of at most 72")


_RUN_OF_SPACES = "     "


def validate_template(template: JsonDict, approved: dict[str, TemplateSpec]) -> None:
    """Refuse a template send as the Cloud API does: unknown (132001), or parameters that do not fit (132000)."""
    spec = approved.get(str(template.get("name")))
    language = str((template.get("language") or {}).get("code"))
    if spec is None or language not in spec.bodies:
        raise _Refused(404, 132001, f"template name does not exist in the translation: {template.get('name')}")
    components = template.get("components", [])
    params = [p for c in components if c["type"] == "body" for p in c["parameters"]]
    expected = spec.bodies[language].count("{{")
    if len(params) != expected:
        raise _Refused(400, 132000, f"number of parameters does not match: {len(params)} for {expected}")
    body = spec.bodies[language]
    for n, param in enumerate(params, start=1):
        text = str(param.get("text", ""))
        if param.get("type") != "text" or not text or any(c in text for c in "\n\t") or _RUN_OF_SPACES in text:
            raise _Refused(400, 131008, "a parameter may hold no new line, tab or more than 4 spaces in a row")
        body = body.replace(f"{{{{{n}}}}}", text)
    if _units(body) > 1024:
        raise _Refused(400, 131008, "the body with its parameters is over 1024 characters")
    buttons = [c for c in components if c["type"] == "button"]
    if len(buttons) != 1 or not buttons[0]["parameters"][0].get("payload"):
        raise _Refused(400, 131008, "the quick-reply button needs its payload")
