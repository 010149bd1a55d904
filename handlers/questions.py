"""The knowledge base's cards and browsing (/inovasi, /wisata), and the staff queue (/pertanyaan) for what the bot
could not answer: answered (relayed to the asker) or dismissed (with an optional reason the asker is told). Free
text is answered in handlers/asking.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from core import questions
from core.errors import DomainError, ValidationError
from core.knowledge.entries import Entry
from core.knowledge.learned import knowledge_now
from core.knowledge.views import entry_view
from core.membership import visits_of
from core.messages import Button, Reply, Venue, reply
from core.registration import parse_reason
from handlers.actions import ID, WORD, Action, StaleButton, button, on
from handlers.context import Turn, tell
from handlers.faq import learn_button
from handlers.flow import Answer as StepAnswer
from handlers.flow import Finish, Flow, JsonDraft, Outcome, Step
from handlers.menu import MENU

logger = logging.getLogger(__name__)

RELATED_BUTTONS = 3
OPEN_ENTRY = Action("qa:open", WORD)
SHOW_PLACE = Action("qa:loc", WORD)
BROWSE_THEME = Action("qa:theme", WORD)
BROWSE_AREA = Action("qa:area", WORD)
ANSWER_QUESTION = Action("qa:reply", ID)
DISMISS_QUESTION = Action("qa:dismiss", ID)
SHOW_BURST = Action("qa:burst", ID)


# --- cards and browsing -----------------------------------------------------------------------


def entry_button(turn: Turn, entry: Entry, label: str = "text") -> Button:
    """The button that opens an entry's card, labelled with its title."""
    return button(label, OPEN_ENTRY(entry.id), text=entry.title.in_(turn.locale))


def card_view(turn: Turn, entry: Entry) -> Any:
    return entry_view(entry, turn.locale, turn.services.host)


def entry_buttons(turn: Turn, entry: Entry, *, more: bool) -> list[list[Button]]:
    """Under an answer or a card: the whole card (`more`), its place, and the related entries."""
    rows: list[list[Button]] = []
    first = []
    if more:
        first.append(button("more", OPEN_ENTRY(entry.id)))
    if entry.location is not None:
        first.append(button("location", SHOW_PLACE(entry.id)))
    if first:
        rows.append(first)
    entries = turn.services.knowledge.entries
    for related in entry.related[:RELATED_BUTTONS]:
        if related in entries:
            rows.append([entry_button(turn, entries[related], "related")])
    return rows


async def _entry(turn: Turn, entry_id: str) -> Entry:
    """The entry a button names: reviewed, or a staff answer saved up to now (in this process or another)."""
    entry = (await knowledge_now(turn)).entries.get(entry_id)
    if entry is None:
        raise DomainError("errors/stale_button")
    return entry


@on(OPEN_ENTRY)
async def open_card(turn: Turn, entry_id: str) -> list[Reply]:
    """The whole entry; a destination also sends its place so the phone can open a map."""
    entry = await _entry(turn, entry_id)
    replies = [reply("questions/card", entry_buttons(turn, entry, more=False), entry=card_view(turn, entry))]
    if entry.kind == "destination" and entry.location is not None and entry.location.has_point:
        replies.append(_location_reply(turn, entry))
    return replies


@on(SHOW_PLACE)
async def send_location(turn: Turn, entry_id: str) -> list[Reply]:
    entry = await _entry(turn, entry_id)
    if entry.location is None:  # only entries with a place offer this button
        raise StaleButton
    return [_location_reply(turn, entry)]


def _location_reply(turn: Turn, entry: Entry) -> Reply:
    location = entry.location
    assert location is not None
    venue = None
    if location.lat is not None and location.lon is not None:
        venue = Venue(location.lat, location.lon, entry.title.in_(turn.locale), location.address)
    return reply("questions/location", venue=venue, entry=card_view(turn, entry))


def topic_buttons() -> list[list[Button]]:
    return [[button("menu_innovations", MENU("inovasi")), button("menu_destinations", MENU("wisata"))]]


async def browse_innovations(turn: Turn) -> list[Reply]:
    """Themes to browse, and first the innovations matching the topics of the user's own visits."""
    content = turn.services.content
    visits = await visits_of(turn.conn, turn.user)
    topics = {t for d in visits.active for t in d.topics}
    matching = [e for e in _innovations(turn) if topics & set(e.themes)]
    recommended = sorted(matching, key=lambda e: -len(topics & set(e.themes)))  # most topics in common first
    rows = [[entry_button(turn, e)] for e in recommended[:6]]
    rows += [
        [button("text", BROWSE_THEME(t.id), text=t.display(turn.locale))]
        for t in content.themes
        if any(t.id in e.themes for e in _innovations(turn))
    ]
    return [reply("questions/innovations", rows, recommended=[card_view(turn, e) for e in recommended])]


@on(BROWSE_THEME)
async def browse_theme(turn: Turn, theme_id: str) -> list[Reply]:
    try:
        theme = turn.services.content.theme(theme_id)
    except KeyError:
        raise DomainError("errors/stale_button") from None
    entries = [e for e in _innovations(turn) if theme.id in e.themes]
    rows = [[entry_button(turn, e)] for e in entries]
    return [
        reply("questions/list", rows, heading=theme.display(turn.locale), entries=[card_view(turn, e) for e in entries])
    ]


