"""Reminder messages (composed when sent, so they show the plan as it is then) and /pengingat, where each
member mutes reminders or chooses how long before an item they come."""

from __future__ import annotations

from dataclasses import replace

from aiosqlite import Connection

from bot.sender import Composer
from core.messages import Recipient, Reply, button, reply
from core.people import reachable
from core.reminders import sync_reminders, visit_day_items
from handlers.context import Services, Turn
from handlers.plan import build_plan_view
from storage.agenda import items_of
from storage.delegations import delegation_ids_of_member, get_delegation
from storage.outbox import OutboxRow
from storage.reminders import ReminderPrefs, get_prefs, get_reminder, save_prefs

LEAD_CHOICES = (30, 60, 120)


def reminder_composer(services: Services) -> Composer:
    """The outbox composer for reminders, bound to the shared services."""

    async def compose(conn: Connection, row: OutboxRow) -> Reply | None:
        reminder = await get_reminder(conn, row.ref)
        to = await reachable(conn, row.user_id)
        if reminder is None or to is None:
            return None
        delegation = await get_delegation(conn, reminder.delegation_id)
        if delegation is None or not delegation.is_open_for_joining:
            return None
        items = await items_of(conn, delegation.id)
        locale = to.locale
        if reminder.kind == "item":
            item = next((i for i in items if i.id == reminder.item_id), None)
            if item is None:
                return None
            plan = build_plan_view(services, delegation, [item], locale=locale)
            rows = [[button("text", f"plan:loc:{item.venue_id}", text="📍 " + plan.days[0].items[0].venue)]]
            if not _has_point(services, item.venue_id):
                rows = []
            return _to(reply("reminder/item", rows, item=plan.days[0].items[0], plan=plan), to)
        assert reminder.day is not None
        day_items = visit_day_items(items, reminder.day, services.tz)
        if not day_items:
            return None
        plan = build_plan_view(services, delegation, day_items, locale=locale)
        if reminder.kind == "evening":
            return _to(reply("reminder/evening", plan=plan, day=reminder.day), to)
        weather = services.knowledge.entries.get("cuaca")
        tips = tuple(services.host.fill(t) for t in weather.tips.get(locale, ())) if weather else ()
        return _to(reply("reminder/morning", plan=plan, day=reminder.day, tips=tips), to)

    return compose


def _has_point(services: Services, venue_id: str) -> bool:
    venue = services.venues.venues.get(venue_id)
    return venue is not None and venue.lat is not None and venue.lon is not None


def _to(message: Reply, recipient: Recipient) -> Reply:
    return replace(message, to=recipient)


async def resync_user(turn: Turn) -> None:
    """After a member's preferences or membership changed: their visits' reminders follow."""
    for delegation_id in await delegation_ids_of_member(turn.conn, turn.user.id):
        await resync_delegation(turn, delegation_id)


async def resync_delegation(turn: Turn, delegation_id: int) -> None:
    services = turn.services
    await sync_reminders(turn.conn, delegation_id, services.reminder_rules, services.tz, services.clock.now())
    services.signals.plan_changed()


async def show_reminder_settings(turn: Turn) -> list[Reply]:
    prefs = await get_prefs(turn.conn, turn.user.id)
    rows = [[button("reminders_unmute" if prefs.muted else "reminders_mute", "remind:toggle")]]
    rows.append(
        [
            button(
                "lead_minutes",
                f"remind:lead:{m}",
                minutes=m,
                chosen=(prefs.lead_minutes or turn.services.reminder_rules.lead_minutes) == m,
            )
            for m in LEAD_CHOICES
        ]
    )
    lead = prefs.lead_minutes or turn.services.reminder_rules.lead_minutes
    return [reply("reminder/settings", rows, muted=prefs.muted, lead=lead)]


async def change_reminder_settings(turn: Turn, choice: str) -> list[Reply]:
    prefs = await get_prefs(turn.conn, turn.user.id)
    if choice == "toggle":
        prefs = ReminderPrefs(not prefs.muted, prefs.lead_minutes)
    elif choice.startswith("lead:") and choice[5:].isdigit() and int(choice[5:]) in LEAD_CHOICES:
        prefs = ReminderPrefs(prefs.muted, int(choice[5:]))
    await save_prefs(turn.conn, turn.user.id, prefs, turn.services.clock.now())
    await resync_user(turn)
    return await show_reminder_settings(turn)
