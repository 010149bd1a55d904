"""Entries as templates show them: texts in the reader's language with the host's details filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def entry_view(entry: Entry, locale: str, host: HostDetails) -> EntryView:
    def text(value: Text | None) -> str | None:
        return host.fill(value.in_(locale)) if value else None

    location = entry.location
    return EntryView(
        id=entry.id,
        kind=entry.kind,
        title=entry.title.in_(locale),
        short=host.fill(entry.short.in_(locale)),
        details=host.fill(entry.details.in_(locale)),
        where=text(entry.where),
        hours=text(entry.hours),
        getting_there=text(entry.getting_there),
        cost=text(entry.cost),
        tips=tuple(host.fill(t) for t in entry.every_tip(locale)),
        address=location.address if location else None,
        maps_url=location.maps_url(entry.title.id) if location else None,  # searched by its local name
        has_point=bool(location and location.has_point),
    )


def intent_part(entry: Entry, intent: str, locale: str, host: HostDetails) -> tuple[str, str] | None:
    """The part of the entry that answers this kind of question, as (part name, text), if the entry has one."""
    for name in INTENT_PARTS.get(intent, ()):
        value = entry.part(name)
        if value is not None:
            return name, host.fill(value.in_(locale))
    return None


def plain_answer(entry: Entry, intent: str, locale: str, host: HostDetails) -> str:
    """The answer as one plain string (for the command line): the short answer and the part that fits."""
    part = intent_part(entry, intent, locale, host)
    short = host.fill(entry.short.in_(locale))
    return f"{short} {part[1]}" if part else short
