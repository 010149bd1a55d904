"""/daftar: a coordinator registers a visit, one question at a time, then confirms a summary."""

from __future__ import annotations

from datetime import date, timedelta

from core import visits
from core.content import Region
from core.errors import ValidationError
from core.messages import Button, Document, Reply, reply
from core.model import VisitMode
from core.registration import (
    FAR_AHEAD_MONTHS,
    add_topic_note,
    check_departure,
    earliest_arrival,
    is_far_ahead,
    parse_arrival,
    parse_departure,
    parse_group_size,
    parse_institution,
    parse_mobile_number,
    parse_name,
    parse_person,
    parse_province,
    parse_visit_mode,
    typed_theme,
    weeks_until,
)
from handlers.actions import WORD, Action, button, on
from handlers.approvals import SHOW_LOAD, START_PROPOSING, START_REJECTING
from handlers.confirming import check_buttons, confirmation
from handlers.context import Turn
from handlers.flow import Advance, Answer, Finish, Flow, GoTo, Outcome, Stay, Step, one_of
from handlers.menu import CANCEL_FLOW
from handlers.registration_draft import (
    EDITABLE,
    RegistrationDraft,
    edit_label,
    questions_of,
    step_values,
    summary_view,
)
from handlers.views import delegation_view, own_name_button, rows_of, theme_toggles, themes_of

FLOW = "reg"
# 1. Institution -------------------------------------------------------------------------------


def ask_institution(turn: Turn, draft: RegistrationDraft) -> Reply:
    return reply("registration/ask_institution", **step_values(turn, draft, "institution"))


