"""Deciding on registrations (host staff): approve after seeing the load of those days, reject with a reason,
or propose other dates, which the coordinator accepts or declines. The coordinator hears every outcome in
their own language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core import visits
from core.desk import day_loads
from core.messages import Button, Reply, reply
from core.model import Delegation, PendingVisit, VisitMode
from core.registration import (
    FAR_AHEAD_MONTHS,
    check_departure,
    earliest_arrival,
    is_far_ahead,
    parse_arrival,
    parse_departure,
    parse_reason,
)
from handlers.actions import ID, Action, button, on
from handlers.confirming import check_buttons, confirmation
from handlers.context import Turn, tell
from handlers.flow import Advance, Answer, Finish, Flow, JsonDraft, Outcome, Step
from handlers.views import DelegationView, delegation_view

SHOW_LOAD = Action("appr:load", ID)
APPROVE = Action("appr:approve", ID)
START_REJECTING = Action("appr:reject", ID)
START_PROPOSING = Action("appr:propose", ID)
ACCEPT_DATES = Action("prop:accept", ID)
DECLINE_DATES = Action("prop:decline", ID)


@dataclass(frozen=True)
class DayLoadView:
    """One day of the visit, as staff see it before approving."""

    day: date
    delegations: int  # already approved, besides this one
    people: int
    venues: list[str]
    over_limit: bool


@dataclass(frozen=True)
class ProposalView:
    """Other dates proposed for a visit, not answered yet (`m.dates(p)` reads the proposed ones)."""

    delegation: DelegationView
    arrival: date
    departure: date


def proposal_view(turn: Turn, waiting: PendingVisit) -> ProposalView:
    assert waiting.proposal is not None
    return ProposalView(delegation_view(turn, waiting.delegation), waiting.proposal.arrival, waiting.proposal.departure)


def answer_proposal_buttons(delegation: Delegation) -> list[Button]:
    """Accept or decline a proposal away from its notice (in /status): each button names the visit."""
    named = {"institution": delegation.institution}
    return [
        button("accept_dates_for", ACCEPT_DATES(delegation.id), **named),
        button("decline_dates_for", DECLINE_DATES(delegation.id), **named),
    ]


def decide_button(delegation: Delegation) -> Button:
    """A "decide" button for a visit still awaiting approval, for staff who missed (or lost) the notice."""
    return button("decide_visit", SHOW_LOAD(delegation.id), institution=delegation.institution)


@on(SHOW_LOAD)
async def show_load(turn: Turn, delegation_id: int) -> list[Reply]:
    """Before approving: the whole registration, and how busy those days already are against the daily limits."""
    delegation = await visits.awaiting_decision(turn, delegation_id)
    services = turn.services
    loads = [
        DayLoadView(
            load.day,
            load.delegations,
            load.people,
            sorted(services.venues.label(v, turn.locale) for v in load.venue_ids),
            load.over_limit,
        )
        for load in await day_loads(turn.conn, delegation, services.limits, services.tz)
    ]
    over = any(load.over_limit for load in loads)
    rows = [
        [button("approve_anyway" if over else "approve_confirm", APPROVE(delegation.id))],
        [
            button("reject", START_REJECTING(delegation.id)),
            button("propose_dates", START_PROPOSING(delegation.id)),
        ],
    ]
    return [
        reply(
            "approvals/load",
            rows,
            delegation=delegation_view(turn, delegation),
            loads=loads,
            over=over,
            limit_delegations=services.limits.delegations,
            limit_people=services.limits.people,
        )
    ]


@on(APPROVE)
async def approve(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await visits.approve(turn, delegation_id)
    return [
        reply("approvals/done", delegation=delegation_view(turn, delegation), outcome="approved"),
        *await _tell_coordinator(turn, delegation, "approvals/approved"),
    ]


async def _tell_coordinator(
    turn: Turn, delegation: Delegation, template: str, buttons: list[list[Button]] | None = None, **params: Any
) -> list[Reply]:
    coordinator = await visits.coordinator_of(turn.conn, delegation)
    if coordinator is None:
        return []
    return [tell(coordinator, template, buttons or (), delegation=delegation_view(turn, delegation), **params)]


# --- rejecting with a reason ------------------------------------------------------------------


@dataclass
class DecisionDraft(JsonDraft):
    delegation_id: int = 0
    reason: str | None = None


@on(START_REJECTING)
async def start_reject(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await visits.awaiting_decision(turn, delegation_id)
    return await REJECTING.begin(turn, DecisionDraft(delegation.id))


def ask_reason(turn: Turn, draft: DecisionDraft) -> Reply:
    return reply("approvals/ask_reason")


async def take_reason(turn: Turn, draft: DecisionDraft, answer: Answer) -> Outcome:
    reason = parse_reason(answer.text or "")
    delegation = await visits.reject(turn, draft.delegation_id, reason)
    return Finish(
        [
            reply("approvals/done", delegation=delegation_view(turn, delegation), outcome="rejected"),
            *await _tell_coordinator(turn, delegation, "approvals/rejected", reason=reason),
        ]
    )


REJECTING: Flow[DecisionDraft] = Flow("reject", [Step("reason", ask_reason, take_reason)], DecisionDraft.from_json)


# --- proposing other dates --------------------------------------------------------------------


@dataclass
class ProposalDraft(JsonDraft):
    """Other dates staff propose. A virtual visit is a session of one day: its date is all they are asked."""

    delegation_id: int = 0
    virtual: bool = False
    arrival: str | None = None
    arrival_to_confirm: str | None = None  # a date far ahead, asked to be confirmed (handlers/confirming.py)


@on(START_PROPOSING)
async def start_propose(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await visits.awaiting_decision(turn, delegation_id)
    return await PROPOSING.begin(turn, ProposalDraft(delegation.id, virtual=delegation.mode is VisitMode.VIRTUAL))


def ask_new_arrival(turn: Turn, draft: ProposalDraft) -> Reply:
    return reply(
        "approvals/ask_arrival", virtual=draft.virtual, earliest=earliest_arrival(turn.today, turn.services.rules)
    )


async def take_new_arrival(turn: Turn, draft: ProposalDraft, answer: Answer) -> Outcome:
    arrival = parse_arrival(answer.text or "", turn.today, turn.services.rules)
    if is_far_ahead(arrival, turn.today):
        draft.arrival_to_confirm = arrival.isoformat()
        return Advance(reopen=("arrival_check",))
    return await _take_new_arrival(turn, draft, arrival)


def ask_new_arrival_check(turn: Turn, draft: ProposalDraft) -> Reply:
    rows = check_buttons(PROPOSING, "arrival_check", "date_right", "date_change")
    day = date.fromisoformat(draft.arrival_to_confirm or "")
    return reply("approvals/confirm_date", rows, day=day, months=FAR_AHEAD_MONTHS, virtual=draft.virtual)


async def take_new_arrival_check(turn: Turn, draft: ProposalDraft, answer: Answer) -> Outcome:
    confirmed = confirmation(turn, answer)
    if confirmed is None:  # another date typed instead
        return await take_new_arrival(turn, draft, answer)
    day = draft.arrival_to_confirm
    if not confirmed or day is None:
        draft.arrival_to_confirm = None
        return Advance(reopen=("arrival",))
    return await _take_new_arrival(turn, draft, parse_arrival(day, turn.today, turn.services.rules))


async def _take_new_arrival(turn: Turn, draft: ProposalDraft, arrival: date) -> Outcome:
    """A virtual session's date is the whole proposal; a visit on site goes on to its departure."""
    if draft.virtual:
        return Finish(await _propose(turn, draft, arrival, arrival))
    draft.arrival, draft.arrival_to_confirm = arrival.isoformat(), None
    return Advance()


