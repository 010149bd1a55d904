"""/peserta: the coordinator's roster of who joined; staff may name any delegation by its join code."""

from __future__ import annotations

import logging

from core import membership, visits
from core.errors import DomainError
from core.messages import Reply, reply
from core.people import require_staff
from handlers.context import Turn
from handlers.views import delegation_view

logger = logging.getLogger(__name__)


async def show_participants(turn: Turn, argument: str) -> list[Reply]:
    if argument:
        require_staff(turn.user, "roster by code")
        delegation = await visits.by_code(turn.conn, argument)
        delegation_ids = [delegation.id]
        await turn.audit("roster.viewed", "delegation", delegation.id)  # staff reading others' personal data
    else:
        delegation_ids = [d.id for d in (await membership.visits_of(turn.conn, turn.user)).coordinated]
        if not delegation_ids:
            if turn.user.is_staff:
                return [reply("participants/staff_usage")]
            logger.info("user %s asked for a roster but coordinates no delegation", turn.user.id)
            raise DomainError("participants/not_coordinator")  # nothing to show, not a forbidden attempt
    replies = []
    for delegation_id in delegation_ids:
        roster = await membership.roster(turn, delegation_id)
        replies.append(
            reply(
                "participants/list",
                delegation=delegation_view(turn, roster.delegation),
                participants=roster.participants,
            )
        )
    return replies
