"""Reminders from a published plan: the evening before each visit day, a lead time before each item, and a
morning note. They are rows (the source of truth), recomputed whenever the plan, the members or their
preferences change; due ones go to the outbox, and missed ones are sent late only while still useful."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from storage import outbox
from storage.agenda import AgendaItem, items_of, plan_published
from storage.delegations import Delegation, get_delegation
from storage.participants import participants_of
from storage.reminders import (
    ReminderPrefs,
    ReminderSpec,
    cancel_reminders,
    due_reminders,
    get_prefs,
    pending_reminders_of,
    set_reminder_status,
    upsert_reminder,
)
from storage.users import get_user

logger = logging.getLogger(__name__)
OUTBOX_KIND = "reminder"


@dataclass(frozen=True)
class ReminderRules:
    """When reminders go out (settings), and how long a missed one is still worth sending."""

    evening_at: time = time(19, 0)
    morning_at: time = time(6, 30)
    lead_minutes: int = 60
    evening_grace: timedelta = timedelta(hours=3)
    morning_grace: timedelta = timedelta(hours=2)


def desired_reminders(
    delegation: Delegation,
    items: list[AgendaItem],
    members: list[tuple[int, ReminderPrefs]],
    rules: ReminderRules,
    tz: ZoneInfo,
) -> list[ReminderSpec]:
    days = sorted({i.starts_at.astimezone(tz).date() for i in items})
    specs: list[ReminderSpec] = []
    for user_id, prefs in members:
        if prefs.muted:
            continue
        for day in days:
            evening = datetime.combine(day - timedelta(days=1), rules.evening_at, tzinfo=tz)
            specs.append(
                ReminderSpec(
                    f"evening:{user_id}:{delegation.id}:{day}",
                    "evening",
                    user_id,
                    delegation.id,
                    None,
                    day,
                    evening,
                    evening + rules.evening_grace,
                )
            )
            morning = datetime.combine(day, rules.morning_at, tzinfo=tz)
            specs.append(
                ReminderSpec(
                    f"morning:{user_id}:{delegation.id}:{day}",
                    "morning",
                    user_id,
                    delegation.id,
                    None,
                    day,
                    morning,
                    morning + rules.morning_grace,
                )
            )
        lead = timedelta(minutes=prefs.lead_minutes or rules.lead_minutes)
        for item in items:
            specs.append(
                ReminderSpec(
                    f"item:{user_id}:{item.id}",
                    "item",
                    user_id,
                    delegation.id,
                    item.id,
                    item.starts_at.astimezone(tz).date(),
                    item.starts_at - lead,
                    item.starts_at,
                )
            )
    return specs


async def _members(conn: Connection, delegation: Delegation) -> list[tuple[int, ReminderPrefs]]:
    user_ids = dict.fromkeys(
        [delegation.coordinator_id, *(p.user_id for p in await participants_of(conn, delegation.id))]
    )
    members = []
    for user_id in user_ids:
        user = await get_user(conn, user_id)
        if user is not None and user.blocked_at is None:
            members.append((user_id, await get_prefs(conn, user_id)))
    return members


async def sync_reminders(
    conn: Connection, delegation_id: int, rules: ReminderRules, tz: ZoneInfo, now: datetime
) -> int:
    """Make the pending reminders of a visit match its published plan; returns how many are pending."""
    delegation = await get_delegation(conn, delegation_id)
    existing = await pending_reminders_of(conn, delegation_id)
    desired: list[ReminderSpec] = []
    if delegation is not None and delegation.is_open_for_joining and await plan_published(conn, delegation_id):
        items = await items_of(conn, delegation_id)
        desired = [
            s
            for s in desired_reminders(delegation, items, await _members(conn, delegation), rules, tz)
            if s.due_at > now
        ]
    keys = {s.key for s in desired}
    await cancel_reminders(conn, [r.id for r in existing if r.key not in keys], now)
    for spec in desired:
        await upsert_reminder(conn, spec, now)
    return len(desired)


async def enqueue_due(conn: Connection, now: datetime) -> tuple[int, int]:
    """Move due reminders to the outbox; those past their usefulness (the bot was down) are marked missed.

    Returns (queued, missed).
    """
    queued = missed = 0
    for reminder in await due_reminders(conn, now):
        if now > reminder.useful_until:
            await set_reminder_status(conn, reminder.id, "missed", now)
            missed += 1
            continue
        await outbox.enqueue(conn, kind=OUTBOX_KIND, ref=reminder.id, user_id=reminder.user_id, now=now)
        await set_reminder_status(conn, reminder.id, "queued", now)
        queued += 1
    if missed:
        logger.info("%d reminders missed while the bot was down, not sent", missed)
    return queued, missed


def visit_day_items(items: list[AgendaItem], day: date, tz: ZoneInfo) -> list[AgendaItem]:
    return [i for i in items if i.starts_at.astimezone(tz).date() == day]
