"""The log never holds the bot token or a person, even at DEBUG: a registration over Telegram, a failure."""

from __future__ import annotations

import io
import logging
import sys

from bot import logs
from bot.app import Core
from handlers.router import Router
from tests.conftest import PERSONAL
from tests.support import ChatUser, Recorder
from tests.test_router import ExplodingAnswerer
from tests.test_telegram_e2e import TOKEN


def test_the_token_is_redacted_from_every_line_and_its_traceback() -> None:
    formatter = logs.RedactingFormatter([TOKEN])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{TOKEN}/getMe",), True)
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert TOKEN not in line and line.count(logs.REDACTED) == 2


async def test_a_failing_message_is_logged_by_chat_id_not_by_what_was_typed(debug_log: io.StringIO, core: Core) -> None:
    core.router = Router(core.database, core.services, answerer=ExplodingAnswerer())
    user = ChatUser(Recorder(core), "Rina Marlina", external_id="rina")
    [sent] = await user.says("Nomor saya 0812 3456 7890, dari Cianjur")
    assert sent.template == "errors/internal"
    written = debug_log.getvalue()
    assert "failed to handle a text from console chat rina" in written
    for value in PERSONAL:
        assert value not in written, value
