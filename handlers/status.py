"""/status: the visits a user coordinates or joined, with the proposals of other dates waiting for their answer
(staff: the desk's to-do, then every coming visit), and cancelling one."""

from __future__ import annotations

from core import membership, visits
from core.messages import Reply, reply
from handlers.actions import ID, Action, Signal, button, on
from handlers.approvals import answer_proposal_buttons, proposal_view
from handlers.context import Turn, tell
from handlers.desk import desk_todo
from handlers.menu import menu_buttons, show_menu
from handlers.views import delegation_view

ASK_CANCEL = Action("visit:cancel", ID)
CANCEL = Action("visit:cancel_yes", ID)
KEEP = Signal("visit:keep")


async def show_status(turn: Turn) -> list[Reply]:
    if turn.user.is_staff:
        upcoming = await visits.upcoming(turn.conn, turn.today)
        views = [delegation_view(turn, d) for d in upcoming]
        return [await desk_todo(turn), reply("status/staff_overview", delegations=views)]
    mine = await membership.visits_of(turn.conn, turn.user)
    if mine.empty:
        return [reply("status/none", menu_buttons(turn, mine))]
    proposals = await visits.open_proposals(turn)
    rows = [answer_proposal_buttons(p.delegation) for p in proposals]
    rows += [
        [button("cancel_visit", ASK_CANCEL(d.id), institution=d.institution)]
        for d in mine.coordinated
        if visits.can_be_cancelled(d)
    ]
    return [
        reply(
            "status/list",
            rows,
            proposals=[proposal_view(turn, p) for p in proposals],
            coordinated=[delegation_view(turn, d) for d in mine.coordinated],
            joined=[delegation_view(turn, d) for d in mine.joined],
        )
    ]


@on(ASK_CANCEL)
async def ask_cancel_visit(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await visits.cancellable(turn, delegation_id)
    joined = (await membership.roster(turn, delegation.id)).participants
    rows = [[button("cancel_visit_yes", CANCEL(delegation.id)), button("cancel_visit_no", KEEP())]]
    return [
        reply("status/confirm_cancel", rows, delegation=delegation_view(turn, delegation), joined_count=len(joined))
    ]


@on(CANCEL)
async def cancel_visit_confirmed(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await visits.cancel(turn, delegation_id)
    view = delegation_view(turn, delegation)
    return [
        reply("status/cancelled", delegation=view),
        *await turn.tell_staff("status/cancelled_for_staff", delegation=view, by=turn.user.display_name),
        *[
            tell(participant, "status/cancelled_for_participant", delegation=view)
            for participant in await membership.participants_to_tell(turn, delegation)
        ],
    ]


@on(KEEP)
async def keep_visit(turn: Turn) -> list[Reply]:
    return [await show_menu(turn, "status/kept")]
