"""The Jinja2 environment that turns every Reply into Telegram-safe HTML in the reader's language.

Templates live in templates/<locale>/<name>.j2 and autoescape everything, so a value a user typed
can never break the markup. Short texts such as button labels are macros of templates/<locale>/_labels.j2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.plural import PluralRule
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from bot.typed_markup import typed_to_html
from core.locale import DEFAULT_LOCALE
from core.messages import Label, Reply

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
MESSAGE_LIMIT = 4096
LABELS_KEPT = 10_000  # rendered labels remembered (Renderer.label); past that the memory starts again
ECHO_LENGTH = 80
"""How much of what a user typed a message quotes back (`|echo`): enough to recognise it, never a message's worth."""


@dataclass(frozen=True)
class RenderedButton:
    label: str
    action: str


@dataclass(frozen=True)
class RenderedReply:
    """Finished HTML parts (each within the platform limit) and button rows with plain-text labels."""

    parts: tuple[str, ...]
    buttons: tuple[tuple[RenderedButton, ...], ...]


class Renderer:
    def __init__(self, tz: tzinfo, globals_: Mapping[str, Any], templates_dir: Path = TEMPLATES_DIR) -> None:
        self._tz = tz
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # templates are read once; a deploy restarts the bot
        )
        self._label_modules: dict[str, Any] = {}
        self._labels: dict[tuple[str, str, tuple[tuple[str, Any], ...]], str] = {}
        self.env.globals.update(globals_)
        self.env.filters["longdate"] = _longdate
        self.env.filters["shortdate"] = _shortdate
        self.env.filters["monthyear"] = _monthyear
        self.env.filters["clock"] = self._clock
        self.env.filters["ownclock"] = _own_clock
        self.env.filters["formatted"] = typed_to_html  # staff's *bold*, _italic_, ~strike~; the rest escaped
        self.env.filters["plural"] = _plural
        self.env.filters["echo"] = echo

    def render(self, template: str, locale: str, params: Mapping[str, Any]) -> str:
        text = self.env.get_template(f"{locale}/{template}.j2").render({**params, "locale": locale})
        return _tidy(text)

    def label(self, label: Label, locale: str) -> str:
        """A button label or other short text; labels are plain text, so entities are unescaped. A label is the same
        text for the same name, values and locale (the templates are read once), so each is rendered once."""
        try:
            key = (locale, label.name, tuple(label.params.items()))
            known = self._labels.get(key)
        except TypeError:  # a value that cannot be a key (a list): rendered every time
            return self._label(label, locale)
        if known is None:
            if len(self._labels) >= LABELS_KEPT:
                self._labels.clear()
            known = self._labels[key] = self._label(label, locale)
        return known

    def _label(self, label: Label, locale: str) -> str:
        module = self._label_modules.get(locale)
        if module is None:
            module = self._label_modules[locale] = self.env.get_template(f"{locale}/_labels.j2").make_module(
                {"locale": locale}
            )
        macro = getattr(module, label.name, None)
        if macro is None:
            raise KeyError(f"no label {label.name!r} in {locale}/_labels.j2")
        return Markup(str(macro(**label.params))).unescape().strip()

    def render_reply(self, reply: Reply, locale: str) -> RenderedReply:
        html = self.render(reply.template, locale, reply.params)
        rows = tuple(tuple(RenderedButton(self.label(b.label, locale), b.action) for b in row) for row in reply.buttons)
        return RenderedReply(tuple(split_message(html)), rows)

    def _clock(self, value: datetime) -> str:
        return format_time(value.astimezone(self._tz), "HH:mm", locale="en")


