"""The one web server (`python -m bot serve`): WhatsApp's and Telegram's webhooks and the health check (ASGI).

Starlette rather than FastAPI: a webhook is read as raw bytes (its signature is over those bytes) and
answered with a status, so FastAPI's request models and validation would add a dependency and nothing
else; uvicorn runs it.

- GET /whatsapp: the verification handshake (hub.mode=subscribe, hub.verify_token, hub.challenge echoed).
- POST /whatsapp: 401 without a valid X-Hub-Signature-256, 400 for anything that is not a readable
  webhook (never 500), 503 when the messages cannot be kept (WhatsApp delivers again); else the messages
  are in the inbox before the 200 goes back (bot/intake.py), and the statuses (sent, delivered, read,
  failed) recorded against the messages they name (core.receipts).
- POST /telegram (Telegram's webhook mode, TELEGRAM_WEBHOOK_URL): 401 without the secret Telegram was
  given (X-Telegram-Bot-Api-Secret-Token), 400 for what is not an update; else kept like WhatsApp's, and
  a pressed button's query is answered in the response itself (Telegram runs a method returned there).
- GET /healthz: the database answers, the sender runs, and the age of the oldest message not yet sent.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.whatsapp_inbound import CHANNEL as WHATSAPP
from bot.channels.whatsapp_inbound import SIGNATURE_HEADER, MalformedWebhook, read_webhook, signature_valid
from bot.config import WhatsAppSettings
from bot.intake import WebhookIntake
from core.inbox import InboxKey
from core.messages import Incoming

logger = logging.getLogger(__name__)

Health = Callable[[], Awaitable[dict[str, Any]]]
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class TelegramHook:
    """What /telegram needs: the secret Telegram sends back, and how to read an update (bot/channels/telegram.py)."""

    secret: str
    read: Callable[[object], tuple[InboxKey, Incoming | None, str | None]]


def build_web_app(
    intake: WebhookIntake, whatsapp: WhatsAppSettings | None, telegram: TelegramHook | None, health: Health
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
            await intake.keep(webhook.messages)
            await intake.record_receipts(webhook.statuses)
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
                await intake.keep([(key, incoming)])
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
