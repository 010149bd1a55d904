"""What a flow step can use while handling one message: the user, the database, the shared services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from core.clock import Clock, local_today
from core.content import Content
from core.joincode import deep_link
from core.knowledge.search import KnowledgeBase
from core.knowledge.views import HostDetails
from core.messages import Incoming
from core.people import StaffDirectory
from core.registration import VisitRules
from core.reminders import ReminderRules
from core.venues import VenueCatalog
from storage import audit
from storage.users import User


class BotIdentity:
    """The bot's public username, known from settings or learned from the platform at start."""

    def __init__(self, username: str | None = None) -> None:
        self.username = username

    def join_link(self, code: str) -> str | None:
        return deep_link(self.username, code) if self.username else None


@dataclass(frozen=True)
class DailyLimits:
    """Approving past these loads of one day asks staff to confirm (settings)."""

    delegations: int
    people: int


class Signals:
    """Core events that parts outside the transaction act on (the reminder scheduler re-arms its job)."""

    def __init__(self) -> None:
        self._plan_listeners: list[Callable[[], None]] = []
        self._outbox_listeners: list[Callable[[], None]] = []

    def on_plan_changed(self, listener: Callable[[], None]) -> None:
        self._plan_listeners.append(listener)

    def on_outbox_changed(self, listener: Callable[[], None]) -> None:
        self._outbox_listeners.append(listener)

    def plan_changed(self) -> None:
        for listener in self._plan_listeners:
            listener()

    def outbox_changed(self) -> None:
        """New messages were queued: the sender should look (after the commit; waking it early is harmless)."""
        for listener in self._outbox_listeners:
            listener()


@dataclass(frozen=True)
class Services:
    """Built once by bot/app.py and shared by every turn."""

    content: Content
    staff: StaffDirectory
    rules: VisitRules
    clock: Clock
    tz: ZoneInfo
    identity: BotIdentity
    knowledge: KnowledgeBase
    venues: VenueCatalog
    reminder_rules: ReminderRules
    limits: DailyLimits
    signals: Signals
    host: HostDetails
    retention_days: int  # personal fields of a visit are removed this many days after it ended


@dataclass(frozen=True)
class Turn:
    """One message being handled: who sent it, within one database transaction."""

    conn: Connection
    user: User
    incoming: Incoming
    services: Services

    @property
    def locale(self) -> str:
        return self.user.language

    @property
    def today(self) -> date:
        return local_today(self.services.clock, self.services.tz)

    async def audit(self, action: str, subject_type: str, subject_id: int | None, **detail: Any) -> None:
        """Write to the audit log that this user did `action` to the subject, now (in this turn's transaction)."""
        await audit.record(
            self.conn,
            actor_id=self.user.id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            now=self.services.clock.now(),
            **detail,
        )
