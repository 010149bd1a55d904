"""What templates show of a delegation: plain values, already looked up (province, themes, a readable phone).

Every flow that mentions a visit (registration, status, approvals, the guest calendar, joining) shows it
through this one view, so a template's `m.summary(d)` reads the same fields wherever it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

from core.content import Province, Theme
from core.errors import ValidationError
from core.messages import Button
from core.model import Delegation
from core.registration import format_phone, parse_name
from handlers.actions import ActionData, button
from handlers.context import Turn


@dataclass(frozen=True)
class DelegationView:
    """What templates show of a delegation or a draft: plain values, already looked up."""

    institution: str | None
    province: Province | None
    head_name: str | None
    head_position: str | None
    planned_size: int | None
    mode: str | None
    arrival: date | None
    departure: date | None
    topics: list[Theme]
    topics_note: str | None
    contact_name: str | None
    contact_phone: str | None
    join_code: str | None = None
    status: str | None = None
    id: int | None = None


def delegation_view(turn: Turn, delegation: Delegation) -> DelegationView:
    return DelegationView(
        institution=delegation.institution,
        province=turn.services.content.province(delegation.province_code),
        head_name=delegation.head_name,
        head_position=delegation.head_position,
        planned_size=delegation.planned_size,
        mode=delegation.mode.value,
        arrival=delegation.arrival_date,
        departure=delegation.departure_date,
        topics=themes_of(turn, list(delegation.topics)),
        topics_note=delegation.topics_note,
        contact_name=delegation.contact_name,
        contact_phone=format_phone(delegation.contact_phone),
        join_code=delegation.join_code,
        status=delegation.status.value,
        id=delegation.id,
    )


def themes_of(turn: Turn, ids: list[str]) -> list[Theme]:
    """The themes with these ids, in the content's order (the order the topic buttons have)."""
    return [t for t in turn.services.content.themes if t.id in ids]


def own_name_button(turn: Turn, action: ActionData) -> list[list[Button]]:
    """A "use my name" button, offered only when the chat name would pass as a name."""
    try:
        parse_name(turn.user.display_name)
    except ValidationError:
        return []
    return [[button("use_my_name", action, name=turn.user.display_name)]]


def rows_of(buttons: list[Button], width: int) -> list[list[Button]]:
    """Buttons laid out `width` to a row."""
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def theme_toggles(turn: Turn, choice: Callable[[str], ActionData], chosen: Collection[str]) -> list[list[Button]]:
    """A toggle button per theme (✅ when chosen), then Done: the topics of a registration, the themes of a bot
    answer. `choice` builds the step's action from "t:<theme id>" or "done"."""
    rows = [
        [button("theme_toggle", choice(f"t:{t.id}"), text=t.display(turn.locale), chosen=t.id in chosen)]
        for t in turn.services.content.themes
    ]
    rows.append([button("done", choice("done"))])
    return rows
