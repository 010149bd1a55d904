"""Join codes: 8 symbols of Crockford's base32, so 40 bits and no look-alike pairs.

The alphabet has 0 and 1 but no O, I or L (and no U), so nothing in it can be mistaken for
anything else; when reading a typed code, O is taken as 0 and I or L as 1, as Crockford intends.
"""

from __future__ import annotations

import re
import secrets

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


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start=join-{code}"


class BotIdentity:
    """The bot's public username, known from settings or learned from the platform at start."""

    def __init__(self, username: str | None = None) -> None:
        self.username = username

    def join_link(self, code: str) -> str | None:
        return deep_link(self.username, code) if self.username else None
