"""Validator for Telegram's ``parse_mode=HTML`` dialect, used by the fake Bot API in tests.

Telegram rejects a whole message when its HTML does not parse, so a bot that forgets to
escape user input fails only in production.  This module reproduces Telegram's rules
(see https://core.telegram.org/bots/api#html-style) so the fake server can fail the same
way during tests.

It is intentionally *stricter* than the real server in one respect: Telegram (TDLib)
silently keeps a bare ``&`` or an unknown entity such as ``&nbsp;`` as literal text, while
the Bot API docs say they must be escaped.  We reject them, because in our code they always
mean "forgot to call html.escape()".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "TelegramHtmlError",
    "parse_telegram_html",
    "telegram_text_length",
    "utf16_length",
    "validate_telegram_html",
]

MAX_MESSAGE_LENGTH = 4096
"""Maximum text length of a message, in UTF-16 code units after entity parsing."""

MAX_CAPTION_LENGTH = 1024
"""Maximum caption length of a media message (documents, photos, ...)."""

# Tag name -> MessageEntity type.  "span" and "a" get extra attribute checks below.
_TAG_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Something that looks like an entity; whether it is *supported* is checked separately so
# that "&nbsp;" gets a precise error instead of "bare ampersand".
_ENTITY_RE = re.compile(
    r"&(?:#(?P<dec>[0-9]{1,10})|#[xX](?P<hex>[0-9a-fA-F]{1,8})|(?P<name>[A-Za-z][A-Za-z0-9]{0,31}));"
)
_WHITESPACE = " \t\n\r\f\v"
_CUSTOM_EMOJI_ID_RE = re.compile(r"[1-9][0-9]{0,19}")


class TelegramHtmlError(ValueError):
    """Raised when Telegram would answer ``400 Bad Request: can't parse entities: ...``.

    ``str(exc)`` is the full description the Bot API would return; ``reason`` is the part
    after ``can't parse entities:``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.description = f"Bad Request: can't parse entities: {reason}"
        super().__init__(self.description)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the parsed text where the tag started
    language: str | None = None  # set on <pre> by a nested <code class="language-x">


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (emoji outside the BMP count 2)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """Telegram reports error positions as UTF-8 byte offsets into the original text."""
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int]:
    """Decode the entity starting at ``text[index] == '&'``; return (char, next index)."""
    match = _ENTITY_RE.match(text, index)
    offset = _byte_offset(text, index)
    if match is None:
        raise TelegramHtmlError(f"Character '&' at byte offset {offset} must be escaped as \"&amp;\"")
    if match["name"] is not None:
        char = _NAMED_ENTITIES.get(match["name"])
        if char is None:
            raise TelegramHtmlError(
                f'Unsupported HTML entity "{match.group(0)}" at byte offset {offset}; '
                "only &lt; &gt; &amp; &quot; and numeric entities are supported"
            )
        return char, match.end()
    code = int(match["dec"]) if match["dec"] is not None else int(match["hex"], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise TelegramHtmlError(f'Invalid numeric HTML entity "{match.group(0)}" at byte offset {offset}')
    return chr(code), match.end()


def _decode_attribute_value(text: str, start: int, end: int) -> str:
    """Decode entities inside an attribute value (same rules as in text)."""
    out: list[str] = []
    i = start
    while i < end:
        if text[i] == "&":
            char, i = _decode_entity(text, i)
            out.append(char)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _parse_start_tag(text: str, begin: int) -> tuple[str, dict[str, str], int]:
    """Parse ``<name attr="v" ...>`` at ``begin``; return (name, attrs, index after '>')."""
    n = len(text)
    offset = _byte_offset(text, begin)
    i = begin + 1
    while i < n and text[i] not in _WHITESPACE and text[i] != ">":
        i += 1
    if i >= n:
        raise TelegramHtmlError(f"Unclosed start tag at byte offset {offset}")
    name = text[begin + 1 : i].lower()
    if name not in _TAG_ENTITY_TYPES:
        raise TelegramHtmlError(f'Unsupported start tag "{name}" at byte offset {offset}')

    attrs: dict[str, str] = {}
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            raise TelegramHtmlError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            return name, attrs, i + 1
        attr_begin = i
        while i < n and text[i] not in _WHITESPACE and text[i] not in "=>":
            i += 1
        attr_name = text[attr_begin:i].lower()
        if not attr_name:
            raise TelegramHtmlError(
                f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, attr_begin)}'
            )
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n or text[i] != "=":
            if name == "blockquote" and attr_name == "expandable":
                attrs.setdefault(attr_name, "")
                continue
            raise TelegramHtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(text, attr_begin)}"
            )
        i += 1  # skip '='
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            raise TelegramHtmlError(f"Unclosed start tag at byte offset {offset}")
        if text[i] in "\"'":
            quote = text[i]
            close = text.find(quote, i + 1)
            if close == -1:
                raise TelegramHtmlError(
                    f'Unclosed end of attribute value in the tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            value = _decode_attribute_value(text, i + 1, close)
            i = close + 1
        else:
            value_begin = i
            while i < n and text[i] not in _WHITESPACE and text[i] != ">":
                if text[i] in "\"'<=`":
                    raise TelegramHtmlError(
                        f'Unexpected character in unquoted attribute value of the tag "{name}" '
                        f"at byte offset {_byte_offset(text, i)}"
                    )
                i += 1
            value = _decode_attribute_value(text, value_begin, i)
        attrs.setdefault(attr_name, value)  # like HTML: the first duplicate wins


def _check_start_tag(name: str, attrs: dict[str, str]) -> None:
    """Attribute rules Telegram enforces per tag; unknown attributes are ignored by Telegram."""
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise TelegramHtmlError('Tag "span" must have class "tg-spoiler"')
    if name == "a" and not attrs.get("href", "").strip():
        raise TelegramHtmlError('Tag "a" must have non-empty attribute "href"')
    if name == "tg-emoji" and not _CUSTOM_EMOJI_ID_RE.fullmatch(attrs.get("emoji-id", "")):
        raise TelegramHtmlError('Tag "tg-emoji" must have a valid "emoji-id" attribute')


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, object]]]:
    """Parse Telegram HTML into (plain text, MessageEntity dicts with UTF-16 offsets).

    Raises TelegramHtmlError exactly where Telegram would refuse the message.
    """
    out: list[str] = []
    length = 0  # UTF-16 length of "".join(out), maintained incrementally
    stack: list[_OpenTag] = []
    entities: list[dict[str, object]] = []
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            length += utf16_length(decoded)
            continue
        if char != "<":
            # Copy a run of plain text in one go.
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            chunk = text[i:j]
            out.append(chunk)
            length += utf16_length(chunk)
            i = j
            continue

        begin = i
        offset = _byte_offset(text, begin)
        if i + 1 < n and text[i + 1] == "/":
            close = text.find(">", i + 2)
            if close == -1:
                raise TelegramHtmlError(f"Unclosed end tag at byte offset {offset}")
            end_name = text[i + 2 : close].rstrip(_WHITESPACE).lower()
            i = close + 1
            if not stack:
                raise TelegramHtmlError(f"Unexpected end tag at byte offset {offset}")
            top = stack[-1]
            if end_name != top.name:
                raise TelegramHtmlError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", found "</{end_name}>"'
                )
            stack.pop()
            _emit_entity(top, length, stack, entities)
            continue

        name, attrs, i = _parse_start_tag(text, begin)
        _check_start_tag(name, attrs)
        stack.append(_OpenTag(name=name, attrs=attrs, offset=length))

    if stack:
        raise TelegramHtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (cast(int, e["offset"]), -cast(int, e["length"])))
    return "".join(out), entities


