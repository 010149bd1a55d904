"""What a WhatsApp Cloud API webhook says, checked and read: the messages as Incoming, the delivery statuses.

Read by hand from Meta's documented payload (entry → changes → value → messages / statuses) rather than
through pywa's handler machinery: the server must keep each message in the inbox, keyed by its wamid,
before it answers 200, and pywa's handlers run after its own answer. Everything here is pure, so the web
server (bot/web.py) and the tests use the same reading.

- A message is an Incoming keyed by its wamid: text as typed (a first word naming a command becomes that
  command, with or without the slash, in any case: "daftar", "GABUNG 4Y0932DK"; a greeting or "menu" the
  menu), a reply button or list row as the action it stands for, anything else (images, audio, stickers,
  locations, reactions …) as unsupported, which gets the same answer as on Telegram.
- The chat is the sender's wa_id; the language they start in comes from its country code (core.phones).
- A status (sent, delivered, read, failed) is a Receipt (core.receipts) for the message id it names; a
  failure's error code says why in neutral terms: 131047 outside the 24-hour window, 131026 unreachable.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.greetings import is_greeting
from core.inbox import InboxKey
from core.messages import Incoming
from core.phones import locale_of_number
from core.receipts import Failure, Receipt, ReceiptState
from handlers.commands import COMMANDS

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"


class MalformedWebhook(ValueError):
    """The body is not a WhatsApp webhook the bot can read: answered 400, never 500."""


FAILURES = {131047: Failure.OUTSIDE_WINDOW, 131026: Failure.UNREACHABLE}
"""What a failed status's error code means; any other code is Failure.OTHER."""


@dataclass(frozen=True)
class Webhook:
    messages: tuple[tuple[InboxKey, Incoming], ...] = ()
    statuses: tuple[Receipt, ...] = ()


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is "sha256=" + the HMAC-SHA256 of the raw body under the app secret (constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256="), expected)


def read_webhook(payload: object) -> Webhook:
    """The messages and statuses of one webhook body (already parsed from JSON); MalformedWebhook if it is not one."""
    if not isinstance(payload, Mapping) or payload.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("not a whatsapp_business_account webhook")
    messages: list[tuple[InboxKey, Incoming]] = []
    statuses: list[Receipt] = []
    for entry in _list(payload, "entry"):
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, Mapping) else None
            if not isinstance(value, Mapping):
                raise MalformedWebhook("a change without a value")
            names = {
                str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                for c in _list(value, "contacts")
                if isinstance(c, Mapping)
            }
            messages += [_message(m, names) for m in _list(value, "messages")]
            statuses += [receipt for s in _list(value, "statuses") if (receipt := _status(s)) is not None]
    return Webhook(tuple(messages), tuple(statuses))


def _list(holder: object, key: str) -> list[Any]:
    value = holder.get(key, []) if isinstance(holder, Mapping) else None
    if not isinstance(value, list):
        raise MalformedWebhook(f"{key} is not a list")
    return value


def _message(message: object, names: Mapping[str, str]) -> tuple[InboxKey, Incoming]:
    if not isinstance(message, Mapping) or not message.get("id") or not message.get("from"):
        raise MalformedWebhook("a message without an id or a sender")
    sender = str(message["from"])
    if not sender.isdigit():
        raise MalformedWebhook("a sender that is not a wa_id")
    text, action = _content(message)
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=sender,
        user_external_id=sender,
        display_name=names.get(sender) or sender,
        language_code=locale_of_number(sender),
        text=text,
        action=action,
        origin_message_id=str((message.get("context") or {}).get("id") or "") or None,
    )
    return InboxKey(CHANNEL, str(message["id"])), incoming


def _content(message: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text, action) of a message; (None, None) for a kind the bot cannot read."""
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        return (as_command(body) if isinstance(body, str) else None), None
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        kind = interactive.get("type")
        action = (interactive.get(kind) or {}).get("id") if kind in ("button_reply", "list_reply") else None
        return None, (str(action) if action else None)
    if kind == "button":  # the quick-reply button of a message template
        payload = (message.get("button") or {}).get("payload")
        return None, (str(payload) if payload else None)
    return None, None


def as_command(typed: str) -> str:
    """The text as the flows read it: a first word naming a command becomes "/command" (WhatsApp has no command
    menu, and phones capitalise the first letter), a greeting or "menu" alone becomes /start."""
    words = typed.strip().split(maxsplit=1)
    if not words:
        return typed
    first = words[0].lstrip("/").lower()
    rest = f" {words[1]}" if len(words) > 1 else ""
    if first in COMMANDS:
        return f"/{first}{rest}"
    if is_greeting(typed):  # typed alone, a greeting opens the menu as /start does (core.greetings)
        return "/start"
    return typed


def _status(status: object) -> Receipt | None:
    """A receipt; None for a status the bot has no use for ("played", or one Meta adds later: refusing the
    whole webhook for it would have Meta deliver it again and again)."""
    if not isinstance(status, Mapping) or not status.get("id") or not status.get("status"):
        raise MalformedWebhook("a status without an id")
    try:
        state = ReceiptState(status["status"])
    except ValueError:
        return None
    errors = status.get("errors") or []
    code = errors[0].get("code") if errors and isinstance(errors[0], Mapping) else None
    code = code if isinstance(code, int) else None
    try:
        at = datetime.fromtimestamp(int(status.get("timestamp") or 0), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise MalformedWebhook("a status with a bad timestamp") from None
    failure = FAILURES.get(code or 0, Failure.OTHER) if state is ReceiptState.FAILED else None
    return Receipt(
        channel=CHANNEL,
        chat_id=str(status.get("recipient_id") or ""),
        message_id=str(status["id"]),
        state=state,
        at=at,
        failure=failure,
        error_code=code,
    )
