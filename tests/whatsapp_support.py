"""WhatsApp over HTTP for the end-to-end tests: the server's WhatsApp settings, webhooks signed as Meta signs them,
and a user who types and taps what the bot sent them (at the fake Cloud API, tests/fake_graph_api.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import re
from typing import Any

import httpx

from bot.app import WebRuntime
from bot.config import Settings, WhatsAppSettings
from core.clock import Clock
from tests.conftest import WA_PHONE_ID, WA_TOKEN
from tests.fake_graph_api import FakeGraphApi, WaSent
from tests.test_whatsapp_inbound import RINA, text, webhook

SECRET, VERIFY = "web-app-secret", "verify-me"  # WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN
BUSINESS_NUMBER = "6281133004400"  # WHATSAPP_BUSINESS_NUMBER: the click-to-chat links' number


def with_whatsapp(settings: Settings, graph: FakeGraphApi) -> Settings:
    """The settings with the WhatsApp number configured, its Cloud API the fake."""
    whatsapp = WhatsAppSettings(WA_PHONE_ID, WA_TOKEN, SECRET, VERIFY, BUSINESS_NUMBER, api_base_url=graph.base_url)
    return dataclasses.replace(settings, whatsapp=whatsapp)


@dataclasses.dataclass
class Server:
    web: WebRuntime
    url: str
    http: httpx.AsyncClient

    async def post(self, body: object, *, signature: str | None = None) -> httpx.Response:
        raw = json.dumps(body).encode()
        signed = signature if signature is not None else sign(raw)
        return await self.http.post(f"{self.url}/whatsapp", content=raw, headers={"X-Hub-Signature-256": signed})


def sign(raw: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


class WaUser:
    """Someone on WhatsApp: types, taps a reply button or list row, or types the number of a numbered option.

    With a `clock`, each message carries the time it shows as WhatsApp's timestamp (else a fixed one)."""

    def __init__(self, server: Server, graph: FakeGraphApi, wa_id: str = RINA, *, clock: Clock | None = None) -> None:
        self.server, self.graph, self.wa_id, self.clock = server, graph, wa_id, clock
        graph.window_open.add(wa_id)
        self._ids = iter(range(1, 10_000))
        self._seen = 0

    async def says(self, typed: str) -> list[WaSent]:
        return await self._send(text(typed, wamid=self._wamid(), sender=self.wa_id))

    async def taps(self, title_part: str) -> list[WaSent]:
        """The option whose title holds `title_part` in the latest message offering options."""
        last = next(m for m in reversed(self.graph.to(self.wa_id)) if m.choices or "\n1. " in m.text)
        if last.choices:
            [action] = [action for action, title in last.choices if title_part in title]
            kind = "list_reply" if last.body["interactive"]["type"] == "list" else "button_reply"
            pressed = {"from": self.wa_id, "id": self._wamid(), "timestamp": "1764583200", "type": "interactive",
                       "interactive": {"type": kind, kind: {"id": action, "title": title_part}}}  # fmt: skip
            return await self._send(pressed)
        [number] = [line.split(".")[0] for line in last.text.splitlines() if title_part in line and ". " in line]
        return await self.says(number)

    async def receives(self, count: int, *, within: float = 5.0) -> list[WaSent]:
        """The next `count` messages not seen yet that the bot sent of its own accord (a notice, a broadcast)."""
        for _ in range(int(within / 0.01)):
            unseen = self.graph.to(self.wa_id)[self._seen :]
            if len(unseen) >= count:
                self._seen += count
                return unseen[:count]
            await asyncio.sleep(0.01)
        unseen = self.graph.to(self.wa_id)[self._seen :]
        raise AssertionError(f"not {count} new messages to {self.wa_id} within {within} s: {[m.text for m in unseen]}")

    async def receives_nothing_more(self, *, within: float = 0.3) -> None:
        await asyncio.sleep(within)
        unseen = self.graph.to(self.wa_id)[self._seen :]
        assert unseen == [], f"unexpected messages to {self.wa_id}: {[m.text for m in unseen]}"

    async def _send(self, message: dict[str, Any]) -> list[WaSent]:
        if self.clock is not None:
            message["timestamp"] = str(int(self.clock.now().timestamp()))
        assert (await self.server.post(webhook(message))).status_code == 200
        await self.server.web.intake.drain()
        new = self.graph.to(self.wa_id)[self._seen :]
        self._seen += len(new)
        return new

    def _wamid(self) -> str:
        return f"wamid.{self.wa_id}.{next(self._ids)}"


REGISTRATION_UP_TO_SUMMARY = [
    ("says", "daftar"),  # no slash: WhatsApp has no command menu
    ("says", "Pemkab Cianjur"),
    ("says", "jabar"),
    ("says", "Herman Suherman, Bupati"),
    ("says", "45"),
    ("taps", "Kunjungan langsung"),
    ("says", "10/12/2026"),
    ("taps", "keesokan harinya"),
    ("taps", "Pelayanan publik"),
    ("taps", "Selesai memilih"),
    ("taps", "Pakai nama saya"),
    ("says", "0812 3456 7890"),
]
"""A registration typed and tapped on WhatsApp (45 people on site, 10–11 Dec 2026), up to its summary."""


async def fill_in_registration(user: WaUser) -> WaSent:
    """Go through REGISTRATION_UP_TO_SUMMARY, each step answered; returns the summary (its last answer)."""
    for how, what in REGISTRATION_UP_TO_SUMMARY:
        answered = await (user.says(what) if how == "says" else user.taps(what))
        assert answered, f"no answer to {what!r}"
    return answered[-1]


def join_code_in(message: WaSent) -> str:
    """The join code as WhatsApp shows it, in monospace after "Kode gabung:"."""
    code = re.search(r"Kode gabung:\*? ```([0-9A-Z]{8})```", message.text)
    assert code is not None, message.text
    return code[1]
