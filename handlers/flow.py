"""A small step engine shared by the multi-step conversations (registration, joining).

A flow is an ordered list of steps. Each step asks a question (`ask`) and takes the answer
(`take`), which either fills the draft and lets the engine move on, or raises ValidationError,
which is shown before the same question is asked again. The engine always moves to the first
applicable step that is not filled yet, so editing one answer from the summary returns to the
summary, and an edit that invalidates a later answer (by clearing it) asks that one again.
The draft and the current step are saved after every message, so a restart loses nothing.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from core.errors import DomainError, ValidationError
from core.messages import Reply
from handlers.context import Turn
from storage.conversations import Conversation, clear_conversation, save_conversation

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
        return asdict(cast(Any, self))


D = TypeVar("D", bound=Draft)


@dataclass(frozen=True)
class Answer:
    """What the user gave for the current step: typed text, or the value of a step's button."""

    text: str | None = None
    choice: str | None = None


@dataclass(frozen=True)
class Advance:
    """The answer was taken; move to the next step that still needs an answer (after these replies)."""

    replies: list[Reply] = field(default_factory=list)


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
class Step(Generic[D]):
    name: str
    ask: Callable[[Turn, D], Reply | Awaitable[Reply]]  # async when the question needs the database
    take: Callable[[Turn, D, Answer], Awaitable[Outcome]]
    filled: Callable[[D], bool]
    applies: Callable[[D], bool] = lambda draft: True


class Flow(Generic[D]):
    def __init__(self, name: str, steps: list[Step[D]], load_draft: Callable[[dict[str, Any]], D]) -> None:
        self.name = name
        self.steps = {step.name: step for step in steps}
        self._order = steps
        self._load_draft = load_draft

    def action(self, step: str, value: str) -> str:
        """The button action for a value of a step, e.g. "reg:province:35"."""
        return f"{self.name}:{step}:{value}"

    def draft_of(self, conversation: Conversation) -> D:
        return self._load_draft(conversation.data)

    def next_step(self, draft: D) -> Step[D]:
        for step in self._order:
            if step.applies(draft) and not step.filled(draft):
                return step
        return self._order[-1]

    async def begin(self, turn: Turn, draft: D, at: str | None = None) -> list[Reply]:
        step = self.steps[at] if at else self.next_step(draft)
        return await self._move(turn, draft, step)

    async def ask_again(self, turn: Turn, conversation: Conversation) -> list[Reply]:
        draft = self.draft_of(conversation)
        return [await _ask(self.steps[conversation.step], turn, draft)]

    async def handle(self, turn: Turn, conversation: Conversation, answer: Answer) -> list[Reply]:
        step = self.steps.get(conversation.step)
        if step is None:  # a step renamed by an upgrade: carry on where the draft says
            return await self.begin(turn, self.draft_of(conversation))
        draft = self.draft_of(conversation)
        try:
            outcome = await step.take(turn, draft, answer)
        except ValidationError as error:
            return [Reply(error.template, error.params), await _ask(step, turn, draft)]
        except DomainError as error:  # the flow cannot go on (e.g. the delegation was cancelled meanwhile)
            await clear_conversation(turn.conn, turn.user.id)
            return [Reply(error.template, error.params)]
        if isinstance(outcome, Finish):
            await clear_conversation(turn.conn, turn.user.id)
            return outcome.replies
        if isinstance(outcome, Stay):
            await self._save(turn, draft, step)
            return outcome.replies
        if isinstance(outcome, GoTo):
            return await self._move(turn, draft, self.steps[outcome.step])
        return [*outcome.replies, *await self._move(turn, draft, self.next_step(draft))]

    async def _move(self, turn: Turn, draft: D, step: Step[D]) -> list[Reply]:
        await self._save(turn, draft, step)
        return [await _ask(step, turn, draft)]

    async def _save(self, turn: Turn, draft: D, step: Step[D]) -> None:
        await save_conversation(
            turn.conn, turn.user.id, self.name, step.name, draft.to_json(), turn.services.clock.now()
        )


async def _ask(step: Step[D], turn: Turn, draft: D) -> Reply:
    question = step.ask(turn, draft)
    return await question if inspect.isawaitable(question) else question
