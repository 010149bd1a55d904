"""/gabung and /start join-CODE: a participant joins a delegation with its code."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationError
from core.membership import find_joinable, join
from core.messages import Reply, button, reply
from core.registration import POSITION_LENGTH, parse_name
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, JsonDraft, Outcome, Step
from handlers.registration import own_name_button
from handlers.reminders import resync_delegation
from handlers.views import delegation_view
from storage.delegations import Delegation

FLOW = "join"
UNIT_LENGTH = 120


@dataclass
class JoinDraft(JsonDraft):
    delegation_id: int | None = None
    name: str | None = None
    position: str | None = None
    unit: str | None = None
    unit_done: bool = False


def _a(step: str, value: str) -> str:
    return f"{FLOW}:{step}:{value}"


def ask_code(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_code")


async def take_code(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    if answer.text is None:
        raise ValidationError("errors/type_answer")
    delegation = await find_joinable(turn.conn, turn.user, answer.text, turn.services.clock)
    draft.delegation_id = delegation.id
    return Advance([_welcome(turn, delegation)])


def ask_name(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_name", own_name_button(turn, _a("name", "me")))


async def take_name(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    draft.name = parse_name(turn.user.display_name if answer.choice == "me" else (answer.text or ""))
    return Advance()


def ask_position(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_position", name=draft.name or "")


async def take_position(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    position = " ".join((answer.text or "").split())
    if not POSITION_LENGTH[0] <= len(position) <= POSITION_LENGTH[1]:
        raise ValidationError("join/errors/position", low=POSITION_LENGTH[0], high=POSITION_LENGTH[1])
    draft.position = position
    return Advance()


def ask_unit(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_unit", [[button("skip", _a("unit", "skip"))]])


async def take_unit(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    if answer.choice == "skip":
        draft.unit = None
    else:
        unit = " ".join((answer.text or "").split())
        if unit.lower() in turn.services.content.skip_words:
            draft.unit = None
        elif not 2 <= len(unit) <= UNIT_LENGTH:
            raise ValidationError("join/errors/unit", high=UNIT_LENGTH)
        else:
            draft.unit = unit
    draft.unit_done = True
    return Advance()


def confirm_join(turn: Turn, draft: JoinDraft) -> Reply:
    rows = [
        [
            button("edit_name", _a("confirm", "edit:name")),
            button("edit_position", _a("confirm", "edit:position")),
            button("edit_unit", _a("confirm", "edit:unit")),
        ],
        [button("confirm", _a("confirm", "yes"))],
        [button("cancel_flow", "flow:cancel")],
    ]
    return reply("join/confirm", rows, name=draft.name or "", position=draft.position or "", unit=draft.unit)


async def take_confirm(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    if answer.choice in ("edit:name", "edit:position", "edit:unit"):
        return GoTo(answer.choice[5:])
    if answer.choice != "yes" or draft.delegation_id is None or not draft.name or not draft.position:
        raise ValidationError("errors/use_buttons")
    delegation, _ = await join(
        turn.conn,
        turn.user,
        draft.delegation_id,
        name=draft.name,
        position=draft.position,
        unit=draft.unit,
        clock=turn.services.clock,
    )
    await resync_delegation(turn, delegation.id)  # a published plan's reminders now include the new member
    return Finish([reply("join/joined", delegation=delegation_view(turn, delegation), name=draft.name)])


JOINING: Flow[JoinDraft] = Flow(
    FLOW,
    [
        Step("code", ask_code, take_code, lambda d: d.delegation_id is not None),
        Step("name", ask_name, take_name, lambda d: d.name is not None),
        Step("position", ask_position, take_position, lambda d: d.position is not None),
        Step("unit", ask_unit, take_unit, lambda d: d.unit_done),
        Step("confirm", confirm_join, take_confirm, lambda d: False),
    ],
    JoinDraft.from_json,
)


async def start_join(turn: Turn, typed_code: str | None) -> list[Reply]:
    """Begin joining; with a code (from /gabung CODE or a deep link) it is checked straight away."""
    if not typed_code:
        return await JOINING.begin(turn, JoinDraft())
    try:
        delegation = await find_joinable(turn.conn, turn.user, typed_code, turn.services.clock)
    except ValidationError as error:
        return [Reply(error.template, error.params), *await JOINING.begin(turn, JoinDraft())]
    return [_welcome(turn, delegation), *await JOINING.begin(turn, JoinDraft(delegation_id=delegation.id))]


def _welcome(turn: Turn, delegation: Delegation) -> Reply:
    return reply("join/welcome", delegation=delegation_view(turn, delegation))
