"""Free text outside a flow, and /tanya: what a participant would ask the liaison officer, answered from the visit's
own plan, from the knowledge base, or plainly not known — and sent to staff only when staff can answer it.

The order, each step declining what the next should not see:
1. small talk is answered in kind (a greeting with the menu, thanks with "sama-sama"), never with an entry;
2. a question about the asker's own visit is answered from its plan (handlers/plan_answers.py), unless they have no
   published plan, the question names only a place, and the knowledge base answers it ("where is the reception
   hall?" without a visit);
3. a question about another place or general knowledge gets what the desk can help with, and is not queued;
4. an entry that answers is the answer, every part asked for (route and fee) in one reply;
5. anything else goes to staff, as before; what staff answer once can be saved for the next asker (handlers/faq.py).
Where each question goes is decided in core (core/knowledge/triage.py, core/plan_lookup.py); this module only
turns the decision into replies.
"""

from __future__ import annotations

from core import plan_lookup, questions
from core.knowledge.learned import count_use, knowledge_now
from core.knowledge.search import Answer, SmallTalk
from core.knowledge.triage import Route, Triage, triage
from core.knowledge.views import intent_parts
from core.messages import Reply, reply
from core.plan_lookup import Found, PlanAnswer
from core.questions import StaffNotice
from handlers.actions import button
from handlers.context import Turn
from handlers.menu import greet
from handlers.plan_answers import plan_replies
from handlers.questions import (
    ANSWER_QUESTION,
    DISMISS_QUESTION,
    SHOW_BURST,
    card_view,
    entry_button,
    entry_buttons,
    topic_buttons,
)

SMALLTALK_REPLIES = {SmallTalk.THANKS: "questions/thanks", SmallTalk.ACKNOWLEDGEMENT: "questions/acknowledged"}
NO_PLAN = frozenset({Found.NO_VISIT, Found.NOT_PUBLISHED})
"""What the plan says to someone with no plan to answer from: the knowledge base's answer is better, if it has one."""


class KnowledgeAnswerer:
    """The router's question hook: free text outside a flow is a question for the desk."""

    async def answer(self, turn: Turn, question: str) -> list[Reply] | None:
        return await answer_question(turn, question)


async def answer_question(turn: Turn, question: str) -> list[Reply]:
    """The desk's answer to a free-text question (see the module's docstring for the order)."""
    question = question.strip()
    if not question:
        return [reply("questions/ask_prompt")]
    verdict = triage(await knowledge_now(turn), turn.services.places, question)
    if verdict.route is Route.SMALLTALK:
        return await _small_talk(turn, verdict.answer)
    planned = await plan_lookup.answer(turn, question)
    if planned is not None and not _knowledge_knows_better(planned, verdict):
        return await plan_replies(turn, planned)
    if verdict.route.declined:
        return [_out_of_scope(turn, verdict)]
    if verdict.route is Route.ANSWER:
        return await _answer(turn, verdict.answer)
    return await _pass_to_staff(turn, question, verdict.answer)


def _knowledge_knows_better(planned: PlanAnswer, verdict: Triage) -> bool:
    """Someone with no plan to answer from, asking only about a place the knowledge base knows ("where is the
    reception hall?"): its answer beats being told they have no plan. "jadwal besok" is still the plan's."""
    return planned.found in NO_PLAN and planned.question.only_a_place and verdict.route is Route.ANSWER


async def _small_talk(turn: Turn, answer: Answer) -> list[Reply]:
    if answer.smalltalk is SmallTalk.GREETING:
        return await greet(turn)
    assert answer.smalltalk is not None
    return [reply(SMALLTALK_REPLIES[answer.smalltalk], topic_buttons())]


def _out_of_scope(turn: Turn, verdict: Triage) -> Reply:
    place = verdict.place.name if verdict.place is not None else None
    return reply("questions/out_of_scope", topic_buttons(), place=place)


async def _answer(turn: Turn, answer: Answer) -> list[Reply]:
    entry = answer.entry
    assert entry is not None
    await count_use(turn, entry)
    parts = intent_parts(entry, answer.intents, turn.locale, turn.services.host)
    return [
        reply(
            "questions/answer",
            entry_buttons(turn, entry, more=entry.learned is None),  # a staff answer's card says nothing more
            entry=card_view(turn, entry),
            parts=parts.shown,
            missing=parts.missing,
        )
    ]


async def _pass_to_staff(turn: Turn, question: str, result: Answer) -> list[Reply]:
    passed = await questions.pass_to_staff(turn, question, turn.locale)
    closest = [[entry_button(turn, e)] for e in result.alternatives[:2]]
    replies = [reply("questions/unknown", closest, question=question, already_queued=not passed.is_new)]
    asker = passed.asker
    if passed.notice is StaffNotice.OWN:
        question_id = passed.question.id
        replies += await turn.tell_staff(
            "questions/unknown_for_staff",
            [
                [
                    button("answer_question", ANSWER_QUESTION(question_id)),
                    button("dismiss_question", DISMISS_QUESTION(question_id)),
                ]
            ],
            question=question,
            asker=asker,
        )
    elif passed.notice is StaffNotice.BURST:
        replies += await turn.tell_staff(
            "questions/burst_for_staff",
            [[button("burst_questions", SHOW_BURST(passed.question.id))]],
            asker=asker,
            until=passed.slot_ends,
        )
    return replies
