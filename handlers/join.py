"""/gabung and /start join-CODE: a participant joins a delegation with its code."""

from __future__ import annotations

from dataclasses import dataclass

from core import agenda
from core.errors import ValidationError
from core.joincode import could_be_join_code
from core.membership import find_joinable, join
from core.messages import Reply, reply
from core.model import Delegation
from core.registration import parse_name, parse_position, parse_unit
from handlers.actions import button
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, JsonDraft, Outcome, Step, TextOnly
from handlers.menu import CANCEL_FLOW, member_buttons
from handlers.views import delegation_view, own_name_button

FLOW = "join"


@dataclass
class JoinDraft(JsonDraft):
    delegation_id: int | None = None
    name: str | None = None
    position: str | None = None
    unit: str | None = None


def ask_code(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_code")


async def take_code(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    if answer.text is None:
        raise ValidationError("errors/type_answer")
    delegation = await find_joinable(turn, answer.text)
    draft.delegation_id = delegation.id
    return Advance([_welcome(turn, delegation)])


def ask_name(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_name", own_name_button(turn, JOINING.choice("name", "me")))


async def take_name(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    draft.name = parse_name(turn.user.display_name if answer.choice == "me" else (answer.text or ""))
    return Advance()


def ask_position(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_position", name=draft.name or "")


async def take_position(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    draft.position = parse_position(answer.text or "")
    return Advance()


def ask_unit(turn: Turn, draft: JoinDraft) -> Reply:
    return reply("join/ask_unit", [[button("skip", JOINING.choice("unit", "skip"))]])


async def take_unit(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    skipped = answer.choice == "skip"
    draft.unit = None if skipped else parse_unit(answer.text or "", turn.services.content.skip_words)
    return Advance()


def confirm_join(turn: Turn, draft: JoinDraft) -> Reply:
    rows = [
        [
            button("edit_name", JOINING.choice("confirm", "edit:name")),
            button("edit_position", JOINING.choice("confirm", "edit:position")),
            button("edit_unit", JOINING.choice("confirm", "edit:unit")),
        ],
        [button("confirm", JOINING.choice("confirm", "yes"))],
        [button("cancel_flow", CANCEL_FLOW())],
    ]
    return reply("join/confirm", rows, name=draft.name or "", position=draft.position or "", unit=draft.unit)


async def take_confirm(turn: Turn, draft: JoinDraft, answer: Answer) -> Outcome:
    if answer.choice in ("edit:name", "edit:position", "edit:unit"):
        return GoTo(answer.choice[5:])
    if answer.choice != "yes" or draft.delegation_id is None or not draft.name or not draft.position:
        raise ValidationError("errors/use_buttons")
    delegation = await join(turn, draft.delegation_id, name=draft.name, position=draft.position, unit=draft.unit)
    published = await agenda.is_published(turn.conn, delegation.id)  # joining late: the plan went out before
    view = delegation_view(turn, delegation)
    return Finish([reply("join/joined", [member_buttons()], delegation=view, name=draft.name, published=published)])


JOINING: Flow[JoinDraft] = Flow(
    FLOW,
    [
        Step("code", ask_code, take_code, text_only=TextOnly(could_be_join_code, "join/still_waiting")),
        Step("name", ask_name, take_name),
        Step("position", ask_position, take_position),
        Step("unit", ask_unit, take_unit),
        Step("confirm", confirm_join, take_confirm),
    ],
    JoinDraft.from_json,
)


async def start_join(turn: Turn, typed_code: str | None) -> list[Reply]:
    """Begin joining; with a code (from /gabung CODE or a deep link) it is checked straight away."""
    if not typed_code:
        return await JOINING.begin(turn, JoinDraft())
    try:
        delegation = await find_joinable(turn, typed_code)
    except ValidationError as error:
        return [Reply(error.template, error.params), *await JOINING.begin(turn, JoinDraft())]
    return await _joining(turn, delegation)


async def join_with_typed_code(turn: Turn, text: str) -> list[Reply] | None:
    """Text typed outside the join step that is shaped like a code is an attempt to join, never a question; None
    for any other text. A wrong code is answered without opening the step: the next code typed is checked alike."""
    if not could_be_join_code(text):
        return None
    return await _joining(turn, await find_joinable(turn, text))


async def _joining(turn: Turn, delegation: Delegation) -> list[Reply]:
    draft = JoinDraft(delegation_id=delegation.id)
    return [_welcome(turn, delegation), *await JOINING.begin(turn, draft, answered=("code",))]


def _welcome(turn: Turn, delegation: Delegation) -> Reply:
    return reply("join/welcome", delegation=delegation_view(turn, delegation))
