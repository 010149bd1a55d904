"""One Settings object, read once from the environment and an optional .env file.

Every setting is validated at start; a bad value raises ConfigError naming the setting, which
`python -m bot` prints as a single line before exiting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.phones import whatsapp_id

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_GRAPH_API_BASE_URL = "https://graph.facebook.com"
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API number the bot answers on (Meta's app dashboard names each of these)."""

    phone_number_id: str
    access_token: str
    app_secret: str  # signs every webhook (X-Hub-Signature-256)
    verify_token: str  # what the webhook set-up handshake must echo
    business_number: str | None = None  # the wa_id people write to, for click-to-chat join links
    api_base_url: str = DEFAULT_GRAPH_API_BASE_URL
    template_names: Mapping[str, str] = field(default_factory=dict)
    """WHATSAPP_TEMPLATE_<PURPOSE>: the name Meta approved for a purpose of content/whatsapp_templates.yaml,
    where it differs from the file's; "" sends nothing in the message's place outside the 24-hour window."""
    messages_per_second: int = 80  # WhatsApp's limit per business number (WHATSAPP_MESSAGES_PER_SECOND)


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_bot_username: str | None = None
    data_dir: Path = Path("var")
    host_staff_telegram_ids: frozenset[int] = field(default_factory=frozenset)
    host_admin_telegram_ids: frozenset[int] = field(default_factory=frozenset)
    daily_delegation_limit: int = 4
    daily_people_limit: int = 200
    retention_days: int = 365
    retention_run_at: time = time(3, 0)
    host_name: str = "Pemkab Banyuwangi"
    host_contact: str | None = None
    timezone: str = "Asia/Jakarta"
    min_notice_days: int = 3
    max_visit_days: int = 7
    log_level: str = "INFO"
    reminder_evening_at: time = time(19, 0)
    reminder_morning_at: time = time(6, 30)
    reminder_lead_minutes: int = 60
    friday_prayer_break: tuple[time, time] | None = (time(11, 30), time(13, 0))  # kept free in suggested plans
    send_per_second: int = 30
    send_chat_interval_seconds: float = 1.0
    send_group_per_minute: int = 20
    send_concurrency: int = 4
    whatsapp: WhatsAppSettings | None = None  # None: WhatsApp is not configured
    host_staff_whatsapp_ids: frozenset[str] = field(default_factory=frozenset)
    host_admin_whatsapp_ids: frozenset[str] = field(default_factory=frozenset)
    serve_host: str = "127.0.0.1"
    serve_port: int = 8080
    telegram_webhook_url: str | None = None  # set: Telegram pushes updates to `serve` instead of being polled
    telegram_webhook_secret: str | None = None

    @property
    def database_path(self) -> Path:
        return self.data_dir / "delegasi.sqlite3"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Build Settings from a .env file overlaid by the process environment (the environment wins)."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values  # only when there is a file to read

        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def text(name: str) -> str | None:
        raw = values.get(name, "").strip()
        return raw or None

    return Settings(
        telegram_bot_token=_token(text("TELEGRAM_BOT_TOKEN")),
        telegram_api_base_url=_bot_api_url(text("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL),
        telegram_bot_username=(text("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
        data_dir=Path(text("DATA_DIR") or "var"),
        host_staff_telegram_ids=_id_list("HOST_STAFF_TELEGRAM_IDS", text("HOST_STAFF_TELEGRAM_IDS")),
        host_admin_telegram_ids=_id_list("HOST_ADMIN_TELEGRAM_IDS", text("HOST_ADMIN_TELEGRAM_IDS")),
        daily_delegation_limit=_int(
            "DAILY_DELEGATION_LIMIT", text("DAILY_DELEGATION_LIMIT"), default=4, low=1, high=100
        ),
        daily_people_limit=_int("DAILY_PEOPLE_LIMIT", text("DAILY_PEOPLE_LIMIT"), default=200, low=1, high=10_000),
        retention_days=_int("RETENTION_DAYS", text("RETENTION_DAYS"), default=365, low=1, high=3650),
        retention_run_at=_clock("RETENTION_RUN_AT", text("RETENTION_RUN_AT") or "03:00"),
        host_name=text("HOST_NAME") or "Pemkab Banyuwangi",
        host_contact=text("HOST_CONTACT"),
        timezone=_timezone(text("TIMEZONE") or "Asia/Jakarta"),
        min_notice_days=_int("MIN_NOTICE_DAYS", text("MIN_NOTICE_DAYS"), default=3, low=0, high=365),
        max_visit_days=_int("MAX_VISIT_DAYS", text("MAX_VISIT_DAYS"), default=7, low=1, high=60),
        log_level=_log_level(text("LOG_LEVEL") or "INFO"),
        reminder_evening_at=_clock("REMINDER_EVENING_AT", text("REMINDER_EVENING_AT") or "19:00"),
        reminder_morning_at=_clock("REMINDER_MORNING_AT", text("REMINDER_MORNING_AT") or "06:30"),
        reminder_lead_minutes=_int("REMINDER_LEAD_MINUTES", text("REMINDER_LEAD_MINUTES"), default=60, low=5, high=720),
        friday_prayer_break=_clock_range("FRIDAY_PRAYER_BREAK", text("FRIDAY_PRAYER_BREAK") or "11:30-13:00"),
        send_per_second=_int("SEND_PER_SECOND", text("SEND_PER_SECOND"), default=30, low=1, high=1000),
        send_chat_interval_seconds=_int(
            "SEND_CHAT_INTERVAL_MS", text("SEND_CHAT_INTERVAL_MS"), default=1000, low=0, high=60_000
        )
        / 1000,
        send_group_per_minute=_int(
            "SEND_GROUP_PER_MINUTE", text("SEND_GROUP_PER_MINUTE"), default=20, low=1, high=1000
        ),
        send_concurrency=_int("SEND_CONCURRENCY", text("SEND_CONCURRENCY"), default=4, low=1, high=64),
        whatsapp=_whatsapp(text, values),
        host_staff_whatsapp_ids=_number_list("HOST_STAFF_WHATSAPP_NUMBERS", text("HOST_STAFF_WHATSAPP_NUMBERS")),
        host_admin_whatsapp_ids=_number_list("HOST_ADMIN_WHATSAPP_NUMBERS", text("HOST_ADMIN_WHATSAPP_NUMBERS")),
        serve_host=text("SERVE_HOST") or "127.0.0.1",
        serve_port=_int("SERVE_PORT", text("SERVE_PORT"), default=8080, low=1, high=65535),
        **_telegram_webhook(text),
    )


_WHATSAPP_REQUIRED = (
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)


TEMPLATE_SETTING_PREFIX = "WHATSAPP_TEMPLATE_"


def _whatsapp(text: Callable[[str], str | None], values: Mapping[str, str]) -> WhatsAppSettings | None:
    """WhatsApp is on when its number and token are set; then its webhook's secret and verify token must be too."""
    given = {name: text(name) for name in _WHATSAPP_REQUIRED}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise ConfigError(f"WhatsApp needs {', '.join(missing)} as well (or none of the WHATSAPP_ settings)")
    number = text("WHATSAPP_BUSINESS_NUMBER")
    business = whatsapp_id(number) if number else None
    if number and business is None:
        raise ConfigError(f"WHATSAPP_BUSINESS_NUMBER must be a phone number, got {number!r}")
    base = text("WHATSAPP_API_BASE_URL") or DEFAULT_GRAPH_API_BASE_URL
    return WhatsAppSettings(
        phone_number_id=str(given["WHATSAPP_PHONE_NUMBER_ID"]),
        access_token=str(given["WHATSAPP_ACCESS_TOKEN"]),
        app_secret=str(given["WHATSAPP_APP_SECRET"]),
        verify_token=str(given["WHATSAPP_VERIFY_TOKEN"]),
        business_number=business,
        api_base_url=_url("WHATSAPP_API_BASE_URL", base).rstrip("/"),
        template_names={
            name.removeprefix(TEMPLATE_SETTING_PREFIX).lower(): value.strip()
            for name, value in values.items()
            if name.startswith(TEMPLATE_SETTING_PREFIX)
        },
        messages_per_second=_int(
            "WHATSAPP_MESSAGES_PER_SECOND", text("WHATSAPP_MESSAGES_PER_SECOND"), default=80, low=1, high=1000
        ),
    )


def _telegram_webhook(text: Callable[[str], str | None]) -> dict[str, str | None]:
    url, secret = text("TELEGRAM_WEBHOOK_URL"), text("TELEGRAM_WEBHOOK_SECRET")
    if url is None:
        return {}
    if not url.startswith("https://"):
        raise ConfigError(f"TELEGRAM_WEBHOOK_URL must be an https:// URL (Telegram posts only there), got {url!r}")
    if text("TELEGRAM_BOT_TOKEN") is None:
        raise ConfigError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_BOT_TOKEN as well")
    if secret is None or not _WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set with the webhook: 1-256 of A-Z, a-z, 0-9, _ and -")
    return {"telegram_webhook_url": url, "telegram_webhook_secret": secret}


def _number_list(name: str, raw: str | None) -> frozenset[str]:
    """Phone numbers in any common spelling, separated by commas or semicolons, as WhatsApp ids."""
    if raw is None:
        return frozenset()
    ids: set[str] = set()
    for part in raw.replace(";", ",").split(","):
        if not part.strip():
            continue
        wa_id = whatsapp_id(part)
        if wa_id is None:
            raise ConfigError(f"{name} must be a comma-separated list of phone numbers, got {part.strip()!r}")
        ids.add(wa_id)
    return frozenset(ids)


def _token(raw: str | None) -> str | None:
    if raw is None:
        return None
    bot_id, _, secret = raw.partition(":")
    if not bot_id.isdigit() or not secret:
        raise ConfigError("TELEGRAM_BOT_TOKEN must look like 123456789:AA… (the token BotFather gave you)")
    return raw


def _url(name: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw


def _bot_api_url(raw: str) -> str:
    """The token and the method are appended to it, so it ends in /bot: a server's address alone would be asked
    for 'http://localhost:8081123:ABC/getMe'."""
    name = "TELEGRAM_API_BASE_URL"
    url = _url(name, raw).rstrip("/")
    if not url.endswith("/bot"):
        raise ConfigError(f"{name} must end in /bot, as {DEFAULT_API_BASE_URL} does, got {raw!r}")
    return url


def _id_list(name: str, raw: str | None) -> frozenset[int]:
    if raw is None:
        return frozenset()
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"{name} must be a comma-separated list of numeric Telegram user ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _int(name: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _clock(name: str, raw: str) -> time:
    try:
        hours, minutes = raw.replace(".", ":").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{name} must be a time of day such as 19:00, got {raw!r}") from None


def _clock_range(name: str, raw: str) -> tuple[time, time] | None:
    """ "11:30-13:00" → (11:30, 13:00); "off" keeps no such time free."""
    if raw.lower() == "off":
        return None
    start, dash, end = raw.partition("-")
    if not dash:
        raise ConfigError(f"{name} must be a time range such as 11:30-13:00, or off, got {raw!r}")
    first, last = _clock(name, start.strip()), _clock(name, end.strip())
    if not first < last:
        raise ConfigError(f"{name} must end after it starts, got {raw!r}")
    return first, last


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE must be an IANA time zone such as Asia/Jakarta, got {raw!r}") from None
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {raw!r}")
    return level
