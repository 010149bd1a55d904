"""What people type to open a chat ("halo", "selamat pagi, kak"): declared once for every channel.

WhatsApp has no command menu, so its channel reads a greeting alone as /start (bot/channels/whatsapp_inbound.py);
in the middle of a form, on any channel, a greeting is no answer to the question but someone picking the chat
up again, who is shown where they are (handlers/router.py). A sentence that starts with a greeting ("halo, saya
mau daftar") is not a greeting: it says something.
"""

from __future__ import annotations

import re

GREETINGS = frozenset(
    {
        "halo",
        "hallo",
        "hai",
        "hi",
        "hello",
        "assalamualaikum",
        "assalamualaikum wr wb",
        "assalamualaikum warahmatullahi wabarakatuh",
        "mulai",
        "p",
        "pagi",
        "siang",
        "sore",
        "malam",
        "selamat pagi",
        "selamat siang",
        "selamat sore",
        "selamat malam",
        "good morning",
        "good afternoon",
        "good evening",
    }
)
"""Typed alone (give or take punctuation and a form of address), these open the chat."""
ADDRESS_WORDS = frozenset({"kak", "ka", "pak", "bu", "bapak", "ibu", "mas", "mbak", "min", "admin", "semua", "all"})
"""Forms of address that may follow a greeting: "halo kak", "selamat pagi, bu"."""

_WORD = re.compile(r"[^\W\d_]+")
_ONLY_WORDS_AND_PUNCTUATION = re.compile(r"[^\W\d_]+(?:[\s,.!?~]+[^\W\d_]+)*[\s,.!?~]*")


def is_greeting(text: str) -> bool:
    """Whether `text` is only a greeting, perhaps with a form of address and punctuation."""
    typed = text.strip().lower()
    if not _ONLY_WORDS_AND_PUNCTUATION.fullmatch(typed):
        return False
    words = _WORD.findall(typed)
    while words and words[-1] in ADDRESS_WORDS:
        words.pop()
    return " ".join(words) in GREETINGS
