"""What a rendered Reply becomes on WhatsApp: its text in WhatsApp's markup, its buttons in a form WhatsApp takes.

The templates stay one set, written in Telegram's HTML subset (<b>, <i>, <s>, <code>, <a href>); this module is
the only place that knows WhatsApp's formatting and limits, so no flow is written twice:

- **Text.** <b> becomes *bold*, <i> _italic_, <s> ~strike~ (what staff type in a broadcast comes back as they
  typed it: bot/typed_markup.py), <code> ```monospace```, a link "label: URL" (WhatsApp shows
  plain URLs as links), entities are unescaped. A marker only formats when it touches a word, so spaces at
  the edge of a span are moved outside it. Parts were split for Telegram at 4,096 UTF-16 units counting the
  markup; the conversion only shortens them, so each stays within WhatsApp's 4,096 characters.
- **Buttons.** WhatsApp has no rows, so the rows are read in order. Up to MAX_REPLY_BUTTONS whose labels fit
  BUTTON_TITLE_LIMIT become reply buttons; up to MAX_LIST_ROWS become a list message, a label too long for a
  row's title shortened at a word boundary with the full form in the row's description; more, or a label
  that cannot be shortened without cutting a word, become a numbered list in the text, answered by typing
  the number (or several: "1, 3, 5"; core.choices).

Lengths are counted in UTF-16 units, the strictest count any of WhatsApp's clients uses.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.render import RenderedButton

TEXT_LIMIT = 4096
"""Characters of one text message."""
BUTTON_TITLE_LIMIT = 20
"""Characters of a reply button's title, and of the button that opens a list."""
MAX_REPLY_BUTTONS = 3
LIST_ROW_TITLE_LIMIT = 24
LIST_ROW_DESCRIPTION_LIMIT = 72
MAX_LIST_ROWS = 10
ELLIPSIS = "…"

_MARKERS = {"b": "*", "i": "_", "s": "~", "code": "```"}
_TOKEN = re.compile(r"<(/?)(b|i|s|code|a)(?:\s+href=\"([^\"]*)\")?\s*>|([^<]+|<)")


def units(text: str) -> int:
    """The length WhatsApp's limits are checked against (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def to_whatsapp_text(markup: str) -> str:
    """One rendered part (Telegram HTML subset, escaped) in WhatsApp's markup, as plain text."""
    out: list[str] = []
    spans: list[tuple[str, int, str | None]] = []  # (tag, where its text starts in out, href)
    for match in _TOKEN.finditer(markup):
        closing, tag, href, text = match.groups()
        if text is not None:
            out.append(html.unescape(text))
        elif not closing:
            spans.append((tag, len(out), html.unescape(href) if href else None))
        elif spans and spans[-1][0] == tag:
            _, start, link = spans.pop()
            inner = "".join(out[start:])
            del out[start:]
            out.append(_link(inner, link) if tag == "a" else _marked(inner, _MARKERS[tag]))
    return "".join(out)


def _marked(inner: str, marker: str) -> str:
    stripped = inner.strip()
    if not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def _link(label: str, href: str | None) -> str:
    if not href or label.strip() == href:
        return label
    return f"{label}: {href}" if label.strip() else href


# --- buttons --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One option as WhatsApp shows it: the action it stands for, its title and (list rows only) description."""

    action: str
    title: str
    description: str | None = None


@dataclass(frozen=True)
class ReplyButtons:
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class ListMenu:
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Numbered:
    """Options as numbered lines of text; the chat answers with a number (the channel keeps what each means)."""

    choices: tuple[Choice, ...]

    def lines(self) -> str:
        return "\n".join(f"{n}. {choice.title}" for n, choice in enumerate(self.choices, start=1))


Layout = ReplyButtons | ListMenu | Numbered


def layout(rows: Sequence[Sequence[RenderedButton]]) -> Layout | None:
    """How a reply's buttons are offered on WhatsApp (None: it has none)."""
    buttons = [button for row in rows for button in row]
    if not buttons:
        return None
    if len(buttons) <= MAX_REPLY_BUTTONS and all(units(b.label) <= BUTTON_TITLE_LIMIT for b in buttons):
        return ReplyButtons(tuple(Choice(b.action, b.label) for b in buttons))
    if len(buttons) <= MAX_LIST_ROWS:
        rows_ = [_list_row(b) for b in buttons]
        if all(row is not None for row in rows_):
            return ListMenu(tuple(row for row in rows_ if row is not None))
    return Numbered(tuple(Choice(b.action, b.label) for b in buttons))


def _list_row(button: RenderedButton) -> Choice | None:
    """A list row for the button; None when its label cannot be shortened without cutting a word."""
    if units(button.label) <= LIST_ROW_TITLE_LIMIT:
        return Choice(button.action, button.label)
    title = shorten(button.label, LIST_ROW_TITLE_LIMIT)
    if title is None:
        return None
    description = button.label if units(button.label) <= LIST_ROW_DESCRIPTION_LIMIT else None
    return Choice(button.action, title, description or shorten(button.label, LIST_ROW_DESCRIPTION_LIMIT))


def shorten(text: str, limit: int) -> str | None:
    """`text` cut at the last word that fits with an ellipsis after it; None if even its first word does not fit."""
    if units(text) <= limit:
        return text
    words = text.split(" ")
    for count in range(len(words) - 1, 0, -1):
        head = " ".join(words[:count]).rstrip(" ,.;:-–—(")
        if head and units(head) + units(ELLIPSIS) <= limit:
            return head + ELLIPSIS
    return None
