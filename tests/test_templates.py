"""Every template, in both languages, renders hostile values into valid Telegram HTML within the length limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment, FileSystemLoader, meta, nodes

from bot.render import TEMPLATES_DIR, RenderedReply, Renderer, split_message
from core.broadcasts import DeliveryCounts
from core.clock import DayPart
from core.content import Province, Region, Theme
from core.faq import FaqRow
from core.joincode import JoinLink
from core.knowledge.views import EntryView, Part
from core.locale import LOCALES
from core.messages import Label
from core.people import Addressee
from core.questions import Asker, Closed, OpenQuestion
from core.records.exports import ExportSummary
from core.records.report import ModeTally, MonthReport, RepeatVisitor, Tally
from handlers.approvals import DayLoadView, ProposalView
from handlers.desk import CalendarDay, TodoView, VisitOnDay
from handlers.faq import LearningView
from handlers.plan import ChangeView, ConflictView, DayView, ItemView, PlanView
from handlers.views import DelegationView
from storage.delegations import DelegationStatus
from storage.participants import Participant
from storage.personal_data import CoordinatedRecord, Erasure, Holdings, MembershipRecord
from storage.users import Role, User
from tests.conftest import HOSTILE_HOST
from tests.telegram_html import MAX_MESSAGE_LENGTH, telegram_text_length, validate_telegram_html

HOSTILE = "<b>Tom & Jerry</a> 😀 " + "x" * 4000
SHORT_HOSTILE = HOSTILE_HOST
ROOT = Path(__file__).resolve().parent.parent


def message_templates(locale: str) -> list[str]:
    base = TEMPLATES_DIR / locale
    return sorted(str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.j2") if not p.name.startswith("_"))


def hostile_view(**overrides: Any) -> DelegationView:
    province = Province("35", HOSTILE, HOSTILE, "WIB", ())
    values: dict[str, Any] = dict(
        institution=HOSTILE,
        province=province,
        head_name=HOSTILE,
        head_position=HOSTILE,
        planned_size=45,
        mode="onsite",
        arrival=date(2026, 12, 10),
        departure=date(2026, 12, 11),
        topics=[Theme("a", HOSTILE, HOSTILE), Theme("b", SHORT_HOSTILE, SHORT_HOSTILE)],
        topics_note=HOSTILE,
        contact_name=HOSTILE,
        contact_phone="+62 812-3456-7890",
        join_code="ABCD2345",
        status="pending",
        id=1,
    )
    values.update(overrides)
    return DelegationView(**values)


def hostile_entry(**overrides: Any) -> EntryView:
    values: dict[str, Any] = dict(
        id="x",
        kind="destination",
        title=HOSTILE,
        short=HOSTILE,
        details=HOSTILE,
        where=HOSTILE,
        hours=HOSTILE,
        getting_there=HOSTILE,
        cost=HOSTILE,
        tips=(HOSTILE, SHORT_HOSTILE),
        address=HOSTILE,
        maps_url="https://www.google.com/maps/search/?api=1&query=-8.1,114.3&x=<b>",
        has_point=True,
        staff_answer_on=date(2026, 11, 25),
        answer_language="en",
    )
    values.update(overrides)
    return EntryView(**values)


def hostile_plan() -> PlanView:
    start = datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    item = ItemView(
        start,
        start + timedelta(minutes=90),
        start.astimezone(ZoneInfo("Asia/Makassar")),
        HOSTILE,
        HOSTILE,
        HOSTILE,
        HOSTILE,
    )
    items = [item] * 11 + [replace(item, number=12)]  # the planning desk numbers its items
    return PlanView(HOSTILE, "WITA", [DayView(date(2026, 12, 10), items)], [item] * 3)


def hostile_month_report(*, empty: bool = False) -> MonthReport:
    """Every province, region and theme with a hostile name; `empty` is a month without visits."""
    province = Province("35", HOSTILE, HOSTILE, "WIB", ())
    region = Region("r", HOSTILE, HOSTILE, (province,))
    if empty:
        return MonthReport(
            2026, 12, 0, 0, 0, 2, 0, 0, 0, ModeTally(0, 0), ModeTally(0, 0), (), (Tally(region, 0),), (), ()
        )
    return MonthReport(
        year=2026,
        month=12,
        visits=40,
        approved=30,
        pending=10,
        not_held=3,
        people=4500,
        participants=900,
        institutions=38,
        onsite=ModeTally(35, 4300),
        virtual=ModeTally(5, 200),
        provinces=(Tally(province, 3),) * 38,
        regions=(Tally(region, 7), Tally(region, 0)) * 3,
        topics=(Tally(Theme("t", HOSTILE, HOSTILE), 5),) * 8,
        repeat_visitors=(RepeatVisitor(HOSTILE, 2),) * 5,
    )


def hostile_holdings(*, removed: bool = False) -> Holdings:
    """What /hapusdata lists; `removed` gives the rows as they look after an erasure or the retention job."""
    text = "" if removed else HOSTILE
    membership = MembershipRecord(
        HOSTILE,
        date(2026, 12, 10),
        date(2026, 12, 11),
        DelegationStatus.APPROVED,
        text,
        text,
        None if removed else HOSTILE,
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    coordinated = CoordinatedRecord(
        HOSTILE,
        date(2026, 12, 10),
        date(2026, 12, 10),
        DelegationStatus.PENDING,
        text,
        text,
        None if removed else HOSTILE,
    )
    if removed:
        return Holdings((membership,), (coordinated,), 0, False, 0)
    return Holdings((membership,) * 3, (coordinated,) * 2, 4, True, 2)


HOSTILE_ASKER = Asker(HOSTILE, HOSTILE, "participant")


def hostile_questions() -> list[OpenQuestion]:
    """Open questions from a hostile asker, one of each status the staff lists show."""
    at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    return [
        OpenQuestion(7, HOSTILE, at, HOSTILE_ASKER),
        OpenQuestion(8, HOSTILE, at, Asker(HOSTILE, HOSTILE, "coordinator"), status="answered"),
        OpenQuestion(9, HOSTILE, at, Asker(SHORT_HOSTILE), status="dismissed"),
    ]


def hostile_learning(**overrides: Any) -> LearningView:
    """A bot answer being saved or edited (handlers/faq.py), every part hostile."""
    themes = (Theme("a", HOSTILE, HOSTILE), Theme("b", SHORT_HOSTILE, SHORT_HOSTILE))
    values: dict[str, Any] = dict(
        number=12,
        question=HOSTILE,
        phrasings=(HOSTILE[:300], SHORT_HOSTILE),
        answer_id=HOSTILE,
        answer_en=HOSTILE,
        locale="id",
        kind="logistics",
        themes=themes,
    )
    values.update(overrides)
    return LearningView(**values)


def hostile_faq_rows() -> list[FaqRow]:
    day = date(2026, 11, 25)
    return [
        FaqRow(12, "staff-12", HOSTILE[:500], "logistics", ("id", "en"), 3, day, day),
        FaqRow(13, "staff-13", SHORT_HOSTILE, "innovation", ("en",), 0, None, day),
    ] * 5


def parameter_sets() -> list[dict[str, Any]]:
    """Everything any template may ask for, once with every optional part present and once sparse."""
    participant = Participant(1, 1, 1, HOSTILE, HOSTILE, HOSTILE, datetime(2026, 11, 25, tzinfo=UTC))
    full: dict[str, Any] = dict(
        step="institution",
        step_number=3,
        total=10,
        summary=hostile_view(),
        earliest=date(2026, 11, 28),
        arrival=date(2026, 12, 10),
        longest=7,
        chosen=hostile_view().topics,
        note=HOSTILE,
        min_notice=3,
        delegation=hostile_view(),
        links=[
            JoinLink("Telegram", "https://t.me/delegasi_bot?start=join-ABCD2345"),
            JoinLink("WhatsApp", "https://wa.me/6281133004400?text=GABUNG%20ABCD2345&x=<b>"),
        ],
        channel=SHORT_HOSTILE,
        typed=HOSTILE,
        low=2,
        high=120,
        length=4000,
        candidates=[hostile_view().province] * 3,
        size=301,
        limit=300,
        day=date(2026, 11, 1),
        today=date(2026, 11, 25),
        days=11,
        latest=date(2026, 12, 16),
        example=date(2026, 12, 9),
        in_weeks=2,
        day_number=31,
        month=date(2027, 2, 1),
        last_day=28,
        months=6,
        guess=hostile_view().province,
        flow="reg",
        virtual=True,
        name=HOSTILE,
        addressee=Addressee(HOSTILE, titled=False),
        daypart=DayPart.MORNING,
        position=HOSTILE,
        unit=HOSTILE,
        until=datetime(2026, 11, 25, 4, 20, tzinfo=UTC),
        left=3,
        coordinator=HOSTILE,
        by=HOSTILE,
        delegations=[hostile_view()] * 3,
        coordinated=[hostile_view()] * 2,
        joined=[hostile_view()],
        joined_count=12,
        participants=[participant] * 3,
        command=HOSTILE,
        recipient=HOSTILE,
        user=HOSTILE,
        as_staff=True,
        is_admin=True,
        region=Region("r", HOSTILE, HOSTILE, ()),
        entry=hostile_entry(),
        intent="cost",
        parts=[Part("cost", HOSTILE), Part("getting_there", HOSTILE)],
        missing=("when", "dress"),
        place=HOSTILE,
        question=HOSTILE,
        already_queued=True,
        recommended=[hostile_entry()] * 3,
        heading=HOSTILE,
        entries=[hostile_entry()] * 3,
        questions=hostile_questions(),
        window_minutes=10,
        question_id=7,
        answer=HOSTILE,
        asker=HOSTILE_ASKER,
        closed=Closed(7, "answered", HOSTILE, datetime(2026, 11, 25, 3, 5, tzinfo=UTC), HOSTILE, None),
        proposals=[ProposalView(hostile_view(), date(2026, 12, 17), date(2026, 12, 18))] * 2,
        todo=TodoView(
            [hostile_view()] * 3,
            [ProposalView(hostile_view(), date(2026, 12, 17), date(2026, 12, 17))] * 2,
            hostile_questions(),
        ),
        current_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
        current_minutes=90,
        current_text=HOSTILE,
        count=3,
        plan=hostile_plan(),
        conflicts=[
            ConflictView(kind, HOSTILE, datetime(2026, 12, 10, 2, 0, tzinfo=UTC), HOSTILE, HOSTILE, 40, 10)
            for kind in ("overlap", "travel", "outside_dates", "venue_closed", "capacity")
        ],
        published=True,
        mode="replace",
        existing=5,
        coordinator_told=True,
        unplaced=[Theme("e", HOSTILE, HOSTILE), Theme("h", SHORT_HOSTILE, SHORT_HOSTILE)],
        changes=[
            ChangeView(
                kind,
                HOSTILE,
                datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
                datetime(2026, 12, 10, 1, 0, tzinfo=UTC),
                HOSTILE,
            )
            for kind in ("added", "removed", "moved", "changed")
        ],
        institution=HOSTILE,
        address=HOSTILE,
        maps_url="https://www.google.com/maps/search/?api=1&query=-8.1,114.3&x=<b>",
        title=HOSTILE,
        at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC),
        item=hostile_plan().days[0].items[0],
        tips=(HOSTILE, SHORT_HOSTILE),
        muted=True,
        lead=60,
        outcome="approved",
        loads=[DayLoadView(date(2026, 12, 10), 3, 150, [HOSTILE], True)] * 2,
        over=True,
        limit_delegations=4,
        limit_people=200,
        reason=HOSTILE,
        departure=date(2026, 12, 11),
        accepted=True,
        calendar_days=[CalendarDay(date(2026, 12, 10), [VisitOnDay(hostile_view(), [HOSTILE])] * 3)] * 3,
        weeks=4,
        visits=[VisitOnDay(hostile_view(), [HOSTILE])] * 2,
        plans=[hostile_plan()],
        audience="delegation",
        target=HOSTILE,
        recipients=1000,
        skipped=3,
        number=7,
        counts=DeliveryCounts(7, 1000, 980, 5, 5, 0, held=8, outside_window=2, tracked=700, delivered=650, read=400),
        broadcasts=[DeliveryCounts(7, 1000, 900, 5, 5, 90), DeliveryCounts(8, 10, 7, 0, 0, 0, 2, 1, 9, 6, 3)] * 2,
        text=HOSTILE,
        report=hostile_month_report(),
        export=ExportSummary(date(2026, 12, 1), date(2027, 1, 31), 40, 3, 120, "xlsx"),
        account=User(1, "telegram", "1", "1", HOSTILE, "en", Role.MEMBER, None, datetime(2026, 11, 1, tzinfo=UTC)),
        holdings=hostile_holdings(),
        phones={HOSTILE: HOSTILE},
        blocking=hostile_holdings().coordinated,
        can_erase=False,
        retention_days=365,
        erasure=Erasure(2, 3, 1, 4),
        learning=hostile_learning(),
        language="id",
        faq_rows=hostile_faq_rows(),
        retired=2,
        page=2,
        pages=3,
    )
    sparse = dict(
        full,
        summary=hostile_view(
            institution=None,
            province=None,
            head_name=None,
            planned_size=None,
            mode=None,
            arrival=None,
            departure=None,
            topics=[],
            topics_note=None,
            contact_name=None,
            contact_phone=None,
        ),
        delegation=hostile_view(mode="virtual", departure=date(2026, 12, 10), topics_note=None, status="cancelled"),
        chosen=[],
        note=None,
        links=[],
        unit=None,
        left=0,
        delegations=[],
        coordinated=[],
        joined=[],
        joined_count=0,
        region=None,
        entry=hostile_entry(
            where=None,
            hours=None,
            getting_there=None,
            cost=None,
            tips=(),
            address=None,
            maps_url=None,
            has_point=False,
            staff_answer_on=None,
            answer_language=None,
        ),
        intent="where",
        parts=[],
        missing=("cost", "dress"),  # asked for, and not in the (sparse) entry: said so, as no staff answer covers it
        place=None,
        already_queued=False,
        recommended=[],
        entries=[],
        questions=[],
        asker=Asker(""),
        text="*<b>Tom & Jerry</a>* _miring_ ~coret~ 3*4*5 ~~ *a_b* " + "*tebal* " * 500,  # typed markup, long
        closed=Closed(7, "dismissed", "", None, None, None),
        proposals=[],
        todo=TodoView([], [], []),
        current_at=None,
        current_minutes=None,
        current_text=None,
        count=0,
        plan=PlanView(HOSTILE, None, [], []),
        conflicts=[],
        existing=0,
        coordinator_told=False,
        unplaced=[],
        published=False,
        changes=[],
        address=None,
        tips=(),
        muted=False,
        outcome="rejected",
        loads=[],
        over=False,
        accepted=False,
        calendar_days=[],
        visits=[],
        plans=[],
        audience="everyone",
        skipped=0,
        broadcasts=[],
        participants=[],
        as_staff=False,
        is_admin=False,
        step_number=None,
        in_weeks=None,
        flow="a flow added later",
        virtual=False,
        report=hostile_month_report(empty=True),
        export=ExportSummary(date(2026, 12, 1), date(2026, 12, 1), 0, 0, 0, "csv"),
        account=User(1, "console", "1", "1", "", "id", Role.MEMBER, None, datetime(2026, 11, 1, tzinfo=UTC)),
        holdings=hostile_holdings(removed=True),
        phones={},
        blocking=(),
        can_erase=True,
        erasure=Erasure(0, 0, 0, 0),
        addressee=Addressee(SHORT_HOSTILE, titled=True),
        daypart=DayPart.EVENING,
        learning=hostile_learning(number=None, phrasings=(), answer_en=None, kind=None, themes=()),
        language="en",  # not written in English yet
        faq_rows=[],
        retired=0,
        page=1,
        pages=1,
    )
    return [
        dict(base, role=role)
        for base, role in product((full, sparse), ("staff", "coordinator", "participant", "newcomer"))
    ]


def test_both_languages_have_the_same_templates_and_labels() -> None:
    assert message_templates("id") == message_templates("en")
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR))
    for name in ("_labels", "_macros"):
        macros = [
            set(re.findall(r"{% macro (\w+)\(", (TEMPLATES_DIR / loc / f"{name}.j2").read_text())) for loc in LOCALES
        ]
        assert macros[0] == macros[1], name
        for locale in LOCALES:
            env.parse((TEMPLATES_DIR / locale / f"{name}.j2").read_text())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", message_templates("id"))
def test_every_template_renders_hostile_values_as_valid_telegram_html(
    hostile_renderings: Callable[[str, str], tuple[RenderedReply, ...]], locale: str, template: str
) -> None:
    """With each parameter set (conftest.py's `renderer`; the renderings are the ones tests/test_whatsapp_format.py
    checks for WhatsApp)."""
    for rendered in hostile_renderings(template, locale):
        assert rendered.parts and all(part.strip() for part in rendered.parts)
        for part in rendered.parts:
            validate_telegram_html(part)
            assert telegram_text_length(part) <= MAX_MESSAGE_LENGTH
        joined = "".join(rendered.parts)
        assert "<b>Tom & Jerry" not in joined, "a user value escaped the autoescape"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_label_renders_as_plain_text(renderer: Renderer, locale: str) -> None:
    source = (TEMPLATES_DIR / locale / "_labels.j2").read_text()
    for name, params in re.findall(r"{% macro (\w+)\(([^)]*)\)", source):
        args = {p.strip(): SHORT_HOSTILE for p in params.split(",") if p.strip()}
        if "chosen" in args:
            args["chosen"] = True
        text = renderer.label(Label(name, args), locale)
        assert text and "&amp;" not in text and len(text) <= 200


def test_templates_use_only_values_the_code_passes() -> None:
    """Catch typos: every variable a template reads is one the parameter sets (and so the code) provide."""
    env = Renderer(ZoneInfo("Asia/Jakarta"), {}).env
    known = set(parameter_sets()[0]) | {"role", "locale", "host_name", "host_contact", "loop", "m"}
    for locale in LOCALES:
        for template in message_templates(locale):
            source = (TEMPLATES_DIR / locale / f"{template}.j2").read_text()
            unknown = meta.find_undeclared_variables(env.parse(source)) - known
            assert not unknown, f"{locale}/{template} reads {unknown}"


def test_templates_use_only_filters_and_tests_the_renderer_has() -> None:
    """A filter or test Jinja does not have fails only when its branch renders (`map("extract", …)` broke every
    answer lacking a part asked for): every name a template uses, directly or through map/select/reject, exists."""
    env = Renderer(ZoneInfo("Asia/Jakarta"), {}).env
    unknown: list[str] = []
    for path in sorted(TEMPLATES_DIR.rglob("*.j2")):
        ast = env.parse(path.read_text())
        used = [(node.name, env.tests) for node in ast.find_all(nodes.Test)]
        for node in ast.find_all(nodes.Filter):
            used.append((node.name, env.filters))
            if node.name in ("map", "select", "reject") and node.args and isinstance(node.args[0], nodes.Const):
                used.append((node.args[0].value, env.filters if node.name == "map" else env.tests))  # map("name")
        unknown += [f"{path.relative_to(TEMPLATES_DIR)}: {name}" for name, known in used if name not in known]
    assert unknown == []


_BLOCK_TAG = re.compile(r"{%.*?%}|{#.*?#}")
_OTHER_BRANCH = re.compile(r"\s*{%-?\s*(else|elif)\b")


def lines_run_together(source: str) -> list[int]:
    """Line numbers whose break the renderer drops: a line of text that ends in a block tag loses its newline to
    trim_blocks, so it runs into the next text ("…kunjungan.Saat ini:"). Such a tag keeps it with `+%}`, or the
    source leaves an empty line after it; a line of block tags only, the end of a macro, or a line followed by
    another branch of its `if` ({% else %}, {% elif %}: never shown together) loses nothing."""
    lines = source.split("\n")
    found = []
    for number, line in enumerate(lines, 1):
        end = line.rstrip()
        if not end.endswith("%}") or end.endswith("+%}") or re.search(r"{%-?\s*endmacro\s*-?%}$", end):
            continue
        if not _BLOCK_TAG.sub("", end).strip():
            continue  # a line of block tags only: its newline is meant to go
        for following in lines[number:]:
            if not following.strip() or "endmacro" in following or _OTHER_BRANCH.match(following):
                break
            if _BLOCK_TAG.sub("", following).strip():
                found.append(number)
                break
    return found


def test_no_line_runs_into_the_next_one() -> None:
    """End such a line's tag with +%} (`{% endif +%}`) to keep its line break."""
    found = {
        str(path.relative_to(TEMPLATES_DIR)): lines
        for locale in LOCALES
        for path in sorted((TEMPLATES_DIR / locale).rglob("*.j2"))
        if path.name != "_labels.j2"  # one macro a line: no line break is output
        and (lines := lines_run_together(path.read_text()))
    }
    assert not found, f"lines that run into the next one: {found}"


