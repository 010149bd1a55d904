"""The answers of /daftar so far (saved after every message), and how they read as a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.model import NewDelegation, VisitMode
from core.registration import format_phone
from handlers.context import Turn
from handlers.flow import JsonDraft
from handlers.views import DelegationView, themes_of

EDITABLE = (
    "institution",
    "province",
    "head",
    "size",
    "mode",
    "arrival",
    "departure",
    "topics",
    "contact_name",
    "contact_phone",
)
NUMBERED: tuple[tuple[str, ...], ...] = (
    ("institution",),
    ("province", "province_check"),
    ("head",),
    ("size",),
    ("mode",),
    ("arrival", "arrival_check", "departure"),
    ("topics",),
    ("contact_name",),
    ("contact_phone",),
)
"""The numbered steps ("Langkah 6 dari 9") and the questions each is made of. The dates are one step, of one question
for a virtual session and two for a visit on site, so the count is the same whatever the mode: it is shown from the
first question, before the mode is known. Confirming a guess belongs to the step it confirms."""


@dataclass
class RegistrationDraft(JsonDraft):
    """The answers so far, saved as JSON in the conversation row after every message."""

    institution: str | None = None
    province_code: str | None = None
    head_name: str | None = None
    head_position: str | None = None
    planned_size: int | None = None
    mode: str | None = None
    arrival: str | None = None
    departure: str | None = None
    topics: list[str] = field(default_factory=list)
    topics_note: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    province_guess: str | None = None  # a province code read from a typo, asked to be confirmed
    arrival_to_confirm: str | None = None  # a date far ahead, asked to be confirmed before it is the arrival

    @property
    def arrival_date(self) -> date | None:
        return date.fromisoformat(self.arrival) if self.arrival else None

    @property
    def departure_date(self) -> date | None:
        return date.fromisoformat(self.departure) if self.departure else None

    @property
    def is_virtual(self) -> bool:
        return self.mode == VisitMode.VIRTUAL.value

    def to_new_delegation(self) -> NewDelegation:
        arrival, departure = self.arrival_date, self.departure_date
        assert self.institution and self.province_code and self.head_name and self.head_position
        assert self.planned_size and self.mode and arrival and departure and self.contact_name and self.contact_phone
        return NewDelegation(
            institution=self.institution,
            province_code=self.province_code,
            head_name=self.head_name,
            head_position=self.head_position,
            planned_size=self.planned_size,
            mode=VisitMode(self.mode),
            arrival_date=arrival,
            departure_date=departure,
            topics=tuple(self.topics),
            topics_note=self.topics_note,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
        )


def questions_of(draft: RegistrationDraft) -> list[str]:
    """The questions this draft is asked: a virtual visit has no departure date."""
    return [f for f in EDITABLE if f != "departure" or not draft.is_virtual]


def step_values(turn: Turn, draft: RegistrationDraft, step: str) -> dict[str, Any]:
    """Template values every question gets: the step number and, when editing, the current answer."""
    number = next((n for n, questions in enumerate(NUMBERED, 1) if step in questions), None)
    return {"step": step, "step_number": number, "total": len(NUMBERED), "summary": summary_view(turn, draft)}


def edit_label(draft: RegistrationDraft, question: str) -> str:
    """The label of the summary's button that edits a question: a virtual visit has a session date, not an arrival."""
    return "edit_session_date" if question == "arrival" and draft.is_virtual else f"edit_{question}"


def summary_view(turn: Turn, draft: RegistrationDraft) -> DelegationView:
    content = turn.services.content
    return DelegationView(
        institution=draft.institution,
        province=content.province(draft.province_code) if draft.province_code else None,
        head_name=draft.head_name,
        head_position=draft.head_position,
        planned_size=draft.planned_size,
        mode=draft.mode,
        arrival=draft.arrival_date,
        departure=draft.departure_date,
        topics=themes_of(turn, draft.topics),
        topics_note=draft.topics_note,
        contact_name=draft.contact_name,
        contact_phone=format_phone(draft.contact_phone) if draft.contact_phone else None,
    )
