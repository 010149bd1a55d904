"""The short exchanges outside the multi-step flows: greeting, help, status, language, cancelling a visit,
the participant list, and the friendly answer to text the bot does not understand yet."""

from __future__ import annotations

import logging
from dataclasses import replace

from core.errors import DomainError
from core.locale import LOCALES
from core.membership import Visits, can_be_cancelled, cancel_visit, roster, visits_of
from core.messages import Button, Reply, button, reply
from core.people import reachable, recipient_of, require_staff, staff_recipients
from handlers.context import Turn
from handlers.desk import pending_decisions
from handlers.reminders import resync_delegation
from handlers.views import delegation_view
from storage.conversations import clear_conversation, load_conversation
from storage.delegations import delegations_from, find_by_join_code
from storage.users import Role, set_language

logger = logging.getLogger(__name__)


def menu_buttons(turn: Turn, visits: Visits) -> list[list[Button]]:
    """The main menu, shaped by what the user is: staff, coordinator, participant or newcomer."""
    rows = [
        [button("menu_register", "menu:daftar"), button("menu_join", "menu:gabung")],
        [button("menu_innovations", "menu:inovasi"), button("menu_destinations", "menu:wisata")],
        [button("menu_status", "menu:status")],
    ]
    if visits.coordinated or turn.user.is_staff:
        rows[2].append(button("menu_participants", "menu:peserta"))
    rows.append([button("menu_help", "menu:bantuan"), button("menu_language", "menu:bahasa")])
    return rows


def _role(turn: Turn, visits: Visits) -> str:
    if turn.user.is_staff:
        return "staff"
    if visits.coordinated:
        return "coordinator"
    if visits.joined:
        return "participant"
    return "newcomer"


async def greet(turn: Turn) -> list[Reply]:
    visits = await visits_of(turn.conn, turn.user)
    return [reply("menu/start", menu_buttons(turn, visits), role=_role(turn, visits), name=turn.user.display_name)]


async def show_menu(turn: Turn, template: str = "menu/menu") -> Reply:
    visits = await visits_of(turn.conn, turn.user)
    return reply(template, menu_buttons(turn, visits), role=_role(turn, visits))


async def show_help(turn: Turn) -> list[Reply]:
    """The commands this user may use; admins count as "staff" in `role`, so their extra commands hang on a flag."""
    visits = await visits_of(turn.conn, turn.user)
    is_admin = turn.user.role is Role.ADMIN
    return [reply("menu/help", menu_buttons(turn, visits), role=_role(turn, visits), is_admin=is_admin)]


async def show_status(turn: Turn) -> list[Reply]:
    if turn.user.is_staff:
        upcoming = [delegation_view(turn, d) for d in await delegations_from(turn.conn, turn.today)]
        return [reply("status/staff_overview", pending_decisions(upcoming), delegations=upcoming)]
    visits = await visits_of(turn.conn, turn.user)
    if visits.empty:
        return [reply("status/none", menu_buttons(turn, visits))]
    rows = [
        [button("cancel_visit", f"visit:cancel:{d.id}", institution=d.institution)]
        for d in visits.coordinated
        if can_be_cancelled(d)
    ]
    return [
        reply(
            "status/list",
            rows,
            coordinated=[delegation_view(turn, d) for d in visits.coordinated],
            joined=[delegation_view(turn, d) for d in visits.joined],
        )
    ]


async def ask_cancel_visit(turn: Turn, delegation_id: int) -> list[Reply]:
    result = await roster(turn.conn, turn.user, delegation_id)
    if not can_be_cancelled(result.delegation):
        raise DomainError("status/cannot_cancel", delegation=delegation_view(turn, result.delegation))
    rows = [[button("cancel_visit_yes", f"visit:cancel_yes:{delegation_id}"), button("cancel_visit_no", "visit:keep")]]
    return [
        reply(
            "status/confirm_cancel",
            rows,
            delegation=delegation_view(turn, result.delegation),
            joined_count=len(result.participants),
        )
    ]


async def cancel_visit_confirmed(turn: Turn, delegation_id: int) -> list[Reply]:
    result = await cancel_visit(turn.conn, turn.user, delegation_id, turn.services.clock)
    await resync_delegation(turn, delegation_id)  # a cancelled visit has no reminders
    view = delegation_view(turn, result.delegation)
    replies = [reply("status/cancelled", delegation=view)]
    for recipient in await staff_recipients(turn.conn, turn.services.staff):
        if recipient.user_id != turn.user.id:
            replies.append(
                Reply("staff/visit_cancelled", {"delegation": view, "by": turn.user.display_name}, to=recipient)
            )
    for participant in result.participants:
        member = await reachable(turn.conn, participant.user_id) if participant.user_id != turn.user.id else None
        if member is not None:
            replies.append(Reply("status/cancelled_for_participant", {"delegation": view}, to=member))
    return replies


async def show_participants(turn: Turn, argument: str) -> list[Reply]:
    """/peserta: the coordinator's roster; staff may name any delegation by its join code."""
    if argument:
        require_staff(turn.user, "roster by code")
        delegation = await find_by_join_code(turn.conn, argument.strip().upper())
        if delegation is None:
            raise DomainError("errors/delegation_not_found")
        delegation_ids = [delegation.id]
        await turn.audit("roster.viewed", "delegation", delegation.id)  # staff reading others' personal data
    else:
        visits = await visits_of(turn.conn, turn.user)
        delegation_ids = [d.id for d in visits.coordinated]
        if not delegation_ids:
            if turn.user.is_staff:
                return [reply("participants/staff_usage")]
            logger.info("user %s asked for a roster but coordinates no delegation", turn.user.id)
            raise DomainError("participants/not_coordinator")  # nothing to show, not a forbidden attempt
    replies = []
    for delegation_id in delegation_ids:
        result = await roster(turn.conn, turn.user, delegation_id)
        replies.append(
            reply(
                "participants/list",
                delegation=delegation_view(turn, result.delegation),
                participants=result.participants,
            )
        )
    return replies


async def ask_language(turn: Turn) -> list[Reply]:
    rows = [[button("language_id", "lang:id"), button("language_en", "lang:en")]]
    return [reply("menu/ask_language", rows)]


async def change_language(turn: Turn, language: str) -> list[Reply]:
    if language not in LOCALES:
        return await ask_language(turn)
    await set_language(turn.conn, turn.user.id, language, turn.services.clock.now())
    switched = replace(recipient_of(turn.user), locale=language)
    return [Reply("menu/language_set", to=switched)]  # already in the new language


async def cancel_current_flow(turn: Turn) -> list[Reply]:
    conversation = await load_conversation(turn.conn, turn.user.id)
    if conversation is None:
        return [await show_menu(turn, "menu/nothing_to_cancel")]
    await clear_conversation(turn.conn, turn.user.id)
    return [await show_menu(turn, f"menu/cancelled_{conversation.flow}")]


async def unknown_text(turn: Turn) -> list[Reply]:
    return [await show_menu(turn, "menu/fallback")]
