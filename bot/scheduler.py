"""APScheduler wiring: one job armed at the next pending reminder's time, rebuilt from the database at start,
plus daily housekeeping jobs (the removal of expired personal data).

Reminders are rows, so the schedule is derived: at start (and whenever a plan changes) the job is set to
the earliest pending `due_at`. When it fires, everything due goes to the outbox (or is marked missed
when no longer useful) and the job is armed again. A restart therefore sends what was missed within
its grace period exactly once, and 100,000 pending reminders cost one indexed query, not 100,000 jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.sender import OutboxSender
from core.clock import Clock
from core.model import Database
from core.reminders import enqueue_due, next_due_at

logger = logging.getLogger(__name__)
JOB_ID = "reminders-due"


class ReminderScheduler:
    def __init__(self, database: Database, clock: Clock, tz: ZoneInfo, sender: OutboxSender) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._tz = tz
        self.scheduler = AsyncIOScheduler(timezone=tz)
        self._tasks: set[asyncio.Task[object]] = set()

    async def start(self) -> None:
        self.scheduler.start()
        await self.run_due()  # whatever fell due while the bot was down: sent once if still useful
        await self.reschedule()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def add_daily(self, job_id: str, at: time, job: Callable[[], Awaitable[object]]) -> None:
        """Run `job` every day at `at` in the host's time zone; a run missed while down is run once at start."""
        self.scheduler.add_job(
            job,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=self._tz),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def plan_changed(self) -> None:
        """Called after a plan, its members or their preferences changed: re-arm the job (after the commit)."""
        task = asyncio.create_task(self.reschedule(), name="reminders-reschedule")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("rescheduling reminders failed", exc_info=task.exception())

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
        due = await self.next_run()
        if due is None:
            if self.scheduler.get_job(JOB_ID):
                self.scheduler.remove_job(JOB_ID)
            return None
        self.scheduler.add_job(
            self._fire,
            DateTrigger(run_date=due),
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        return due

    async def _fire(self) -> None:
        await self.run_due()
        await self.reschedule()
