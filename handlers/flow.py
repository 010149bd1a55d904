"""A small step engine shared by the multi-step conversations (registration, joining, planning, deciding,
broadcasting, answering a question).

A flow is an ordered list of steps. Each step asks a question (`ask`) and takes the answer (`take`),
which either fills the draft and lets the engine move on, or raises ValidationError, which is shown
before the same question is asked again. The engine remembers which steps were answered and always
moves to the first applicable step not answered yet: editing one answer from the summary returns to
the summary, and a step whose answer invalidates another reopens it (`Advance(reopen=…)`), so that
one is asked again. Draft, step and answered steps are saved after every message: a restart loses
nothing.

Each step's buttons are actions of their own ("reg:province:35"), declared by the flow: a button of a
step the user is no longer at is stale. A flow started from a screen (a plan being edited) may name where
leaving it goes back to (`on_cancel`); otherwise /batal and the Batal button end at the main menu.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from core import conversations
from core.errors import DomainError, ValidationError
from core.messages import Reply
from core.model import Conversation
from handlers.actions import ACTIONS, TEXT, Action, ActionData, StaleButton
from handlers.context import Turn

logger = logging.getLogger(__name__)


class Draft(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class JsonDraft:
    """Mixin for dataclass drafts saved as JSON in the conversation row; keys an older version saved and
    this one no longer has are ignored, so an upgrade never breaks a conversation in progress."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        known = getattr(cls, "__dataclass_fields__", {})
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        """The fields as they are when they are plain values or lists of them (a draft's usual answers, saved after
        every message); asdict, which copies every value deeply, only for a draft that holds anything else."""
        values = {name: getattr(self, name) for name in _field_names(type(self))}
        if all(_plain(value) for value in values.values()):
            return values
        return asdict(cast(Any, self))


_PLAIN = (str, int, float, bool, type(None))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _plain(value: object) -> bool:
    if type(value) in _PLAIN:
        return True
    return type(value) in (list, tuple) and all(type(v) in _PLAIN for v in cast(list[object], value))


D = TypeVar("D", bound=Draft)
T = TypeVar("T")


def one_of(lookup: Callable[[str], T], value: str) -> T:
    """What a step's button names; a value no button carries (forged, or from content since changed) asks again."""
    try:
        return lookup(value)
    except (KeyError, ValueError):
        raise ValidationError("errors/use_buttons") from None


@dataclass(frozen=True)
class Answer:
    """What the user gave for the current step: typed text, or the value of a step's button."""

    text: str | None = None
    choice: str | None = None


@dataclass(frozen=True)
class Advance:
    """The answer was taken; move to the next step not answered yet (after these replies).

    `reopen` names steps whose earlier answers this one made wrong: they are asked again.
    """

    replies: list[Reply] = field(default_factory=list)
    reopen: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stay:
    """The answer changed the draft but the step goes on (a multi-select toggle)."""

    replies: list[Reply] = field(default_factory=list)


@dataclass(frozen=True)
class Finish:
    """The flow is complete; these replies close it."""

    replies: list[Reply]


@dataclass(frozen=True)
class GoTo:
    """Ask a particular step next (editing one answer from the summary)."""

    step: str


Outcome = Advance | Stay | Finish | GoTo


@dataclass(frozen=True)
class TextOnly:
    """A step that takes only text of one shape (a join code). Other text is no answer to it, not even a wrong one:
    the router answers it as it would outside the flow and adds `waiting`, the template of one line saying the step
    still waits. A question typed at such a step is answered, not refused (or counted) as a bad answer."""

    accepts: Callable[[str], bool]
    waiting: str


@dataclass(frozen=True)
class Step(Generic[D]):
    name: str
    ask: Callable[[Turn, D], Reply | Awaitable[Reply]]  # async when the question needs the database
    take: Callable[[Turn, D, Answer], Awaitable[Outcome]]
    applies: Callable[[D], bool] = lambda draft: True
    text_only: TextOnly | None = None  # None: any text is an answer (a wrong one is asked again)


Cancelled = Callable[[Turn, D], Awaitable[list[Reply]]]
"""Where leaving a flow goes back to: the replies that show that screen again."""


