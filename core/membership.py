"""Delegations as their members see them: joining with a code, the roster, the visits of a user.

Who may do what is decided here, not in the menus: a coordinator manages their own delegation,
staff may see every delegation, everyone else is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiosqlite import Connection

from core import join_limits
from core.errors import DomainError, ValidationError
from core.joincode import normalize_join_code
from core.messages import Recipient
from core.people import reachable
from core.reminders import follow_visit
from core.session import Session
from core.visits import for_manager, get
from storage.delegations import Delegation, delegations_joined_by, delegations_of_coordinator, find_by_join_code
from storage.participants import AlreadyJoined, Participant, find_participant, insert_participant, participants_of
from storage.users import User

logger = logging.getLogger(__name__)


async def find_joinable(session: Session, typed: str) -> Delegation:
    """The delegation a typed code opens, once the guessing limits (core.join_limits) let it be checked.

    Text that cannot be a code is refused before the limits are asked: it is not an attempt, so it neither
    counts towards a lock nor waits out a pause."""
    conn, user = session.conn, session.user
    code = normalize_join_code(typed)
    if code is None:
        raise ValidationError("join/errors/not_a_code", typed=typed)
    identity = await join_limits.admit(session)
    delegation = await find_by_join_code(conn, code)
    if delegation is None:
        await join_limits.refuse_wrong_code(session, identity, typed)
    if not delegation.is_active:
        raise DomainError("join/errors/closed", delegation=delegation)
    if await find_participant(conn, delegation.id, user.id) is not None:
        raise DomainError("join/already", delegation=delegation)
    return delegation


async def join(session: Session, delegation_id: int, *, name: str, position: str, unit: str | None) -> Delegation:
    """The user joins the visit; a published plan's reminders now include them."""
    delegation = await get(session.conn, delegation_id)
    if not delegation.is_active:
        raise DomainError("join/errors/closed", delegation=delegation)
    try:
        participant = await insert_participant(
            session.conn,
            delegation_id=delegation.id,
            user_id=session.user.id,
            name=name,
            position=position,
            unit=unit,
            now=session.now,
        )
    except AlreadyJoined:
        raise DomainError("join/already", delegation=delegation) from None
    await session.audit("participant.joined", "delegation", delegation.id, participant_id=participant.id)
    await follow_visit(session.conn, session.services, delegation.id)
    return delegation


@dataclass(frozen=True)
class Visits:
    """The delegations a user coordinates and those they joined."""

    coordinated: list[Delegation]
    joined: list[Delegation]

    @property
    def empty(self) -> bool:
        return not self.coordinated and not self.joined

    @property
    def active(self) -> list[Delegation]:
        """The ones still on, coordinated first."""
        return [d for d in self.coordinated + self.joined if d.is_active]


async def visits_of(conn: Connection, user: User) -> Visits:
    coordinated = await delegations_of_coordinator(conn, user.id)
    coordinated_ids = {d.id for d in coordinated}
    joined = [d for d in await delegations_joined_by(conn, user.id) if d.id not in coordinated_ids]
    return Visits(coordinated, joined)


@dataclass(frozen=True)
class Roster:
    delegation: Delegation
    participants: list[Participant]


async def roster(session: Session, delegation_id: int) -> Roster:
    delegation = await for_manager(session, delegation_id, "roster")
    return Roster(delegation, await participants_of(session.conn, delegation.id))


async def participants_to_tell(session: Session, delegation: Delegation) -> list[Recipient]:
    """The participants of a visit who can still be reached, except the user acting."""
    recipients = []
    for participant in await participants_of(session.conn, delegation.id):
        if participant.user_id != session.user.id:
            recipient = await reachable(session.conn, participant.user_id)
            if recipient is not None:
                recipients.append(recipient)
    return recipients
