"""Every template and every button label, as WhatsApp will show them: its markup, within its limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.console import html_to_text
from bot.channels.whatsapp_format import (
    BUTTON_TITLE_LIMIT,
    ELLIPSIS,
    LIST_ROW_DESCRIPTION_LIMIT,
    LIST_ROW_TITLE_LIMIT,
    MAX_LIST_ROWS,
    MAX_REPLY_BUTTONS,
    TEXT_LIMIT,
    ListMenu,
    Numbered,
    ReplyButtons,
    layout,
    shorten,
    to_whatsapp_text,
    units,
)
from bot.channels.whatsapp_templates import StandIn, StandIns, components
from bot.render import TEMPLATES_DIR, RenderedButton, RenderedReply, Renderer
from core.choices import picked
from core.locale import LOCALES
from core.messages import Label
from handlers.held import SHOW_HELD
from tests.fake_graph_api import validate_template
from tests.test_templates import SHORT_HOSTILE, message_templates

_MARKER = re.compile(r"```|[*_~]")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')


def visible(part: str) -> str:
    """What Telegram shows of a part, a link written out as WhatsApp shows it."""
    written_out = _LINK.sub(lambda m: m[1] if m[2] == m[1] else f"{m[2]}: {m[1]}", part)
    return _MARKER.sub("", html_to_text(written_out))


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("<b>Kunjungan</b> disetujui", "*Kunjungan* disetujui"),
        ("<i>catatan</i> &amp; <code>ABCD2345</code>", "_catatan_ & ```ABCD2345```"),
        ("<b>Nama: </b>Rina", "*Nama:* Rina"),  # a marker formats only when it touches the word
        ("<b><i>penting</i></b>", "*_penting_*"),
        ("<s>Bus kedua</s> batal", "~Bus kedua~ batal"),
        ('<a href="https://maps.google.com/?q=1&amp;x=2">Peta</a>', "Peta: https://maps.google.com/?q=1&x=2"),
        ('<a href="https://wa.me/62811">https://wa.me/62811</a>', "https://wa.me/62811"),
        ("&lt;b&gt;Tom &amp; Jerry&lt;/a&gt; 😀", "<b>Tom & Jerry</a> 😀"),  # what a user typed, as they typed it
        ("<b> </b>x", " x"),
    ],
)
def test_telegram_markup_becomes_whatsapp_markup(markup: str, shown: str) -> None:
    assert to_whatsapp_text(markup) == shown


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", message_templates("id"))
def test_every_template_reads_well_on_whatsapp_within_its_limit(
    hostile_renderings: Callable[[str, str], tuple[RenderedReply, ...]],
    locale: str,
    template: str,
) -> None:
    """With each parameter set: the renderings tests/test_templates.py checks as Telegram HTML."""
    for rendered in hostile_renderings(template, locale):
        for part in rendered.parts:
            text = to_whatsapp_text(part)
            assert text.strip() and units(text) <= TEXT_LIMIT
            assert "&amp;" not in text and "&lt;" not in text  # entities unescaped
            assert _MARKER.sub("", text) == visible(part), "the same words as on Telegram, only the markup differs"
        stand_in = STAND_INS.for_reply(template, locale, "\n".join(rendered.parts))
        assert stand_in is not None
        validate_template(_template_send(stand_in), FAKE_APPROVED)  # as Meta would check the template sent


STAND_INS = StandIns.load(SHORT_HOSTILE, SHOW_HELD(), {})
FAKE_APPROVED = {spec.name: spec for spec in STAND_INS.specs.values()}


def _template_send(stand_in: StandIn) -> dict[str, Any]:
    """The "template" object of the send the channel makes (bot/channels/whatsapp.py)."""
    return {"name": stand_in.name, "language": {"code": stand_in.language}, "components": components(stand_in)}


def every_label(renderer: Renderer, locale: str) -> list[RenderedButton]:
    """Every button label of the locale, filled with hostile values, as buttons."""
    source = (TEMPLATES_DIR / locale / "_labels.j2").read_text()
    buttons = []
    for name, params in re.findall(r"{% macro (\w+)\(([^)]*)\)", source):
        args = {p.strip(): SHORT_HOSTILE * 3 for p in params.split(",") if p.strip()}
        if "chosen" in args:
            args["chosen"] = True
        buttons.append(RenderedButton(renderer.label(Label(name, args), locale), f"act:{name}"))
    return buttons


@pytest.mark.parametrize("locale", LOCALES)
def test_every_label_fits_whatever_the_number_of_buttons(
    renderer: Renderer,
    locale: str,
) -> None:
    labels = every_label(renderer, locale)
    for size in range(1, 13):
        for start in range(0, len(labels), size):
            buttons = labels[start : start + size]
            offered = layout([buttons[:2], buttons[2:]])  # rows do not matter on WhatsApp
            assert offered is not None
            assert [c.action for c in offered.choices] == [b.action for b in buttons], "every option, in order"
            if isinstance(offered, ReplyButtons):
                assert len(buttons) <= MAX_REPLY_BUTTONS
                assert all(units(c.title) <= BUTTON_TITLE_LIMIT for c in offered.choices)
            elif isinstance(offered, ListMenu):
                assert len(buttons) <= MAX_LIST_ROWS
                for choice, button in zip(offered.choices, buttons, strict=True):
                    assert units(choice.title) <= LIST_ROW_TITLE_LIMIT
                    assert choice.description is None or units(choice.description) <= LIST_ROW_DESCRIPTION_LIMIT
                    if choice.title != button.label:  # shortened: the full form is kept where it fits
                        assert choice.title.endswith(ELLIPSIS)
                        assert choice.description == button.label or units(button.label) > LIST_ROW_DESCRIPTION_LIMIT
            else:
                assert isinstance(offered, Numbered)
                assert offered.lines().splitlines()[0].startswith("1. ")


def test_buttons_become_reply_buttons_a_list_or_numbered_lines() -> None:
    short = [RenderedButton(f"Pilihan {n}", f"a:{n}") for n in range(12)]
    assert isinstance(layout([short[:3]]), ReplyButtons)
    assert isinstance(layout([short[:2], short[2:4]]), ListMenu)
    assert isinstance(layout([short[:10]]), ListMenu)
    many = layout([short])
    assert isinstance(many, Numbered) and many.lines().splitlines()[-1] == "12. Pilihan 11"
    assert layout([]) is None and layout([[]]) is None
    long = RenderedButton("Setujui kunjungan Pemkab Cianjur", "a:long")  # too long for a reply button's 20
    offered = layout([[long]])
    assert isinstance(offered, ListMenu)
    [row] = offered.choices
    assert row.title == "Setujui kunjungan…" and row.description == long.label
    word = RenderedButton("Pemerintahkabupatencianjurjawabarat", "a:word")  # no word boundary to cut at
    assert isinstance(layout([[word]]), Numbered)


def test_shortening_never_cuts_a_word() -> None:
    text = "Kawah Ijen, Pulau Merah dan De Djawatan (tur sehari)"
    for limit in range(1, 60):
        short = shorten(text, limit)
        if short is None:
            assert units("Kawah" + ELLIPSIS) > limit
            continue
        assert units(short) <= limit
        kept = short.removesuffix(ELLIPSIS)
        assert short == text or (text.startswith(kept) and text[len(kept)] in " ,("), f"{short!r} cuts a word"


def test_typed_numbers_pick_options_and_anything_else_does_not() -> None:
    assert picked("2", 3) == [2]
    assert picked(" 1, 3 5;2 ", 5) == [1, 3, 5, 2]
    assert picked("4", 3) is None  # not offered
    assert picked("0", 3) is None
    assert picked("dua", 3) is None
    assert picked("２", 3) is None  # a full-width digit is not typed as an answer to a list
    assert picked("", 3) is None