# The folders of templates/<locale>; a string in the code that starts with one of them names a template.
TEMPLATE_FOLDERS = (
    "agenda",
    "approvals",
    "broadcast",
    "console",
    "desk",
    "errors",
    "faq",
    "join",
    "menu",
    "participants",
    "plan",
    "privacy",
    "questions",
    "registration",
    "reminders",
    "reports",
    "status",
)


def test_every_template_the_code_names_exists() -> None:
    folders = {p.name for p in (TEMPLATES_DIR / "id").iterdir() if p.is_dir()}
    assert folders <= set(TEMPLATE_FOLDERS), f"add {folders - set(TEMPLATE_FOLDERS)} to TEMPLATE_FOLDERS"
    named = re.compile(rf'"((?:{"|".join(TEMPLATE_FOLDERS)})/[a-z_/]+)"')
    existing = set(message_templates("id"))
    missing = set()
    for folder in ("bot", "core", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in named.findall(path.read_text()):
                if name not in existing and not any(t.startswith(name + "_") for t in existing):
                    missing.add(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, sorted(missing)


def test_long_messages_are_split_at_line_breaks_keeping_tags_balanced() -> None:
    html = "\n".join(f"<b>line {i}</b> " + "word " * 30 for i in range(100))
    parts = split_message(html, limit=1000)
    assert len(parts) > 5
    for part in parts:
        validate_telegram_html(part)
        assert len(part) <= 1000
        assert part.startswith("<b>line")  # cut between lines, not inside one
    one_long_word = "<i>" + "a" * 2500 + " &amp; b</i>"
    parts = split_message(one_long_word, limit=1000)
    for part in parts:
        validate_telegram_html(part)
        assert len(part) <= 1000
    assert "".join(p.replace("<i>", "").replace("</i>", "") for p in parts) == "a" * 2500 + " &amp; b"


def test_splitting_random_markup_never_breaks_html_or_loses_text() -> None:
    """Seeded random messages: every part is valid and within the limit, and no visible character is lost."""
    import random

    from tests.telegram_html import parse_telegram_html

    rng = random.Random(20261125)
    pieces = ["word ", "&amp; ", "&lt;x&gt; ", "😀 ", "kata ", "a" * 60, "\n", "\n\n"]
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 40)):
            body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))).replace("\n", " ")
            tag = rng.choice(["", "b", "i", "code"])
            lines.append(f"<{tag}>{body}</{tag}>" if tag else body)
        html = "\n".join(lines)
        limit = rng.randint(80, 600)
        parts = split_message(html, limit=limit)
        for part in parts:
            validate_telegram_html(part)
            assert telegram_text_length(part) <= limit
            assert len(part.encode("utf-16-le")) // 2 <= limit
        visible = "".join(parse_telegram_html(p)[0] for p in parts)
        original = parse_telegram_html(html)[0]
        assert visible.replace("\n", "").replace(" ", "") == original.replace("\n", "").replace(" ", "")


