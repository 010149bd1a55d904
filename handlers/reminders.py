"""Reminder messages (composed when sent, so they show the plan as it is then) and /pengingat, where each
member mutes reminders or chooses how long before an item they come."""

from __future__ import annotations

from dataclasses import replace

from aiosqlite import Connection

from core import reminders
from core.messages import Composer, Reply, reply
from core.model import OutboxRow, ReminderKind, ReminderPrefs
from core.reminders import LEAD_CHOICES
from core.services import Services
from handlers.actions import ID, Action, Signal, button, on
from handlers.context import Turn, tell
from handlers.plan import build_plan_view, venue_buttons

TOGGLE_MUTED = Signal("remind:toggle")
CHOOSE_LEAD = Action("remind:lead", ID)


def reminder_composer(services: Services) -> Composer:
    """The outbox composer for reminders, bound to the shared services."""

    def message(due: reminders.DueReminder) -> Reply:
        plan = build_plan_view(services, due.delegation, due.items, locale=due.to.locale)
        if due.kind is ReminderKind.ITEM:
            [item] = due.items
            rows = venue_buttons(services, [item.venue_id], due.to.locale)
            return tell(due.to, "reminders/item", rows, item=plan.days[0].items[0], plan=plan)
        if due.kind is ReminderKind.EVENING:
            return tell(due.to, "reminders/evening", plan=plan, day=due.day)
        assert due.day is not None  # a morning note is of one visit day
        weather = services.knowledge.entries.get(reminders.WEATHER_ENTRY)
        tips = reminders.weather_tips(weather, due.day, due.to.locale, services.host)
        return tell(due.to, "reminders/morning", plan=plan, day=due.day, tips=tips)

    async def compose(conn: Connection, row: OutboxRow) -> Reply | None:
        due = await reminders.due_reminder(conn, services, row)
        return None if due is None else replace(message(due), useful_until=due.useful_until)

    return compose


async def show_reminder_settings(turn: Turn) -> list[Reply]:
    return _settings(turn, await reminders.preferences(turn))


@on(TOGGLE_MUTED)
async def toggle_muted(turn: Turn) -> list[Reply]:
    return _settings(turn, await reminders.toggle_muted(turn))


@on(CHOOSE_LEAD)
async def choose_lead(turn: Turn, minutes: int) -> list[Reply]:
    return _settings(turn, await reminders.choose_lead(turn, minutes))


def _settings(turn: Turn, prefs: ReminderPrefs) -> list[Reply]:
    lead = reminders.lead_of(prefs, turn.services.reminder_rules)
    rows = [
        [button("reminders_unmute" if prefs.muted else "reminders_mute", TOGGLE_MUTED())],
        [button("lead_minutes", CHOOSE_LEAD(m), minutes=m, chosen=lead == m) for m in LEAD_CHOICES],
    ]
    return [reply("reminders/settings", rows, muted=prefs.muted, lead=lead)]
