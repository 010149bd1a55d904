"""A step that asks the user to confirm what the bot is not sure they meant: a province read from a typo ("jabr"),
a date far ahead ("22 Desember 2027" typed in 2026). Shared by the flows that take such answers.

The check is a step of its own, placed after the step it checks and applying only while there is something to
confirm; so a restart, a greeting or a stale button finds the user at the check like at any other question. Its
two buttons are the step's choices YES and NO; typed, a yes or no word (content/answers.yaml) is the same, and
anything else is a new answer to the step being checked.
"""

from __future__ import annotations

from typing import Any

from core.errors import ValidationError
from core.messages import Button
from core.registration import read_yes_no
from handlers.actions import button
from handlers.context import Turn
from handlers.flow import Answer, Flow

YES = "yes"
NO = "no"


def check_buttons(flow: Flow[Any], step: str, yes_label: str, no_label: str, **yes_params: Any) -> list[list[Button]]:
    """The check's buttons: the one that confirms, then the one that asks the question again."""
    return [[button(yes_label, flow.choice(step, YES), **yes_params)], [button(no_label, flow.choice(step, NO))]]


def confirmation(turn: Turn, answer: Answer) -> bool | None:
    """True for yes, False for no (pressed or typed); None when the user typed something else, a new answer."""
    if answer.choice is not None:
        if answer.choice not in (YES, NO):
            raise ValidationError("errors/use_buttons")
        return answer.choice == YES
    return read_yes_no(turn.services.content, answer.text or "")
