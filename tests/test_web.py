"""The web server over HTTP: uvicorn serving the real ASGI app on 127.0.0.1 in its own thread (bot/web.py), WhatsApp's
webhooks signed as Meta signs them, and the answers arriving at a fake Cloud API through pywa."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_web
from bot.channels.whatsapp_inbound import read_webhook
from bot.config import Settings
from bot.delivery import Attempt
from core import inbox, windows
from core.inbox import InboxKey
from core.messages import Button, Label, Recipient, Reply
from handlers.menu import CHOOSE_LANGUAGE
from storage.db import Database
from storage.users import find_user
from tests.conftest import CoreFactory
from tests.fake_graph_api import FakeGraphApi, WaSent
from tests.support import RecordedSleep, served
from tests.test_whatsapp_inbound import RINA, text, webhook
from tests.whatsapp_support import VERIFY, Server, WaUser, fill_in_registration, join_code_in, sign, with_whatsapp


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphApi) -> Settings:
    return with_whatsapp(settings, graph)


@contextlib.asynccontextmanager
async def serving(make_core: CoreFactory) -> AsyncIterator[Server]:
    """`python -m bot serve` as it runs, on a port of its own; stopped as on SIGTERM."""
    core = await make_core()
    web = build_web(core, sleep=RecordedSleep())
    await web.intake.handle_kept("whatsapp")
    await core.start_background()
    try:
        async with served(web) as url, httpx.AsyncClient(timeout=10.0) as http:
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
    assert "Bapak/Ibu Rina" in menu.text and menu.type == "interactive"  # the menu's buttons as a list
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


async def test_a_webhook_is_answered_while_the_main_loop_is_busy(server: Server, graph: FakeGraphApi) -> None:
    """The web server has a thread, a loop and a database connection of its own: the message is kept and answered
    200 while the main loop does not run at all, and handled once it runs again."""
    raw = json.dumps(webhook(text("Halo", wamid="wamid.BUSY"))).encode()
    statuses: list[int] = []
    answered = threading.Event()

    def post() -> None:
        headers = {"X-Hub-Signature-256": sign(raw)}
        statuses.append(httpx.post(f"{server.url}/whatsapp", content=raw, headers=headers, timeout=10.0).status_code)
        answered.set()

    poster = threading.Thread(target=post)
    poster.start()
    assert answered.wait(5.0)  # blocks the main loop, as a long turn would
    poster.join()
    assert statuses == [200]
    assert graph.to(RINA) == []  # not handled yet: that is the main loop's work
    await answers_to(graph, RINA, 1)


async def test_a_webhook_waits_for_the_write_lock_while_a_turn_holds_it(server: Server, graph: FakeGraphApi) -> None:
    """Two connections, one write lock: the web thread's keeps trying while the main connection writes (SQLite's busy
    handler would wait too, but in steps of 10 to 100 ms, missing the short gaps between turns)."""
    core = server.web.core
    async with core.database.transaction() as conn:
        await windows.wrote(conn, "whatsapp", "6281200000001", core.services.clock.now())  # holds the write lock
        posting = asyncio.create_task(server.post(webhook(text("Halo", wamid="wamid.WAITED"))))
        await asyncio.sleep(0.3)
        assert not posting.done()
    assert (await posting).status_code == 200
    await answers_to(graph, RINA, 1)


async def test_an_inline_connection_runs_its_statements_in_the_calling_thread(tmp_path: Path) -> None:
    """The web thread's connection (storage.db.InlineConnection) hands no statement to a worker thread: aiosqlite
    makes every call through Connection._execute, which it replaces."""
    database = await Database.open(tmp_path / "inline.sqlite3", inline=True)
    try:
        await database.conn.create_function("thread_id", 0, threading.get_ident)
        async with database.writing() as conn:
            rows = list(await conn.execute_fetchall("SELECT thread_id()"))
            async with conn.execute("SELECT thread_id()") as cursor:
                rows += await cursor.fetchall()
        assert [row[0] for row in rows] == [threading.get_ident()] * 2
    finally:
        await database.close()
    with pytest.raises(ValueError):  # closed
        await database.conn.execute("SELECT 1")


async def test_typed_numbers_press_the_numbered_options_last_offered(server: Server, graph: FakeGraphApi) -> None:
    """Past ten options WhatsApp shows numbered lines; "12" typed back is the twelfth option pressed."""
    core = server.web.core
    options = [[Button(Label("language_id"), CHOOSE_LANGUAGE("id"))] for _ in range(11)]
    options.append([Button(Label("language_en"), CHOOSE_LANGUAGE("en"))])
    async with core.database.transaction() as conn:  # she wrote a moment ago: the window is open
        await windows.wrote(conn, "whatsapp", RINA, core.services.clock.now())
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


async def test_a_coordinator_registers_a_visit_entirely_on_whatsapp(server: Server, graph: FakeGraphApi) -> None:
    rina = WaUser(server, graph)
    summary = (await fill_in_registration(rina)).text
    for kept in ("Pemkab Cianjur", "Jawa Barat", "Herman Suherman", "45", "+62 812-3456-7890"):
        assert kept in summary, kept
    submitted, *qr_codes = await rina.taps("Kirim")  # one per channel: Telegram and WhatsApp here
    code = join_code_in(submitted)
    assert "<b>" not in submitted.text
    assert f"https://wa.me/6281133004400?text=GABUNG%20{code}" in submitted.text  # click-to-chat
    assert [m.type for m in qr_codes] == ["text", "image", "text", "image"]  # ready to forward to the group
    assert "Telegram" in qr_codes[0].text and "WhatsApp" in qr_codes[2].text
