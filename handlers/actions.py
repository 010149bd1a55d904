"""Button actions, declared once with the type of their argument, and the table the router looks them up in.

A declaration names the action and how its argument is written into the button:

    APPROVE = Action("appr:approve", ID)          # declared next to the handler that takes it
    button("approve", APPROVE(delegation.id))     # "appr:approve:42", checked against the 64-byte limit

    @on(APPROVE)
    async def approve(turn: Turn, delegation_id: int) -> list[Reply]: ...

The router reads a pressed button's data back with `resolve`: the key picks the handler, the argument
is parsed with the declared type, and anything malformed or unknown (an old button, a forged one) is
None, which the router answers with the stale-button message. The data format ("key:argument") is what
buttons already sent to users carry, so a button pressed after an upgrade still works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, NewType, TypeVar, overload

from core.messages import CALLBACK_DATA_LIMIT, Button, Label, Reply

if TYPE_CHECKING:
    from handlers.context import Turn

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
ActionData = NewType("ActionData", str)
"""What a button carries: built only by a declared action."""


class Arg(Generic[T]):
    """How an action's argument is written into button data and read back (None: not a valid argument)."""

    def __init__(self, name: str, dump: Callable[[T], str], load: Callable[[str], T | None]) -> None:
        self.name = name
        self.dump = dump
        self.load = load


MAX_ID = 2**63 - 1  # SQLite's largest integer: a forged id past it is no row, not an overflow


def _load_id(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def _load_word(text: str) -> str | None:
    return text if text and ":" not in text else None


def _load_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


ID: Arg[int] = Arg("id", str, _load_id)
"""A row id (a delegation, an item, a question)."""
WORD: Arg[str] = Arg("word", str, _load_word)
"""A content id or a command name: not empty, no colon."""
TEXT: Arg[str] = Arg("text", str, lambda text: text)
"""Anything, colons and emptiness included (the values of a flow step's buttons)."""
DAY: Arg[date] = Arg("day", date.isoformat, _load_day)


def pair(first: Arg[A], second: Arg[B]) -> Arg[tuple[A, B]]:
    """Two arguments, "first:second" (the first may not contain a colon)."""

    def load(text: str) -> tuple[A, B] | None:
        head, colon, tail = text.partition(":")
        a, b = (first.load(head), second.load(tail)) if colon else (None, None)
        return None if a is None or b is None else (a, b)

    return Arg(f"{first.name}:{second.name}", lambda value: f"{first.dump(value[0])}:{second.dump(value[1])}", load)


class StaleButton(Exception):
    """A button pressed after its moment passed (or one nobody offered): the router says so and goes on."""


def _checked(data: str) -> ActionData:
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"button action over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return ActionData(data)


@dataclass(frozen=True)
class Action(Generic[T]):
    """A button action with one argument of a declared type."""

    key: str
    arg: Arg[T]

    def __call__(self, value: T) -> ActionData:
        return _checked(f"{self.key}:{self.arg.dump(value)}")


@dataclass(frozen=True)
class Signal:
    """A button action without an argument ("priv:erase")."""

    key: str

    def __call__(self) -> ActionData:
        return _checked(self.key)


def button(label: str, action: ActionData, **params: Any) -> Button:
    """A button labelled by the macro `label` of templates/<locale>/_labels.j2, pressing `action`."""
    return Button(Label(label, params), action)


Handler = Callable[..., Awaitable[list[Reply]]]
Pressed = Callable[["Turn"], Awaitable[list[Reply]]]
"""A handler ready to run: the argument, if any, already read from the button."""


async def _call(handler: Handler, value: object, turn: Turn) -> list[Reply]:
    return await handler(turn, value)


class ActionTable:
    """Every declared action and the handler bound to it; keys have one or two parts ("menu", "appr:load")."""

    def __init__(self) -> None:
        self._actions: dict[str, tuple[Action[Any] | Signal, Handler]] = {}

    def bind(self, action: Action[Any] | Signal, handler: Handler) -> None:
        key = action.key
        if key in self._actions:
            raise ValueError(f"button action {key!r} is declared twice")
        head = key.partition(":")[0]
        if (head != key and head in self._actions) or any(k.partition(":")[0] == key for k in self._actions):
            raise ValueError(f"button action {key!r} would be ambiguous with another")
        self._actions[key] = (action, handler)

    def resolve(self, data: str) -> Pressed | None:
        """The handler call a pressed button asks for, or None when its data matches no declaration."""
        parts = data.split(":", 2)
        for size in (2, 1):
            if len(parts) < size:
                continue
            key = ":".join(parts[:size])
            found = self._actions.get(key)
            if found is None:
                continue
            action, handler = found
            rest = data[len(key) + 1 :] if len(data) > len(key) else None
            if isinstance(action, Signal):
                return handler if rest is None else None
            value = action.arg.load(rest) if rest is not None else None
            return None if value is None else partial(_call, handler, value)
        return None

    def declared(self) -> list[str]:
        return sorted(self._actions)


ACTIONS = ActionTable()
"""The one table: filled as the handler modules are imported (handlers/router.py imports them all)."""


@overload
def on(action: Signal) -> Callable[[Pressed], Pressed]: ...


@overload
def on(
    action: Action[T],
) -> Callable[[Callable[[Turn, T], Awaitable[list[Reply]]]], Callable[[Turn, T], Awaitable[list[Reply]]]]: ...


def on(action: Action[Any] | Signal) -> Callable[[Handler], Handler]:
    """Bind the decorated function as the handler of a pressed `action`."""

    def bind(handler: Handler) -> Handler:
        ACTIONS.bind(action, handler)
        return handler

    return bind
