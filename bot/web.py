"""The one web server (`python -m bot serve`): WhatsApp's and Telegram's webhooks and the health check (ASGI).

Starlette rather than FastAPI: a webhook is read as raw bytes (its signature is over those bytes) and
answered with a status, so FastAPI's request models and validation would add a dependency and nothing
else; uvicorn runs it, in a thread of its own with its own event loop and database connection (WebServer,
below), so that a webhook is answered within milliseconds however busy handling keeps the main loop.

- GET /whatsapp: the verification handshake (hub.mode=subscribe, hub.verify_token, hub.challenge echoed).
- POST /whatsapp: 401 without a valid X-Hub-Signature-256, 400 for anything that is not a readable
  webhook (never 500), 503 when the messages cannot be kept (WhatsApp delivers again); else the messages
  are in the inbox before the 200 goes back (bot/intake.py), and the statuses (sent, delivered, read,
  failed) recorded against the messages they name (core.receipts).
- POST /telegram (Telegram's webhook mode, TELEGRAM_WEBHOOK_URL): 401 without the secret Telegram was
  given (X-Telegram-Bot-Api-Secret-Token), 400 for what is not an update; else kept like WhatsApp's, and
  a pressed button's query is answered in the response itself (Telegram runs a method returned there).
- GET /healthz: the database answers, the sender runs, and the age of the oldest message not yet sent
  (asked of the main loop; 503 when it does not answer within HEALTH_TIMEOUT).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import hmac
import json
import logging
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.whatsapp_inbound import CHANNEL as WHATSAPP
from bot.channels.whatsapp_inbound import SIGNATURE_HEADER, MalformedWebhook, read_webhook, signature_valid
from bot.config import WhatsAppSettings
from bot.intake import Keeper, WebhookIntake
from bot.startup import StartupError
from core.inbox import InboxKey
from core.messages import Incoming
from core.model import Database

logger = logging.getLogger(__name__)

Health = Callable[[], Coroutine[Any, Any, dict[str, Any]]]
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class TelegramHook:
    """What /telegram needs: the secret Telegram sends back, and how to read an update (bot/channels/telegram.py)."""

    secret: str
    read: Callable[[object], tuple[InboxKey, Incoming | None, str | None]]


def build_web_app(
    keeper: Keeper, whatsapp: WhatsAppSettings | None, telegram: TelegramHook | None, health: Health
) -> Starlette:
    async def verify(request: Request) -> Response:
        """Meta's set-up handshake: echo the challenge when the verify token is ours."""
        assert whatsapp is not None
        query = request.query_params
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == whatsapp.verify_token:
            return PlainTextResponse(query.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(request: Request) -> Response:
        assert whatsapp is not None
        body = await request.body()
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), whatsapp.app_secret):
            logger.warning("refused a WhatsApp webhook with a missing or wrong signature")
            return PlainTextResponse("bad signature", status_code=401)
        try:
            webhook = read_webhook(json.loads(body))
        except (ValueError, MalformedWebhook) as error:  # json's errors are ValueErrors too
            logger.warning("refused a malformed WhatsApp webhook: %s", error)
            return PlainTextResponse("malformed", status_code=400)
        try:
            await keeper.keep(webhook.messages, webhook.statuses)
        except Exception:
            logger.exception(
                "could not keep %d WhatsApp messages and %d statuses; WhatsApp will deliver them again",
                len(webhook.messages),
                len(webhook.statuses),
            )
            return PlainTextResponse("try again", status_code=503)
        return PlainTextResponse("ok")

    async def receive_telegram(request: Request) -> Response:
        assert telegram is not None
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), telegram.secret.encode()):
            logger.warning("refused a Telegram webhook without our secret token")
            return PlainTextResponse("bad secret", status_code=401)
        try:
            key, incoming, query_id = telegram.read(json.loads(await request.body()))
        except ValueError as error:
            logger.warning("refused a malformed Telegram webhook: %s", error)
            return PlainTextResponse("malformed", status_code=400)
        if incoming is not None:
            try:
                await keeper.keep([(key, incoming)])
            except Exception:
                logger.exception("could not keep a Telegram update; Telegram will deliver it again")
                return PlainTextResponse("try again", status_code=503)
        if query_id is not None:
            return JSONResponse({"method": "answerCallbackQuery", "callback_query_id": query_id})
        return PlainTextResponse("ok")

    async def healthz(request: Request) -> Response:
        report = await health()
        return JSONResponse(report, status_code=200 if report.get("ok") else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if whatsapp is not None:
        routes += [Route(f"/{WHATSAPP}", verify, methods=["GET"]), Route(f"/{WHATSAPP}", receive, methods=["POST"])]
    if telegram is not None:
        routes.append(Route("/telegram", receive_telegram, methods=["POST"]))
    return Starlette(routes=routes)


SWITCH_INTERVAL = 0.0005
"""Seconds a thread runs before another thread waiting for the GIL gets it, while the web server runs
(sys.setswitchinterval; Python's is 5 ms). The web thread needs the GIL back after every wait and every system call
of a request (its wake-up, each read, each SQLite statement, the write of the answer), each time from a main loop
that is busy handling: at 5 ms a time a webhook waited tens of milliseconds (p99 53-127 ms in bench/webhook.py,
20-30 ms at 0.5 ms). A thread that is not waiting for the GIL makes the main loop switch no more often."""
HEALTH_TIMEOUT = 5.0  # seconds /healthz waits for the main loop to say how it is


class WebServer:
    """uvicorn and the app in a thread of their own, with their own event loop and database connection.

    The main loop handles the messages, renders and sends the answers: at a hundred messages a second it is busy
    all the time, and webhooks served there waited behind that work. In the web thread a webhook waits only for its
    own work: the signature, the JSON, and the inbox write, committed on the web thread's connection to the same
    database (WAL: readers never wait; the two connections take turns at the write lock, Database.writing). After
    the commit the new messages are handed to the main loop (WebhookIntake.keeper), and the 200 goes back.
    /healthz runs its check on the main loop, so it says what the sender and the database say there.

    While it runs, the objects built before it (the content, the knowledge index, the templates: what lives as
    long as the process) are kept out of the garbage collector's way (gc.freeze): a full collection walked them
    all, 100-170 ms with the GIL held, and every webhook under way waited for it.
    """

    def __init__(
        self,
        database_path: Path,
        intake: WebhookIntake,
        whatsapp: WhatsAppSettings | None,
        telegram: TelegramHook | None,
        health: Health,
    ) -> None:
        self._database_path = database_path
        self._intake = intake
        self._whatsapp = whatsapp
        self._telegram = telegram
        self._health = health

    async def serve(self, host: str, port: int, *, until: asyncio.Event) -> None:
        """`python -m bot serve`: serve on host:port until `until` is set (SIGINT, SIGTERM); RuntimeError if the
        server stops before (its error is logged)."""
        async with self._running(host, port) as (_, ended):
            stop: asyncio.Future[Any] = asyncio.ensure_future(until.wait())
            try:
                await asyncio.wait([stop, ended], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
            if not until.is_set():
                raise RuntimeError("the web server stopped by itself")

    @contextlib.asynccontextmanager
    async def running(self, host: str, port: int) -> AsyncIterator[str]:
        """Serve on host:port (port 0: a free one) while the block runs, and yield the URL. At its end the server
        stops as uvicorn stops: it listens no more and answers the requests under way, whose messages are handed
        over before it ends; the caller drains the intake after."""
        async with self._running(host, port) as (url, _):
            yield url

    @contextlib.asynccontextmanager
    async def _running(self, host: str, port: int) -> AsyncIterator[tuple[str, asyncio.Future[None]]]:
        main = asyncio.get_running_loop()
        thread = _WebThread(partial(self._app, main=main), self._database_path, host, port)
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.freeze()
        thread.start()
        ended = asyncio.wrap_future(thread.finished)
        try:
            yield await asyncio.wrap_future(thread.listening), ended
        finally:
            thread.stop()
            await ended
            thread.join()
            gc.unfreeze()
            sys.setswitchinterval(switch_interval)

    def _app(self, database: Database, *, main: asyncio.AbstractEventLoop) -> Starlette:
        """The app as the web thread serves it: keeping on `database`, handling and the health check on `main`."""
        keeper = self._intake.keeper(database, main)
        return build_web_app(keeper, self._whatsapp, self._telegram, partial(_health_on, main, self._health))


class _WebThread(threading.Thread):
    """The thread: opens its connection, serves until asked to stop, closes it; says when it listens and ends."""

    def __init__(self, app: Callable[[Database], Starlette], database_path: Path, host: str, port: int) -> None:
        super().__init__(name="web", daemon=True)
        self._app, self._database_path, self._host, self._port = app, database_path, host, port
        self.listening: concurrent.futures.Future[str] = concurrent.futures.Future()
        self.finished: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._guard = threading.Lock()
        self._stop_asked = False
        self._uvicorn: tuple[asyncio.AbstractEventLoop, uvicorn.Server] | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            if self.listening.done():
                logger.exception("the web server failed")
            elif isinstance(error, SystemExit):  # uvicorn's way to say it cannot listen, after logging why
                self.listening.set_exception(StartupError(f"cannot listen on {self._host}:{self._port}"))
            else:
                self.listening.set_exception(error)
        finally:
            if not self.listening.done():
                self.listening.set_exception(RuntimeError("the web server stopped before it listened"))
            self.finished.set_result(None)

    def stop(self) -> None:
        """Ask uvicorn to stop, from another thread (it looks at should_exit ten times a second)."""
        with self._guard:
            self._stop_asked = True
            running = self._uvicorn
        if running is not None:
            loop, server = running
            with contextlib.suppress(RuntimeError):  # its loop has ended already
                loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    async def _serve(self) -> None:
        database = await Database.open(self._database_path, checkpoints=False)
        try:
            config = uvicorn.Config(self._app(database), self._host, self._port, log_config=None, lifespan="off")
            server = _Uvicorn(config, self.listening)
            with self._guard:
                self._uvicorn = asyncio.get_running_loop(), server
                server.should_exit = self._stop_asked
            await server.serve()
        finally:
            await database.close()


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, saying where it listens as soon as it does."""

    def __init__(self, config: uvicorn.Config, listening: concurrent.futures.Future[str]) -> None:
        super().__init__(config)
        self._listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        self._listening.set_result(f"http://{host}:{port}")


async def _health_on(main: asyncio.AbstractEventLoop, health: Health) -> dict[str, Any]:
    """The health check, run on the main loop from the web thread."""
    try:
        return await asyncio.wait_for(
            asyncio.wrap_future(asyncio.run_coroutine_threadsafe(health(), main)), HEALTH_TIMEOUT
        )
    except TimeoutError:
        return {"ok": False, "main_loop": f"no answer within {HEALTH_TIMEOUT:g} s"}
