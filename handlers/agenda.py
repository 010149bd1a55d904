"""/agenda (host staff): build a delegation's plan by chat — apply a programme, take a suggestion, add, move,
edit or remove items — with every conflict shown before anything is saved, then publish it to the members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import DomainError, ValidationError
from core.itinerary import apply_program, check_plan, new_uid, plan_changes, suggest_plan
from core.messages import Button, Reply, button, reply
from core.people import require_staff
from core.plan_input import parse_minutes, parse_start, parse_text
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, JsonDraft, Outcome, Step
from handlers.plan import change_views, conflict_views, member_recipients, plan_view
from handlers.reminders import resync_delegation
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
from storage.delegations import Delegation, delegations_from, find_by_join_code, get_delegation

FLOW = "agenda"
FIELDS = ("when", "minutes", "venue", "title", "officer", "notes")


@dataclass
class AgendaDraft(JsonDraft):
    """A change being prepared: a new item, an edit of one, or a whole proposed plan (programme, suggestion)."""

    delegation_id: int = 0
    mode: str = "add"  # add | edit | replace
    item_id: int | None = None
    starts_at: str | None = None
    minutes: int | None = None
    venue_id: str | None = None
    title: str | None = None
    officer: str | None = None
    notes: str | None = None
    officer_done: bool = False
    notes_done: bool = False
    proposed: list[dict[str, Any]] = field(default_factory=list)

    def item(self) -> NewAgendaItem:
        assert self.starts_at and self.minutes and self.venue_id and self.title
        return NewAgendaItem(
            datetime.fromisoformat(self.starts_at), self.minutes, self.venue_id, self.title, self.officer, self.notes
        )


def _a(step: str, value: str) -> str:
    return f"{FLOW}:{step}:{value}"


async def _delegation(turn: Turn, delegation_id: int) -> Delegation:
    require_staff(turn.user, "plan a visit")
    delegation = await get_delegation(turn.conn, delegation_id)
    if delegation is None:
        raise DomainError("errors/delegation_not_found")
    return delegation


# --- the plan and its buttons -----------------------------------------------------------------


async def open_agenda(turn: Turn, argument: str) -> list[Reply]:
    """/agenda: the coming visits to choose from, or /agenda CODE for one of them."""
    require_staff(turn.user, "plan a visit")
    if argument:
        delegation = await find_by_join_code(turn.conn, argument.strip().upper())
        if delegation is None:
            raise DomainError("errors/delegation_not_found")
        return await show_plan(turn, delegation.id)
    upcoming = [d for d in await delegations_from(turn.conn, turn.today) if d.is_open_for_joining]
    rows = [[button("text", f"plan:open:{d.id}", text=f"{d.institution} · {d.arrival_date:%d/%m}")] for d in upcoming]
    return [reply("agenda/choose", rows, count=len(upcoming))]


async def show_plan(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    items = await items_of(turn.conn, delegation.id)
    conflicts = await check_plan(turn.conn, delegation, items, turn.services.venues, turn.services.tz)
    published = await plan_published(turn.conn, delegation.id)
    rows: list[list[Button]] = [
        [button("agenda_add", f"plan:add:{delegation.id}"), button("agenda_program", f"plan:programs:{delegation.id}")],
        [button("agenda_suggest", f"plan:suggest:{delegation.id}")],
    ]
    rows += [
        [
            button("agenda_edit", f"plan:edit:{item.id}", number=n),
            button("agenda_delete", f"plan:del:{item.id}", number=n),
        ]
        for n, item in enumerate(items, 1)
    ]
    if items and not published:
        rows.append([button("agenda_publish", f"plan:publish:{delegation.id}")])
    return [
        reply(
            "agenda/plan",
            rows,
            plan=plan_view(turn, delegation, items),
            conflicts=conflict_views(turn, conflicts),
            published=published,
        )
    ]


async def choose_program(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    programs = [p for p in turn.services.venues.programs.values() if p.mode == delegation.mode.value]
    rows = [[button("text", f"plan:apply:{delegation.id}:{p.id}", text=p.name.in_(turn.locale))] for p in programs]
    return [reply("agenda/programs", rows)]


async def propose_program(turn: Turn, delegation_id: int, program_id: str) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    program = turn.services.venues.programs.get(program_id)
    if program is None:
        raise DomainError("errors/stale_button")
    return await _propose(turn, delegation, apply_program(delegation, program, turn.services.tz))


async def propose_suggestion(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    return await _propose(turn, delegation, suggest_plan(delegation, turn.services.venues, turn.services.tz))


async def _propose(turn: Turn, delegation: Delegation, items: list[NewAgendaItem]) -> list[Reply]:
    proposed = [
        {"starts_at": i.starts_at.isoformat(), "minutes": i.minutes, "venue_id": i.venue_id, "title": i.title}
        for i in items
    ]
    draft = AgendaDraft(delegation.id, mode="replace", proposed=proposed)
    return await AGENDA.begin(turn, draft, at="confirm")


async def start_add(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    return await AGENDA.begin(turn, AgendaDraft(delegation.id))


async def start_edit(turn: Turn, item_id: int) -> list[Reply]:
    item = await _item(turn, item_id)
    await _delegation(turn, item.delegation_id)
    rows = [[button(f"agenda_field_{f}", f"plan:field:{item.id}:{f}")] for f in FIELDS]
    return [reply("agenda/edit_which", rows, title=item.title)]


async def start_edit_field(turn: Turn, item_id: int, field_name: str) -> list[Reply]:
    item = await _item(turn, item_id)
    if field_name not in FIELDS:
        raise DomainError("errors/stale_button")
    draft = AgendaDraft(
        item.delegation_id,
        mode="edit",
        item_id=item.id,
        starts_at=item.starts_at.isoformat(),
        minutes=item.minutes,
        venue_id=item.venue_id,
        title=item.title,
        officer=item.host_officer,
        notes=item.notes,
        officer_done=True,
        notes_done=True,
    )
    return await AGENDA.begin(turn, draft, at=field_name)


async def confirm_delete(turn: Turn, item_id: int) -> list[Reply]:
    item = await _item(turn, item_id)
    rows = [
        [
            button("agenda_delete_yes", f"plan:delete_yes:{item.id}"),
            button("cancel_flow", f"plan:open:{item.delegation_id}"),
        ]
    ]
    return [reply("agenda/confirm_delete", rows, title=item.title, at=item.starts_at)]


async def delete_confirmed(turn: Turn, item_id: int) -> list[Reply]:
    item = await _item(turn, item_id)
    delegation = await _delegation(turn, item.delegation_id)
    before = await items_of(turn.conn, delegation.id)
    await delete_item(turn.conn, item.id)
    return await _saved(turn, delegation, before, "agenda.item_removed")


async def publish(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await _delegation(turn, delegation_id)
    items = await items_of(turn.conn, delegation.id)
    await set_plan_published(turn.conn, delegation.id, turn.services.clock.now())
    await turn.audit("agenda.published", "delegation", delegation.id)
    await resync_delegation(turn, delegation.id)
    replies = [reply("agenda/published", count=len(items))]
    for recipient in await member_recipients(turn.conn, delegation):
        replies.append(
            Reply("plan/published", {"plan": plan_view(turn, delegation, items, locale=recipient.locale)}, to=recipient)
        )
    return replies


async def _item(turn: Turn, item_id: int) -> AgendaItem:
    require_staff(turn.user, "plan a visit")
    item = await get_item(turn.conn, item_id)
    if item is None:
        raise DomainError("errors/stale_button")
    return item


# --- the steps of adding or editing an item ---------------------------------------------------


def ask_when(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_when", current_at=datetime.fromisoformat(draft.starts_at) if draft.starts_at else None)


async def take_when(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    delegation = await _delegation(turn, draft.delegation_id)
    start = parse_start(answer.text or "", default_day=delegation.arrival_date, today=turn.today, tz=turn.services.tz)
    draft.starts_at = start.isoformat()
    return _next(draft)


def ask_minutes(turn: Turn, draft: AgendaDraft) -> Reply:
    rows = [[button("text", _a("minutes", str(m)), text=f"{m}′") for m in (30, 60, 90, 120)]]
    return reply("agenda/ask_minutes", rows, current_minutes=draft.minutes)


async def take_minutes(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.minutes = parse_minutes(answer.choice or answer.text or "")
    return _next(draft)


def ask_venue(turn: Turn, draft: AgendaDraft) -> Reply:
    venues = turn.services.venues.venues.values()
    rows = [[button("text", _a("venue", v.id), text=v.name.in_(turn.locale))] for v in venues]
    return reply("agenda/ask_venue", rows)


async def take_venue(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    if answer.choice not in turn.services.venues.venues:
        raise ValidationError("errors/use_buttons")
    draft.venue_id = answer.choice
    return _next(draft)


def ask_title(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_title", current_text=draft.title)


async def take_title(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.title = parse_text(answer.text or "")
    return _next(draft)


def ask_officer(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_officer", [[button("skip", _a("officer", "skip"))]], current_text=draft.officer)


async def take_officer(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.officer = None if answer.choice == "skip" else parse_text(answer.text or "")
    draft.officer_done = True
    return _next(draft)


def ask_notes(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_notes", [[button("skip", _a("notes", "skip"))]], current_text=draft.notes)


async def take_notes(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.notes = None if answer.choice == "skip" else parse_text(answer.text or "", high=500)
    draft.notes_done = True
    return _next(draft)


def _next(draft: AgendaDraft) -> Outcome:
    return GoTo("confirm") if draft.mode == "edit" else Advance()


def _proposed_plan(draft: AgendaDraft, before: list[AgendaItem]) -> list[NewAgendaItem]:
    """The whole plan as it would be after saving this draft."""
    if draft.mode == "replace":
        return [
            NewAgendaItem(datetime.fromisoformat(r["starts_at"]), r["minutes"], r["venue_id"], r["title"])
            for r in draft.proposed
        ]
    kept: list[NewAgendaItem] = [i for i in before if i.id != draft.item_id]
    return [*kept, draft.item()]


async def confirm_change(turn: Turn, draft: AgendaDraft) -> Reply:
    """The plan as it would be, with every conflict explained, before anything is saved."""
    delegation = await _delegation(turn, draft.delegation_id)
    plan = _proposed_plan(draft, await items_of(turn.conn, delegation.id))
    conflicts = await check_plan(turn.conn, delegation, plan, turn.services.venues, turn.services.tz)
    rows = [[button("agenda_save", _a("confirm", "save")), button("cancel_flow", "flow:cancel")]]
    return reply(
        "agenda/confirm",
        rows,
        mode=draft.mode,
        plan=plan_view(turn, delegation, plan),
        conflicts=conflict_views(turn, conflicts),
    )


async def take_confirm(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    if answer.choice != "save":
        raise ValidationError("errors/use_buttons")
    delegation = await _delegation(turn, draft.delegation_id)
    before = await items_of(turn.conn, delegation.id)
    now = turn.services.clock.now()
    if draft.mode == "replace":
        for item in before:
            await delete_item(turn.conn, item.id)
        for raw in draft.proposed:
            new = NewAgendaItem(datetime.fromisoformat(raw["starts_at"]), raw["minutes"], raw["venue_id"], raw["title"])
            await insert_item(turn.conn, delegation.id, new, uid=new_uid(), now=now)
    elif draft.mode == "edit" and draft.item_id is not None:
        await update_item(turn.conn, draft.item_id, draft.item(), now=now)
    else:
        await insert_item(turn.conn, delegation.id, draft.item(), uid=new_uid(), now=now)
    return Finish(await _saved(turn, delegation, before, f"agenda.{draft.mode}"))


async def _saved(turn: Turn, delegation: Delegation, before: list[AgendaItem], action: str) -> list[Reply]:
    after = await items_of(turn.conn, delegation.id)
    await turn.audit(action, "delegation", delegation.id, items=len(after))
    replies = [reply("agenda/saved"), *await show_plan(turn, delegation.id)]
    changes = plan_changes(before, after)
    if await plan_published(turn.conn, delegation.id):
        await resync_delegation(turn, delegation.id)  # reminders move, appear or go with the items
    if changes and await plan_published(turn.conn, delegation.id):
        for recipient in await member_recipients(turn.conn, delegation):
            params = {"changes": change_views(turn, changes, recipient.locale), "institution": delegation.institution}
            replies.append(Reply("plan/changed", params, to=recipient))
    return replies


AGENDA: Flow[AgendaDraft] = Flow(
    FLOW,
    [
        Step("when", ask_when, take_when, lambda d: d.starts_at is not None),
        Step("minutes", ask_minutes, take_minutes, lambda d: d.minutes is not None),
        Step("venue", ask_venue, take_venue, lambda d: d.venue_id is not None),
        Step("title", ask_title, take_title, lambda d: d.title is not None),
        Step("officer", ask_officer, take_officer, lambda d: d.officer_done),
        Step("notes", ask_notes, take_notes, lambda d: d.notes_done),
        Step("confirm", confirm_change, take_confirm, lambda d: False),
    ],
    AgendaDraft.from_json,
)
