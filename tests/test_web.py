"""The web server over HTTP: uvicorn serving the real ASGI app on 127.0.0.1, WhatsApp's webhooks signed as Meta
signs them, and the answers arriving at a fake Cloud API through pywa."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.app import WebRuntime, build_web
from bot.channels.whatsapp_inbound import read_webhook
from bot.config import Settings, WhatsAppSettings
from bot.delivery import Attempt
from core import inbox
from core.inbox import InboxKey
from core.messages import Button, Label, Recipient, Reply
from handlers.menu import CHOOSE_LANGUAGE
from storage.users import find_user
from tests.conftest import WA_PHONE_ID, WA_TOKEN, CoreFactory
from tests.fake_graph_api import FakeGraphApi, WaSent
from tests.support import RecordedSleep, served
from tests.test_whatsapp_inbound import RINA, text, webhook

TOKEN, PHONE_ID, SECRET, VERIFY = WA_TOKEN, WA_PHONE_ID, "web-app-secret", "verify-me"


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphApi) -> Settings:
    whatsapp = WhatsAppSettings(PHONE_ID, TOKEN, SECRET, VERIFY, "6281133004400", api_base_url=graph.base_url)
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


@contextlib.asynccontextmanager
async def serving(make_core: CoreFactory) -> AsyncIterator[Server]:
    """`python -m bot serve` as it runs, on a port of its own; stopped as on SIGTERM."""
    core = await make_core()
    web = build_web(core, sleep=RecordedSleep())
    await web.intake.handle_kept("whatsapp")
    await core.start_background()
    try:
        async with served(web.app) as url, httpx.AsyncClient(timeout=10.0) as http:
            yield Server(web, url, http)
    finally:
        await web.intake.drain()
        await core.stop_background()


@pytest.fixture
async def server(make_core: CoreFactory) -> AsyncIterator[Server]:
    async with serving(make_core) as running:
        yield running


async def answers_to(graph: FakeGraphApi, wa_id: str, count: int) -> list[WaSent]:
    for _ in range(500):
        if len(graph.to(wa_id)) >= count:
            return graph.to(wa_id)
        await asyncio.sleep(0.01)
    raise AssertionError(f"not {count} messages to {wa_id} within 5 s: {graph.to(wa_id)}")


async def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(server: Server) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answered = await server.http.get(f"{server.url}/whatsapp", params=query)
    assert (answered.status_code, answered.text) == (200, "1158201444")
    wrong = await server.http.get(f"{server.url}/whatsapp", params={**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403


async def test_a_signed_message_is_answered_on_whatsapp(server: Server, graph: FakeGraphApi) -> None:
    response = await server.post(webhook(text("Halo")))
    assert response.status_code == 200
    [menu] = await answers_to(graph, RINA, 1)
    assert "Halo Rina" in menu.text and menu.type == "interactive"  # the menu's buttons as a list
    assert "<b>" not in menu.text


async def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_kept(server: Server, graph: FakeGraphApi) -> None:
    body = webhook(text("Halo"))
    assert (await server.post(body, signature="sha256=" + "0" * 64)).status_code == 401
    raw = json.dumps(body).encode()
    unsigned = await server.http.post(f"{server.url}/whatsapp", content=raw)
    assert unsigned.status_code == 401
    await asyncio.sleep(0.1)
    assert graph.sent == []


@pytest.mark.parametrize("body", ["not json", [1, 2], {"object": "whatsapp_business_account", "entry": "x"}])
async def test_a_malformed_body_is_answered_400_never_500(server: Server, body: Any) -> None:
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = await server.http.post(f"{server.url}/whatsapp", content=raw, headers={"X-Hub-Signature-256": sign(raw)})
    assert response.status_code == 400


async def test_the_same_webhook_delivered_twice_is_answered_once(server: Server, graph: FakeGraphApi) -> None:
    body = webhook(text("Halo", wamid="wamid.TWICE"))
    assert (await server.post(body)).status_code == 200
    assert (await server.post(body)).status_code == 200  # WhatsApp retries when it did not hear 200 in time
    await answers_to(graph, RINA, 1)
    await server.web.intake.drain()
    await asyncio.sleep(0.1)
    assert len(graph.to(RINA)) == 1


async def test_a_message_kept_but_not_handled_before_a_kill_is_answered_at_the_next_start(
    make_core: CoreFactory, graph: FakeGraphApi
) -> None:
    async with serving(make_core) as first:
        core = first.web.core
        async with core.database.transaction() as conn:  # what a kill right after the 200 leaves behind
            [(key, incoming)] = read_webhook(webhook(text("Halo", wamid="wamid.KEPT"))).messages
            assert await inbox.receive(conn, key, incoming, core.services.clock.now())
    assert graph.to(RINA) == []

    async with serving(make_core) as second:
        [menu] = await answers_to(graph, RINA, 1)
        assert menu.text
        again = await second.post(webhook(text("Halo", wamid="wamid.KEPT")))  # and a late copy changes nothing
        assert again.status_code == 200
        await second.web.intake.drain()
        assert len(graph.to(RINA)) == 1
        assert key == InboxKey("whatsapp", "wamid.KEPT")


async def test_healthz_says_the_database_answers_and_the_sender_runs(server: Server) -> None:
    answered = await server.http.get(f"{server.url}/healthz")
    assert answered.status_code == 200
    assert answered.json() == {"ok": True, "database": "ok", "sender": "running", "oldest_unsent_s": 0.0}


async def test_typed_numbers_press_the_numbered_options_last_offered(server: Server, graph: FakeGraphApi) -> None:
    """Past ten options WhatsApp shows numbered lines; "12" typed back is the twelfth option pressed."""
    core = server.web.core
    options = [[Button(Label("language_id"), CHOOSE_LANGUAGE("id"))] for _ in range(11)]
    options.append([Button(Label("language_en"), CHOOSE_LANGUAGE("en"))])
    attempt = Attempt(600.0)
    await core.delivery.send_one(
        Recipient("whatsapp", RINA, "id"), Reply("menu/ask_language", buttons=options), attempt
    )
    [offered] = graph.to(RINA)
    assert "\n12. " in offered.text

    assert (await server.post(webhook(text("12", wamid="wamid.PICK")))).status_code == 200
    [_, answered] = await answers_to(graph, RINA, 2)
    assert answered.text.startswith("✅ The language is now English.")  # templates/en/menu/language_set.j2
    async with core.database.transaction() as conn:
        user = await find_user(conn, "whatsapp", RINA)
    assert user is not None and user.language == "en"

    assert (await server.post(webhook(text("13", wamid="wamid.NOPE")))).status_code == 200  # not offered: text
    await answers_to(graph, RINA, 3)


class WaUser:
    """Someone on WhatsApp: types, taps a reply button or list row, or types the number of a numbered option."""

    def __init__(self, server: Server, graph: FakeGraphApi, wa_id: str = RINA) -> None:
        self.server, self.graph, self.wa_id = server, graph, wa_id
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

    async def _send(self, message: dict[str, Any]) -> list[WaSent]:
        assert (await self.server.post(webhook(message))).status_code == 200
        await self.server.web.intake.drain()
        new = self.graph.to(self.wa_id)[self._seen :]
        self._seen += len(new)
        return new

    def _wamid(self) -> str:
        return f"wamid.{self.wa_id}.{next(self._ids)}"


async def test_a_coordinator_registers_a_visit_entirely_on_whatsapp(server: Server, graph: FakeGraphApi) -> None:
    rina = WaUser(server, graph)
    steps = [
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
    for how, what in steps:
        answered = await (rina.says(what) if how == "says" else rina.taps(what))
        assert answered, f"no answer to {what!r}"
    summary = answered[-1].text
    for kept in ("Pemkab Cianjur", "Jawa Barat", "Herman Suherman", "45", "+62 812-3456-7890"):
        assert kept in summary, kept
    submitted, *qr_codes = await rina.taps("Kirim")  # one per channel: Telegram and WhatsApp here
    code = re.search(r"Kode gabung:\*? ```([0-9A-Z]{8})```", submitted.text)
    assert code is not None, submitted.text
    assert "<b>" not in submitted.text
    assert f"https://wa.me/6281133004400?text=GABUNG%20{code[1]}" in submitted.text  # click-to-chat
    assert [m.type for m in qr_codes] == ["text", "image", "text", "image"]  # ready to forward to the group
    assert "Telegram" in qr_codes[0].text and "WhatsApp" in qr_codes[2].text
