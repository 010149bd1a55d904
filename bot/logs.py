"""Logging that never writes a secret or a person: the bot token is redacted from every line, and the
libraries that would log message contents (python-telegram-bot's requests, httpx's URLs, aiosqlite's
statements with their parameters) stay at INFO or above whatever LOG_LEVEL says. Our own log lines name
users by id, never by name, and never quote what they typed; ids are enough to debug."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<redacted>"
# At DEBUG these log whole requests and responses (names, phone numbers, typed text) or the token's URL.
QUIETER_LIBRARIES = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.INFO,
    "apscheduler": logging.INFO,
}


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes each secret from the whole line, traceback included."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


def configure(
    level: str, *, secrets: Iterable[str] = (), stream: TextIO | None = None, filename: Path | None = None
) -> logging.Handler:
    """One handler on the root logger (to a file, or else a stream), redacting `secrets`; returns it."""
    handler: logging.Handler = (
        logging.FileHandler(filename, encoding="utf-8") if filename else logging.StreamHandler(stream)
    )
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    for name, floor in QUIETER_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, numeric if isinstance(numeric, int) else logging.INFO))
    return handler
