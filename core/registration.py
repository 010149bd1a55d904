"""Registration rules: what each answer of /daftar (and of the staff's date proposals) must look like.

Every check raises ValidationError with a template under registration/errors/, which the flow shows
before asking the same question again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers

from core.content import Content, Province
from core.dates import parse_date
from core.errors import ValidationError
from storage.delegations import VisitMode

INSTITUTION_LENGTH = (2, 120)
NAME_LENGTH = (2, 80)
POSITION_LENGTH = (2, 80)
NOTE_LENGTH = 300
MAX_GROUP_SIZE = 300
UNIT_LENGTH = (2, 120)
REASON_LENGTH = (3, 500)


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


def parse_province(content: Content, text: str) -> Province:
    match = content.match_province(text)
    if match.province is not None:
        return match.province
    if match.candidates:
        raise ValidationError("registration/errors/province_unclear", typed=text, candidates=match.candidates)
    raise ValidationError("registration/errors/province_unknown", typed=text)


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


def parse_arrival(text: str, today: date, rules: VisitRules) -> date:
    arrival = _parse_date(text, today)
    if arrival < today:
        raise ValidationError("registration/errors/date_past", day=arrival, today=today)
    earliest = today + timedelta(days=rules.min_notice_days)
    if arrival < earliest:
        raise ValidationError(
            "registration/errors/date_notice", day=arrival, earliest=earliest, days=rules.min_notice_days
        )
    return arrival


def parse_departure(text: str, today: date, arrival: date, rules: VisitRules) -> date:
    departure = _parse_date(text, today)
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


def _parse_date(text: str, today: date) -> date:
    parsed = parse_date(text, today)
    if parsed is None:
        raise ValidationError("registration/errors/date_unreadable", typed=text, example=today + timedelta(days=14))
    return parsed


def parse_topics_note(text: str) -> str:
    value = _clean(text)
    if len(value) > NOTE_LENGTH:
        raise ValidationError("registration/errors/note_too_long", limit=NOTE_LENGTH, length=len(value))
    return value


def parse_mobile_number(text: str) -> str:
    """Any common Indonesian form (0812…, +62 812…, 62812…) → E.164 (+62812…); only mobile numbers."""
    raw = text.strip()
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.startswith("62") and not digits.startswith("+"):
        digits = "+" + digits
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
