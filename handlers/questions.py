"""Questions and browsing: free text and /tanya answered from the knowledge base, /inovasi and /wisata,
and the staff queue (/pertanyaan) for what the bot could not answer, with answers relayed to the asker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import DomainError, ValidationError
from core.knowledge.entries import Entry
from core.knowledge.search import Answer
from core.knowledge.text import words
from core.knowledge.views import entry_view, intent_part
from core.membership import visits_of
from core.messages import Button, Reply, Venue, button, reply
from core.people import reachable, require_staff, staff_recipients
from handlers.context import Turn
from handlers.flow import Answer as StepAnswer
from handlers.flow import Finish, Flow, JsonDraft, Outcome, Step
from storage.questions import get_question, open_questions, queue_question, record_answer
from storage.users import get_user

logger = logging.getLogger(__name__)

ANSWER_LENGTH = 3000
RELATED_BUTTONS = 3


# --- answering --------------------------------------------------------------------------------


class KnowledgeAnswerer:
    """The router's question hook: free text outside a flow is a question for the knowledge base."""

    async def answer(self, turn: Turn, question: str) -> list[Reply] | None:
        return await answer_question(turn, question)


async def answer_question(turn: Turn, question: str) -> list[Reply]:
    """Answer from the knowledge base, or say so and pass the question to host staff."""
    question = question.strip()
    if not question:
        return [reply("qa/ask_prompt")]
    result = turn.services.knowledge.search(question)
    if result.smalltalk:
        return [reply("qa/smalltalk", _topic_buttons())]
    if result.entry is None:
        return await _pass_to_staff(turn, question, result)
    entry = result.entry
    part = intent_part(entry, result.intent, turn.locale, turn.services.host)
    return [
        reply(
            "qa/answer",
            _entry_buttons(turn, entry, more=True),
            entry=_view(turn, entry),
            intent=result.intent,
            part_name=part[0] if part else None,
            part=part[1] if part else None,
        )
    ]


async def _pass_to_staff(turn: Turn, question: str, result: Answer) -> list[Reply]:
    queued, is_new = await queue_question(
        turn.conn,
        user_id=turn.user.id,
        text=question[:ANSWER_LENGTH],
        normalized=" ".join(words(question)),
        locale=turn.locale,
        now=turn.services.clock.now(),
    )
    closest = [[button("text", f"qa:open:{e.id}", text=e.title.in_(turn.locale))] for e in result.alternatives[:2]]
    replies = [reply("qa/unknown", closest, question=question, already_queued=not is_new)]
    if is_new:
        for recipient in await staff_recipients(turn.conn, turn.services.staff):
            if recipient.user_id == turn.user.id:
                continue
            replies.append(
                Reply(
                    "staff/new_question",
                    {"question": question, "asker": turn.user.display_name},
                    buttons=((button("answer_question", f"qa:reply:{queued.id}"),),),
                    to=recipient,
                )
            )
    return replies


# --- cards and browsing -----------------------------------------------------------------------


def _view(turn: Turn, entry: Entry) -> Any:
    return entry_view(entry, turn.locale, turn.services.host)


def _entry_buttons(turn: Turn, entry: Entry, *, more: bool) -> list[list[Button]]:
    rows: list[list[Button]] = []
    first = []
    if more:
        first.append(button("more", f"qa:open:{entry.id}"))
    if entry.location is not None:
        first.append(button("location", f"qa:loc:{entry.id}"))
    if first:
        rows.append(first)
    entries = turn.services.knowledge.entries
    for related in entry.related[:RELATED_BUTTONS]:
        if related in entries:
            rows.append([button("related", f"qa:open:{related}", text=entries[related].title.in_(turn.locale))])
    return rows


def _entry(turn: Turn, entry_id: str) -> Entry:
    entry = turn.services.knowledge.entries.get(entry_id)
    if entry is None:
        raise DomainError("errors/stale_button")
    return entry


async def open_card(turn: Turn, entry_id: str) -> list[Reply]:
    """The whole entry; a destination also sends its place so the phone can open a map."""
    entry = _entry(turn, entry_id)
    replies = [reply("qa/card", _entry_buttons(turn, entry, more=False), entry=_view(turn, entry))]
    if entry.kind == "destination" and entry.location is not None and entry.location.has_point:
        replies.append(_location_reply(turn, entry))
    return replies


async def send_location(turn: Turn, entry_id: str) -> list[Reply]:
    return [_location_reply(turn, _entry(turn, entry_id))]


def _location_reply(turn: Turn, entry: Entry) -> Reply:
    location = entry.location
    assert location is not None
    venue = None
    if location.lat is not None and location.lon is not None:
        venue = Venue(location.lat, location.lon, entry.title.in_(turn.locale), location.address)
    return reply("qa/location", venue=venue, entry=_view(turn, entry))


def _topic_buttons() -> list[list[Button]]:
    return [[button("menu_innovations", "menu:inovasi"), button("menu_destinations", "menu:wisata")]]


