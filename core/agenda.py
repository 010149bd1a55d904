"""A visit's plan as host staff change it: add, edit, move or remove items, replace the whole plan with a
programme or a suggestion, and publish it. Members are told about a published plan's changes; the
conflicts of a proposed plan are worked out by core.itinerary before anything is saved."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aiosqlite import Connection

from core.errors import DomainError
from core.itinerary import Conflict, PlanChange, check_plan, new_uid, plan_changes
from core.membership import visits_of
from core.people import require_staff
from core.reminders import follow_visit
from core.session import Session
from core.visits import get
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


@dataclass(frozen=True)
class Edit:
    """A change staff are preparing, before it is saved."""

    kind: EditKind
    item: NewAgendaItem | None = None  # ADD and EDIT: the item as it will be
    item_id: int | None = None  # EDIT: which item
    proposed: tuple[NewAgendaItem, ...] = ()  # REPLACE: the new plan

    def plan_after(self, before: Sequence[AgendaItem]) -> list[NewAgendaItem]:
        """The whole plan as it would be after saving this change."""
        if self.kind is EditKind.REPLACE:
            return list(self.proposed)
        assert self.item is not None
        kept: list[NewAgendaItem] = [i for i in before if i.id != self.item_id]
        return [*kept, self.item]


@dataclass(frozen=True)
class Saved:
    """A saved change: the plan after it, and what its members must be told (nothing while unpublished)."""

    delegation: Delegation
    items: list[AgendaItem]
    changes: list[PlanChange]


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


async def save(session: Session, delegation_id: int, edit: Edit) -> Saved:
    delegation = await for_planning(session, delegation_id)
    conn, now = session.conn, session.now
    before = await items_of(conn, delegation.id)
    if edit.kind is EditKind.REPLACE:
        for old in before:
            await delete_item(conn, old.id)
        for new in edit.proposed:
            await insert_item(conn, delegation.id, new, uid=new_uid(), now=now)
    elif edit.kind is EditKind.EDIT:
        assert edit.item is not None and edit.item_id is not None
        await update_item(conn, edit.item_id, edit.item, now=now)
    else:
        assert edit.item is not None
        await insert_item(conn, delegation.id, edit.item, uid=new_uid(), now=now)
    return await _saved(session, delegation, before, f"agenda.{edit.kind.value}")


async def remove(session: Session, item_id: int) -> Saved:
    item = await item_for_planning(session, item_id)
    delegation = await for_planning(session, item.delegation_id)
    before = await items_of(session.conn, delegation.id)
    await delete_item(session.conn, item.id)
    return await _saved(session, delegation, before, "agenda.item_removed")


async def _saved(session: Session, delegation: Delegation, before: list[AgendaItem], action: str) -> Saved:
    after = await items_of(session.conn, delegation.id)
    await session.audit(action, "delegation", delegation.id, items=len(after))
    if not await plan_published(session.conn, delegation.id):
        return Saved(delegation, after, [])
    await follow_visit(session.conn, session.services, delegation.id)  # reminders move, appear or go with the items
    return Saved(delegation, after, plan_changes(before, after))


async def publish(session: Session, delegation_id: int) -> Saved:
    """Make the plan visible to the members (who are then sent it) and start its reminders."""
    delegation = await for_planning(session, delegation_id)
    await set_plan_published(session.conn, delegation.id, session.now)
    await session.audit("agenda.published", "delegation", delegation.id)
    await follow_visit(session.conn, session.services, delegation.id)
    return Saved(delegation, await items_of(session.conn, delegation.id), [])


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
