"""The router's contract: commands parsed like Telegram sends them, the question hook, and failures contained."""

from __future__ import annotations

import logging

import pytest

from bot.app import Core
from core.messages import Reply, reply
from handlers.commands import parse_command
from handlers.context import Turn
from handlers.router import Router
from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import ChatUser, Recorder


def test_commands_are_parsed_with_bot_mentions_and_arguments() -> None:
    assert parse_command("/gabung@delegasi_bot  AB12CD34 ") == ("gabung", "AB12CD34")
    assert parse_command("/START join-AB12CD34") == ("start", "join-AB12CD34")
    assert parse_command("halo /start") is None
    assert parse_command("/") is None


class EchoAnswerer:
    """Stands in for the knowledge base of a later issue."""

    async def answer(self, turn: Turn, question: str) -> list[Reply] | None:
        if "ijen" in question.lower():
            return [reply("menu/menu", role="newcomer")]
        return None


class ExplodingAnswerer:
    async def answer(self, turn: Turn, question: str) -> list[Reply] | None:
        from storage.users import set_language

        await set_language(turn.conn, turn.user.id, "en", turn.services.clock.now())  # must be rolled back
        raise RuntimeError("the knowledge base fell over")


async def test_free_text_goes_to_the_question_hook_when_one_is_installed(core: Core) -> None:
    core.router = Router(core.database, core.services, answerer=EchoAnswerer())
    user = ChatUser(Recorder(core), "Tamu")
    assert [s.template for s in await user.says("Bagaimana ke Ijen?")] == ["menu/menu"]
    assert [s.template for s in await user.says("Halo")] == ["menu/fallback"]


async def test_an_unexpected_error_is_logged_answered_and_rolled_back(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    core.router = Router(core.database, core.services, answerer=ExplodingAnswerer())
    user = ChatUser(Recorder(core), "Tamu")
    with caplog.at_level(logging.ERROR):
        [sent] = await user.says("Apa itu MPP?")
    assert sent.template == "errors/internal" and sent.recipient.locale == "id"
    assert "the knowledge base fell over" in caplog.text
    [after] = await user.says("/start")  # the bot goes on, and the half-done change did not stick
    assert after.template == "menu/start" and after.recipient.locale == "id"


def test_every_flow_can_be_cancelled_with_its_own_message() -> None:
    from bot.render import TEMPLATES_DIR
    from handlers.router import FLOWS

    for flow in FLOWS:
        for locale in ("id", "en"):
            assert (TEMPLATES_DIR / locale / "menu" / f"cancelled_{flow}.j2").is_file(), (flow, locale)


@pytest.mark.parametrize("channel", ["console", "telegram"])
@pytest.mark.parametrize("typed", ["   ", "\n\t", "", "\u200b", "\u200e\u200f", "\u3164"])
async def test_a_message_that_shows_nothing_is_answered_in_a_flow_and_outside_one(
    recorder: Recorder, channel: str, typed: str
) -> None:
    """Blank text used to fall through to whatever the step or the question hook made of it: no answer, a step
    taken as answered with nothing, or an empty question passed to staff. It is one case, answered once."""
    user = ChatUser(recorder, "Tamu", channel=channel)
    assert [s.template for s in await user.says(typed)] == ["errors/blank", "menu/menu"]
    await user.says("/daftar")
    [blank, question] = await user.says(typed)
    assert (blank.template, question.template) == ("errors/blank", "registration/ask_institution")
    assert "kosong" in blank.text
    assert recorder.to(str(STAFF_TELEGRAM_ID)) == []  # and nothing went to staff as an empty question
