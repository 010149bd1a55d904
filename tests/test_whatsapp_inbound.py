"""Reading WhatsApp webhooks in Meta's documented shapes: signatures, messages as Incoming, statuses."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.whatsapp_inbound import (
    CHANNEL,
    MalformedWebhook,
    as_command,
    read_webhook,
    signature_valid,
)
from core.inbox import InboxKey
from core.receipts import Failure, Receipt, ReceiptState

SECRET = "app-secret"
RINA = "6281234567890"
TOURIST = "447911123456"


def webhook(*messages: dict[str, Any], statuses: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A webhook body as the Cloud API posts it (one entry, one change)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281133004400", "phone_number_id": "106540352242922"},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Rina Marlina"}, "wa_id": RINA}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(body: str, wamid: str = "wamid.A1", sender: str = RINA) -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": "1764583200", "type": "text", "text": {"body": body}}


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_only_a_body_signed_with_the_app_secret_is_accepted() -> None:
    body = json.dumps(webhook(text("halo"))).encode()
    assert signature_valid(body, signed(body), SECRET)
    assert not signature_valid(body, signed(body, "another-secret"), SECRET)
    assert not signature_valid(body + b" ", signed(body), SECRET)  # the raw bytes, not the JSON they parse to
    assert not signature_valid(body, None, SECRET)
    assert not signature_valid(body, signed(body).removeprefix("sha256="), SECRET)


def test_a_text_message_is_an_incoming_keyed_by_its_wamid_in_the_language_of_the_number() -> None:
    [(key, incoming)] = read_webhook(webhook(text("Apa itu Mal Pelayanan Publik?"))).messages
    assert key == InboxKey("whatsapp", "wamid.A1")
    assert (incoming.channel, incoming.chat_id, incoming.user_external_id) == ("whatsapp", RINA, RINA)
    assert incoming.display_name == "Rina Marlina"
    assert incoming.text == "Apa itu Mal Pelayanan Publik?" and incoming.action is None
    assert incoming.language_code == "id"
    [(_, tourist)] = read_webhook(webhook(text("hello", sender=TOURIST))).messages
    assert tourist.language_code == "en" and tourist.display_name == TOURIST  # no profile given for them


def test_reply_buttons_list_rows_and_template_buttons_are_the_actions_they_stand_for() -> None:
    button = {"from": RINA, "id": "wamid.B", "timestamp": "1764583200", "type": "interactive",
              "context": {"from": "6281133004400", "id": "wamid.ASKED"},
              "interactive": {"type": "button_reply",
                              "button_reply": {"id": "appr:approve:12", "title": "Setujui"}}}  # fmt: skip
    row = {"from": RINA, "id": "wamid.L", "timestamp": "1764583200", "type": "interactive",
           "interactive": {"type": "list_reply", "list_reply": {"id": "reg:prov:35", "title": "Jawa Timur",
                                                                "description": "Jawa Timur"}}}  # fmt: skip
    quick = {"from": RINA, "id": "wamid.T", "timestamp": "1764583200", "type": "button",
             "button": {"payload": "plan:show:3", "text": "Lihat jadwal"}}  # fmt: skip
    read = read_webhook(webhook(button, row, quick)).messages
    assert [(i.action, i.text) for _, i in read] == [
        ("appr:approve:12", None),
        ("reg:prov:35", None),
        ("plan:show:3", None),
    ]
    assert read[0][1].origin_message_id == "wamid.ASKED"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "sha256": "x"}},
        {"type": "audio", "audio": {"id": "2", "mime_type": "audio/ogg"}},
        {"type": "sticker", "sticker": {"id": "3", "mime_type": "image/webp"}},
        {"type": "location", "location": {"latitude": -8.2, "longitude": 114.37}},
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        {"type": "unsupported", "errors": [{"code": 131051}]},
    ],
)
def test_anything_else_is_unsupported_and_gets_the_same_answer_as_on_telegram(message: dict[str, Any]) -> None:
    [(_, incoming)] = read_webhook(
        webhook({"from": RINA, "id": "wamid.U", "timestamp": "1764583200", **message})
    ).messages
    assert incoming.is_unsupported


def test_statuses_say_sent_delivered_read_or_failed_with_the_code() -> None:
    delivered = {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1764583260", "recipient_id": RINA}
    failed = {"id": "wamid.OUT2", "status": "failed", "timestamp": "1764583270", "recipient_id": RINA,
              "errors": [{"code": 131047, "title": "Re-engagement message"}]}  # fmt: skip
    played = {"id": "wamid.OUT3", "status": "played", "timestamp": "1764583280", "recipient_id": RINA}
    blocked = {"id": "wamid.OUT4", "status": "failed", "timestamp": "1764583290", "recipient_id": RINA,
               "errors": [{"code": 131026}]}  # fmt: skip
    other = {"id": "wamid.OUT5", "status": "failed", "timestamp": "1764583290", "recipient_id": RINA}
    at = datetime(2025, 12, 1, 10, 1, tzinfo=UTC)
    assert read_webhook(webhook(statuses=(delivered, failed, played, blocked, other))).statuses == (
        Receipt(CHANNEL, RINA, "wamid.OUT1", ReceiptState.DELIVERED, at),
        Receipt(
            CHANNEL, RINA, "wamid.OUT2", ReceiptState.FAILED, at + timedelta(seconds=10), Failure.OUTSIDE_WINDOW, 131047
        ),
        Receipt(
            CHANNEL, RINA, "wamid.OUT4", ReceiptState.FAILED, at + timedelta(seconds=30), Failure.UNREACHABLE, 131026
        ),
        Receipt(CHANNEL, RINA, "wamid.OUT5", ReceiptState.FAILED, at + timedelta(seconds=30), Failure.OTHER),
    )


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("daftar", "/daftar"),
        ("/daftar", "/daftar"),
        ("DAFTAR", "/daftar"),
        ("Gabung 4Y0932DK", "/gabung 4Y0932DK"),
        ("GABUNG 4y0932dk", "/gabung 4y0932dk"),
        ("Halo", "/start"),
        ("menu", "/menu"),
        ("halo, saya mau daftar", "halo, saya mau daftar"),  # a sentence stays a sentence
        ("Selamat pagi, Kak!", "/start"),  # a greeting with a form of address, as core.greetings declares them
        ("Assalamualaikum wr. wb.", "/start"),
        ("Kawah Ijen buka jam berapa?", "Kawah Ijen buka jam berapa?"),
    ],
)
def test_commands_work_typed_with_or_without_the_slash_in_any_case(typed: str, read: str) -> None:
    assert as_command(typed) == read


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": {"id": "x"}},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        webhook({"id": "wamid.N", "type": "text", "text": {"body": "no sender"}}),
        webhook({"from": "+62 812", "id": "wamid.N", "type": "text", "text": {"body": "not a wa_id"}}),
        webhook(statuses=({"id": "wamid.S", "status": "read", "timestamp": "soon"},)),
    ],
)
def test_a_body_that_is_not_a_readable_webhook_is_refused_as_malformed(body: object) -> None:
    with pytest.raises(MalformedWebhook):
        read_webhook(body)


def test_a_blank_text_is_text_to_answer_not_dropped_nor_unsupported() -> None:
    """Every channel gives blank text to the router as text, where it is answered once (tests/test_router.py)."""
    [(_, incoming)] = read_webhook(webhook(text("  \u200b "))).messages
    assert incoming.text == "  \u200b " and incoming.is_blank and not incoming.is_unsupported
