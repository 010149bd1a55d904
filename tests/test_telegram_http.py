"""The Bot API connection for sends (bot/channels/telegram_http.py), against a small server on 127.0.0.1: what
PTB's request carries arrives as PTB's own HTTPXRequest would send it, and what goes wrong on the way is one of the
two errors the channel retries."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_http import AiohttpBotRequest

param = RequestParameter.from_input


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A server that records each POST's form (a file part as its name and bytes); /slow answers after 1 s."""
    seen: list[dict[str, object]] = []

    async def answer(request: web.Request) -> web.Response:
        if request.path.endswith("/slow"):
            await asyncio.sleep(1.0)
        form = await request.post()
        seen.append(
            {
                key: (value.filename, value.file.read()) if isinstance(value, web.FileField) else value
                for key, value in form.items()
            }
        )
        return web.json_response({"ok": True, "result": {"message_id": 7}})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/bot1", seen
    await runner.cleanup()


async def test_a_send_arrives_as_a_form_and_its_answer_comes_back(server: tuple[str, list]) -> None:
    base, seen = server
    request = AiohttpBotRequest()
    await request.initialize()
    try:
        data = RequestData([param("chat_id", 42), param("text", "Selamat datang")])
        status, body = await request.do_request(f"{base}/sendMessage", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200 and b'"message_id": 7' in body
    assert seen == [{"chat_id": "42", "text": "Selamat datang"}]


async def test_a_file_goes_as_multipart_with_its_name_and_bytes(server: tuple[str, list]) -> None:
    base, seen = server
    request = AiohttpBotRequest()
    await request.initialize()
    document = InputFile(io.BytesIO(b"%PDF-1.4 isi surat"), filename="surat.pdf")
    try:
        data = RequestData([param("chat_id", 42), param("document", document)])
        assert data.contains_files
        status, _ = await request.do_request(f"{base}/sendDocument", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200
    [form] = seen
    assert form["chat_id"] == "42"
    assert ("surat.pdf", b"%PDF-1.4 isi surat") in form.values()


async def test_an_answer_later_than_the_read_timeout_is_timed_out(server: tuple[str, list]) -> None:
    base, _ = server
    request = AiohttpBotRequest()
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base}/slow", "POST", RequestData([]), read_timeout=0.2)
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    request = AiohttpBotRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.do_request(f"http://127.0.0.1:{port}/bot1/getMe", "POST", RequestData([]))
    finally:
        await request.shutdown()
    assert not isinstance(raised.value, TimedOut) and "aiohttp." in str(raised.value)


async def test_a_request_before_initialize_or_after_shutdown_is_refused(server: tuple[str, list]) -> None:
    base, _ = server
    request = AiohttpBotRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{base}/getMe", "POST", RequestData([]))
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{base}/getMe", "POST", RequestData([]))
    await request.initialize()  # PTB may initialize again after a shutdown (a restart of the Application)
    try:
        status, _ = await request.do_request(f"{base}/getMe", "POST", RequestData([]))
    finally:
        await request.shutdown()
    assert status == 200
