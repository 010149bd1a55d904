"""A visit's life as the host decides it: registered (pending), approved, rejected, moved to other dates,
cancelled; and who belongs to it.

Every change is checked here (staff decide, a coordinator answers their own proposal, a manager cancels),
audited in the same transaction, and followed by the visit's reminders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from aiosqlite import Connection

from core.clock import Clock
from core.errors import DomainError, NotFound, PermissionDenied
from core.joincode import new_join_code, normalize_join_code
from core.messages import Recipient
from core.people import reachable, require_staff
from core.reminders import follow_visit
from core.session import Session
from storage import audit
from storage.delegations import (
    Delegation,
    DelegationStatus,
    JoinCodeTaken,
    NewDelegation,
    PendingVisit,
    decide,
    delegations_from,
    find_by_join_code,
    get_delegation,
    insert_delegation,
    member_ids,
    pending_visits,
    propose_dates,
    proposed_dates,
    set_status,
    settle_proposal,
)

logger = logging.getLogger(__name__)


async def submit_registration(
    conn: Connection, new: NewDelegation, *, coordinator_id: int, clock: Clock, attempts: int = 5
) -> Delegation:
    """Store the delegation as pending approval with a fresh join code, and audit it."""
    for _ in range(attempts):
        try:
            delegation = await insert_delegation(
                conn, new, join_code=new_join_code(), coordinator_id=coordinator_id, now=clock.now()
            )
        except JoinCodeTaken:
            logger.warning("join code collision, drawing another")
            continue
        await audit.record(
            conn,
            actor_id=coordinator_id,
            action="delegation.registered",
            subject_type="delegation",
            subject_id=delegation.id,
            now=clock.now(),
            institution=new.institution,
        )
        return delegation
    raise RuntimeError("could not draw an unused join code")


async def register(session: Session, new: NewDelegation) -> Delegation:
    """The user registers a visit and coordinates it."""
    return await submit_registration(session.conn, new, coordinator_id=session.user.id, clock=session.services.clock)


# --- reading --------------------------------------------------------------------------------


async def get(conn: Connection, delegation_id: int) -> Delegation:
    delegation = await get_delegation(conn, delegation_id)
    if delegation is None:
        raise NotFound("errors/delegation_not_found")
    return delegation


async def by_code(conn: Connection, typed: str) -> Delegation:
    """The visit a join code names, as staff type it after a command (/peserta CODE, /agenda CODE)."""
    code = normalize_join_code(typed) or typed.strip().upper()
    delegation = await find_by_join_code(conn, code)
    if delegation is None:
        raise NotFound("errors/delegation_not_found")
    return delegation


async def upcoming(conn: Connection, today: date, *, active_only: bool = False) -> list[Delegation]:
    """Visits not yet over, soonest first; `active_only` leaves out the cancelled and rejected ones."""
    return [d for d in await delegations_from(conn, today) if d.is_active or not active_only]


async def waiting_for_host(conn: Connection, today: date) -> list[PendingVisit]:
    """Visits not over yet that wait for the host: a decision, or the coordinator's answer to other dates."""
    return await pending_visits(conn, today)


async def open_proposals(session: Session) -> list[PendingVisit]:
    """The other dates staff proposed that wait for this user's answer, as coordinator of those visits."""
    waiting = await pending_visits(session.conn, session.today, coordinator_id=session.user.id)
    return [visit for visit in waiting if visit.proposal is not None]


async def members_of(conn: Connection, delegation: Delegation) -> list[Recipient]:
    """Everyone in a visit who can still be told something: the coordinator and the participants, each once."""
    recipients = [await reachable(conn, user_id) for user_id in await member_ids(conn, delegation.id)]
    return [r for r in recipients if r is not None]


async def coordinator_of(conn: Connection, delegation: Delegation) -> Recipient | None:
    return await reachable(conn, delegation.coordinator_id)


# --- deciding (host staff) ------------------------------------------------------------------


async def awaiting_decision(session: Session, delegation_id: int) -> Delegation:
    """A visit staff may still decide on; anyone else is refused, and a decided one says how it was decided."""
    require_staff(session.user, "decide on a registration")
    delegation = await get(session.conn, delegation_id)
    if delegation.status is not DelegationStatus.PENDING:
        raise DomainError("approvals/already_decided", delegation=delegation)
    return delegation


