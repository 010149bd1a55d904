"""Registration rules: what each answer of /daftar (and of the staff's date proposals) must look like.

Every check raises ValidationError with a template under registration/errors/, which the flow shows
before asking the same question again.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.content import Content, Province, Theme
from core.dates import no_such_day, parse_date
from core.errors import ValidationError
from storage.delegations import VisitMode

INSTITUTION_LENGTH = (2, 120)
NAME_LENGTH = (2, 80)
POSITION_LENGTH = (2, 80)
NOTE_LENGTH = 300
MAX_GROUP_SIZE = 300
UNIT_LENGTH = (2, 120)
REASON_LENGTH = (3, 500)
FAR_AHEAD_MONTHS = 6
"""A visit further ahead than this is asked to be confirmed: "22 Desember 2027" is usually 2026 mistyped."""


@dataclass(frozen=True)
class VisitRules:
    """The host's rules for dates, from settings."""

    min_notice_days: int
    max_visit_days: int


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_institution(text: str) -> str:
    value = _clean(text)
    low, high = INSTITUTION_LENGTH
    if len(value) < low or len(value) > high:
        raise ValidationError("registration/errors/institution_length", low=low, high=high, length=len(value))
    if not re.search(r"[^\W\d_]", value):
        raise ValidationError("registration/errors/institution_letters")
    return value


@dataclass(frozen=True)
class TypedProvince:
    """The province a typed answer names. Only a name or an alias is `exact`; anything else (a typo the fuzzy
    matching corrected, "jabr") is a guess the user confirms before it is taken."""

    province: Province
    exact: bool


def parse_province(content: Content, text: str) -> TypedProvince:
    match = content.match_province(text)
    if match.province is not None:
        return TypedProvince(match.province, match.exact)
    if len(match.candidates) == 1:  # near only one province: a guess, as a clear best match is
        return TypedProvince(match.candidates[0], exact=False)
    if match.candidates:
        raise ValidationError("registration/errors/province_unclear", typed=text, candidates=match.candidates)
    raise ValidationError("registration/errors/province_unknown", typed=text)


def read_yes_no(content: Content, text: str) -> bool | None:
    """A typed yes (True) or no (False) to a question asking to confirm; None when it is neither."""
    typed = _clean(text).lower().strip(".!")
    if typed in content.yes_words:
        return True
    if typed in content.no_words:
        return False
    return None


def parse_person(text: str, *, error_prefix: str) -> tuple[str, str]:
    """ "Herman Suherman, Bupati" → ("Herman Suherman", "Bupati"); a name and a position are both required."""
    value = _clean(text)
    for separator in (",", " - ", " – ", "/", ";"):
        if separator in value:
            name, _, position = value.partition(separator)
            name, position = name.strip(" ,-"), position.strip(" ,-")
            break
    else:
        raise ValidationError(f"{error_prefix}_format", typed=value)
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        raise ValidationError(f"{error_prefix}_name", low=NAME_LENGTH[0], high=NAME_LENGTH[1])
    if not POSITION_LENGTH[0] <= len(position) <= POSITION_LENGTH[1]:
        raise ValidationError(f"{error_prefix}_position", low=POSITION_LENGTH[0], high=POSITION_LENGTH[1])
    return name, position


def parse_name(text: str) -> str:
    value = _clean(text)
    if not NAME_LENGTH[0] <= len(value) <= NAME_LENGTH[1] or not re.search(r"[^\W\d_]", value):
        raise ValidationError("registration/errors/name", low=NAME_LENGTH[0], high=NAME_LENGTH[1])
    return value


def parse_group_size(text: str) -> int:
    match = re.fullmatch(
        r"\s*(?:sekitar\s+|about\s+|±\s*)?(\d{1,6})\s*(?:orang|org|peserta|people|persons?|pax)?\s*", text.lower()
    )
    if match is None:
        raise ValidationError("registration/errors/size_not_number", typed=text)
    size = int(match.group(1))
    if size < 1:
        raise ValidationError("registration/errors/size_too_small")
    if size > MAX_GROUP_SIZE:
        raise ValidationError("registration/errors/size_too_large", size=size, limit=MAX_GROUP_SIZE)
    return size


def parse_visit_mode(content: Content, text: str) -> VisitMode:
    typed = _clean(text).lower()
    for mode, words in content.visit_mode_words.items():
        if typed in words:
            return VisitMode(mode)
    raise ValidationError("registration/errors/mode_unknown", typed=text)


def earliest_arrival(today: date, rules: VisitRules) -> date:
    return today + timedelta(days=rules.min_notice_days)


def weeks_until(day: date, today: date) -> int:
    """The fewest whole weeks from today that reach `day` (at least one): "N minggu lagi" as an example answer
    that the notice rule accepts, where "besok" or "senin depan" may be too soon."""
    return max(1, math.ceil((day - today).days / 7))


