"""/agenda (host staff): build a delegation's plan by chat — apply a programme, take a suggestion, add, move,
edit or remove items — with every conflict shown before anything is saved, then publish it to the members.

Leaving a change (Batal, /batal) goes back to the plan, a programme or a suggestion for a plan that has items
asks whether to replace them or add to them, a plan with conflicts is saved or published only by the explicit
"walau bentrok" button, and publishing says first who will be told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import agenda, visits
from core.agenda import Edit, EditKind, Saved, title_in
from core.errors import DomainError, ValidationError
from core.itinerary import Suggestion, apply_program, suggest_plan
from core.messages import Button, Reply, reply
from core.model import Delegation, NewAgendaItem
from core.people import require_staff
from core.plan_input import parse_minutes, parse_start, parse_text
from handlers.actions import ID, WORD, Action, button, on, pair
from handlers.context import Turn, tell
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, JsonDraft, Outcome, Step
from handlers.menu import CANCEL_FLOW
from handlers.plan import change_views, conflict_views, in_order, plan_view

FLOW = "agenda"
FIELDS = ("when", "minutes", "venue", "title", "officer", "notes")  # the steps an edit can start at
PROPOSALS = (EditKind.REPLACE.value, EditKind.APPEND.value)  # the modes of a programme's or a suggestion's items

OPEN_PLAN = Action("plan:open", ID)
START_ADDING = Action("plan:add", ID)
CHOOSE_PROGRAM = Action("plan:programs", ID)
APPLY_PROGRAM = Action("plan:apply", pair(ID, WORD))
SUGGEST = Action("plan:suggest", ID)
PUBLISH = Action("plan:publish", ID)  # asks first: who will be told, and any conflict
PUBLISH_CONFIRMED = Action("plan:publish_yes", ID)
PUBLISH_DESPITE_CONFLICTS = Action("plan:publish_anyway", ID)
EDIT_ITEM = Action("plan:edit", ID)
EDIT_FIELD = Action("plan:field", pair(ID, WORD))
ASK_DELETE = Action("plan:del", ID)
DELETE = Action("plan:delete_yes", ID)
SAVE, SAVE_DESPITE_CONFLICTS = "save", "despite"  # the values of the confirm step's buttons


@dataclass
class AgendaDraft(JsonDraft):
    """A change being prepared: a new item, an edit of one, or a programme's or a suggestion's items."""

    delegation_id: int = 0
    mode: str = EditKind.ADD.value
    item_id: int | None = None
    starts_at: str | None = None
    minutes: int | None = None
    venue_id: str | None = None
    title: str | None = None
    title_en: str | None = None  # from content; None once staff type the title
    officer: str | None = None
    notes: str | None = None
    proposed: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # a suggestion's topics it found no venue for

    def item(self) -> NewAgendaItem:
        assert self.starts_at and self.minutes and self.venue_id and self.title
        start = datetime.fromisoformat(self.starts_at)
        return NewAgendaItem(start, self.minutes, self.venue_id, self.title, self.officer, self.notes, self.title_en)

    def edit(self) -> Edit:
        kind = EditKind(self.mode)
        if kind in (EditKind.REPLACE, EditKind.APPEND):
            proposed = tuple(
                NewAgendaItem(
                    datetime.fromisoformat(r["starts_at"]),
                    r["minutes"],
                    r["venue_id"],
                    r["title"],
                    title_en=r.get("title_en"),  # a draft kept before titles had their English
                )
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
    """The plan with its items numbered as their edit and remove buttons are."""
    delegation = await agenda.for_planning(turn, delegation_id)
    items = in_order(await agenda.items(turn.conn, delegation.id))
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
            plan=plan_view(turn, delegation, items, numbered=True),
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
    items = apply_program(delegation, program, turn.services.tz)
    return await _propose(turn, delegation, Suggestion(items, ()))


@on(SUGGEST)
async def propose_suggestion(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    services = turn.services
    return await _propose(turn, delegation, suggest_plan(delegation, services.venues, services.tz, services.planning))


async def _propose(turn: Turn, delegation: Delegation, suggestion: Suggestion) -> list[Reply]:
    """A programme's or a suggestion's items, shown before saving; a plan with items asks first what they do to it."""
    proposed = [
        {
            "starts_at": i.starts_at.isoformat(),
            "minutes": i.minutes,
            "venue_id": i.venue_id,
            "title": i.title,
            "title_en": i.title_en,
        }
        for i in suggestion.items
    ]
    unplaced = list(suggestion.unplaced_topics)
    draft = AgendaDraft(delegation.id, mode=EditKind.REPLACE.value, proposed=proposed, unplaced=unplaced)
    existing = await agenda.items(turn.conn, delegation.id)
    return await AGENDA.begin(turn, draft, at="combine" if existing else "confirm")


@on(START_ADDING)
async def start_add(turn: Turn, delegation_id: int) -> list[Reply]:
    delegation = await agenda.for_planning(turn, delegation_id)
    return await AGENDA.begin(turn, AgendaDraft(delegation.id))


@on(EDIT_ITEM)
async def start_edit(turn: Turn, item_id: int) -> list[Reply]:
    item = await agenda.item_for_planning(turn, item_id)
    await agenda.for_planning(turn, item.delegation_id)
    rows = [[button(f"agenda_field_{f}", EDIT_FIELD((item.id, f)))] for f in FIELDS]
    return [reply("agenda/edit_which", rows, title=title_in(item, turn.locale))]


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
        title_en=item.title_en,
        officer=item.host_officer,
        notes=item.notes,
    )
    return await AGENDA.begin(turn, draft, at=field_name, answered=FIELDS)  # then straight back to the summary


@on(ASK_DELETE)
async def confirm_delete(turn: Turn, item_id: int) -> list[Reply]:
    item = await agenda.item_for_planning(turn, item_id)
    rows = [[button("agenda_delete_yes", DELETE(item.id)), button("cancel_flow", OPEN_PLAN(item.delegation_id))]]
    return [reply("agenda/confirm_delete", rows, title=title_in(item, turn.locale), at=item.starts_at)]


@on(DELETE)
async def delete_confirmed(turn: Turn, item_id: int) -> list[Reply]:
    return await _saved(turn, await agenda.remove(turn, item_id))


# --- publishing -------------------------------------------------------------------------------


@on(PUBLISH)
async def confirm_publish(turn: Turn, delegation_id: int) -> list[Reply]:
    """Before the plan goes out: who will be sent it, and its conflicts (then publishing them is explicit)."""
    delegation = await agenda.for_planning(turn, delegation_id)
    if await agenda.is_published(turn.conn, delegation.id):
        raise DomainError("agenda/errors/already_published")
    items = await agenda.items(turn.conn, delegation.id)
    conflicts = await agenda.conflicts(turn, delegation, items)
    told = await agenda.told_of(turn.conn, delegation)
    go = (
        button("agenda_publish_anyway", PUBLISH_DESPITE_CONFLICTS(delegation.id))
        if conflicts
        else button("agenda_publish_confirm", PUBLISH_CONFIRMED(delegation.id))
    )
    rows = [[go], [button("cancel_flow", OPEN_PLAN(delegation.id))]]
    return [
        reply(
            "agenda/confirm_publish",
            rows,
            institution=delegation.institution,
            count=len(items),
            recipients=len(told.recipients),
            coordinator_told=told.coordinator,
            joined_count=told.participants,
            conflicts=conflict_views(turn, conflicts),
        )
    ]


@on(PUBLISH_CONFIRMED)
async def publish(turn: Turn, delegation_id: int) -> list[Reply]:
    return await _publish(turn, delegation_id, despite_conflicts=False)


@on(PUBLISH_DESPITE_CONFLICTS)
async def publish_despite_conflicts(turn: Turn, delegation_id: int) -> list[Reply]:
    return await _publish(turn, delegation_id, despite_conflicts=True)


async def _publish(turn: Turn, delegation_id: int, *, despite_conflicts: bool) -> list[Reply]:
    try:
        published = await agenda.publish(turn, delegation_id, despite_conflicts=despite_conflicts)
    except ValidationError as error:  # a conflict came up since the confirmation was shown: show it
        return [Reply(error.template, error.params), *await confirm_publish(turn, delegation_id)]
    delegation, items = published.delegation, published.items
    told = await agenda.told_of(turn.conn, delegation)
    return [
        reply("agenda/published", count=len(items)),
        *[
            tell(member, "plan/published", plan=plan_view(turn, delegation, items, locale=member.locale))
            for member in told.recipients
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
    """A typed title is shown to everyone as typed: the content's English one no longer fits it."""
    draft.title = parse_text(answer.text or "")
    draft.title_en = None
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