class Flow(Generic[D]):
    def __init__(
        self,
        name: str,
        steps: list[Step[D]],
        load_draft: Callable[[dict[str, Any]], D],
        *,
        on_cancel: Cancelled[D] | None = None,
    ) -> None:
        self.name = name
        self.steps = {step.name: step for step in steps}
        self._order = steps
        self._load_draft = load_draft
        self._on_cancel = on_cancel
        self._choices = {step.name: Action(f"{name}:{step.name}", TEXT) for step in steps}
        for step_name, action in self._choices.items():
            ACTIONS.bind(action, self._press_handler(step_name))
        if name in _FLOWS:
            raise ValueError(f"flow {name!r} is declared twice")
        _FLOWS[name] = self

    def choice(self, step: str, value: str) -> ActionData:
        """The button action for a value of a step, e.g. "reg:province:35"."""
        return self._choices[step](value)

    def draft_of(self, conversation: Conversation) -> D:
        return self._load_draft(conversation.data)

    def answered_of(self, conversation: Conversation) -> frozenset[str]:
        """The steps answered; a conversation saved before they were recorded counts the steps before its own."""
        if conversation.answered is not None:
            return frozenset(conversation.answered)
        names = [step.name for step in self._order]
        return frozenset(names[: names.index(conversation.step)] if conversation.step in names else ())

    def next_step(self, draft: D, answered: Iterable[str]) -> Step[D]:
        done = set(answered)
        for step in self._order:
            if step.applies(draft) and step.name not in done:
                return step
        return self._order[-1]

    async def begin(self, turn: Turn, draft: D, at: str | None = None, answered: Iterable[str] = ()) -> list[Reply]:
        """Start the flow with this draft: at the step named, or at the first not answered yet."""
        done = frozenset(answered)
        step = self.steps[at] if at else self.next_step(draft, done)
        return await self._move(turn, draft, step, done)

    def declines(self, conversation: Conversation, text: str) -> Reply | None:
        """The line to add when the current step takes no such text (see TextOnly); None when it is an answer."""
        step = self.steps.get(conversation.step)
        if step is None or step.text_only is None or step.text_only.accepts(text):
            return None
        return Reply(step.text_only.waiting)

    async def cancel(self, turn: Turn, conversation: Conversation) -> list[Reply] | None:
        """Leave the flow, its draft dropped; the screen it goes back to, or None for the caller's main menu."""
        await conversations.forget(turn)
        if self._on_cancel is None:
            return None
        return await self._on_cancel(turn, self.draft_of(conversation))

    async def ask_again(self, turn: Turn, conversation: Conversation) -> list[Reply]:
        draft = self.draft_of(conversation)
        step = self.steps.get(conversation.step) or self.next_step(draft, self.answered_of(conversation))
        return [await _ask(step, turn, draft)]

    async def handle(self, turn: Turn, conversation: Conversation, answer: Answer) -> list[Reply]:
        draft = self.draft_of(conversation)
        answered = self.answered_of(conversation)
        step = self.steps.get(conversation.step)
        if step is None:  # a step renamed by an upgrade: carry on where the answers say
            return await self.begin(turn, draft, answered=answered)
        try:
            outcome = await step.take(turn, draft, answer)
        except ValidationError as error:
            return [Reply(error.template, error.params), await _ask(step, turn, draft)]
        except DomainError as error:  # the flow cannot go on (e.g. the delegation was cancelled meanwhile)
            await conversations.forget(turn)
            return [Reply(error.template, error.params)]
        if isinstance(outcome, Finish):
            await conversations.forget(turn)
            return outcome.replies
        if isinstance(outcome, Stay):
            await self._save(turn, draft, step, answered)
            return outcome.replies
        if isinstance(outcome, GoTo):
            return await self._move(turn, draft, self.steps[outcome.step], answered)
        answered = (answered | {step.name}) - set(outcome.reopen)
        return [*outcome.replies, *await self._move(turn, draft, self.next_step(draft, answered), answered)]

    async def _move(self, turn: Turn, draft: D, step: Step[D], answered: frozenset[str]) -> list[Reply]:
        await self._save(turn, draft, step, answered)
        return [await _ask(step, turn, draft)]

    async def _save(self, turn: Turn, draft: D, step: Step[D], answered: frozenset[str]) -> None:
        ordered = tuple(s.name for s in self._order if s.name in answered)
        await conversations.remember(turn, self.name, step.name, draft.to_json(), ordered)

    def _press_handler(self, step_name: str) -> Callable[[Turn, str], Awaitable[list[Reply]]]:
        async def pressed(turn: Turn, value: str) -> list[Reply]:
            """A button of this step: taken only while the user is at this step of this flow."""
            conversation = turn.conversation
            if conversation is None or conversation.flow != self.name or conversation.step != step_name:
                raise StaleButton
            return await self.handle(turn, conversation, Answer(choice=value))

        return pressed


_FLOWS: dict[str, Flow[Any]] = {}
"""Every flow by name, filled as the handler modules declare them (as the action table is)."""


def flow_named(name: str) -> Flow[Any] | None:
    return _FLOWS.get(name)


async def _ask(step: Step[D], turn: Turn, draft: D) -> Reply:
    question = step.ask(turn, draft)
    return await question if inspect.isawaitable(question) else question
