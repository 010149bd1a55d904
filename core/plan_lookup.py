"""Which plan a question about a visit is about, and its answer: a member's own visit (the one whose days are
nearest when they have several, or the one they name), or for host staff the delegation the question names,
published or not (staff plan them).

Members see only their own delegation: a participant naming another delegation is answered from their own plan,
or not at all (the knowledge base then takes the question).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from core import agenda
from core.membership import visits_of
from core.plan_cues import PlanCues
from core.plan_questions import PlanQuestion, Selection, match_delegation, read, select
from core.session import Session
from core.venues import VenueCatalog
from core.visits import upcoming
from storage.agenda import AgendaItem
from storage.delegations import Delegation

WHICH_VISIT_SHOWN = 8  # the upcoming visits named when staff ask without saying which


class Found(enum.StrEnum):
    ANSWERED = "answered"  # the selection from the delegation's plan
    NO_VISIT = "no_visit"  # the user is in no visit still to come
    NOT_PUBLISHED = "not_published"  # their visit's plan is not published yet
    WHICH_VISIT = "which_visit"  # staff asked without naming a delegation


@dataclass(frozen=True)
class PlanAnswer:
    found: Found
    question: PlanQuestion
    delegation: Delegation | None = None
    plan: tuple[AgendaItem, ...] = ()  # every item of the delegation's plan (its days, when nothing matches)
    selection: Selection[AgendaItem] | None = None
    published: bool = False
    candidates: tuple[Delegation, ...] = ()  # WHICH_VISIT: the visits staff could mean


@lru_cache(maxsize=4)
def plan_cues(venues: VenueCatalog) -> PlanCues:
    """The cues, read once per venue catalog (the running bot has one; tests build a few)."""
    return PlanCues.load(venues)


async def answer(session: Session, text: str) -> PlanAnswer | None:
    """The answer to `text` from the plan it is about; None when it is not a question about a visit's plan, or
    speaks of something the plan does not have (the knowledge base answers it then)."""
    cues = plan_cues(session.services.venues)
    conn, user, today = session.conn, session.user, session.today
    question = read(text, cues)
    visits: list[Delegation] = []
    if user.is_staff:
        visits = await upcoming(conn, today, active_only=True)
        about = question or read(text, cues, visit_named=True)  # naming a delegation says it is about its visit
        named = match_delegation(about, visits, cues) if about is not None else None
        if about is not None and named is not None:
            return await _answer_from(session, about.about(named), named, cues)
    if question is None:
        return None
    own = (await visits_of(conn, user)).active
    if not own:
        if not question.understood:
            return None
        if user.is_staff and visits:
            return PlanAnswer(Found.WHICH_VISIT, question, candidates=tuple(visits[:WHICH_VISIT_SHOWN]))
        return PlanAnswer(Found.NO_VISIT, question)
    named = match_delegation(question, own, cues)
    if named is not None:
        question = question.about(named)
    published = [d for d in own if await agenda.is_published(conn, d.id)]
    chosen = named or nearest(published or own, today)
    if not user.is_staff and chosen not in published:
        return PlanAnswer(Found.NOT_PUBLISHED, question, chosen) if question.understood else None
    return await _answer_from(session, question, chosen, cues)


async def _answer_from(
    session: Session, question: PlanQuestion, delegation: Delegation, cues: PlanCues
) -> PlanAnswer | None:
    services = session.services
    plan = await agenda.items(session.conn, delegation.id)
    selection = select(question, plan, now=session.now, tz=services.tz, venues=services.venues, cues=cues)
    if not selection.understood:
        return None
    published = await agenda.is_published(session.conn, delegation.id)
    return PlanAnswer(Found.ANSWERED, question, delegation, tuple(plan), selection, published)


def nearest(visits: list[Delegation], today: date) -> Delegation:
    """The visit whose days are nearest today (one under way is nearest of all); the earlier on a tie."""

    def distance(d: Delegation) -> tuple[int, date]:
        if d.arrival_date <= today <= d.departure_date:
            return 0, d.arrival_date
        return min(abs((d.arrival_date - today).days), abs((d.departure_date - today).days)), d.arrival_date

    return min(visits, key=distance)