async def take_institution(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    draft.institution = parse_institution(_typed(answer))
    return Advance()


# 2. Origin province ---------------------------------------------------------------------------


def ask_province(turn: Turn, draft: RegistrationDraft, region: Region | None = None, *, replace: bool = False) -> Reply:
    """First the island groups, then the provinces of the group pressed (38 buttons at once are too many)."""
    if region is None:
        regions = turn.services.content.regions
        buttons = [
            button("text", REGISTRATION.choice("province", f"r:{r.id}"), text=r.display(turn.locale)) for r in regions
        ]
        rows = rows_of(buttons, 2)
    else:
        provinces = sorted(region.provinces, key=lambda p: p.display(turn.locale))
        buttons = [
            button("text", REGISTRATION.choice("province", p.code), text=p.display(turn.locale)) for p in provinces
        ]
        rows = [*rows_of(buttons, 2), [button("other_regions", REGISTRATION.choice("province", "r:"))]]
    base = reply("registration/ask_province", rows, region=region, **step_values(turn, draft, "province"))
    return Reply(base.template, base.params, base.buttons, replace_origin=replace)


async def take_province(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    if answer.choice and answer.choice.startswith("r:"):
        region = one_of(turn.services.content.region, answer.choice[2:]) if answer.choice[2:] else None
        return Stay([ask_province(turn, draft, region, replace=True)])
    if answer.choice:
        province = one_of(turn.services.content.province, answer.choice)
    else:
        typed = parse_province(turn.services.content, _typed(answer))
        if not typed.exact:  # a typo read as a province: asked next (the check step), taken once confirmed
            draft.province_guess = typed.province.code
            return Advance(reopen=("province_check",))
        province = typed.province
    draft.province_code, draft.province_guess = province.code, None
    return Advance()


def ask_province_check(turn: Turn, draft: RegistrationDraft) -> Reply:
    """Ask "Maksud Anda Jawa Barat?", with yes / choose another."""
    guess = turn.services.content.province(draft.province_guess or "")
    rows = check_buttons(
        REGISTRATION, "province_check", "confirm_guess", "other_province", text=guess.display(turn.locale)
    )
    return reply("registration/confirm_province", rows, guess=guess, **step_values(turn, draft, "province"))


async def take_province_check(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    confirmed = confirmation(turn, answer)
    if confirmed is None:  # another province typed instead
        return await take_province(turn, draft, answer)
    guess, draft.province_guess = draft.province_guess, None
    if confirmed and guess is not None:
        draft.province_code = guess
        return Advance()
    return Advance(reopen=("province",))


# 3. Head of delegation ------------------------------------------------------------------------


def ask_head(turn: Turn, draft: RegistrationDraft) -> Reply:
    return reply("registration/ask_head", **step_values(turn, draft, "head"))


async def take_head(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    draft.head_name, draft.head_position = parse_person(_typed(answer), error_prefix="registration/errors/head")
    return Advance()


# 4. Number of participants --------------------------------------------------------------------


def ask_size(turn: Turn, draft: RegistrationDraft) -> Reply:
    return reply("registration/ask_size", **step_values(turn, draft, "size"))


async def take_size(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    draft.planned_size = parse_group_size(_typed(answer))
    return Advance()


# 5. Visit mode --------------------------------------------------------------------------------


def ask_mode(turn: Turn, draft: RegistrationDraft) -> Reply:
    rows = [
        [
            button("mode_onsite", REGISTRATION.choice("mode", VisitMode.ONSITE.value)),
            button("mode_virtual", REGISTRATION.choice("mode", VisitMode.VIRTUAL.value)),
        ]
    ]
    return reply("registration/ask_mode", rows, **step_values(turn, draft, "mode"))


async def take_mode(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    mode = (
        one_of(VisitMode, answer.choice) if answer.choice else parse_visit_mode(turn.services.content, _typed(answer))
    )
    was_virtual = draft.is_virtual
    draft.mode = mode.value
    if draft.is_virtual:
        draft.departure = draft.arrival  # a virtual session takes one day
    elif was_virtual:
        draft.departure = None  # an on-site visit may take several days: ask again
        return Advance(reopen=("departure",))
    return Advance()


# 6. Arrival and departure dates ---------------------------------------------------------------


def ask_arrival(turn: Turn, draft: RegistrationDraft) -> Reply:
    earliest = earliest_arrival(turn.today, turn.services.rules)
    return reply(
        "registration/ask_arrival",
        earliest=earliest,
        in_weeks=weeks_until(earliest, turn.today),
        **step_values(turn, draft, "arrival"),
    )


async def take_arrival(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    arrival = parse_arrival(_typed(answer), turn.today, turn.services.rules)
    if is_far_ahead(arrival, turn.today):  # often the year mistyped: asked next (the check step)
        draft.arrival_to_confirm = arrival.isoformat()
        return Advance(reopen=("arrival_check",))
    return _set_arrival(turn, draft, arrival)


def ask_arrival_check(turn: Turn, draft: RegistrationDraft) -> Reply:
    """Ask whether a date more than FAR_AHEAD_MONTHS ahead is right, with yes / change the date."""
    day = date.fromisoformat(draft.arrival_to_confirm or "")
    return reply(
        "registration/confirm_date",
        check_buttons(REGISTRATION, "arrival_check", "date_right", "date_change"),
        day=day,
        months=FAR_AHEAD_MONTHS,
        **step_values(turn, draft, "arrival"),
    )


async def take_arrival_check(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    confirmed = confirmation(turn, answer)
    if confirmed is None:  # another date typed instead
        return await take_arrival(turn, draft, answer)
    day = draft.arrival_to_confirm
    if not confirmed or day is None:
        draft.arrival_to_confirm = None
        return Advance(reopen=("arrival",))
    return _set_arrival(turn, draft, parse_arrival(day, turn.today, turn.services.rules))  # still ahead enough


def _set_arrival(turn: Turn, draft: RegistrationDraft, arrival: date) -> Outcome:
    """Take the arrival; a departure given before that no longer fits is asked again."""
    draft.arrival, draft.arrival_to_confirm = arrival.isoformat(), None
    departure = draft.departure_date
    if draft.is_virtual:
        draft.departure = draft.arrival
    elif departure is not None:
        try:
            check_departure(arrival, departure, turn.services.rules)
        except ValidationError:
            draft.departure = None  # the old departure no longer fits: it is asked again next
            return Advance(reopen=("departure",))
    return Advance()


def ask_departure(turn: Turn, draft: RegistrationDraft) -> Reply:
    rows = [
        [
            button("same_day", REGISTRATION.choice("departure", "0")),
            button("next_day", REGISTRATION.choice("departure", "1")),
        ]
    ]
    return reply(
        "registration/ask_departure",
        rows,
        arrival=draft.arrival_date,
        longest=turn.services.rules.max_visit_days,
        **step_values(turn, draft, "departure"),
    )


async def take_departure(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    arrival = draft.arrival_date
    if arrival is None:
        return GoTo("arrival")
    if answer.choice in ("0", "1"):
        departure = arrival + timedelta(days=int(answer.choice))
        check_departure(arrival, departure, turn.services.rules)
    else:
        departure = parse_departure(_typed(answer), turn.today, arrival, turn.services.rules)
    draft.departure = departure.isoformat()
    return Advance()


# 7. Topics of interest ------------------------------------------------------------------------


def ask_topics(turn: Turn, draft: RegistrationDraft, *, replace: bool = False) -> Reply:
    rows = theme_toggles(turn, lambda value: REGISTRATION.choice("topics", value), draft.topics)
    base = reply(
        "registration/ask_topics",
        rows,
        chosen=themes_of(turn, draft.topics),
        note=draft.topics_note,
        **step_values(turn, draft, "topics"),
    )
    return Reply(base.template, base.params, base.buttons, replace_origin=replace)


async def take_topics(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    """A button toggles a theme; a typed topic joins the selection (a theme's name selects the theme); the step stays
    open until Done is pressed, or a word for done or for skip is typed."""
    content = turn.services.content
    if answer.choice and answer.choice.startswith("t:"):
        theme = one_of(content.theme, answer.choice[2:]).id
        draft.topics = [t for t in draft.topics if t != theme] if theme in draft.topics else [*draft.topics, theme]
        draft.topics = [t.id for t in content.themes if t.id in draft.topics]
        return Stay([ask_topics(turn, draft, replace=True)])
    typed = " ".join((answer.text or "").split())
    if answer.choice == "done" or typed.lower() in content.done_words | content.skip_words:
        if not draft.topics and not draft.topics_note:
            raise ValidationError("registration/errors/topics_empty")
        return Advance()
    if answer.choice is not None:
        raise ValidationError("errors/use_buttons")
    theme_named = typed_theme(content, typed)
    if theme_named is not None:
        draft.topics = [t.id for t in content.themes if t.id in {*draft.topics, theme_named.id}]
    else:
        draft.topics_note = add_topic_note(draft.topics_note, typed)
    return Stay([ask_topics(turn, draft)])


# 8. Coordinator contact -----------------------------------------------------------------------


def ask_contact_name(turn: Turn, draft: RegistrationDraft) -> Reply:
    return reply(
        "registration/ask_contact_name",
        own_name_button(turn, REGISTRATION.choice("contact_name", "me")),
        **step_values(turn, draft, "contact_name"),
    )


async def take_contact_name(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    draft.contact_name = parse_name(turn.user.display_name if answer.choice == "me" else _typed(answer))
    return Advance()


def ask_contact_phone(turn: Turn, draft: RegistrationDraft) -> Reply:
    return reply("registration/ask_contact_phone", **step_values(turn, draft, "contact_phone"))


async def take_contact_phone(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    draft.contact_phone = parse_mobile_number(_typed(answer))
    return Advance()


# 9. Summary and confirmation ------------------------------------------------------------------


def confirm_summary(turn: Turn, draft: RegistrationDraft) -> Reply:
    edit_buttons = [
        button(edit_label(draft, f), REGISTRATION.choice("summary", f"edit:{f}")) for f in questions_of(draft)
    ]
    rows = [
        *rows_of(edit_buttons, 2),
        [button("confirm", REGISTRATION.choice("summary", "confirm"))],
        [button("cancel_flow", CANCEL_FLOW())],
    ]
    return reply("registration/summary", rows, summary=summary_view(turn, draft))


async def take_summary(turn: Turn, draft: RegistrationDraft, answer: Answer) -> Outcome:
    if answer.choice == "confirm":
        return Finish(await _submit(turn, draft))
    if answer.choice and answer.choice.startswith("edit:") and answer.choice[5:] in EDITABLE:
        return GoTo(answer.choice[5:])
    raise ValidationError("errors/use_buttons")


async def _submit(turn: Turn, draft: RegistrationDraft) -> list[Reply]:
    delegation = await visits.register(turn, draft.to_new_delegation())
    view = delegation_view(turn, delegation)
    links = turn.services.identity.join_links(delegation.join_code)
    qr_codes = [
        reply(
            "registration/join_qr",
            channel=link.channel,
            document=Document(f"gabung-{link.channel.lower()}.png", link.qr_png(), "image/png"),
        )
        for link in links
    ]
    return [
        reply("registration/submitted", delegation=view, links=links),
        *qr_codes,
        *await turn.tell_staff(
            "registration/submitted_for_staff",
            decision_buttons(delegation.id),
            delegation=view,
            coordinator=turn.user.display_name,
        ),
    ]


def decision_buttons(delegation_id: int) -> list[list[Button]]:
    """The buttons under a new registration's notice to staff (handled in handlers/approvals.py)."""
    return [
        [button("approve", SHOW_LOAD(delegation_id)), button("reject", START_REJECTING(delegation_id))],
        [button("propose_dates", START_PROPOSING(delegation_id))],
    ]


def _typed(answer: Answer) -> str:
    if answer.text is None:
        raise ValidationError("errors/type_answer")
    return answer.text


REGISTRATION: Flow[RegistrationDraft] = Flow(
    FLOW,
    [
        Step("institution", ask_institution, take_institution),
        Step("province", ask_province, take_province),
        Step("province_check", ask_province_check, take_province_check, applies=lambda d: d.province_guess is not None),
        Step("head", ask_head, take_head),
        Step("size", ask_size, take_size),
        Step("mode", ask_mode, take_mode),
        Step("arrival", ask_arrival, take_arrival),
        Step(
            "arrival_check", ask_arrival_check, take_arrival_check, applies=lambda d: d.arrival_to_confirm is not None
        ),
        Step("departure", ask_departure, take_departure, applies=lambda d: not d.is_virtual),
        Step("topics", ask_topics, take_topics),
        Step("contact_name", ask_contact_name, take_contact_name),
        Step("contact_phone", ask_contact_phone, take_contact_phone),
        Step("summary", confirm_summary, take_summary),
    ],
    RegistrationDraft.from_json,
)


RESUME = Action("reg:resume", WORD)  # continue | restart an unfinished registration


async def start_registration(turn: Turn) -> list[Reply]:
    """/daftar: begin, or, with an unfinished registration, offer to continue or start over."""
    existing = turn.conversation
    if existing is not None and existing.flow == FLOW:
        rows = [[button("continue", RESUME("continue")), button("start_over", RESUME("restart"))]]
        return [reply("registration/resume_offer", rows, summary=summary_view(turn, REGISTRATION.draft_of(existing)))]
    return await _start_afresh(turn)


@on(RESUME)
async def resume_registration(turn: Turn, choice: str) -> list[Reply]:
    existing = turn.conversation
    if choice == "continue" and existing is not None and existing.flow == FLOW:
        return await REGISTRATION.ask_again(turn, existing)
    return await _start_afresh(turn)


async def _start_afresh(turn: Turn) -> list[Reply]:
    return [
        reply("registration/intro", min_notice=turn.services.rules.min_notice_days),
        *await REGISTRATION.begin(turn, RegistrationDraft()),
    ]
