"""The languages the bot writes in, and which one a new user gets."""

from __future__ import annotations

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def choose_locale(language_code: str | None) -> str:
    """English for clients set to English, Indonesian for everyone else."""
    if language_code and language_code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LOCALE