def parse_arrival(text: str, today: date, rules: VisitRules) -> date:
    earliest = earliest_arrival(today, rules)
    arrival = _parse_date(text, today, example=earliest, in_weeks=weeks_until(earliest, today))
    if arrival < today:
        raise ValidationError("registration/errors/date_past", day=arrival, today=today)
    if arrival < earliest:
        raise ValidationError(
            "registration/errors/date_notice", day=arrival, earliest=earliest, days=rules.min_notice_days
        )
    return arrival


def is_far_ahead(day: date, today: date) -> bool:
    """Whether a visit on `day` is more than FAR_AHEAD_MONTHS ahead, and so asked to be confirmed."""
    month = today.month - 1 + FAR_AHEAD_MONTHS
    year, month = today.year + month // 12, month % 12 + 1
    return day > date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def parse_departure(text: str, today: date, arrival: date, rules: VisitRules) -> date:
    example = arrival + timedelta(days=1 if rules.max_visit_days > 1 else 0)
    departure = _parse_date(text, today, example=example, in_weeks=None)
    check_departure(arrival, departure, rules)
    return departure


def check_departure(arrival: date, departure: date, rules: VisitRules) -> None:
    if departure < arrival:
        raise ValidationError("registration/errors/departure_before_arrival", day=departure, arrival=arrival)
    days = (departure - arrival).days + 1
    if days > rules.max_visit_days:
        raise ValidationError(
            "registration/errors/visit_too_long",
            days=days,
            limit=rules.max_visit_days,
            latest=arrival + timedelta(days=rules.max_visit_days - 1),
        )


def _parse_date(text: str, today: date, *, example: date, in_weeks: int | None) -> date:
    """The date typed; a day its month lacks is said to be so, and anything else unreadable is answered with
    examples of this question that it accepts (`in_weeks`: a relative example, when one fits)."""
    parsed = parse_date(text, today)
    if parsed is not None:
        return parsed
    wrong = no_such_day(text, today)
    if wrong is not None:
        raise ValidationError(
            "registration/errors/date_nonexistent", day_number=wrong.day, month=wrong.month, last_day=wrong.last_day
        )
    raise ValidationError("registration/errors/date_unreadable", typed=text, example=example, in_weeks=in_weeks)


def typed_theme(content: Content, text: str) -> Theme | None:
    """The theme a typed topic names (its name in either language, in any case); None for a topic of one's own."""
    typed = _clean(text).lower()
    return next((t for t in content.themes if typed in (t.name.lower(), t.name_en.lower())), None)


def add_topic_note(note: str | None, typed: str) -> str:
    """The topics typed so far with one more (each kept once, in the order typed), within NOTE_LENGTH."""
    value = _clean(typed)
    topics = [t for t in (note or "").split("; ") if t]
    if value.lower() not in (t.lower() for t in topics):
        topics.append(value)
    joined = "; ".join(topics)
    if len(joined) > NOTE_LENGTH:
        raise ValidationError("registration/errors/note_too_long", limit=NOTE_LENGTH, length=len(joined))
    return joined


def parse_mobile_number(text: str) -> str:
    """Any common Indonesian form (0812…, +62 812…, 62812…) → E.164 (+62812…); only mobile numbers."""
    raw = text.strip()
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.startswith("62") and not digits.startswith("+"):
        digits = "+" + digits
    import phonenumbers  # ~30 ms to import: by the first number typed or shown, not by every start

    try:
        number = phonenumbers.parse(digits, "ID")
    except phonenumbers.NumberParseException:
        raise ValidationError("registration/errors/phone_unreadable", typed=raw) from None
    if number.country_code != 62:
        raise ValidationError("registration/errors/phone_not_indonesian", typed=raw)
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("registration/errors/phone_unreadable", typed=raw)
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError("registration/errors/phone_not_mobile", typed=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """+6281234567890 → +62 812-3456-7890, for reading."""
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def parse_position(text: str) -> str:
    """A participant's position ("Camat", "Kepala Dinas Kominfo")."""
    position = _clean(text)
    if not POSITION_LENGTH[0] <= len(position) <= POSITION_LENGTH[1]:
        raise ValidationError("join/errors/position", low=POSITION_LENGTH[0], high=POSITION_LENGTH[1])
    return position


def parse_unit(text: str, skip_words: frozenset[str]) -> str | None:
    """A participant's unit of work, or None when they answer with a word for "skip" ("-", "lewati")."""
    unit = _clean(text)
    if unit.lower() in skip_words:
        return None
    if not UNIT_LENGTH[0] <= len(unit) <= UNIT_LENGTH[1]:
        raise ValidationError("join/errors/unit", high=UNIT_LENGTH[1])
    return unit


def parse_reason(text: str) -> str:
    """Why staff reject a visit: the coordinator reads it, so it must say something."""
    reason = _clean(text)
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise ValidationError("approvals/errors/reason", low=REASON_LENGTH[0], high=REASON_LENGTH[1])
    return reason
