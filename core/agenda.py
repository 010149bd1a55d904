"""A visit's plan as host staff change it: add, edit, move or remove items, replace the whole plan with a
programme or a suggestion or add one to it, and publish it. Members are told about a published plan's changes;
the conflicts of a proposed plan are worked out by core.itinerary before anything is saved, and a plan with
conflicts is saved or published only when staff say so."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aiosqlite import Connection

from core.errors import DomainError, ValidationError
from core.itinerary import Conflict, PlanChange, check_plan, new_uid, plan_changes
from core.membership import visits_of
from core.messages import Recipient
from core.people import require_staff
from core.reminders import follow_visit
from core.session import Session
from core.venues import Named
from core.visits import get, members_of
from storage.agenda import (
    AgendaItem,
    NewAgendaItem,
    delete_item,
    get_item,
    insert_item,
    items_of,
    plan_published,
    set_plan_published,
    update_item,
)
from storage.delegations import Delegation


class EditKind(enum.StrEnum):
    ADD = "add"  # a new item
    EDIT = "edit"  # one item changed
    REPLACE = "replace"  # the whole plan, from a programme or a suggestion
    APPEND = "append"  # a programme's or a suggestion's items, added to the plan as it is


@dataclass(frozen=True)
class Edit:
    """A change staff are preparing, before it is saved."""

    kind: EditKind
    item: NewAgendaItem | None = None  # ADD and EDIT: the item as it will be
    item_id: int | None = None  # EDIT: which item
    proposed: tuple[NewAgendaItem, ...] = ()  # REPLACE and APPEND: the programme's or the suggestion's items

    def plan_after(self, before: Sequence[AgendaItem]) -> list[NewAgendaItem]:
        """The whole plan as it would be after saving this change."""
        if self.kind is EditKind.REPLACE:
            return list(self.proposed)
        if self.kind is EditKind.APPEND:
            return [*before, *self.proposed]
        assert self.item is not None
        kept: list[NewAgendaItem] = [i for i in before if i.id != self.item_id]
        return [*kept, self.item]


@dataclass(frozen=True)
class Saved:
    """A saved change: the plan after it, and what its members must be told (nothing while unpublished)."""

    delegation: Delegation
    items: list[AgendaItem]
    changes: list[PlanChange]


def title_in(item: NewAgendaItem, locale: str) -> str:
    """An item's title for a reader: in English for English readers when content gave it one (a programme's or a
    suggestion's item), otherwise as saved (Indonesian, or as staff typed it). Every view of a plan uses this."""
    return Named(item.title, item.title_en or item.title).in_(locale)


@dataclass(frozen=True)
class Told:
    """Who is sent a published plan and told of its changes: the visit's members who can still be reached."""

    recipients: list[Recipient]
    coordinator: bool  # the coordinator is among them

    @property
    def participants(self) -> int:
        return len(self.recipients) - self.coordinator


async def told_of(conn: Connection, delegation: Delegation) -> Told:
    recipients = await members_of(conn, delegation)
    return Told(recipients, any(r.user_id == delegation.coordinator_id for r in recipients))


async def for_planning(session: Session, delegation_id: int) -> Delegation:
    require_staff(session.user, "plan a visit")
    return await get(session.conn, delegation_id)


async def item_for_planning(session: Session, item_id: int) -> AgendaItem:
    require_staff(session.user, "plan a visit")
    item = await get_item(session.conn, item_id)
    if item is None:
        raise DomainError("errors/stale_button")
    return item


async def items(conn: Connection, delegation_id: int) -> list[AgendaItem]:
    return await items_of(conn, delegation_id)


async def is_published(conn: Connection, delegation_id: int) -> bool:
    return await plan_published(conn, delegation_id)


async def conflicts(session: Session, delegation: Delegation, plan: Sequence[NewAgendaItem]) -> list[Conflict]:
    services = session.services
    return await check_plan(session.conn, delegation, plan, services.venues, services.tz)