async def ask_combine(turn: Turn, draft: AgendaDraft) -> Reply:
    """A programme or a suggestion for a plan that has items: replace them, or add to them?"""
    existing = await agenda.items(turn.conn, draft.delegation_id)
    rows = [
        [button("agenda_replace", AGENDA.choice("combine", EditKind.REPLACE.value))],
        [button("agenda_append", AGENDA.choice("combine", EditKind.APPEND.value))],
        [button("cancel_flow", CANCEL_FLOW())],
    ]
    return reply("agenda/combine", rows, existing=len(existing))


async def take_combine(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    if answer.choice not in PROPOSALS:
        raise ValidationError("errors/use_buttons")
    draft.mode = answer.choice
    return GoTo("confirm")


async def confirm_change(turn: Turn, draft: AgendaDraft) -> Reply:
    """The plan as it would be, with every conflict explained, before anything is saved; with conflicts, saving
    is the explicit "Simpan walau bentrok"."""
    delegation = await agenda.for_planning(turn, draft.delegation_id)
    before = await agenda.items(turn.conn, delegation.id)
    plan = draft.edit().plan_after(before)
    conflicts = await agenda.conflicts(turn, delegation, plan)
    save = (
        button("agenda_save_anyway", AGENDA.choice("confirm", SAVE_DESPITE_CONFLICTS))
        if conflicts
        else button("agenda_save", AGENDA.choice("confirm", SAVE))
    )
    return reply(
        "agenda/confirm",
        [[save, button("cancel_flow", CANCEL_FLOW())]],
        mode=draft.mode,
        existing=len(before),
        plan=plan_view(turn, delegation, plan),
        conflicts=conflict_views(turn, conflicts),
        unplaced=[turn.services.content.theme(t) for t in draft.unplaced],
    )


async def take_confirm(turn: Turn, draft: AgendaDraft, answer: Answer) -> Outcome:
    if answer.choice not in (SAVE, SAVE_DESPITE_CONFLICTS):
        raise ValidationError("errors/use_buttons")
    despite = answer.choice == SAVE_DESPITE_CONFLICTS
    saved = await agenda.save(turn, draft.delegation_id, draft.edit(), despite_conflicts=despite)
    return Finish(await _saved(turn, saved))


async def back_to_plan(turn: Turn, draft: AgendaDraft) -> list[Reply]:
    """Leaving a change goes back to the plan it was made on (not to the main menu, whose numbers differ)."""
    return [reply("menu/cancelled_agenda"), *await show_plan(turn, draft.delegation_id)]


async def _saved(turn: Turn, saved: Saved) -> list[Reply]:
    """The plan again for staff, and each member told what changed (once the plan is published)."""
    delegation = saved.delegation
    replies = [reply("agenda/saved"), *await show_plan(turn, delegation.id)]
    if saved.changes:
        for member in (await agenda.told_of(turn.conn, delegation)).recipients:
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
        Step("combine", ask_combine, take_combine, applies=lambda draft: draft.mode in PROPOSALS),
        Step("confirm", confirm_change, take_confirm),
    ],
    AgendaDraft.from_json,
    on_cancel=back_to_plan,
)