async def approve(session: Session, delegation_id: int) -> Delegation:
    delegation = await awaiting_decision(session, delegation_id)
    return await _decide(session, delegation, DelegationStatus.APPROVED, None)


async def reject(session: Session, delegation_id: int, reason: str) -> Delegation:
    delegation = await awaiting_decision(session, delegation_id)
    return await _decide(session, delegation, DelegationStatus.REJECTED, reason)


async def _decide(session: Session, delegation: Delegation, status: DelegationStatus, reason: str | None) -> Delegation:
    if not await decide(session.conn, delegation.id, status, reason, session.now):
        raise DomainError("approvals/already_decided", delegation=delegation)  # decided by someone else meanwhile
    detail = {"reason": reason} if reason is not None else {}
    await session.audit(f"delegation.{status.value}", "delegation", delegation.id, **detail)
    await follow_visit(session.conn, session.services, delegation.id)
    return await get(session.conn, delegation.id)


async def propose(session: Session, delegation_id: int, arrival: date, departure: date) -> Delegation:
    """Staff offer other dates; the visit stays pending until the coordinator answers."""
    delegation = await awaiting_decision(session, delegation_id)
    await propose_dates(session.conn, delegation.id, arrival, departure, session.now)
    await session.audit("delegation.dates_proposed", "delegation", delegation.id, arrival=arrival, departure=departure)
    return delegation


@dataclass(frozen=True)
class ProposalAnswer:
    delegation: Delegation  # as it is after the answer
    arrival: date  # the dates that were proposed
    departure: date
    accepted: bool


async def answer_proposal(session: Session, delegation_id: int, *, accepted: bool) -> ProposalAnswer | None:
    """The coordinator accepts (the visit moves and is approved) or declines (it stays pending).

    None when there is no proposal to answer any more (answered already, or the visit was decided).
    """
    delegation = await get(session.conn, delegation_id)
    if delegation.coordinator_id != session.user.id:
        raise PermissionDenied("errors/not_your_delegation", action="answer a proposal of dates")
    proposal = await proposed_dates(session.conn, delegation.id)
    if proposal is None or not await settle_proposal(session.conn, delegation.id, accepted=accepted, now=session.now):
        return None
    await session.audit(f"delegation.proposal_{'accepted' if accepted else 'declined'}", "delegation", delegation.id)
    if accepted:
        await follow_visit(session.conn, session.services, delegation.id)
    return ProposalAnswer(await get(session.conn, delegation.id), proposal[0], proposal[1], accepted)


# --- cancelling (the coordinator, or staff) -------------------------------------------------


def can_be_cancelled(delegation: Delegation) -> bool:
    return delegation.is_active


async def for_manager(session: Session, delegation_id: int, action: str) -> Delegation:
    """A visit the user may manage: their own as coordinator, or any as staff."""
    delegation = await get(session.conn, delegation_id)
    if delegation.coordinator_id != session.user.id and not session.user.is_staff:
        logger.warning("refused %s of delegation %s to user %s", action, delegation_id, session.user.id)
        raise PermissionDenied("errors/not_your_delegation", action=action)
    return delegation


async def cancellable(session: Session, delegation_id: int) -> Delegation:
    """A visit this user may cancel now; a cancelled or rejected one says why it cannot be."""
    delegation = await for_manager(session, delegation_id, "cancel")
    if not can_be_cancelled(delegation):
        raise DomainError("status/cannot_cancel", delegation=delegation)
    return delegation


async def cancel(session: Session, delegation_id: int) -> Delegation:
    """Cancel a pending or approved visit: nobody can join it any more and its reminders go."""
    delegation = await cancellable(session, delegation_id)
    await set_status(session.conn, delegation.id, DelegationStatus.CANCELLED, session.now)
    await session.audit("delegation.cancelled", "delegation", delegation.id, previous_status=delegation.status.value)
    await follow_visit(session.conn, session.services, delegation.id)
    return await get(session.conn, delegation.id)
