"""The channel-neutral contract: what a user said (Incoming) and what the bot answers (Reply).

Flows only ever see these types; each channel adapter turns its platform's updates into Incoming
and renders Replies with the templates. A Reply names a template, never carries finished text,
so the same Reply can be rendered in the recipient's own language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from aiosqlite import Connection

from storage.outbox import OutboxRow

CALLBACK_DATA_LIMIT = 64  # bytes; Telegram's limit for callback_data, respected by every channel
# Marks that reorder the text around them (LRM/RLM, embeddings, overrides, isolates): a "right-to-left
# override" in a name would turn what staff read around. Nobody needs them to write a name or a question.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


# Characters that show nothing although they are not whitespace: the fillers people send as an "empty" message.
BLANK_LOOKING = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def without_bidi_controls(text: str) -> str:
    return text.translate(BIDI_CONTROLS)


def is_blank(text: str) -> bool:
    """Whether the text shows nothing: only whitespace, invisible format characters (zero-width spaces, joiners,
    direction marks) and blank fillers. Such a message answers no question and asks none."""
    return all(c.isspace() or c in BLANK_LOOKING or unicodedata.category(c) == "Cf" for c in text)


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: typed text, pressed a button, or sent something we cannot read."""

    channel: str
    chat_id: str
    user_external_id: str
    display_name: str
    language_code: str | None = None
    text: str | None = None
    action: str | None = None
    origin_message_id: str | None = None  # the message whose button was pressed

    @property
    def is_unsupported(self) -> bool:
        return self.text is None and self.action is None

    @property
    def is_blank(self) -> bool:
        """Text that shows nothing (see is_blank): answered as such, in a flow or outside one."""
        return self.text is not None and self.action is None and is_blank(self.text)

    def cleaned(self) -> Incoming:
        """The same message with what a user typed (their name, their text) freed of bidirectional controls."""
        text = without_bidi_controls(self.text) if self.text is not None else None
        display_name = without_bidi_controls(self.display_name)
        if text == self.text and display_name == self.display_name:
            return self  # as nearly every message is: no copy of a frozen dataclass (dataclasses.replace, ~10 µs)
        return replace(self, display_name=display_name, text=text)


@dataclass(frozen=True)
class Label:
    """A short piece of user-facing text: a macro of templates/<locale>/_labels.j2."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """A labelled button; its action data is built by a declared action (handlers/actions.py)."""

    label: Label
    action: str


@dataclass(frozen=True)
class Recipient:
    """Where a message goes when it is not simply an answer in the current chat."""

    channel: str
    chat_id: str
    locale: str
    user_id: int | None = None


@dataclass(frozen=True)
class Venue:
    """A place to show on a map (Telegram sends it as a venue the phone can open)."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Document:
    """A file to send with a message (a calendar, an export)."""

    filename: str
    data: bytes
    mime_type: str


class DocumentSource(Protocol):
    """What a file is made from once the turn's transaction is over: the rows of an export, as they were read.

    Making the file (a workbook of 12,000 rows) is seconds of CPU work. Inside the turn it would hold the one
    database connection, and every other chat, the sender and the scheduler would wait; so the router commits
    the turn's reads first, calls `make` in a worker thread, and keeps the reply with the file in its place.
    Only a turn that may safely run twice returns one (it reads, and audits that it read): a kill while the
    file is made leaves the message unhandled in the inbox, to be handled again at the next start.
    """

    def make(self) -> Document: ...


@dataclass(frozen=True)
class Reply:
    """A message to show: a template with its values, optional button rows, optional recipient.

    `to=None` means "answer in the chat the Incoming came from". `replace_origin` asks a channel
    that can edit messages to update the message whose button was pressed instead of sending anew
    (used for multi-select toggles). `document_from` is a file still to be made (see DocumentSource): a reply
    with one is never kept or sent, the router makes the file first (core.replies.finish).
    """

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)
    buttons: Sequence[Sequence[Button]] = ()
    to: Recipient | None = None
    replace_origin: bool = False
    venue: Venue | None = None
    document: Document | None = None
    document_from: DocumentSource | None = None
    useful_until: datetime | None = None  # past it, a message still undelivered is given up (a reminder's event)


def reply(
    template: str,
    buttons: Sequence[Sequence[Button]] = (),
    *,
    venue: Venue | None = None,
    document: Document | None = None,
    document_from: DocumentSource | None = None,
    **params: Any,
) -> Reply:
    """Shorthand used by the flows: `reply("registration/ask_institution", rows, draft=d)`."""
    rows = tuple(tuple(row) for row in buttons)
    return Reply(
        template=template, params=params, buttons=rows, venue=venue, document=document, document_from=document_from
    )


Composer = Callable[[Connection, OutboxRow], Awaitable[Reply | None]]
"""Turns a queued outbox row into its message when it is sent (None: nothing to send any more)."""
ManyComposer = Callable[[Connection, Sequence[OutboxRow]], Awaitable[list[Reply | None]]]
"""A Composer of several rows of its kind claimed together, in their order: for rows that share what they are made of
(a broadcast's copies), read once for all of them."""
Settled = Callable[[Connection, OutboxRow], Awaitable[None]]
"""Runs after rows of its kind were sent or given up on (a broadcast's report when the last copy went): in the
transaction that settled them, once for each ref among them, with the last of its rows."""
