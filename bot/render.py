"""The Jinja2 environment that turns every Reply into Telegram-safe HTML in the reader's language.

Templates live in templates/<locale>/<name>.j2 and autoescape everything, so a value a user typed
can never break the markup. Short texts such as button labels are macros of templates/<locale>/_labels.j2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from bot.messages import Label, Reply

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
MESSAGE_LIMIT = 4096


def choose_locale(language_code: str | None) -> str:
    """English for clients set to English, Indonesian for everyone else."""
    if language_code and language_code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LOCALE


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
        )
        self.env.globals.update(globals_)
        self.env.filters["longdate"] = _longdate
        self.env.filters["shortdate"] = _shortdate
        self.env.filters["clock"] = self._clock

    def render(self, template: str, locale: str, params: Mapping[str, Any]) -> str:
        text = self.env.get_template(f"{locale}/{template}.j2").render({**params, "locale": locale})
        return _tidy(text)

    def label(self, label: Label, locale: str) -> str:
        """A button label or other short text; labels are plain text, so entities are unescaped."""
        module = self.env.get_template(f"{locale}/_labels.j2").make_module({"locale": locale})
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


@pass_context
def _longdate(context: Context, value: date) -> str:
    return format_date(value, format="EEEE, d MMMM y", locale=context.get("locale", DEFAULT_LOCALE))


@pass_context
def _shortdate(context: Context, value: date) -> str:
    return format_date(value, format="d MMM y", locale=context.get("locale", DEFAULT_LOCALE))


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
    """Split HTML into parts of at most `limit` UTF-16 units, preferring line breaks.

    Telegram counts visible characters, we count the markup too, so a part is always accepted.
    Tags open at a cut are closed at the end of the part and reopened at the start of the next,
    and no cut falls inside a tag or an entity.
    """
    if _utf16_length(html) <= limit:
        return [html]
    parts: list[str] = []
    current = ""
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(open_tags))

    def reopening() -> str:
        return "".join(tag for _, tag in open_tags)

    def flush() -> None:
        nonlocal current
        if current.strip():
            parts.append((current + closing()).strip("\n"))
        current = reopening()

    for atom in _atoms(html):
        budget = limit - _utf16_length(closing())
        if _utf16_length(current + atom) > budget:
            flush()
            budget = limit - _utf16_length(closing())
            while _utf16_length(current + atom) > budget:  # a single word longer than a message
                room = budget - _utf16_length(current)
                head, atom = _cut_text(atom, room)
                current += head
                flush()
        current += atom
        match = _TAG.match(atom)
        if match:
            name = match.group(2).lower()
            if match.group(1):
                if open_tags and open_tags[-1][0] == name:
                    open_tags.pop()
            elif not atom.endswith("/>"):
                open_tags.append((name, atom))
    if current.strip() and current != reopening():
        parts.append((current + closing()).strip("\n"))
    return parts


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
