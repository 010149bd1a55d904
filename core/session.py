"""One unit of work in the core: the open transaction, who is acting, and the shared services.

Every state change takes a Session, so it can check the actor's role, stamp the time and write the
audit log in the same transaction as the change. A handler's Turn is a Session (plus the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiosqlite import Connection

from core.clock import local_today
from storage import audit
from storage.users import User

if TYPE_CHECKING:
    from core.services import Services


@dataclass(frozen=True)
class Session:
    conn: Connection
    user: User
    services: Services

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def today(self) -> date:
        """Today where the host is (WIB), whatever the server's zone."""
        return local_today(self.services.clock, self.services.tz)

    async def audit(self, action: str, subject_type: str, subject_id: int | None, **detail: Any) -> None:
        """Write to the audit log that this user did `action` to the subject, now."""
        await audit.record(
            self.conn,
            actor_id=self.user.id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            now=self.now,
            **detail,
        )