def echo(typed: str) -> str:
    """What a user typed, as a message quotes it back: runs of spaces and line breaks as one space, cut at a word
    past ECHO_LENGTH characters. A 4,000-character message answered "“…” is not a date" would fill two messages."""
    text = " ".join(str(typed).split())
    if len(text) <= ECHO_LENGTH:
        return text
    cut = text[:ECHO_LENGTH]
    at_word = cut.rsplit(" ", 1)[0]
    return (at_word if len(at_word) > ECHO_LENGTH // 2 else cut).rstrip(" ,;:-") + "…"


def _own_clock(value: datetime) -> str:
    """The clock time in the value's own zone (a WITA or WIT time shown beside WIB)."""
    return f"{value:%H:%M}"


@cache
def _plural_rule(locale: str) -> PluralRule:
    return Locale.parse(locale).plural_form


@pass_context
def _plural(context: Context, count: object, one: str, other: str) -> str:
    """'1 question', '3 questions': the count with the form of its noun that the reader's language takes.

    `{{ n|plural("question", "questions") }}`; the choice follows the language's CLDR plural rule (Babel), so an
    English 1 takes the singular and Indonesian, which does not inflect, always the second form. A count that is
    not a number (a label rendered with test text) takes the second form; one the code did not pass fails.
    """
    rule = _plural_rule(context.get("locale", DEFAULT_LOCALE))
    is_one = isinstance(count, int | float) and rule(count) == "one"
    return f"{count} {one if is_one else other}"


@pass_context
def _longdate(context: Context, value: date) -> str:
    return format_date(value, format="EEEE, d MMMM y", locale=context.get("locale", DEFAULT_LOCALE))


@pass_context
def _shortdate(context: Context, value: date) -> str:
    return format_date(value, format="d MMM y", locale=context.get("locale", DEFAULT_LOCALE))


@pass_context
def _monthyear(context: Context, value: date) -> str:
    """'Desember 2026': the month a report covers."""
    return format_date(value, format="LLLL y", locale=context.get("locale", DEFAULT_LOCALE))


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Templates may leave runs of blank lines around optional blocks; keep at most one."""
    return _BLANK_LINES.sub("\n\n", text).strip()


# --- splitting long messages -------------------------------------------------------------------

_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|[^<&]+")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_message(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into parts of at most `limit` UTF-16 units, cutting at the last line break that fits.

    Telegram counts visible characters, we count the markup too, so a part is always accepted.
    Tags open at a cut are closed at the end of the part and reopened at the start of the next;
    no cut falls inside a tag or an entity, and a line longer than a message is cut between words.
    """
    if _utf16_length(html) <= limit:
        return [html]
    return _Splitter(limit).split(html)


class _Splitter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.current = ""
        self.open_tags: list[tuple[str, str]] = []  # (name, opening tag) of the tags open at the end of current
        self.line_cut: tuple[int, list[tuple[str, str]]] | None = None  # after the last newline in current

    def split(self, html: str) -> list[str]:
        for atom in _atoms(html):
            while not self._fits(atom):
                if self._cut():
                    continue
                if self._has_content():
                    self._cut_here()
                    continue
                # a run of text longer than a whole message: only plain text is ever cut, never a tag or entity
                head, atom = _cut_text(atom, self.limit - self._cost(self.current) - self._closing_cost())
                self.current += head
                self._cut_here()
            self._append(atom)
        if self._has_content():
            self.parts.append((self.current + _closing(self.open_tags)).strip("\n"))
        return self.parts

    def _has_content(self) -> bool:
        return bool(self.current.strip()) and self.current != _opening(self.open_tags)

    def _append(self, atom: str) -> None:
        self.current += atom
        match = _TAG.match(atom)
        if match:
            name = match.group(2).lower()
            if match.group(1):
                if self.open_tags and self.open_tags[-1][0] == name:
                    self.open_tags.pop()
            elif not atom.endswith("/>"):
                self.open_tags.append((name, atom))
        elif atom.endswith("\n"):
            self.line_cut = (len(self.current), list(self.open_tags))

    def _fits(self, atom: str) -> bool:
        tags = list(self.open_tags)
        match = _TAG.match(atom)
        if match and not match.group(1):
            tags.append((match.group(2).lower(), atom))
        elif match and tags and tags[-1][0] == match.group(2).lower():
            tags.pop()
        return self._cost(self.current + atom) + self._cost(_closing(tags)) <= self.limit

    def _cut(self) -> bool:
        """Cut at the last line break in the current part, if there is one worth cutting at."""
        if self.line_cut is None or not self.current[: self.line_cut[0]].strip():
            return False
        position, tags = self.line_cut
        self.parts.append((self.current[:position] + _closing(tags)).strip("\n"))
        self.current = _opening(tags) + self.current[position:]
        self.line_cut = None
        return True

    def _cut_here(self) -> None:
        """Cut at the end of the current part (mid-line); opening tags with nothing after them move on."""
        pending: list[tuple[str, str]] = []
        while self.open_tags and self.current.endswith(self.open_tags[-1][1]):
            pending.insert(0, self.open_tags.pop())
            self.current = self.current[: -len(pending[0][1])]
        if self._has_content():
            self.parts.append((self.current + _closing(self.open_tags)).strip("\n"))
        self.open_tags += pending
        self.current = _opening(self.open_tags)
        self.line_cut = None

    def _closing_cost(self) -> int:
        return self._cost(_closing(self.open_tags))

    @staticmethod
    def _cost(text: str) -> int:
        return _utf16_length(text)


def _closing(tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(tags))


def _opening(tags: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in tags)


def _atoms(html: str) -> list[str]:
    """Tags, entities and runs of text, with text further cut after newlines and spaces."""
    atoms: list[str] = []
    for token in _TOKEN.findall(html):
        if token.startswith(("<", "&")):
            atoms.append(token)
        else:
            atoms.extend(piece for piece in re.split(r"(?<=\n)|(?<= )", token) if piece)
    return atoms


def _cut_text(text: str, room: int) -> tuple[str, str]:
    """Cut plain text (no tags, no entities) so the head fits in `room` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            cut = max(index, 1)  # always make progress, even with no room left
            return text[:cut], text[cut:]
    return text, ""
