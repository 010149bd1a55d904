"""APScheduler wiring: one job armed at the next pending reminder's time, rebuilt from the database at start,
plus daily housekeeping jobs (the removal of expired personal data).

Reminders are rows, so the schedule is derived: at start (and whenever a plan changes) the job is set to
the earliest pending `due_at`. A restart therefore sends what was missed within its grace period exactly
once, and 100,000 pending reminders cost one indexed query, not 100,000 jobs.

The job only wakes the drain, an owned task that queues everything due and arms the job again. The drain
never relies on the job alone: it goes on while the next due time is already past, and it wakes by
itself shortly after the time it armed. (When the job itself drained and re-armed, a due time that passed
while it was still running made APScheduler skip it — "maximum number of running instances reached" —
and a date trigger fires once, so the job was gone and reminders stayed pending.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.sender import OutboxSender
from core.clock import Clock
from core.model import Database
from core.reminders import enqueue_due, next_due_at

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)
JOB_ID = "reminders-due"
SAFETY_MARGIN = 1.0  # seconds after the armed time at which the drain wakes by itself
FAILURE_PAUSE = 1.0


class ReminderScheduler:
    def __init__(self, database: Database, clock: Clock, tz: ZoneInfo, sender: OutboxSender) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._tz = tz
        self._wake = asyncio.Event()
        self._drain = asyncio.Lock()
        self._armed: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    @cached_property
    def scheduler(self) -> AsyncIOScheduler:
        """APScheduler, imported and made by the start: importing it reads every installed package's metadata
        (~0.1 s), which a console need not wait for before its prompt."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        return AsyncIOScheduler(timezone=self._tz)

    async def start(self) -> None:
        self.scheduler.start()
        await self.reschedule()  # whatever fell due while the bot was down: sent once if still useful
        self._task = asyncio.create_task(self._run(), name="reminders-drain")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if "scheduler" in self.__dict__ and self.scheduler.running:  # made (and so maybe started) only by start
            self.scheduler.shutdown(wait=False)

    def add_daily(self, job_id: str, at: time, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` every day at `at` in the host's time zone; a run missed while down is run once at start."""
        from apscheduler.triggers.cron import CronTrigger

        self.scheduler.add_job(
            job,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=self._tz),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def plan_changed(self) -> None:
        """Called after a plan, its members or their preferences changed: the drain looks again (after the commit)."""
        self._wake.set()

    async def run_due(self) -> tuple[int, int]:
        async with self._database.transaction() as conn:
            queued, missed = await enqueue_due(conn, self._clock.now())
        if queued:
            self._sender.wake()
        return queued, missed

    async def next_run(self) -> datetime | None:
        async with self._database.transaction() as conn:
            return await next_due_at(conn)

    async def reschedule(self) -> datetime | None:
        """Queue what is due until the next due time is still to come, arm the job for it, and return it."""
        async with self._drain:
            while True:
                await self.run_due()
                due = await self.next_run()
                if due is None or due > self._clock.now():
                    self._arm(due)
                    return due

    def _arm(self, due: datetime | None) -> None:
        from apscheduler.triggers.date import DateTrigger

        self._armed = due
        if due is None:
            if self.scheduler.get_job(JOB_ID):
                self.scheduler.remove_job(JOB_ID)
            return
        self.scheduler.add_job(
            self._fire,
            DateTrigger(run_date=due),
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _fire(self) -> None:
        """The job: wake the drain (it returns at once, so it is never still running when it fires again)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._seconds_to_wait())
            self._wake.clear()
            try:
                await self.reschedule()
            except Exception:  # the schedule must outlive a failed drain (a database hiccup)
                logger.exception("queuing due reminders failed; trying again shortly")
                await asyncio.sleep(FAILURE_PAUSE)
                self._wake.set()

    def _seconds_to_wait(self) -> float | None:
        if self._armed is None:
            return None
        return max(0.0, (self._armed - self._clock.now()).total_seconds()) + SAFETY_MARGIN
