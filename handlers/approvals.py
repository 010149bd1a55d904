"""Deciding on registrations (host staff): approve after seeing the load of those days, reject with a reason,
or propose other dates, which the coordinator accepts or declines. The coordinator hears every outcome in
their own language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.errors import DomainError, PermissionDenied, ValidationError
from core.messages import Reply, button, reply
from core.people import reachable, require_staff, staff_recipients
from core.registration import check_departure, parse_arrival, parse_departure
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, JsonDraft, Outcome, Step
from handlers.reminders import resync_delegation
from handlers.views import delegation_view
from storage.agenda import items_of
from storage.delegations import (
    Delegation,
    DelegationStatus,
    decide,
    delegations_between,
    get_delegation,
    propose_dates,
    proposed_dates,
    settle_proposal,
)

REASON_LENGTH = (3, 500)


@dataclass(frozen=True)
class DayLoad:
    """One day of the visit, as staff see it before approving."""

    day: date
    delegations: int  # already approved, besides this one
    people: int
    venues: list[str]
    over_limit: bool


async def _pending(turn: Turn, delegation_id: int) -> Delegation:
    require_staff(turn.user, "decide on a registration")
    delegation = await get_delegation(turn.conn, delegation_id)
    if delegation is None:
        raise DomainError("errors/delegation_not_found")
    if delegation.status is not DelegationStatus.PENDING:
        raise DomainError("approval/already_decided", delegation=delegation_view(turn, delegation))
    return delegation


async def day_loads(turn: Turn, delegation: Delegation) -> list[DayLoad]:
    limits = turn.services.limits
    others = [
        d
        for d in await delegations_between(turn.conn, delegation.arrival_date, delegation.departure_date)
        if d.id != delegation.id
    ]
    loads = []
    day = delegation.arrival_date
    while day <= delegation.departure_date:
        that_day = [d for d in others if d.arrival_date <= day <= d.departure_date]
        people = sum(d.planned_size for d in that_day)
        venues: set[str] = set()
        for other in that_day:
            for item in await items_of(turn.conn, other.id):
                if item.starts_at.astimezone(turn.services.tz).date() == day:
                    venue = turn.services.venues.venues.get(item.venue_id)
                    venues.add(venue.name.in_(turn.locale) if venue else item.venue_id)
        over = len(that_day) + 1 > limits.delegations or people + delegation.planned_size > limits.people
        loads.append(DayLoad(day, len(that_day), people, sorted(venues), over))
        day += timedelta(days=1)
    return loads


async def show_load(turn: Turn, delegation_id: int) -> list[Reply]:
    """Before approving: how busy those days already are, against the daily limits."""
    delegation = await _pending(turn, delegation_id)
    loads = await day_loads(turn, delegation)
    over = any(load.over_limit for load in loads)
    label = "approve_anyway" if over else "approve_confirm"
    rows = [
        [button(label, f"appr:approve:{delegation.id}")],
        [button("reject", f"appr:reject:{delegation.id}"), button("propose_dates", f"appr:propose:{delegation.id}")],
    ]
    return [
        reply(
            "approval/load",
            rows,
            delegation=delegation_view(turn, delegation),
            loads=loads,
            over=over,
            limit_delegations=turn.services.limits.delegations,
            limit_people=turn.services.limits.people,
        )
    ]


async def approve(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _pending(turn, delegation_id)
    if not await decide(turn.conn, delegation.id, DelegationStatus.APPROVED, None, turn.services.clock.now()):
        raise DomainError("approval/already_decided", delegation=delegation_view(turn, delegation))
    await turn.audit("delegation.approved", "delegation", delegation.id)
    await resync_delegation(turn, delegation.id)
    return [
        reply("approval/done", delegation=delegation_view(turn, delegation), outcome="approved"),
        *await _tell_coordinator(turn, delegation, "approval/approved"),
    ]


async def _tell_coordinator(turn: Turn, delegation: Delegation, template: str, **params: Any) -> list[Reply]:
    coordinator = await reachable(turn.conn, delegation.coordinator_id)
    if coordinator is None:
        return []
    updated = await get_delegation(turn.conn, delegation.id) or delegation
    view = delegation_view(turn, updated)
    buttons = params.pop("buttons", ())
    return [Reply(template, {"delegation": view, **params}, buttons=buttons, to=coordinator)]


# --- rejecting with a reason ------------------------------------------------------------------


@dataclass
class DecisionDraft(JsonDraft):
    delegation_id: int = 0
    reason: str | None = None
    arrival: str | None = None
    departure: str | None = None


async def start_reject(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _pending(turn, delegation_id)
    return await REJECTING.begin(turn, DecisionDraft(delegation.id))


def ask_reason(turn: Turn, draft: DecisionDraft) -> Reply:
    return reply("approval/ask_reason")


async def take_reason(turn: Turn, draft: DecisionDraft, answer: Answer) -> Outcome:
    reason = " ".join((answer.text or "").split())
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise ValidationError("approval/errors/reason", low=REASON_LENGTH[0], high=REASON_LENGTH[1])
    delegation = await _pending(turn, draft.delegation_id)
    await decide(turn.conn, delegation.id, DelegationStatus.REJECTED, reason, turn.services.clock.now())
    await turn.audit("delegation.rejected", "delegation", delegation.id, reason=reason)
    await resync_delegation(turn, delegation.id)
    return Finish(
        [
            reply("approval/done", delegation=delegation_view(turn, delegation), outcome="rejected"),
            *await _tell_coordinator(turn, delegation, "approval/rejected", reason=reason),
        ]
    )


REJECTING: Flow[DecisionDraft] = Flow(
    "reject", [Step("reason", ask_reason, take_reason, lambda d: False)], DecisionDraft.from_json
)


# --- proposing other dates --------------------------------------------------------------------


async def start_propose(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _pending(turn, delegation_id)
    return await PROPOSING.begin(turn, DecisionDraft(delegation.id))


def ask_new_arrival(turn: Turn, draft: DecisionDraft) -> Reply:
    return reply("approval/ask_arrival")


async def take_new_arrival(turn: Turn, draft: DecisionDraft, answer: Answer) -> Outcome:
    draft.arrival = parse_arrival(answer.text or "", turn.today, turn.services.rules).isoformat()
    return Advance()


def ask_new_departure(turn: Turn, draft: DecisionDraft) -> Reply:
    rows = [[button("same_day", "propose:departure:0"), button("next_day", "propose:departure:1")]]
    return reply("approval/ask_departure", rows, arrival=date.fromisoformat(draft.arrival or "2000-01-01"))


async def take_new_departure(turn: Turn, draft: DecisionDraft, answer: Answer) -> Outcome:
    arrival = date.fromisoformat(draft.arrival or "")
    rules = turn.services.rules
    if answer.choice in ("0", "1"):
        departure = arrival + timedelta(days=int(answer.choice))
        check_departure(arrival, departure, rules)
    else:
        departure = parse_departure(answer.text or "", turn.today, arrival, rules)
    delegation = await _pending(turn, draft.delegation_id)
    await propose_dates(turn.conn, delegation.id, arrival, departure, turn.services.clock.now())
    await turn.audit("delegation.dates_proposed", "delegation", delegation.id, arrival=arrival, departure=departure)
    buttons = (
        (
            button("accept_dates", f"prop:accept:{delegation.id}"),
            button("decline_dates", f"prop:decline:{delegation.id}"),
        ),
    )
    told = await _tell_coordinator(
        turn, delegation, "approval/proposal", arrival=arrival, departure=departure, buttons=buttons
    )
    return Finish([reply("approval/proposed", arrival=arrival, departure=departure), *told])


PROPOSING: Flow[DecisionDraft] = Flow(
    "propose",
    [
        Step("arrival", ask_new_arrival, take_new_arrival, lambda d: d.arrival is not None),
        Step("departure", ask_new_departure, take_new_departure, lambda d: False),
    ],
    DecisionDraft.from_json,
)


async def answer_proposal(turn: Turn, delegation_id: int, accepted: bool) -> list[Reply]:
    """The coordinator accepts (the visit moves and is approved) or declines (it stays pending)."""
    delegation = await get_delegation(turn.conn, delegation_id)
    if delegation is None:
        raise DomainError("errors/delegation_not_found")
    if delegation.coordinator_id != turn.user.id:
        raise PermissionDenied("errors/not_your_delegation", action="answer a proposal of dates")
    proposal = await proposed_dates(turn.conn, delegation.id)
    if proposal is None or not await settle_proposal(
        turn.conn, delegation.id, accepted=accepted, now=turn.services.clock.now()
    ):
        return [reply("approval/proposal_gone")]
    await turn.audit(f"delegation.proposal_{'accepted' if accepted else 'declined'}", "delegation", delegation.id)
    updated = await get_delegation(turn.conn, delegation.id) or delegation
    view = delegation_view(turn, updated)
    replies = [reply("approval/proposal_answered", delegation=view, accepted=accepted)]
    for recipient in await staff_recipients(turn.conn, turn.services.staff):
        replies.append(
            Reply(
                "staff/proposal_answered",
                {"delegation": view, "accepted": accepted, "arrival": proposal[0], "departure": proposal[1]},
                to=recipient,
            )
        )
    if accepted:
        await resync_delegation(turn, delegation.id)
    return replies
