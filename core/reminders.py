"""Reminders from a published plan: the evening before each visit day, a lead time before each item, and a
morning note. They are rows (the source of truth), recomputed whenever the plan, the members or their
preferences change; due ones go to the outbox, and missed ones are sent late only while still useful."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from core.knowledge.entries import Entry
from core.knowledge.views import HostDetails
from core.messages import Recipient
from core.people import reachable
from storage import outbox
from storage.agenda import AgendaItem, items_of, items_on, plan_published
from storage.delegations import Delegation, delegation_ids_of_member, get_delegation, member_ids
from storage.outbox import OutboxKind, OutboxRow
from storage.reminders import (
    ReminderKind,
    ReminderPrefs,
    ReminderSpec,
    ReminderStatus,
    cancel_reminders,
    due_reminders,
    get_prefs,
    get_reminder,
    next_due,
    pending_reminders_of,
    save_prefs,
    set_reminder_status,
    upsert_reminder,
)
from storage.users import get_user

if TYPE_CHECKING:
    from core.services import Services
    from core.session import Session

logger = logging.getLogger(__name__)

LEAD_CHOICES = (30, 60, 120)  # minutes before an item a member may choose in /pengingat
WEATHER_ENTRY = "cuaca"  # the knowledge entry whose seasonal tips go with the morning note


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
    days = sorted({i.day(tz) for i in items})
    specs: list[ReminderSpec] = []
    for user_id, prefs in members:
        if prefs.muted:
            continue
        for day in days:
            evening = datetime.combine(day - timedelta(days=1), rules.evening_at, tzinfo=tz)
            specs.append(
                ReminderSpec(
                    f"evening:{user_id}:{delegation.id}:{day}",
                    ReminderKind.EVENING,
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
                    ReminderKind.MORNING,
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
                    ReminderKind.ITEM,
                    user_id,
                    delegation.id,
                    item.id,
                    item.day(tz),
                    item.starts_at - lead,
                    item.starts_at,
                )
            )
    return specs


async def _members(conn: Connection, delegation: Delegation) -> list[tuple[int, ReminderPrefs]]:
    """The members who can still be reached, with their reminder preferences."""
    members = []
    for user_id in await member_ids(conn, delegation.id):
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
    if delegation is not None and delegation.is_active and await plan_published(conn, delegation_id):
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


async def follow_visit(conn: Connection, services: Services, delegation_id: int) -> None:
    """After anything that changes a visit's reminders (its plan, status or members): bring them in line,
    and tell the scheduler to look again once this transaction is over."""
    await sync_reminders(conn, delegation_id, services.reminder_rules, services.tz, services.clock.now())
    services.signals.plan_changed()


async def next_due_at(conn: Connection) -> datetime | None:
    """When the earliest pending reminder falls due (the scheduler arms its one job for it)."""
    return await next_due(conn)


async def enqueue_due(conn: Connection, now: datetime) -> tuple[int, int]:
    """Move due reminders to the outbox; those past their usefulness (the bot was down) are marked missed.

    Returns (queued, missed).
    """
    queued = missed = 0
    for reminder in await due_reminders(conn, now):
        if now > reminder.useful_until:
            await set_reminder_status(conn, reminder.id, ReminderStatus.MISSED, now)
            missed += 1
            continue
        await outbox.enqueue(conn, kind=OutboxKind.REMINDER, ref=reminder.id, user_id=reminder.user_id, now=now)
        await set_reminder_status(conn, reminder.id, ReminderStatus.QUEUED, now)
        queued += 1
    if missed:
        logger.info("%d reminders missed while the bot was down, not sent", missed)
    return queued, missed


@dataclass(frozen=True)
class DueReminder:
    """A reminder about to be sent, with what it shows as the plan is now."""

    kind: ReminderKind
    to: Recipient
    delegation: Delegation
    day: date | None
    items: list[AgendaItem]  # the one item (ITEM), or that day's items
    useful_until: datetime  # past it the reminder would mislead: not sent, even if it is late already


async def due_reminder(conn: Connection, services: Services, row: OutboxRow) -> DueReminder | None:
    """What an outbox row of a reminder shows now; None when there is nothing left to remind of."""
    reminder = await get_reminder(conn, row.ref)
    to = await reachable(conn, row.user_id)
    if reminder is None or to is None:
        return None
    if services.clock.now() > reminder.useful_until:  # queued before a long stop: telling it now would mislead
        logger.info("reminder %s no longer useful (until %s): not sent", reminder.id, reminder.useful_until)
        return None
    delegation = await get_delegation(conn, reminder.delegation_id)
    if delegation is None or not delegation.is_active:
        return None
    plan = await items_of(conn, delegation.id)
    if reminder.kind is ReminderKind.ITEM:
        shown = [i for i in plan if i.id == reminder.item_id]
    else:
        assert reminder.day is not None
        shown = items_on(plan, reminder.day, services.tz)
    return DueReminder(reminder.kind, to, delegation, reminder.day, shown, reminder.useful_until) if shown else None


def weather_tips(weather: Entry | None, day: date, locale: str, host: HostDetails) -> tuple[str, ...]:
    """The weather tips of the morning note: those of the visit day's month only, none when none fits.

    A tip holds in some months (October heat, the rainy season), so a December morning gets December's.
    """
    if weather is None:
        return ()
    return tuple(host.fill(t.text.in_(locale)) for t in weather.seasonal_tips if t.fits(day.month))


# --- each member's preferences ------------------------------------------------------------------


async def preferences(session: Session) -> ReminderPrefs:
    return await get_prefs(session.conn, session.user.id)


def lead_of(prefs: ReminderPrefs, rules: ReminderRules) -> int:
    """How many minutes before an item this member is reminded."""
    return prefs.lead_minutes or rules.lead_minutes


async def toggle_muted(session: Session) -> ReminderPrefs:
    prefs = await preferences(session)
    return await _save(session, ReminderPrefs(not prefs.muted, prefs.lead_minutes))


async def choose_lead(session: Session, minutes: int) -> ReminderPrefs:
    """Remind this many minutes before each item; a value not offered changes nothing."""
    prefs = await preferences(session)
    if minutes not in LEAD_CHOICES:
        return prefs
    return await _save(session, ReminderPrefs(prefs.muted, minutes))


async def _save(session: Session, prefs: ReminderPrefs) -> ReminderPrefs:
    await save_prefs(session.conn, session.user.id, prefs, session.now)
    for delegation_id in await delegation_ids_of_member(session.conn, session.user.id):
        await follow_visit(session.conn, session.services, delegation_id)
    return prefs
