"""Delegations as their members see them: joining with a code, the roster, the visits of a user, cancelling.

Who may do what is decided here, not in the menus: a coordinator manages their own delegation,
staff may see every delegation, everyone else is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiosqlite import Connection

from core.clock import Clock
from core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from core.joincode import normalize_join_code
from storage import audit
from storage.delegations import (
    Delegation,
    DelegationStatus,
    delegations_joined_by,
    delegations_of_coordinator,
    find_by_join_code,
    get_delegation,
    set_status,
)
from storage.join_attempts import failures_since, record_attempt
from storage.participants import (
    AlreadyJoined,
    Participant,
    find_participant,
    insert_participant,
    participants_of,
)
from storage.users import User

logger = logging.getLogger(__name__)

LOCK_AFTER_FAILURES = 5
LOCK_WINDOW = timedelta(hours=1)
LOCK_DURATION = timedelta(hours=1)


async def locked_until(conn: Connection, user: User, clock: Clock) -> datetime | None:
    """When a user who typed five wrong codes within an hour may try again (None: not locked)."""
    now = clock.now()
    failures = await failures_since(conn, user.id, now - LOCK_WINDOW - LOCK_DURATION)
    until: datetime | None = None
    for first, fifth in zip(failures, failures[LOCK_AFTER_FAILURES - 1 :], strict=False):
        if fifth - first <= LOCK_WINDOW:
            until = fifth + LOCK_DURATION
    return until if until is not None and until > now else None


async def find_joinable(conn: Connection, user: User, typed: str, clock: Clock) -> Delegation:
    """The delegation a typed code opens, after checking the lock; every wrong code counts."""
    until = await locked_until(conn, user, clock)
    if until is not None:
        raise DomainError("join/errors/locked", until=until)
    code = normalize_join_code(typed)
    delegation = await find_by_join_code(conn, code) if code else None
    await record_attempt(conn, user.id, code or typed.strip(), delegation is not None, clock.now())
    if delegation is None:
        until = await locked_until(conn, user, clock)
        if until is not None:
            logger.warning("join locked for user %s after %d wrong codes", user.id, LOCK_AFTER_FAILURES)
            raise DomainError("join/errors/locked", until=until)
        failures = await failures_since(conn, user.id, clock.now() - LOCK_WINDOW)
        raise ValidationError("join/errors/unknown_code", typed=typed, left=LOCK_AFTER_FAILURES - len(failures))
    if not delegation.is_open_for_joining:
        raise DomainError("join/errors/closed", delegation=delegation)
    if await find_participant(conn, delegation.id, user.id) is not None:
        raise DomainError("join/already", delegation=delegation)
    return delegation


async def join(
    conn: Connection, user: User, delegation_id: int, *, name: str, position: str, unit: str | None, clock: Clock
) -> tuple[Delegation, Participant]:
    delegation = await get_delegation(conn, delegation_id)
    if delegation is None:
        raise NotFound("errors/delegation_not_found")
    if not delegation.is_open_for_joining:
        raise DomainError("join/errors/closed", delegation=delegation)
    try:
        participant = await insert_participant(
            conn,
            delegation_id=delegation.id,
            user_id=user.id,
            name=name,
            position=position,
            unit=unit,
            now=clock.now(),
        )
    except AlreadyJoined:
        raise DomainError("join/already", delegation=delegation) from None
    await audit.record(
        conn,
        actor_id=user.id,
        action="participant.joined",
        subject_type="delegation",
        subject_id=delegation.id,
        now=clock.now(),
        participant_id=participant.id,
    )
    return delegation, participant


@dataclass(frozen=True)
class Visits:
    """The delegations a user coordinates and those they joined."""

    coordinated: list[Delegation]
    joined: list[Delegation]

    @property
    def empty(self) -> bool:
        return not self.coordinated and not self.joined


async def visits_of(conn: Connection, user: User) -> Visits:
    coordinated = await delegations_of_coordinator(conn, user.id)
    coordinated_ids = {d.id for d in coordinated}
    joined = [d for d in await delegations_joined_by(conn, user.id) if d.id not in coordinated_ids]
    return Visits(coordinated, joined)


async def delegation_for_manager(conn: Connection, user: User, delegation_id: int, action: str) -> Delegation:
    """A delegation the user may manage: their own as coordinator, or any as staff."""
    delegation = await get_delegation(conn, delegation_id)
    if delegation is None:
        raise NotFound("errors/delegation_not_found")
    if delegation.coordinator_id != user.id and not user.is_staff:
        logger.warning("refused %s of delegation %s to user %s", action, delegation_id, user.id)
        raise PermissionDenied("errors/not_your_delegation", action=action)
    return delegation


@dataclass(frozen=True)
class Roster:
    delegation: Delegation
    participants: list[Participant]


async def roster(conn: Connection, user: User, delegation_id: int) -> Roster:
    delegation = await delegation_for_manager(conn, user, delegation_id, "roster")
    return Roster(delegation, await participants_of(conn, delegation.id))


def can_be_cancelled(delegation: Delegation) -> bool:
    return delegation.status in (DelegationStatus.PENDING, DelegationStatus.APPROVED)


async def cancel_visit(conn: Connection, user: User, delegation_id: int, clock: Clock) -> Roster:
    """Cancel a pending or approved visit; returns who was in it, so they can be told."""
    delegation = await delegation_for_manager(conn, user, delegation_id, "cancel")
    if not can_be_cancelled(delegation):
        raise DomainError("status/cannot_cancel", delegation=delegation)
    await set_status(conn, delegation.id, DelegationStatus.CANCELLED, clock.now())
    await audit.record(
        conn,
        actor_id=user.id,
        action="delegation.cancelled",
        subject_type="delegation",
        subject_id=delegation.id,
        now=clock.now(),
        previous_status=delegation.status.value,
    )
    updated = await get_delegation(conn, delegation.id)
    assert updated is not None
    return Roster(updated, await participants_of(conn, delegation.id))
