"""/agenda (host staff): build a delegation's plan by chat — apply a programme, take a suggestion, add, move,
edit or remove items — with every conflict shown before anything is saved, then publish it to the members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import agenda, visits
from core.agenda import Edit, EditKind, Saved
from core.errors import DomainError, ValidationError
from core.itinerary import apply_program, suggest_plan
from core.messages import Button, Reply, reply
from core.model import Delegation, NewAgendaItem
from core.people import require_staff
from core.plan_input import parse_minutes, parse_start, parse_text
from handlers.actions import ID, WORD, Action, button, on, pair
from handlers.context import Turn, tell
from handlers.flow import Advance, Answer, Finish, Flow, JsonDraft, Outcome, Step
from handlers.menu import CANCEL_FLOW
from handlers.plan import change_views, conflict_views, plan_view

FLOW = "agenda"
FIELDS = ("when", "minutes", "venue", "title", "officer", "notes")  # the steps an edit can start at

OPEN_PLAN = Action("plan:open", ID)
START_ADDING = Action("plan:add", ID)
CHOOSE_PROGRAM = Action("plan:programs", ID)
APPLY_PROGRAM = Action("plan:apply", pair(ID, WORD))
SUGGEST = Action("plan:suggest", ID)
PUBLISH = Action("plan:publish", ID)
EDIT_ITEM = Action("plan:edit", ID)
EDIT_FIELD = Action("plan:field", pair(ID, WORD))
ASK_DELETE = Action("plan:del", ID)
DELETE = Action("plan:delete_yes", ID)


@dataclass
class AgendaDraft(JsonDraft):
    """A change being prepared: a new item, an edit of one, or a whole proposed plan (programme, suggestion)."""

    delegation_id: int = 0
    mode: str = EditKind.ADD.value
    item_id: int | None = None
    starts_at: str | None = None
    minutes: int | None = None
    venue_id: str | None = None
    title: str | None = None
    officer: str | None = None
    notes: str | None = None
    proposed: list[dict[str, Any]] = field(default_factory=list)

    def item(self) -> NewAgendaItem:
        assert self.starts_at and self.minutes and self.venue_id and self.title
        return NewAgendaItem(
            datetime.fromisoformat(self.starts_at), self.minutes, self.venue_id, self.title, self.officer, self.notes
        )

    def edit(self) -> Edit:
        kind = EditKind(self.mode)
        if kind is EditKind.REPLACE:
            proposed = tuple(
                NewAgendaItem(datetime.fromisoformat(r["starts_at"]), r["minutes"], r["venue_id"], r["title"])
                for r in self.proposed
            )
            return Edit(kind, proposed=proposed)
        return Edit(kind, item=self.item(), item_id=self.item_id)


# --- the plan and its buttons -----------------------------------------------------------------


async def open_agenda(turn: Turn, argument: str) -> list[Reply]:
    """/agenda: the coming visits to choose from, or /agenda CODE for one of them."""
    require_staff(turn.user, "plan a visit")
    if argument:
        return await show_plan(turn, (await visits.by_code(turn.conn, argument)).id)
    upcoming = await visits.upcoming(turn.conn, turn.today, active_only=True)
    rows = [[button("text", OPEN_PLAN(d.id), text=f"{d.institution} · {d.arrival_date:%d/%m}")] for d in upcoming]
    return [reply("agenda/choose", rows, count=len(upcoming))]


@on(OPEN_PLAN)
async def show_plan(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    items = await agenda.items(turn.conn, delegation.id)
    conflicts = await agenda.conflicts(turn, delegation, items)
    published = await agenda.is_published(turn.conn, delegation.id)
    rows: list[list[Button]] = [
        [button("agenda_add", START_ADDING(delegation.id)), button("agenda_program", CHOOSE_PROGRAM(delegation.id))],
        [button("agenda_suggest", SUGGEST(delegation.id))],
    ]
    rows += [
        [button("agenda_edit", EDIT_ITEM(item.id), number=n), button("agenda_delete", ASK_DELETE(item.id), number=n)]
        for n, item in enumerate(items, 1)
    ]
    if items and not published:
        rows.append([button("agenda_publish", PUBLISH(delegation.id))])
    return [
        reply(
            "agenda/plan",
            rows,
            plan=plan_view(turn, delegation, items),
            conflicts=conflict_views(turn, conflicts),
            published=published,
        )
    ]


@on(CHOOSE_PROGRAM)
async def choose_program(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    programs = [p for p in turn.services.venues.programs.values() if p.mode == delegation.mode.value]
    rows = [[button("text", APPLY_PROGRAM((delegation.id, p.id)), text=p.name.in_(turn.locale))] for p in programs]
    return [reply("agenda/programs", rows)]


@on(APPLY_PROGRAM)
async def propose_program(turn: Turn, target: tuple[int, str]) -> list[Reply]:
    delegation_id, program_id = target
    delegation = await agenda.for_planning(turn, delegation_id)
    program = turn.services.venues.programs.get(program_id)
    if program is None:
        raise DomainError("errors/stale_button")
    return await _propose(turn, delegation, apply_program(delegation, program, turn.services.tz))


@on(SUGGEST)
async def propose_suggestion(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    return await _propose(turn, delegation, suggest_plan(delegation, turn.services.venues, turn.services.tz))


async def _propose(turn: Turn, delegation: Delegation, items: list[NewAgendaItem]) -> list[Reply]:
    proposed = [
        {"starts_at": i.starts_at.isoformat(), "minutes": i.minutes, "venue_id": i.venue_id, "title": i.title}
        for i in items
    ]
    draft = AgendaDraft(delegation.id, mode=EditKind.REPLACE.value, proposed=proposed)
    return await AGENDA.begin(turn, draft, at="confirm")


@on(START_ADDING)
async def start_add(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    return await AGENDA.begin(turn, AgendaDraft(delegation.id))


@on(EDIT_ITEM)
async def start_edit(turn: Turn, item_id: int) -> list[Reply]:
    item = await agenda.item_for_planning(turn, item_id)
    await agenda.for_planning(turn, item.delegation_id)
    rows = [[button(f"agenda_field_{f}", EDIT_FIELD((item.id, f)))] for f in FIELDS]
    return [reply("agenda/edit_which", rows, title=item.title)]


@on(EDIT_FIELD)
async def start_edit_field(turn: Turn, target: tuple[int, str]) -> list[Reply]:
    item_id, field_name = target
    item = await agenda.item_for_planning(turn, item_id)
    if field_name not in FIELDS:
        raise DomainError("errors/stale_button")
    draft = AgendaDraft(
        item.delegation_id,
        mode=EditKind.EDIT.value,
        item_id=item.id,
        starts_at=item.starts_at.isoformat(),
        minutes=item.minutes,
        venue_id=item.venue_id,
        title=item.title,
        officer=item.host_officer,
        notes=item.notes,
    )
    return await AGENDA.begin(turn, draft, at=field_name, answered=FIELDS)  # then straight back to the summary


@on(ASK_DELETE)
async def confirm_delete(turn: Turn, item_id: int) -> list[Reply]:
    item = await agenda.item_for_planning(turn, item_id)
    rows = [[button("agenda_delete_yes", DELETE(item.id)), button("cancel_flow", OPEN_PLAN(item.delegation_id))]]
    return [reply("agenda/confirm_delete", rows, title=item.title, at=item.starts_at)]


@on(DELETE)
async def delete_confirmed(turn: Turn, item_id: int) -> list[Reply]:
    return await _saved(turn, await agenda.remove(turn, item_id))


@on(PUBLISH)
async def publish(turn: Turn, delegation_id: int) -> list[Reply]:
    published = await agenda.publish(turn, delegation_id)
    delegation, items = published.delegation, published.items
    return [
        reply("agenda/published", count=len(items)),
        *[
            tell(member, "plan/published", plan=plan_view(turn, delegation, items, locale=member.locale))
            for member in await visits.members_of(turn.conn, delegation)
        ],
    ]


# --- the steps of adding or editing an item ---------------------------------------------------


def ask_when(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_when", current_at=datetime.fromisoformat(draft.starts_at) if draft.starts_at else None)


async def take_when(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    delegation = await agenda.for_planning(turn, draft.delegation_id)
    start = parse_start(answer.text or "", default_day=delegation.arrival_date, today=turn.today, tz=turn.services.tz)
    draft.starts_at = start.isoformat()
    return Advance()


def ask_minutes(turn: Turn, draft: AgendaDraft) -> Reply:
    rows = [[button("text", AGENDA.choice("minutes", str(m)), text=f"{m}′") for m in (30, 60, 90, 120)]]
    return reply("agenda/ask_minutes", rows, current_minutes=draft.minutes)


async def take_minutes(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.minutes = parse_minutes(answer.choice or answer.text or "")
    return Advance()


def ask_venue(turn: Turn, draft: AgendaDraft) -> Reply:
    venues = turn.services.venues.venues.values()
    rows = [[button("text", AGENDA.choice("venue", v.id), text=v.name.in_(turn.locale))] for v in venues]
    return reply("agenda/ask_venue", rows)


async def take_venue(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    if answer.choice not in turn.services.venues.venues:
        raise ValidationError("errors/use_buttons")
    draft.venue_id = answer.choice
    return Advance()


def ask_title(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_title", current_text=draft.title)


async def take_title(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.title = parse_text(answer.text or "")
    return Advance()


def ask_officer(turn: Turn, draft: AgendaDraft) -> Reply:
    rows = [[button("skip", AGENDA.choice("officer", "skip"))]]
    return reply("agenda/ask_officer", rows, current_text=draft.officer)


async def take_officer(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.officer = None if answer.choice == "skip" else parse_text(answer.text or "")
    return Advance()


def ask_notes(turn: Turn, draft: AgendaDraft) -> Reply:
    return reply("agenda/ask_notes", [[button("skip", AGENDA.choice("notes", "skip"))]], current_text=draft.notes)


async def take_notes(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    draft.notes = None if answer.choice == "skip" else parse_text(answer.text or "", high=500)
    return Advance()


async def confirm_change(turn: Turn, draft: AgendaDraft) -> Reply:
    """The plan as it would be, with every conflict explained, before anything is saved."""
    delegation = await agenda.for_planning(turn, draft.delegation_id)
    plan = draft.edit().plan_after(await agenda.items(turn.conn, delegation.id))
    conflicts = await agenda.conflicts(turn, delegation, plan)
    rows = [[button("agenda_save", AGENDA.choice("confirm", "save")), button("cancel_flow", CANCEL_FLOW())]]
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
    return Finish(await _saved(turn, await agenda.save(turn, draft.delegation_id, draft.edit())))


async def _saved(turn: Turn, saved: Saved) -> list[Reply]:
    """The plan again for staff, and each member told what changed (once the plan is published)."""
    delegation = saved.delegation
    replies = [reply("agenda/saved"), *await show_plan(turn, delegation.id)]
    if saved.changes:
        for member in await visits.members_of(turn.conn, delegation):
            changes = change_views(turn.services, saved.changes, member.locale)
            replies.append(tell(member, "plan/changed", changes=changes, institution=delegation.institution))
    return replies


AGENDA: Flow[AgendaDraft] = Flow(
    FLOW,
    [
        Step("when", ask_when, take_when),
        Step("minutes", ask_minutes, take_minutes),
        Step("venue", ask_venue, take_venue),
        Step("title", ask_title, take_title),
        Step("officer", ask_officer, take_officer),
        Step("notes", ask_notes, take_notes),
        Step("confirm", confirm_change, take_confirm),
    ],
    AgendaDraft.from_json,
)
