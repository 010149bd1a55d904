"""Join codes: 8 symbols of Crockford's base32, so 40 bits and no look-alike pairs.

The alphabet has 0 and 1 but no O, I or L (and no U), so nothing in it can be mistaken for
anything else; when reading a typed code, O is taken as 0 and I or L as 1, as Crockford intends.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_TYPED_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]")


def new_join_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_join_code(typed: str) -> str | None:
    """The code a user meant, or None when the text cannot be a code at all."""
    code = _SEPARATORS.sub("", typed.strip().upper())
    if code.startswith("JOIN") and len(code) == LENGTH + 4:  # pasted from the link's "join-CODE"
        code = code[4:]
    code = code.translate(_TYPED_LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def could_be_join_code(typed: str) -> bool:
    """Whether the text is shaped like a code (the alphabet and the length, spaces or dashes aside). Only such
    text is looked up, and so counted as an attempt by core.join_limits; it is never a question for staff."""
    return normalize_join_code(typed) is not None


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start=join-{code}"


def whatsapp_link(business_number: str, code: str) -> str:
    """WhatsApp's click-to-chat: opens the chat with the bot with "GABUNG <code>" typed, ready to send."""
    return f"https://wa.me/{business_number}?text=GABUNG%20{code}"


@dataclass(frozen=True)
class JoinLink:
    """A link that opens the bot on one channel with the join code in it, and its QR code (PNG)."""

    channel: str  # its name as people know it: Telegram, WhatsApp
    url: str

    def qr_png(self) -> bytes:
        import segno  # loaded by the first QR code, not at start

        buffer = io.BytesIO()
        segno.make(self.url, error="m").save(buffer, kind="png", scale=8, border=4)
        return buffer.getvalue()


class BotIdentity:
    """How people reach the bot: its Telegram username (from settings, or learned from getMe at start) and
    its WhatsApp business number (settings)."""

    def __init__(self, username: str | None = None, whatsapp_number: str | None = None) -> None:
        self.username = username
        self.whatsapp_number = whatsapp_number

    def join_link(self, code: str) -> str | None:
        return deep_link(self.username, code) if self.username else None

    def join_links(self, code: str) -> list[JoinLink]:
        """The join link of every channel the bot is reachable on."""
        links = [JoinLink("Telegram", deep_link(self.username, code))] if self.username else []
        if self.whatsapp_number:
            links.append(JoinLink("WhatsApp", whatsapp_link(self.whatsapp_number, code)))
        return links