def test_what_a_user_typed_is_quoted_back_cut_short() -> None:
    """`typed` is what the user typed: a template quotes it through `|echo`, so 4,000 characters come back as a few
    words, not as two messages."""
    from bot.render import ECHO_LENGTH, echo

    for locale in LOCALES:
        for template in message_templates(locale):
            source = (TEMPLATES_DIR / locale / f"{template}.j2").read_text()
            assert not re.search(r"{{\s*typed\s*(}}|\|(?!echo\b))", source), f"{locale}/{template} quotes typed uncut"
    assert echo(" apa  itu\n MPP? ") == "apa itu MPP?"
    long = echo("kata " * 1000)
    assert len(long) <= ECHO_LENGTH + 1 and long.endswith("kata…")
    assert echo("R" * 4000) == "R" * ECHO_LENGTH + "…"  # one long word is cut inside it


def test_an_answer_names_the_parts_asked_for_that_the_notes_lack() -> None:
    """ "Berapa biaya dan pakaiannya?" about an entry without either: the answer says which are not in the notes."""
    plain = Renderer(ZoneInfo("Asia/Jakarta"), {"host_name": "Pemkab Banyuwangi", "host_contact": None})
    entry = hostile_entry(staff_answer_on=None, answer_language=None)
    params = dict(entry=entry, parts=[Part("where", "Jl. Ahmad Yani")], missing=("cost", "dress"))
    indonesian = plain.render("questions/answer", "id", params)
    english = plain.render("questions/answer", "en", params)
    assert "biayanya dan pakaian yang sesuai belum ada di catatan kami" in indonesian
    assert "the cost and what to wear are not in our notes yet" in english
    one = plain.render("questions/answer", "en", {**params, "missing": ("when",)})
    assert "the times is not in our notes yet" in one
