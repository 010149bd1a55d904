"""The right to see and delete one's data (/hapusdata), and the daily removal of old visits' personal fields.

A coordinator of a visit still to come cannot erase their contact details: the host would lose the
one person to call about forty visitors. They are told to cancel the visit first or to wait until it
is over; everything else about them can go at once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiosqlite import Connection

from core import inbox, join_limits, receipts, windows
from core.clock import Clock, local_today
from core.errors import DomainError
from storage import audit
from storage.db import Database
from storage.personal_data import (
    CoordinatedRecord,
    Erasure,
    Holdings,
    erase_user,
    erasure_preview,
    holdings_of,
    scrub_visits,
    upcoming_coordinated,
    visits_to_scrub,
)
from storage.users import User

if TYPE_CHECKING:
    from core.session import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MyData:
    """What /hapusdata shows: the account, what hangs off it, what an erasure would remove, and what stops one now."""

    user: User
    holdings: Holdings
    erasure: Erasure  # counted as erase_user will count it, so the page promises only what it does
    blocking: tuple[CoordinatedRecord, ...]

    @property
    def can_erase(self) -> bool:
        return not self.blocking


async def my_data(session: Session) -> MyData:
    conn, user_id, today = session.conn, session.user.id, session.today
    blocking = await upcoming_coordinated(conn, user_id, today)
    erasure = await erasure_preview(conn, user_id, today=today)
    return MyData(session.user, await holdings_of(conn, user_id), erasure, tuple(blocking))


async def erase_my_data(session: Session) -> Erasure:
    """Erase the user's personal data, or refuse (with the visits in the way) while they coordinate one to come."""
    user = session.user
    blocking = await upcoming_coordinated(session.conn, user.id, session.today)
    if blocking:
        raise DomainError("privacy/coordinator_busy", blocking=blocking)
    erasure = await erase_user(session.conn, user.id, today=session.today, now=session.now)
    await session.audit("personal_data.erased", "user", user.id, **asdict(erasure))
    logger.info("user %s erased their personal data: %s", user.id, erasure)
    session.services.signals.personal_data_removed()
    if erasure.memberships_left:
        session.services.signals.plan_changed()  # their reminders are gone: the schedule is armed again
    return erasure


async def remove_expired_batch(conn: Connection, *, ended_before: date, now: datetime, batch: int = 200) -> int:
    """Scrub up to `batch` visits that ended before the cutoff; returns how many (0 when none are left)."""
    ids = await visits_to_scrub(conn, ended_before, batch)
    if ids:
        await scrub_visits(conn, ids, now)
        await audit.record(
            conn,
            actor_id=None,
            action="personal_data.expired",
            subject_type="delegations",
            subject_id=None,
            now=now,
            delegation_ids=ids,
            ended_before=ended_before.isoformat(),
        )
    return len(ids)


class RetentionJob:
    """The daily removal, in small transactions so chats are never held up for long."""

    def __init__(self, database: Database, clock: Clock, tz: tzinfo, retention_days: int, at: time) -> None:
        self._database = database
        self._clock = clock
        self._tz = tz
        self.retention_days = retention_days
        self.at = at

    def cutoff(self) -> date:
        """Visits whose last day is before this date are older than the retention period."""
        return local_today(self._clock, self._tz) - timedelta(days=self.retention_days)

    async def run(self) -> int:
        ended_before = self.cutoff()
        async with self._database.transaction() as conn:
            await inbox.prune(conn, self._clock.now())  # the keys of updates handled days ago
            await join_limits.prune(conn, self._clock.now())  # wrong join codes older than any limit reads
            await windows.drop_unasked(conn, self._clock.now())  # messages held for a reply that never came
            await receipts.prune(conn, self._clock.now())  # statuses of messages no send was tied to
        removed = 0
        while True:
            async with self._database.transaction() as conn:
                done = await remove_expired_batch(conn, ended_before=ended_before, now=self._clock.now())
            if not done:
                break
            removed += done
        if removed:
            logger.info("removed personal data of %d visits that ended before %s", removed, ended_before)
            await self._database.checkpoint()  # no copy of the removed fields stays in the write-ahead log
        return removed