def _emit_entity(tag: _OpenTag, end: int, stack: list[_OpenTag], entities: list[dict[str, object]]) -> None:
    """Turn a closed tag into a MessageEntity dict, as the Bot API would echo it back."""
    if tag.name == "code" and stack and stack[-1].name == "pre":
        cls = tag.attrs.get("class", "")
        if cls.startswith("language-") and len(cls) > len("language-"):
            stack[-1].language = cls[len("language-") :]
            return  # becomes the language of the enclosing <pre>, not a separate entity
    if end == tag.offset:
        return  # Telegram drops empty entities
    entity: dict[str, object] = {
        "type": _TAG_ENTITY_TYPES[tag.name],
        "offset": tag.offset,
        "length": end - tag.offset,
    }
    if tag.name == "a":
        entity["url"] = tag.attrs["href"]
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    entities.append(entity)


def validate_telegram_html(text: str) -> None:
    """Raise TelegramHtmlError if Telegram would reject ``text`` with parse_mode=HTML."""
    parse_telegram_html(text)


def telegram_text_length(text: str, parse_mode: str | None = "HTML") -> int:
    """UTF-16 length Telegram checks against MAX_MESSAGE_LENGTH (after parsing the markup).

    With ``parse_mode=None`` the text is taken literally.  Raises TelegramHtmlError for
    invalid HTML.
    """
    if parse_mode is not None and parse_mode.upper() == "HTML":
        text = parse_telegram_html(text)[0]
    return utf16_length(text)