async def accepted_conflicts(
    session: Session, delegation: Delegation, plan: Sequence[NewAgendaItem], *, despite_conflicts: bool
) -> int:
    """How many conflicts staff accept by saving or publishing `plan`: none may be left unless they said so
    ("Simpan walau bentrok"); a conflict that appeared since they were shown the plan asks them again."""
    found = await conflicts(session, delegation, plan)
    if found and not despite_conflicts:
        raise ValidationError("agenda/errors/conflicts", count=len(found))
    return len(found)


async def save(session: Session, delegation_id: int, edit: Edit, *, despite_conflicts: bool = False) -> Saved:
    delegation = await for_planning(session, delegation_id)
    conn, now = session.conn, session.now
    before = await items_of(conn, delegation.id)
    accepted = await accepted_conflicts(
        session, delegation, edit.plan_after(before), despite_conflicts=despite_conflicts
    )
    if edit.kind is EditKind.REPLACE:
        for old in before:
            await delete_item(conn, old.id)
    if edit.kind in (EditKind.REPLACE, EditKind.APPEND):
        for new in edit.proposed:
            await insert_item(conn, delegation.id, new, uid=new_uid(), now=now)
    elif edit.kind is EditKind.EDIT:
        assert edit.item is not None and edit.item_id is not None
        await update_item(conn, edit.item_id, edit.item, now=now)
    else:
        assert edit.item is not None
        await insert_item(conn, delegation.id, edit.item, uid=new_uid(), now=now)
    return await _saved(session, delegation, before, f"agenda.{edit.kind.value}", accepted=accepted)


async def remove(session: Session, item_id: int) -> Saved:
    item = await item_for_planning(session, item_id)
    delegation = await for_planning(session, item.delegation_id)
    before = await items_of(session.conn, delegation.id)
    await delete_item(session.conn, item.id)
    return await _saved(session, delegation, before, "agenda.item_removed")


async def _saved(
    session: Session, delegation: Delegation, before: list[AgendaItem], action: str, *, accepted: int = 0
) -> Saved:
    after = await items_of(session.conn, delegation.id)
    await session.audit(action, "delegation", delegation.id, items=len(after), **_accepted(accepted))
    if not await plan_published(session.conn, delegation.id):
        return Saved(delegation, after, [])
    await follow_visit(session.conn, session.services, delegation.id)  # reminders move, appear or go with the items
    return Saved(delegation, after, plan_changes(before, after))


def _accepted(conflicts: int) -> dict[str, int]:
    """The audit detail of a plan saved or published with conflicts staff accepted."""
    return {"conflicts_accepted": conflicts} if conflicts else {}


async def publish(session: Session, delegation_id: int, *, despite_conflicts: bool = False) -> Saved:
    """Make the plan visible to the members (who are then sent it) and start its reminders; a plan published
    already is not published (nor sent) again."""
    delegation = await for_planning(session, delegation_id)
    plan = await items_of(session.conn, delegation.id)
    accepted = await accepted_conflicts(session, delegation, plan, despite_conflicts=despite_conflicts)
    if not await set_plan_published(session.conn, delegation.id, session.now):
        raise DomainError("agenda/errors/already_published")
    await session.audit("agenda.published", "delegation", delegation.id, items=len(plan), **_accepted(accepted))
    await follow_visit(session.conn, session.services, delegation.id)
    return Saved(delegation, plan, [])


async def visible_plans(session: Session) -> list[tuple[Delegation, list[AgendaItem]]]:
    """The published plans of the user's active visits (staff see theirs unpublished too), with their items."""
    plans = []
    for delegation in (await visits_of(session.conn, session.user)).active:
        if not session.user.is_staff and not await plan_published(session.conn, delegation.id):
            continue
        plan = await items_of(session.conn, delegation.id)
        if plan:
            plans.append((delegation, plan))
    return plans