async def browse_destinations(turn: Turn) -> list[Reply]:
    areas = turn.services.knowledge.areas
    rows = [[button("text", BROWSE_AREA(a.id), text=a.display(turn.locale))] for a in areas]
    return [reply("questions/destinations", rows)]


@on(BROWSE_AREA)
async def browse_area(turn: Turn, area_id: str) -> list[Reply]:
    area = next((a for a in turn.services.knowledge.areas if a.id == area_id), None)
    if area is None:
        raise DomainError("errors/stale_button")
    entries = [e for e in turn.services.knowledge.entries.values() if e.kind == "destination" and e.area == area.id]
    rows = [[entry_button(turn, e)] for e in entries]
    return [
        reply("questions/list", rows, heading=area.display(turn.locale), entries=[card_view(turn, e) for e in entries])
    ]


def _innovations(turn: Turn) -> list[Entry]:
    return [e for e in turn.services.knowledge.entries.values() if e.kind == "innovation"]


# --- the staff queue --------------------------------------------------------------------------


def answer_button(question_id: int) -> Button:
    """The button that answers one open question, wherever staff see it listed."""
    return button("answer_question_n", ANSWER_QUESTION(question_id), number=question_id)


def question_row(question_id: int) -> list[Button]:
    """Answer or dismiss one open question: the row under it in the staff lists."""
    return [answer_button(question_id), button("dismiss_question_n", DISMISS_QUESTION(question_id), number=question_id)]


async def list_open_questions(turn: Turn) -> list[Reply]:
    waiting = await questions.waiting(turn)
    rows = [question_row(q.id) for q in waiting]
    return [reply("questions/open_questions", rows, questions=waiting)]


@on(SHOW_BURST)
async def list_burst(turn: Turn, question_id: int) -> list[Reply]:
    """The questions of a burst that staff were told of in one notice, each open one with its buttons."""
    burst = await questions.burst_of(turn, question_id)
    rows = [question_row(q.id) for q in burst.questions if q.is_open]
    return [reply("questions/burst_questions", rows, asker=burst.asker, until=burst.until, questions=burst.questions)]


@dataclass
class StaffAnswerDraft(JsonDraft):
    question_id: int = 0


def ask_staff_answer(turn: Turn, draft: StaffAnswerDraft) -> Reply:
    return reply("questions/ask_staff_answer", question_id=draft.question_id)


async def take_staff_answer(turn: Turn, draft: StaffAnswerDraft, answer: StepAnswer) -> Outcome:
    text = questions.parse_answer(answer.text or "")
    answered = await questions.answer(turn, draft.question_id, text)  # closed meanwhile: says by whom, and ends
    question = answered.question.text
    replies = [reply("questions/answer_sent", [[learn_button(draft.question_id)]], question=question)]
    if answered.asker is not None:
        replies.append(tell(answered.asker, "questions/staff_answer", question=question, answer=text))
    return Finish(replies)


STAFF_ANSWER: Flow[StaffAnswerDraft] = Flow(
    "qans", [Step("text", ask_staff_answer, take_staff_answer)], StaffAnswerDraft.from_json
)


@on(ANSWER_QUESTION)
async def start_staff_answer(turn: Turn, question_id: int) -> list[Reply]:
    return await _start_closing(turn, question_id, STAFF_ANSWER, "answer a question")


async def _start_closing(turn: Turn, question_id: int, flow: Flow[StaffAnswerDraft], action: str) -> list[Reply]:
    """Show the question and begin the flow that closes it (answering or dismissing); closed already: says by whom."""
    question = await questions.to_close(turn, question_id, action)
    return [
        reply("questions/question_to_answer", question=question.text),
        *await flow.begin(turn, StaffAnswerDraft(question_id)),
    ]


# --- dismissing, with a reason for the asker or without ----------------------------------------

NO_REASON = "none"


def ask_dismiss_reason(turn: Turn, draft: StaffAnswerDraft) -> Reply:
    rows = [[button("dismiss_without_reason", DISMISSING.choice("reason", NO_REASON))]]
    return reply("questions/ask_dismiss_reason", rows, question_id=draft.question_id)


async def take_dismiss_reason(turn: Turn, draft: StaffAnswerDraft, answer: StepAnswer) -> Outcome:
    if answer.choice is not None and answer.choice != NO_REASON:
        raise ValidationError("errors/use_buttons")
    reason = None if answer.choice == NO_REASON else parse_reason(answer.text or "")
    dismissed = await questions.dismiss(turn, draft.question_id, reason)  # closed meanwhile: says by whom
    question = dismissed.question.text
    replies = [reply("questions/dismissed", question_id=draft.question_id, question=question, reason=reason)]
    if dismissed.asker is not None and reason is not None:
        replies.append(tell(dismissed.asker, "questions/dismissed_for_asker", question=question, reason=reason))
    return Finish(replies)


DISMISSING: Flow[StaffAnswerDraft] = Flow(
    "qdis", [Step("reason", ask_dismiss_reason, take_dismiss_reason)], StaffAnswerDraft.from_json
)


@on(DISMISS_QUESTION)
async def start_dismissing(turn: Turn, question_id: int) -> list[Reply]:
    return await _start_closing(turn, question_id, DISMISSING, "dismiss a question")
