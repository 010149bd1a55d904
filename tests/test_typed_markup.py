"""What staff type as WhatsApp-style markup (*bold*, _italic_, ~strike~) becomes safe Telegram HTML, and reads
the same on every channel; everything else they type stays text."""

from __future__ import annotations

import random

import pytest

from bot.channels.console import html_to_text
from bot.channels.whatsapp_format import to_whatsapp_text
from bot.typed_markup import typed_to_html
from tests.telegram_html import parse_telegram_html, validate_telegram_html


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("*PDH* wajib", "<b>PDH</b> wajib"),
        ("datang _tepat waktu_.", "datang <i>tepat waktu</i>."),
        ("~Bus kedua~ batal", "<s>Bus kedua</s> batal"),
        ("(*penting*)", "(<b>penting</b>)"),
        ("*_tebal miring_*", "<b><i>tebal miring</i></b>"),
        ("<b>x</b> *a_b* 3*4*5 ~~", "&lt;b&gt;x&lt;/b&gt; <b>a_b</b> 3*4*5 ~~"),
        ("snake_case_name dan 2*3=6", "snake_case_name dan 2*3=6"),
        ("* bukan tebal *", "* bukan tebal *"),
        ("*tanpa penutup", "*tanpa penutup"),
        ("**", "**"),
        ("*a _b* c_", "<b>a _b</b> c_"),  # spans that cross are not nested wrongly: the first one wins
        ("*baris\nlain*", "*baris\nlain*"),  # a span stays on one line, as WhatsApp draws it
        ("*<i>*", "<b>&lt;i&gt;</b>"),
        ('*"Tom" & Jerry\'s*', "<b>&#34;Tom&#34; &amp; Jerry&#39;s</b>"),
        ("&lt;*b*&gt;", "&amp;lt;<b>b</b>&amp;gt;"),
        ("_*~x~*_", "<i><b><s>x</s></b></i>"),
        ("email ke info_desk@banyuwangi.go.id_", "email ke info_desk@banyuwangi.go.id_"),
    ],
)
def test_well_formed_spans_become_tags_and_everything_else_is_escaped(typed: str, html: str) -> None:
    converted = typed_to_html(typed)
    assert str(converted) == html
    validate_telegram_html(str(converted))


def test_hostile_input_never_leaves_anything_unescaped() -> None:
    """Seeded random mixes of markers, tags and entities: only <b>, <i>, <s> come out, always balanced, and the
    visible text is exactly what was typed minus the markers that formatted."""
    rng = random.Random(20261225)
    pieces = ["*", "_", "~", "<b>", "</b>", "<i>", "&", "&amp;", "<", ">", '"', "'", "a", "kata", " ", "3", "\n", "😀"]
    for _ in range(2000):
        typed = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        html = str(typed_to_html(typed))
        validate_telegram_html(html)
        shown, tags = parse_telegram_html(html)
        assert all(t["type"] in ("bold", "italic", "strikethrough") for t in tags), (typed, html)
        stripped = html
        for tag in ("<b>", "</b>", "<i>", "</i>", "<s>", "</s>"):
            stripped = stripped.replace(tag, "")
        assert "<" not in stripped and ">" not in stripped, (typed, html)
        assert len(shown) == len(typed) - 2 * len(tags), (typed, html)


@pytest.mark.parametrize(
    ("typed", "console"),
    [
        ("*PDH* wajib, _tepat waktu_ ya. ~Bus kedua~ batal.", "PDH wajib, tepat waktu ya. Bus kedua batal."),
        ("*_tebal miring_*", "tebal miring"),
        ("<b>x</b> *a_b* 3*4*5 ~~ & *sisa", "<b>x</b> a_b 3*4*5 ~~ & *sisa"),
    ],
)
def test_whatsapp_shows_what_staff_typed_and_the_console_the_plain_words(typed: str, console: str) -> None:
    html = str(typed_to_html(typed))
    assert to_whatsapp_text(html) == typed
    assert html_to_text(html) == console
