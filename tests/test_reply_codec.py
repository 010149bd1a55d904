"""A Reply kept in the outbox comes back as it was: every template renders the same from the stored copy."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from bot.render import Renderer
from core.messages import Button, Document, Label, Recipient, Reply, Venue
from core.reply_codec import UnreadableReply, dump_reply, load_reply
from tests.test_templates import LOCALES, message_templates, parameter_sets


def test_every_value_a_template_reads_comes_back_equal() -> None:
    for params in parameter_sets():
        assert load_reply(dump_reply(Reply("menu/menu", params))).params == params


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_renders_the_same_from_the_stored_reply(locale: str) -> None:
    renderer = Renderer(ZoneInfo("Asia/Jakarta"), {"host_name": "Pemkab", "host_contact": "0333"})
    params = parameter_sets()[0]  # every optional part present
    stored = load_reply(dump_reply(Reply("menu/menu", params))).params
    for template in message_templates(locale):
        original = Reply(template, params)
        assert renderer.render_reply(Reply(template, stored), locale) == renderer.render_reply(original, locale)


def test_buttons_files_places_and_recipients_are_kept() -> None:
    reply = Reply(
        "plan/calendar",
        {"institution": "Pemkab <Cianjur>"},
        buttons=((Button(Label("text", {"text": "📍 Pendopo"}), "plan:loc:pendopo"),),),
        to=Recipient("telegram", "1001", "en", 7),
        replace_origin=True,
        venue=Venue(-8.2, 114.36, "Pendopo", "Jl. Sritanjung"),
        document=Document("jadwal.ics", b"BEGIN:VCALENDAR\x00\xff", "text/calendar"),
    )
    assert load_reply(dump_reply(reply)) == reply


@pytest.mark.parametrize(
    "stored",
    [
        '{"$type": "os:system", "$value": {}}',  # not a type of this project
        '{"$type": "core.messages:Nothing", "$value": {}}',  # renamed away by an upgrade
        '{"$type": "core.messages:reply", "$value": {}}',  # not a type at all
        '{"$type": "date", "$value": "2026-13-45"}',
        "not json",
    ],
)
def test_a_stored_reply_that_cannot_be_read_says_so_and_builds_nothing(stored: str) -> None:
    with pytest.raises(UnreadableReply):
        load_reply(stored)


def test_only_values_a_template_can_use_are_kept() -> None:
    with pytest.raises(TypeError):
        dump_reply(Reply("menu/menu", {"role": object()}))
    assert json.loads(dump_reply(Reply("menu/menu", {"role": "staff"})))["$type"] == "core.messages:Reply"
