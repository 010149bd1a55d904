"""Entries as templates show them: texts in the reader's language with the host's details filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.knowledge.entries import Entry, Text
from core.knowledge.search import INTENT_PARTS

_CONTACT_IN_PARENTHESES = re.compile(r"\s*\(\{host_contact\}\)")


@dataclass(frozen=True)
class HostDetails:
    """What content leaves to the host: {host_name} and {host_contact} placeholders.

    Content writes the contact beside the host's name in parentheses, "{host_name} ({host_contact})", and alone
    only where the host's name reads as well ("hubungi {host_contact}"). With no HOST_CONTACT set, the
    parenthesised contact is left out (not "Pemkab Banyuwangi (Pemkab Banyuwangi)", nor empty parentheses) and a
    contact alone becomes the host's name; the knowledge tests hold every entry to this.
    """

    name: str
    contact: str | None

    def fill(self, text: str) -> str:
        if not self.contact:
            text = _CONTACT_IN_PARENTHESES.sub("", text)
        return text.replace("{host_name}", self.name).replace("{host_contact}", self.contact or self.name)


@dataclass(frozen=True)
class EntryView:
    id: str
    kind: str
    title: str
    short: str
    details: str
    where: str | None
    hours: str | None
    getting_there: str | None
    cost: str | None
    tips: tuple[str, ...]
    address: str | None
    maps_url: str | None
    has_point: bool
    staff_answer_on: date | None = None  # a staff answer saved from the desk's queue, last written on this day (WIB)
    answer_language: str | None = None  # the language a staff answer is written in, when it is not the reader's


def entry_view(entry: Entry, locale: str, host: HostDetails) -> EntryView:
    """A staff answer is one text (its short answer and its details are the same), so the card shows it once."""

    def text(value: Text | None) -> str | None:
        return host.fill(value.in_(locale)) if value else None

    location = entry.location
    learned = entry.learned
    return EntryView(
        id=entry.id,
        kind=entry.kind,
        title=entry.title.in_(locale),
        short=host.fill(entry.short.in_(locale)),
        details="" if learned else host.fill(entry.details.in_(locale)),
        where=text(entry.where),
        hours=text(entry.hours),
        getting_there=text(entry.getting_there),
        cost=text(entry.cost),
        tips=tuple(host.fill(t) for t in entry.every_tip(locale)),
        address=location.address if location else None,
        maps_url=location.maps_url(entry.title.id) if location else None,  # searched by its local name
        has_point=bool(location and location.has_point),
        staff_answer_on=learned.on if learned else None,
        answer_language=learned.written_in[0] if learned and locale not in learned.written_in else None,
    )


def intent_part(entry: Entry, intent: str, locale: str, host: HostDetails) -> tuple[str, str] | None:
    """The part of the entry that answers this kind of question, as (part name, text), if the entry has one."""
    for name in INTENT_PARTS.get(intent, ()):
        value = entry.part(name)
        if value is not None:
            return name, host.fill(value.in_(locale))
    return None


@dataclass(frozen=True)
class Part:
    name: str  # where | hours | getting_there | cost
    text: str


@dataclass(frozen=True)
class Parts:
    """What an answer shows for the kinds of fact asked ("cara ke Kawah Ijen dan berapa tiketnya?"): the entry's
    part for each, once each, in the order asked, and the kinds it has no part for."""

    shown: tuple[Part, ...]
    missing: tuple[str, ...]  # intents


def intent_parts(entry: Entry, intents: tuple[str, ...], locale: str, host: HostDetails) -> Parts:
    shown: list[Part] = []
    missing: list[str] = []
    for intent in intents:
        part = intent_part(entry, intent, locale, host)
        if part is None:
            missing.append(intent)
        elif all(p.name != part[0] for p in shown):
            shown.append(Part(*part))
    return Parts(tuple(shown), tuple(missing))


def plain_answer(entry: Entry, intents: tuple[str, ...], locale: str, host: HostDetails) -> str:
    """The answer as one plain string (for the command line): the short answer and the parts that fit."""
    parts = intent_parts(entry, intents, locale, host)
    return " ".join([host.fill(entry.short.in_(locale)), *(part.text for part in parts.shown)])