async def browse_innovations(turn: Turn) -> list[Reply]:
    """Themes to browse, and first the innovations matching the topics of the user's own visits."""
    content = turn.services.content
    visits = await visits_of(turn.conn, turn.user)
    topics = {t for d in visits.coordinated + visits.joined if d.is_open_for_joining for t in d.topics}
    matching = [e for e in _innovations(turn) if topics & set(e.themes)]
    recommended = sorted(matching, key=lambda e: -len(topics & set(e.themes)))  # most topics in common first
    rows = [[button("text", f"qa:open:{e.id}", text=e.title.in_(turn.locale))] for e in recommended[:6]]
    rows += [
        [button("text", f"qa:theme:{t.id}", text=t.display(turn.locale))]
        for t in content.themes
        if any(t.id in e.themes for e in _innovations(turn))
    ]
    return [reply("qa/innovations", rows, recommended=[_view(turn, e) for e in recommended])]


async def browse_theme(turn: Turn, theme_id: str) -> list[Reply]:
    try:
        theme = turn.services.content.theme(theme_id)
    except KeyError:
        raise DomainError("errors/stale_button") from None
    entries = [e for e in _innovations(turn) if theme.id in e.themes]
    rows = [[button("text", f"qa:open:{e.id}", text=e.title.in_(turn.locale))] for e in entries]
    return [reply("qa/list", rows, heading=theme.display(turn.locale), entries=[_view(turn, e) for e in entries])]


async def browse_destinations(turn: Turn) -> list[Reply]:
    areas = turn.services.knowledge.areas
    rows = [[button("text", f"qa:area:{a.id}", text=a.display(turn.locale))] for a in areas]
    return [reply("qa/destinations", rows)]


async def browse_area(turn: Turn, area_id: str) -> list[Reply]:
    area = next((a for a in turn.services.knowledge.areas if a.id == area_id), None)
    if area is None:
        raise DomainError("errors/stale_button")
    entries = [e for e in turn.services.knowledge.entries.values() if e.kind == "destination" and e.area == area.id]
    rows = [[button("text", f"qa:open:{e.id}", text=e.title.in_(turn.locale))] for e in entries]
    return [reply("qa/list", rows, heading=area.display(turn.locale), entries=[_view(turn, e) for e in entries])]


def _innovations(turn: Turn) -> list[Entry]:
    return [e for e in turn.services.knowledge.entries.values() if e.kind == "innovation"]


# --- the staff queue --------------------------------------------------------------------------


async def list_open_questions(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "open questions")
    questions = await open_questions(turn.conn)
    rows = [[button("answer_question_n", f"qa:reply:{q.id}", number=q.id)] for q in questions]
    items = []
    for question in questions:
        asker = await get_user(turn.conn, question.user_id)
        items.append(OpenQuestion(question.id, question.text, question.asked_at, asker.display_name if asker else ""))
    return [reply("qa/open_questions", rows, questions=items)]


@dataclass(frozen=True)
class OpenQuestion:
    """A queued question as the staff list shows it."""

    id: int
    text: str
    asked_at: datetime
    asker: str


@dataclass
class StaffAnswerDraft(JsonDraft):
    question_id: int = 0


def ask_staff_answer(turn: Turn, draft: StaffAnswerDraft) -> Reply:
    return reply("qa/ask_staff_answer", question_id=draft.question_id)


async def take_staff_answer(turn: Turn, draft: StaffAnswerDraft, answer: StepAnswer) -> Outcome:
    text = (answer.text or "").strip()
    if not 2 <= len(text) <= ANSWER_LENGTH:
        raise ValidationError("qa/errors/answer_length", high=ANSWER_LENGTH)
    require_staff(turn.user, "answer a question")
    question = await get_question(turn.conn, draft.question_id)
    if question is None or not await record_answer(
        turn.conn, draft.question_id, answer=text, answered_by=turn.user.id, now=turn.services.clock.now()
    ):
        return Finish([reply("qa/already_answered", question_id=draft.question_id)])
    asker = await reachable(turn.conn, question.user_id)
    replies = [reply("qa/answer_sent", question=question.text)]
    if asker is not None:
        replies.append(Reply("qa/staff_answer", {"question": question.text, "answer": text}, to=asker))
    await turn.audit("question.answered", "question", question.id)
    return Finish(replies)


STAFF_ANSWER: Flow[StaffAnswerDraft] = Flow(
    "qans", [Step("text", ask_staff_answer, take_staff_answer, lambda d: False)], StaffAnswerDraft.from_json
)


async def start_staff_answer(turn: Turn, question_id: int) -> list[Reply]:
    require_staff(turn.user, "answer a question")
    question = await get_question(turn.conn, question_id)
    if question is None:
        raise DomainError("errors/stale_button")
    if question.answer is not None:
        return [reply("qa/already_answered", question_id=question_id)]
    return [
        reply("qa/question_to_answer", question=question.text),
        *await STAFF_ANSWER.begin(turn, StaffAnswerDraft(question_id)),
    ]
