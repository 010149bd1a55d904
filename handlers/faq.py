"""The desk learns from its answers: a staff answer saved as a bot answer, and /faq, the saved answers with how
often the bot gave them, each edited or retired from there.

After "answer sent" (handlers/questions.py) the button under it starts the flow: other phrasings of the question
(optional, one a line or several messages), the answer in the other language (optional), the kind, the themes,
then a summary to save. Editing a saved answer opens the same flow at its summary, with a button for each part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core import faq
from core.content import Theme
from core.errors import ValidationError
from core.knowledge.entries import KINDS, LANGUAGES
from core.messages import Button, Reply, reply
from core.model import LearnedAnswer, LearnedText
from core.questions import parse_answer
from core.registration import typed_theme
from handlers.actions import ID, Action, button, on
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, JsonDraft, Outcome, Stay, Step, one_of
from handlers.menu import CANCEL_FLOW, show_menu
from handlers.views import rows_of, theme_toggles, themes_of

FLOW = "faq"
PAGE_SIZE = 10
LEARN = Action("faq:learn", ID)  # save the answer to this (answered) question as a bot answer
EDIT = Action("faq:edit", ID)
ASK_RETIRE = Action("faq:retire", ID)
RETIRE = Action("faq:retire_yes", ID)
PAGE = Action("faq:page", ID)  # the page of /faq, from 0
NEXT, CLEAR, KEEP, DONE, SAVE = "next", "clear", "keep", "done", "save"  # the values of the steps' buttons


def learn_button(question_id: int) -> Button:
    """The button under "answer sent" that saves the answer as a bot answer."""
    return button("faq_save_answer", LEARN(question_id))


@dataclass
class FaqDraft(JsonDraft):
    """A bot answer being saved (`question_id`: the question it comes from) or edited (`learned_id`, begun at
    `revision`), saved as JSON in the conversation row after every message."""

    question_id: int | None = None
    learned_id: int | None = None
    revision: int = 0
    locale: str = "id"  # the language the question was asked in, and so the staff answer written in
    question: str = ""
    phrasings: list[str] = field(default_factory=list)
    answer_id: str | None = None
    answer_en: str | None = None
    kind: str | None = None
    themes: list[str] = field(default_factory=list)

    def answer_in(self, language: str) -> str | None:
        return self.answer_en if language == "en" else self.answer_id

    def set_answer(self, language: str, text: str | None) -> None:
        if language == "en":
            self.answer_en = text
        else:
            self.answer_id = text

    def text(self) -> LearnedText:
        assert self.kind is not None
        return LearnedText(
            self.question, tuple(self.phrasings), self.answer_id, self.answer_en, self.kind, tuple(self.themes)
        )

    @classmethod
    def of(cls, learned: LearnedAnswer) -> FaqDraft:
        text = learned.text
        return cls(
            learned_id=learned.id,
            revision=learned.revision,
            locale=learned.locale,
            question=text.question,
            phrasings=list(text.phrasings),
            answer_id=text.answer_id,
            answer_en=text.answer_en,
            kind=text.kind,
            themes=list(text.themes),
        )


@dataclass(frozen=True)
class LearningView:
    """The bot answer so far, as every question of the flow and its summary show it."""

    number: int | None  # the saved answer's number when editing one
    question: str
    phrasings: tuple[str, ...]
    answer_id: str | None
    answer_en: str | None
    locale: str
    kind: str | None
    themes: tuple[Theme, ...]


def _view(turn: Turn, draft: FaqDraft) -> LearningView:
    return LearningView(
        draft.learned_id,
        draft.question,
        tuple(draft.phrasings),
        draft.answer_id,
        draft.answer_en,
        draft.locale,
        draft.kind,
        tuple(themes_of(turn, draft.themes)),
    )


def _other(language: str) -> str:
    return next(lang for lang in LANGUAGES if lang != language)


def _skipped(turn: Turn, answer: Answer) -> bool:
    typed = " ".join((answer.text or "").split()).lower()
    return typed in turn.services.content.skip_words | turn.services.content.done_words


# --- saving an answer: the question (only when editing), phrasings, the other language, kind, themes --------------


@on(LEARN)
async def start_learning(turn: Turn, question_id: int) -> list[Reply]:
    """The button under "answer sent": the question, and the first step of saving its answer."""
    learning = await faq.to_learn(turn, question_id)
    locale = learning.locale if learning.locale in LANGUAGES else LANGUAGES[0]
    draft = FaqDraft(question_id=learning.question_id, locale=locale, question=learning.question)
    draft.set_answer(locale, learning.answer)
    return [
        reply("faq/intro", question=learning.question),
        *await FAQ.begin(turn, draft, answered=("question", f"answer_{locale}")),
    ]


def ask_question(turn: Turn, draft: FaqDraft) -> Reply:
    return reply("faq/ask_question", learning=_view(turn, draft))


async def take_question(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
    if answer.text is None:
        raise ValidationError("errors/type_answer")
    draft.question = faq.parse_question(answer.text)
    return Advance()


def ask_phrasings(turn: Turn, draft: FaqDraft) -> Reply:
    if draft.phrasings:
        rows = [
            [button("faq_next", FAQ.choice("phrasings", NEXT))],
            [button("faq_clear_phrasings", FAQ.choice("phrasings", CLEAR))],
        ]
    else:
        rows = [[button("skip", FAQ.choice("phrasings", NEXT))]]
    return reply("faq/ask_phrasings", rows, learning=_view(turn, draft))


async def take_phrasings(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
    """Typed phrasings are added (one a line, in as many messages as staff like) until Next; Clear starts over."""
    if answer.choice == NEXT or (answer.choice is None and _skipped(turn, answer)):
        return Advance()
    if answer.choice == CLEAR:
        draft.phrasings = []
        return Stay([ask_phrasings(turn, draft)])
    if answer.choice is not None or answer.text is None:
        raise ValidationError("errors/use_buttons")
    draft.phrasings = faq.parse_phrasings(answer.text, draft.phrasings)
    return Stay([ask_phrasings(turn, draft)])


def _answer_step(language: str) -> Step[FaqDraft]:
    """The answer in one language: typed, kept as it is (Skip), or removed when the other language has one."""
    name = f"answer_{language}"

    def ask_answer(turn: Turn, draft: FaqDraft) -> Reply:
        rows = [[button("skip", FAQ.choice(name, KEEP))]]
        if draft.answer_in(language) and draft.answer_in(_other(language)):
            rows.append([button("faq_clear_answer", FAQ.choice(name, CLEAR))])
        return reply("faq/ask_answer", rows, language=language, learning=_view(turn, draft))

    async def take_answer(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
        if answer.choice == CLEAR and draft.answer_in(_other(language)):
            draft.set_answer(language, None)
            return Advance()
        if answer.choice == KEEP or (answer.choice is None and _skipped(turn, answer)):
            if not draft.answer_in(language) and not draft.answer_in(_other(language)):
                raise ValidationError("faq/errors/answer_needed")
            return Advance()
        if answer.choice is not None or answer.text is None:
            raise ValidationError("errors/use_buttons")
        draft.set_answer(language, parse_answer(answer.text))
        return Advance()

    return Step(name, ask_answer, take_answer)


def ask_kind(turn: Turn, draft: FaqDraft) -> Reply:
    rows = [[button(f"kind_{kind}", FAQ.choice("kind", kind))] for kind in KINDS]
    return reply("faq/ask_kind", rows, learning=_view(turn, draft))


async def take_kind(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
    if answer.choice is None:
        raise ValidationError("errors/use_buttons")
    draft.kind = faq.parse_kind(answer.choice)
    return Advance()


def ask_themes(turn: Turn, draft: FaqDraft, *, replace: bool = False) -> Reply:
    rows = theme_toggles(turn, lambda value: FAQ.choice("themes", value), draft.themes)
    base = reply("faq/ask_themes", rows, learning=_view(turn, draft))
    return Reply(base.template, base.params, base.buttons, replace_origin=replace)


async def take_themes(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
    """A button toggles a theme, as registration's topics do; none at all is fine. A theme's name typed selects it."""
    content = turn.services.content
    if answer.choice and answer.choice.startswith("t:"):
        theme = one_of(content.theme, answer.choice[2:]).id
        chosen = set(draft.themes) ^ {theme}
        draft.themes = [t.id for t in content.themes if t.id in chosen]
        return Stay([ask_themes(turn, draft, replace=True)])
    if answer.choice == DONE or (answer.choice is None and _skipped(turn, answer)):
        return Advance()
    named = typed_theme(content, answer.text or "") if answer.choice is None else None
    if named is None:
        raise ValidationError("errors/use_buttons")
    draft.themes = [t.id for t in content.themes if t.id in {*draft.themes, named.id}]
    return Stay([ask_themes(turn, draft)])


EDITABLE = ("question", "phrasings", "answer_id", "answer_en", "kind", "themes")


def confirm_summary(turn: Turn, draft: FaqDraft) -> Reply:
    edits = [button(f"faq_edit_{step}", FAQ.choice("summary", f"edit:{step}")) for step in EDITABLE]
    rows = [
        *rows_of(edits, 2),
        [button("faq_confirm_save", FAQ.choice("summary", SAVE))],
        [button("cancel_flow", CANCEL_FLOW())],
    ]
    return reply("faq/summary", rows, learning=_view(turn, draft))


async def take_summary(turn: Turn, draft: FaqDraft, answer: Answer) -> Outcome:
    if answer.choice == SAVE:
        return Finish(await _save(turn, draft))
    if answer.choice and answer.choice.startswith("edit:") and answer.choice[5:] in EDITABLE:
        return GoTo(answer.choice[5:])
    raise ValidationError("errors/use_buttons")


async def _save(turn: Turn, draft: FaqDraft) -> list[Reply]:
    if draft.learned_id is not None:
        updated = await faq.update(turn, draft.learned_id, draft.revision, draft.text())
        return [reply("faq/updated", number=updated.id), *await show_faq(turn)]
    assert draft.question_id is not None
    saved = await faq.save(turn, draft.question_id, draft.locale, draft.text())
    return [reply("faq/saved", number=saved.id)]


async def back_from_flow(turn: Turn, draft: FaqDraft) -> list[Reply]:
    """Leaving an edit goes back to /faq; leaving a new one, to the menu (the asker has had the answer either way)."""
    if draft.learned_id is not None:
        return [reply("menu/cancelled_faq"), *await show_faq(turn)]
    return [await show_menu(turn, "menu/cancelled_faq")]


FAQ: Flow[FaqDraft] = Flow(
    FLOW,
    [
        Step("question", ask_question, take_question),
        Step("phrasings", ask_phrasings, take_phrasings),
        *(_answer_step(language) for language in LANGUAGES),
        Step("kind", ask_kind, take_kind),
        Step("themes", ask_themes, take_themes),
        Step("summary", confirm_summary, take_summary),
    ],
    FaqDraft.from_json,
    on_cancel=back_from_flow,
)


# --- /faq: the saved answers, their uses, edit and retire ---------------------------------------------------------


async def show_faq(turn: Turn, page: int = 0) -> list[Reply]:
    """/faq: the saved answers still given, PAGE_SIZE at a time, each with how often and when last it was given."""
    listing = await faq.listing(turn)
    pages = max(1, -(-len(listing.rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = listing.rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [
        [button("faq_edit_n", EDIT(r.id), number=r.id), button("faq_retire_n", ASK_RETIRE(r.id), number=r.id)]
        for r in shown
    ]
    if page + 1 < pages:
        rows.append([button("faq_more", PAGE(page + 1))])
    return [
        reply(
            "faq/list",
            rows,
            faq_rows=shown,
            count=len(listing.rows),
            retired=listing.retired,
            page=page + 1,
            pages=pages,
        )
    ]


@on(PAGE)
async def show_faq_page(turn: Turn, page: int) -> list[Reply]:
    return await show_faq(turn, page)


@on(EDIT)
async def start_editing(turn: Turn, learned_id: int) -> list[Reply]:
    """The saved answer's summary, each part a button; saving it replaces the answer from the next question on."""
    learned = await faq.for_editing(turn, learned_id)
    return await FAQ.begin(turn, FaqDraft.of(learned), at="summary", answered=EDITABLE)


@on(ASK_RETIRE)
async def confirm_retire(turn: Turn, learned_id: int) -> list[Reply]:
    learned = await faq.for_editing(turn, learned_id)
    rows = [[button("faq_retire_yes", RETIRE(learned.id)), button("faq_keep", PAGE(0))]]
    return [reply("faq/confirm_retire", rows, number=learned.id, question=learned.text.question, count=learned.uses)]


@on(RETIRE)
async def retire(turn: Turn, learned_id: int) -> list[Reply]:
    retired = await faq.retire(turn, learned_id)
    return [reply("faq/retired", number=retired.id, question=retired.text.question), *await show_faq(turn)]
