"""Typed errors of the core. Each carries a template name so the handler can answer in the user's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An expected refusal: the user gets the template, the bot goes on."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


class ValidationError(DomainError):
    """The user's input for a step is not acceptable; the step is asked again."""


class PermissionDenied(DomainError):
    """The user's role does not allow the action; `action` names it for the audit log."""

    def __init__(self, template: str, *, action: str, **params: Any) -> None:
        super().__init__(template, **params)
        self.action = action


class NotFound(DomainError):
    """What the user referred to does not exist (or is not theirs to see)."""
