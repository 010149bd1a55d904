"""Questions about the user's own visit ("di mana makan siang nanti?", "what's next?") answered from their
delegation's plan, and staff's about a named delegation ("jadwal Cianjur besok"): the matching items as /jadwal
shows them (WIB, and the visitors' own time), with the venues' map buttons. Asked before the knowledge base:
None means the question is not about a plan, and the knowledge base takes it."""

from __future__ import annotations

from typing import Any

from core import plan_lookup
from core.messages import Reply, reply
from core.plan_lookup import Found, PlanAnswer
from handlers.context import Turn
from handlers.plan import LOCAL_ZONES, plan_view, show_schedule, venue_buttons
from handlers.views import delegation_view


async def answer_from_plan(turn: Turn, question: str) -> list[Reply] | None:
    """The answer from the plan the question is about; None when it is not about a visit's plan."""
    found = await plan_lookup.answer(turn, question)
    return None if found is None else await plan_replies(turn, found)


async def plan_replies(turn: Turn, found: PlanAnswer) -> list[Reply]:
    """What the plan says: the items that answer, or that there is no plan to answer from (someone in no visit is
    told what /jadwal tells them), or for staff which visit they mean."""
    if found.found is Found.NO_VISIT:
        return await show_schedule(turn)  # no visit to show: what /jadwal says then (how to join one)
    if found.found is Found.WHICH_VISIT:
        return [reply("plan/answer_which", delegations=[delegation_view(turn, d) for d in found.candidates])]
    assert found.delegation is not None
    if found.found is Found.NOT_PUBLISHED:
        return [reply("plan/answer_unpublished", institution=found.delegation.institution)]
    return [_answer(turn, found)]


def _answer(turn: Turn, found: PlanAnswer) -> Reply:
    """The items that answer the question; nothing matching: say so, with the visit's days."""
    selection, delegation = found.selection, found.delegation
    assert selection is not None and delegation is not None
    common: dict[str, Any] = dict(intent=selection.asked.value, published=found.published, as_staff=turn.user.is_staff)
    if selection.nothing:
        whole = plan_view(turn, delegation, found.plan)
        return reply("plan/answer_none", plan=whole, day=selection.days[0] if selection.days else None, **common)
    view = plan_view(turn, delegation, selection.items)
    leave_at = selection.leave_at
    if leave_at is not None:  # shown in WIB and, read in its own zone, in the visitors' time
        leave_at = leave_at.astimezone(LOCAL_ZONES[view.local_zone] if view.local_zone else turn.services.tz)
    venues = list(dict.fromkeys(i.venue_id for i in selection.items))
    return reply(
        "plan/answer",
        venue_buttons(turn.services, venues, turn.locale),
        plan=view,
        at=leave_at,
        lead=selection.lead_minutes,
        **common,
    )
