"""Phone numbers as WhatsApp knows people: its user id (wa_id) is the number in E.164 without the '+'.

Staff are named by phone number in the settings, in whatever spelling an operator types ("0812-3456-7890",
"+62 812 3456 7890", "6281234567890"); each is read with phonenumbers (Indonesia the default region) and
kept as the wa_id WhatsApp will send, so a staff member is recognised on their first message.
"""

from __future__ import annotations

import re

from core.locale import DEFAULT_LOCALE

INDONESIA = 62
OTHER_COUNTRIES_LOCALE = "en"
"""WhatsApp gives no client language: +62 numbers start in Indonesian, every other country in English."""


def whatsapp_id(typed: str) -> str | None:
    """The wa_id of a number in any common spelling; None when it is not a valid phone number."""
    digits = re.sub(r"[^\d+]", "", typed.strip())
    if not digits:
        return None
    if not digits.startswith(("+", "0")):
        digits = "+" + digits  # written with its country code, without the plus
    import phonenumbers  # ~30 ms to import: by the first number read, not by every start

    try:
        number = phonenumbers.parse(digits, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")


def locale_of_number(wa_id: str) -> str:
    """The language a WhatsApp user starts in, from their number's country code."""
    import phonenumbers

    try:
        country = phonenumbers.parse("+" + wa_id).country_code
    except phonenumbers.NumberParseException:
        return DEFAULT_LOCALE
    return DEFAULT_LOCALE if country == INDONESIA else OTHER_COUNTRIES_LOCALE
