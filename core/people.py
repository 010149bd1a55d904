"""Who is writing: users are created on first contact, and staff roles come from configuration."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from aiosqlite import Connection

from core.clock import Clock
from core.errors import PermissionDenied
from core.locale import DEFAULT_LOCALE, LOCALES, choose_locale
from core.messages import Incoming, Recipient
from storage import users
from storage.users import Role, User, find_user, get_user, staff_users, upsert_user

logger = logging.getLogger(__name__)

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"
_NAMED_IN_SETTINGS = frozenset({TELEGRAM, WHATSAPP})


@dataclass(frozen=True)
class StaffDirectory:
    """Host staff by channel: Telegram ids (HOST_STAFF_TELEGRAM_IDS, HOST_ADMIN_TELEGRAM_IDS), WhatsApp numbers as
    wa_ids (HOST_STAFF_WHATSAPP_NUMBERS, HOST_ADMIN_WHATSAPP_NUMBERS, core.phones), console users started
    --as-staff. A coordinator's phone in a registration grants nothing: only these settings do."""

    telegram_ids: frozenset[int] = frozenset()
    console_names: frozenset[str] = field(default_factory=frozenset)
    admin_telegram_ids: frozenset[int] = frozenset()
    whatsapp_ids: frozenset[str] = frozenset()
    admin_whatsapp_ids: frozenset[str] = frozenset()

    def role_of(self, channel: str, external_id: str) -> Role:
        if channel == TELEGRAM and external_id.lstrip("-").isdigit():
            return self._role(int(external_id), self.telegram_ids, self.admin_telegram_ids)
        if channel == WHATSAPP:
            return self._role(external_id, self.whatsapp_ids, self.admin_whatsapp_ids)
        if channel == "console" and external_id in self.console_names:
            return Role.ADMIN  # whoever runs the console --as-staff operates the whole desk
        return Role.MEMBER

    @staticmethod
    def _role(who: object, staff: frozenset[Any], admins: frozenset[Any]) -> Role:
        return Role.ADMIN if who in admins else Role.STAFF if who in staff else Role.MEMBER

    def named(self) -> list[tuple[str, str]]:
        """(channel, external id) of every staff member the settings name, in a stable order."""
        telegram = [(TELEGRAM, str(i)) for i in sorted(self.telegram_ids | self.admin_telegram_ids)]
        return telegram + [(WHATSAPP, w) for w in sorted(self.whatsapp_ids | self.admin_whatsapp_ids)]

    def with_console_staff(self, names: Iterable[str]) -> StaffDirectory:
        return replace(self, console_names=self.console_names | frozenset(names))


async def identify(conn: Connection, incoming: Incoming, staff: StaffDirectory, clock: Clock) -> User:
    """The sender as a stored user, refreshed with their current name and role (written only when changed)."""
    display_name = incoming.display_name[:120] or incoming.user_external_id
    role = staff.role_of(incoming.channel, incoming.user_external_id)
    known = await find_user(conn, incoming.channel, incoming.user_external_id)
    if (
        known is not None
        and known.display_name == display_name
        and known.chat_id == incoming.chat_id
        and known.role is role
        and known.blocked_at is None
    ):
        return known
    return await upsert_user(
        conn,
        channel=incoming.channel,
        external_id=incoming.user_external_id,
        chat_id=incoming.chat_id,
        display_name=display_name,
        default_language=choose_locale(incoming.language_code),
        role=role,
        now=clock.now(),
    )


def recipient_of(user: User) -> Recipient:
    return Recipient(channel=user.channel, chat_id=user.chat_id, locale=user.language, user_id=user.id)


async def reachable(conn: Connection, user_id: int) -> Recipient | None:
    """Where to tell this user something; None when they are unknown or blocked the bot (or erased their data)."""
    user = await get_user(conn, user_id)
    return None if user is None or user.blocked_at is not None else recipient_of(user)


async def reachable_among(conn: Connection, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """`reachable` for several users in one query: those who can be written to, by id."""
    found = await users.get_users(conn, user_ids)
    return {user_id: recipient_of(user) for user_id, user in found.items() if user.blocked_at is None}


async def known(conn: Connection, user_id: int) -> Recipient | None:
    """Where this user's chat is, blocked or not (None: no such user)."""
    user = await get_user(conn, user_id)
    return None if user is None else recipient_of(user)


async def staff_to_tell(conn: Connection, staff: StaffDirectory, *, besides: int | None) -> list[Recipient]:
    """Who hears about a staff matter: every staff member except the one whose action it is (`besides`, a
    user id), each once and in their own language. Staff named in the settings (Telegram ids, WhatsApp
    numbers) are told even before they first wrote to the bot; blocked or erased accounts are not."""
    recipients: dict[tuple[str, str], Recipient] = {}
    for user in await staff_users(conn):
        # Staff named in the settings are whoever the settings name today; the console keeps the role last had.
        named = user.channel in _NAMED_IN_SETTINGS
        still_staff = not named or staff.role_of(user.channel, user.external_id) is not Role.MEMBER
        if still_staff and user.blocked_at is None:
            recipients[(user.channel, user.chat_id)] = recipient_of(user)
    for channel, external_id in staff.named():
        if (channel, external_id) not in recipients:
            known = await find_user(conn, channel, external_id)
            if known is not None and known.blocked_at is not None:
                continue
            locale = known.language if known else DEFAULT_LOCALE
            recipients[(channel, external_id)] = Recipient(channel, external_id, locale, known.id if known else None)
    return [r for r in recipients.values() if besides is None or r.user_id != besides]


def require_admin(user: User, action: str) -> None:
    """Exports, reports and personal data are for host admins only."""
    if user.role is not Role.ADMIN:
        logger.warning("refused %s to user %s (%s:%s)", action, user.id, user.channel, user.external_id)
        raise PermissionDenied("errors/admin_only", action=action)


def require_staff(user: User, action: str) -> None:
    """Staff-only actions are refused here, in the core, whatever a menu showed."""
    if not user.is_staff:
        logger.warning("refused %s to user %s (%s:%s)", action, user.id, user.channel, user.external_id)
        raise PermissionDenied("errors/staff_only", action=action)


async def set_language(conn: Connection, user: User, language: str, now: datetime) -> bool:
    """Switch the language the user reads; False (nothing changed) for a language the bot does not write."""
    if language not in LOCALES:
        return False
    await users.set_language(conn, user.id, language, now)
    return True


async def mark_blocked(conn: Connection, channel: str, chat_id: str, now: datetime) -> None:
    """The platform says this chat blocked the bot: it is not written to again until the user writes."""
    await users.mark_blocked(conn, channel, chat_id, now)


@dataclass(frozen=True)
class Addressee:
    """How a message addresses a user: by name, with "Bapak/Ibu" before it unless the name carries its own."""

    name: str
    titled: bool  # the name starts with a form of address ("Bu Rina"): no "Bapak/Ibu" before it


async def addressee(conn: Connection, user: User, forms_of_address: frozenset[str]) -> Addressee:
    """The user as a desk addresses an official: by the name they gave in a form once there is one (joining, or
    registering a visit), which is how they wish to be called, else by their chat's display name (a handle)."""
    name = (await users.latest_given_name(conn, user.id) or user.display_name).strip()
    first = name.split(maxsplit=1)[0].rstrip(".").lower() if name else ""
    return Addressee(name, titled=first in forms_of_address)


async def display_name(conn: Connection, user_id: int) -> str:
    """The name a user goes by in the chat app ('' once unknown or erased)."""
    user = await get_user(conn, user_id)
    return user.display_name if user else ""
