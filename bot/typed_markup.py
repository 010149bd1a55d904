"""Formatting that host staff type, WhatsApp style (*bold*, _italic_, ~strike~), as safe Telegram HTML.

The one place typed markup becomes markup, used by the `formatted` filter of bot/render.py. The text is
escaped first; then only well-formed spans become <b>, <i> and <s>, so nothing a person typed can open a tag
of its own. The rendered HTML then reaches every channel the usual way: Telegram as it is, WhatsApp back in its
markup (bot/channels/whatsapp_format.py: staff see there what they typed), the console as plain text.

A span is well formed as WhatsApp reads one: the opening marker starts a word (at the start of the text or after
a character that is neither a letter, a digit nor the same marker) and is followed by a character that is not a
space; the closing one, the first such on the same line, follows a character that is not a space and ends a word.
So "3*4*5", "snake_case" and "* a *" stay as typed. A span's inside is read on its own, so spans nest
("*_both_*") but never cross: in "*a _b* c_" the bold span wins and the underscores stay text.
"""

from __future__ import annotations

import bisect

from markupsafe import Markup, escape

TAGS = {"*": "b", "_": "i", "~": "s"}
"""Each marker and the Telegram tag it becomes."""


def typed_to_html(typed: str) -> Markup:
    """`typed` escaped, with its well-formed *…*, _…_ and ~…~ spans as <b>, <i> and <s>."""
    return Markup(_Spans(str(escape(typed))).convert())


class _Spans:
    """One escaped text, with where each marker may close a span and where each line ends, found once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.closings = {marker: [j for j in range(len(text)) if self._closes(marker, j)] for marker in TAGS}
        self.line_ends = [j for j, char in enumerate(text) if char == "\n"] + [len(text)]

    def convert(self, start: int = 0, end: int | None = None) -> str:
        """text[start:end] with its spans as tags; a span's inside is converted on its own."""
        text, stop = self.text, len(self.text) if end is None else end
        out: list[str] = []
        plain = i = start
        while i < stop:
            closing = self._closing_of(i, stop) if self._opens(i) else None
            if closing is None:
                i += 1
                continue
            tag = TAGS[text[i]]
            out += [text[plain:i], f"<{tag}>", self.convert(i + 1, closing), f"</{tag}>"]
            i = plain = closing + 1
        out.append(text[plain:stop])
        return "".join(out)

    def _opens(self, i: int) -> bool:
        text = self.text
        marker = text[i]
        if marker not in TAGS or i + 1 >= len(text):
            return False
        before = text[i - 1] if i else " "
        after = text[i + 1]
        return not before.isalnum() and before != marker and not after.isspace() and after != marker

    def _closes(self, marker: str, j: int) -> bool:
        text = self.text
        if text[j] != marker or j == 0:
            return False
        before = text[j - 1]
        after = text[j + 1] if j + 1 < len(text) else " "
        return not before.isspace() and before != marker and not after.isalnum()

    def _closing_of(self, i: int, stop: int) -> int | None:
        """The first place the span opened at `i` closes: with something inside, on its line, before `stop`."""
        line_end = self.line_ends[bisect.bisect_left(self.line_ends, i)]
        closings = self.closings[self.text[i]]
        k = bisect.bisect_left(closings, i + 2)
        return closings[k] if k < len(closings) and closings[k] < min(stop, line_end) else None