def ask_new_departure(turn: Turn, draft: ProposalDraft) -> Reply:
    rows = [
        [
            button("same_day", PROPOSING.choice("departure", "0")),
            button("next_day", PROPOSING.choice("departure", "1")),
        ]
    ]
    return reply("approvals/ask_departure", rows, arrival=date.fromisoformat(draft.arrival or "2000-01-01"))


async def take_new_departure(turn: Turn, draft: ProposalDraft, answer: Answer) -> Outcome:
    arrival = date.fromisoformat(draft.arrival or "")
    rules = turn.services.rules
    if answer.choice in ("0", "1"):
        departure = arrival + timedelta(days=int(answer.choice))
        check_departure(arrival, departure, rules)
    else:
        departure = parse_departure(answer.text or "", turn.today, arrival, rules)
    return Finish(await _propose(turn, draft, arrival, departure))


async def _propose(turn: Turn, draft: ProposalDraft, arrival: date, departure: date) -> list[Reply]:
    """Record the proposal and ask the coordinator to accept or decline it."""
    delegation = await visits.propose(turn, draft.delegation_id, arrival, departure)
    answers = [
        [button("accept_dates", ACCEPT_DATES(delegation.id)), button("decline_dates", DECLINE_DATES(delegation.id))]
    ]
    told = await _tell_coordinator(
        turn, delegation, "approvals/proposal", answers, arrival=arrival, departure=departure
    )
    return [reply("approvals/proposed", arrival=arrival, departure=departure), *told]


PROPOSING: Flow[ProposalDraft] = Flow(
    "propose",
    [
        Step("arrival", ask_new_arrival, take_new_arrival),
        Step(
            "arrival_check",
            ask_new_arrival_check,
            take_new_arrival_check,
            applies=lambda d: d.arrival_to_confirm is not None,
        ),
        Step("departure", ask_new_departure, take_new_departure, applies=lambda d: not d.virtual),
    ],
    ProposalDraft.from_json,
)


@on(ACCEPT_DATES)
async def accept_proposal(turn: Turn, delegation_id: int) -> list[Reply]:
    return await _answer_proposal(turn, delegation_id, accepted=True)


@on(DECLINE_DATES)
async def decline_proposal(turn: Turn, delegation_id: int) -> list[Reply]:
    return await _answer_proposal(turn, delegation_id, accepted=False)


async def _answer_proposal(turn: Turn, delegation_id: int, *, accepted: bool) -> list[Reply]:
    """The coordinator accepts (the visit moves and is approved) or declines (it stays pending)."""
    answered = await visits.answer_proposal(turn, delegation_id, accepted=accepted)
    if answered is None:
        return [reply("approvals/proposal_gone")]
    view = delegation_view(turn, answered.delegation)
    return [
        reply("approvals/proposal_answered", delegation=view, accepted=accepted),
        *await turn.tell_staff(
            "approvals/proposal_answered_for_staff",
            delegation=view,
            accepted=accepted,
            arrival=answered.arrival,
            departure=answered.departure,
        ),
    ]
