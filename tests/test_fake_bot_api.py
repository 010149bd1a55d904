"""Proves FakeBotApi behaves like the Bot API for the *real* python-telegram-bot client.

If these pass, bot tests written against the fake exercise PTB's genuine HTTP encoding,
update parsing and exception mapping rather than mocks.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

if TYPE_CHECKING:
    from tests.fake_bot_api import FakeBotApi
    from tests.telegram_html import (
        MAX_MESSAGE_LENGTH,
        TelegramHtmlError,
        parse_telegram_html,
        telegram_text_length,
        validate_telegram_html,
    )
else:
    try:  # `python -m pytest` from the repo root: tests/ is importable as a (namespace) package
        from tests.fake_bot_api import FakeBotApi
        from tests.telegram_html import (
            MAX_MESSAGE_LENGTH,
            TelegramHtmlError,
            parse_telegram_html,
            telegram_text_length,
            validate_telegram_html,
        )
    except ModuleNotFoundError:  # plain `pytest`: only tests/ itself is on sys.path
        from fake_bot_api import FakeBotApi
        from telegram_html import (
            MAX_MESSAGE_LENGTH,
            TelegramHtmlError,
            parse_telegram_html,
            telegram_text_length,
            validate_telegram_html,
        )

TOKEN = "123456:TEST"
USER = 4242


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(TOKEN)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    """A bare initialised Bot (getMe done) for request/response tests without polling."""
    async with Bot(TOKEN, base_url=fake.base_url) as instance:
        yield instance


@pytest_asyncio.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A real Application polling the fake; tests add handlers (allowed while running)."""
    application = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).build()
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# ---------------------------------------------------------------- real Application round trips


@pytest.mark.asyncio
async def test_echo_through_real_application(fake: FakeBotApi, app: Application) -> None:  # type: ignore[type-arg]
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        await update.effective_message.reply_text(
            f"<b>{html.escape(update.effective_message.text)}</b>", parse_mode="HTML"
        )

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    fake.user_sends(USER, "halo <dunia> & co")
    fake.user_sends(USER, "kedua")

    first, second = await fake.wait_for_messages(USER, 2)
    assert first.method == "sendMessage"
    assert first.text == "<b>halo &lt;dunia&gt; &amp; co</b>"
    assert first.plain_text == "halo <dunia> & co"
    assert first.parse_mode == "HTML"
    assert first.chat_id == USER and not first.edited
    assert second.plain_text == "kedua"
    assert second.message_id > first.message_id
    assert fake.calls[0][0] == "getMe"
    assert fake.calls_to("getUpdates")


@pytest.mark.asyncio
async def test_command_button_press_and_edit(fake: FakeBotApi, app: Application) -> None:  # type: ignore[type-arg]
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Pilih", callback_data="pick:1")]])
        await update.effective_message.reply_text("Silakan pilih", reply_markup=keyboard)

    async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"Dipilih: <code>{html.escape(query.data or '')}</code>", parse_mode="HTML")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(picked))
    fake.user_sends(USER, "/start")
    [menu] = await fake.wait_for_messages(USER, 1)
    assert menu.callback_data == ["pick:1"]
    assert menu.reply_markup == {"inline_keyboard": [[{"text": "Pilih", "callback_data": "pick:1"}]]}

    fake.user_presses(USER, "pick:1", message_id=menu.message_id)
    [edit] = await fake.wait_for_messages(USER, 1)
    assert edit.method == "editMessageText" and edit.edited
    assert edit.message_id == menu.message_id
    assert edit.plain_text == "Dipilih: pick:1"
    assert [a["text"] for a in fake.callback_answers] == ["ok"]
    shown = fake.current_message(USER, menu.message_id)
    assert shown is not None and "reply_markup" not in shown  # edit without markup drops keyboard


@pytest.mark.asyncio
async def test_sticker_reaches_fallback_handler(fake: FakeBotApi, app: Application) -> None:  # type: ignore[type-arg]
    async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.sticker is not None
        await update.effective_message.reply_text("Maaf, kirim teks saja.")

    app.add_handler(MessageHandler(filters.Sticker.ALL, unsupported))
    fake.user_sends_sticker(USER)
    [reply] = await fake.wait_for_messages(USER, 1)
    assert reply.text == "Maaf, kirim teks saja."
    await fake.assert_no_messages(USER, within=0.05)


@pytest.mark.asyncio
async def test_wait_for_messages_times_out_with_context(fake: FakeBotApi) -> None:
    with pytest.raises(AssertionError, match="expected 1 new message"):
        await fake.wait_for_messages(USER, 1, timeout=0.05)


# ---------------------------------------------------------------- validation like the Bot API


@pytest.mark.asyncio
async def test_invalid_html_is_bad_request(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Can't find end tag"):
        await bot.send_message(USER, "<b>x", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "a & b", parse_mode="HTML")
    assert fake.sent == []
    assert [name for name, _ in fake.calls].count("sendMessage") == 2
    # PTB strips "Bad Request: " and capitalize()s the rest; the fake keeps the original.
    assert fake.errors[0] == (
        "sendMessage",
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    )
    # Without parse_mode the same text is fine.
    message = await bot.send_message(USER, "<b>x & y")
    assert message.text == "<b>x & y"


@pytest.mark.asyncio
async def test_html_entities_are_echoed_back(bot: Bot) -> None:
    message = await bot.send_message(USER, '  <b>Hi</b> <a href="https://x.id">😀</a>  ', parse_mode="HTML")
    assert message.text == "Hi 😀"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 2),
        ("text_link", 3, 2),
    ]
    assert message.entities[1].url == "https://x.id"
    assert message.from_user is not None and message.from_user.username == "delegasi_test_bot"


@pytest.mark.asyncio
async def test_length_and_empty_text(bot: Bot) -> None:
    await bot.send_message(USER, "<b>" + "x" * MAX_MESSAGE_LENGTH + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * (MAX_MESSAGE_LENGTH + 1))
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "😀" * (MAX_MESSAGE_LENGTH // 2 + 1))  # UTF-16 units count
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


@pytest.mark.asyncio
async def test_callback_data_over_64_bytes_is_rejected(fake: FakeBotApi, bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="é" * 32)]])  # 64 bytes
    await bot.send_message(USER, "ok", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "no", reply_markup=too_long)
    assert len(fake.sent) == 1


@pytest.mark.asyncio
async def test_edit_with_identical_content_is_not_modified(bot: Bot) -> None:
    message = await bot.send_message(USER, "sama")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("sama", chat_id=USER, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("baru", chat_id=USER, message_id=999_999)


# ---------------------------------------------------------------- fault injection


@pytest.mark.asyncio
async def test_injected_429_becomes_retry_after(fake: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # int retry_after is deprecated in PTB 22
    fake.inject_fault("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(USER, "x")
    assert excinfo.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "x")  # only the next call was affected
    assert len(fake.sent) == 1


@pytest.mark.asyncio
async def test_injected_403_and_blocked_user_become_forbidden(fake: FakeBotApi, bot: Bot) -> None:
    fake.inject_fault("sendMessage", status=403)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "x")
    fake.block_user(USER)
    for _ in range(2):
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(USER, "x")
    await bot.send_message(USER + 1, "other users still fine")
    assert [m.chat_id for m in fake.sent] == [USER + 1]


@pytest.mark.parametrize(("status", "text"), [(500, "Internal Server Error"), (502, "Bad Gateway")])
@pytest.mark.asyncio
async def test_injected_5xx_becomes_network_error(fake: FakeBotApi, bot: Bot, status: int, text: str) -> None:
    fake.inject_fault("sendMessage", status=status, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=rf"(?i){text}") as excinfo:
            await bot.send_message(USER, "x")
        assert not isinstance(excinfo.value, BadRequest)
    await bot.send_message(USER, "x")


@pytest.mark.asyncio
async def test_rate_limit_answers_429(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter() itself warns otherwise
    fake = FakeBotApi(TOKEN, rate_limit_per_second=3)
    await fake.start()
    try:
        async with Bot(TOKEN, base_url=fake.base_url) as limited:
            for i in range(3):
                await limited.send_message(USER, f"m{i}")
            with pytest.raises(RetryAfter):
                await limited.send_message(USER, "too fast")
        assert fake.rate_limited == 1
        assert len(fake.sent) == 3
    finally:
        await fake.stop()


# ---------------------------------------------------------------- the other methods the bot calls


@pytest.mark.asyncio
async def test_set_my_commands_recorded_per_scope_and_language(fake: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Mulai")])
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")], language_code="en")
    await bot.set_my_commands([BotCommand("batal", "Batal")], scope=BotCommandScopeChat(USER))
    assert fake.commands == {
        None: [{"command": "start", "description": "Mulai"}],
        "en": [{"command": "start", "description": "Start"}, {"command": "help", "description": "Help"}],
    }
    chat_scope = json.dumps({"type": "chat", "chat_id": USER}, sort_keys=True)
    assert set(fake.commands_by_scope) == {
        ('{"type": "default"}', None),
        ('{"type": "default"}', "en"),
        (chat_scope, None),
    }
    assert fake.commands_by_scope[(chat_scope, None)] == [{"command": "batal", "description": "Batal"}]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "capital letters are invalid")])


@pytest.mark.asyncio
async def test_send_document_multipart_upload(fake: FakeBotApi, bot: Bot) -> None:
    message = await bot.send_document(USER, document=b"nama,asal\nBudi,Bandung\n", filename="peserta.csv")
    assert message.document is not None and message.document.file_name == "peserta.csv"
    [sent] = fake.messages_to(USER)
    assert sent.method == "sendDocument" and sent.document is not None
    assert sent.document.data == b"nama,asal\nBudi,Bandung\n"
    assert sent.document.filename == "peserta.csv"


@pytest.mark.asyncio
async def test_send_venue(fake: FakeBotApi, bot: Bot) -> None:
    venue = await bot.send_venue(USER, latitude=-6.9, longitude=107.6, title="Pendopo", address="Jl. A")
    assert venue.venue is not None and venue.venue.title == "Pendopo"
    assert venue.venue.location.latitude == pytest.approx(-6.9)
    [sent] = fake.messages_to(USER)
    assert sent.method == "sendVenue" and sent.plain_text == "Pendopo" and sent.params["longitude"] == 107.6
    with pytest.raises(BadRequest, match=r"(?i)wrong coordinates"):
        await bot.send_venue(USER, latitude=91, longitude=10, title="Kutub", address="-")


@pytest.mark.asyncio
async def test_get_updates_long_poll_and_offset(fake: FakeBotApi, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    fake.user_sends(USER, "bangun")
    updates = await poll
    assert loop.time() - started < 0.9  # woke up on the new update, not after the timeout
    assert [u.message.text for u in updates if u.message] == ["bangun"]

    fake.user_sends(USER, "lagi")
    again = await bot.get_updates(timeout=0)
    assert len(again) == 2  # not yet confirmed
    assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=0) == ()


@pytest.mark.asyncio
async def test_unknown_method_and_bad_token(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):  # only the methods the bot calls are served
        await bot.do_api_request("noSuchMethod", api_kwargs={"chat_id": USER})
    assert fake.errors == [("noSuchMethod", 404, "Not Found")]
    async with aiohttp.ClientSession() as session, session.post(f"{fake.base_url}1:wrong/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


# ---------------------------------------------------------------- HTML validator unit tests


@pytest.mark.parametrize(
    "text",
    [
        "<b>x</b>",
        "&amp;",
        '<a href="https://x">y</a>',
        "plain text > with greater-than",
        "<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>",
        "<b><i><u>nested</u></i></b>",
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
        '<pre><code class="language-python">print("hi")</code></pre>',
        "<blockquote expandable>quote</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "&lt;&gt;&quot;&#65;&#x42;",
        "<B>upper</B>",
        "<a href='tg://user?id=1'>single quotes</a>",
    ],
)
def test_valid_html(text: str) -> None:
    validate_telegram_html(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a & b", "Character '&' at byte offset 2"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("</a>", "Unexpected end tag at byte offset 0"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a>x</a>", 'Tag "a" must have non-empty attribute "href"'),
        ("<br/>", 'Unsupported start tag "br/"'),
        ("<b>x</b", "Unclosed end tag"),
        ("é<", "Unclosed start tag at byte offset 2"),  # offsets are UTF-8 bytes
        ("&#0;", "Invalid numeric HTML entity"),
        ('<a href="x>y</a>', "Unclosed end of attribute value"),
    ],
)
def test_invalid_html(text: str, reason: str) -> None:
    with pytest.raises(TelegramHtmlError) as excinfo:
        validate_telegram_html(text)
    assert reason in excinfo.value.reason
    assert str(excinfo.value).startswith("Bad Request: can't parse entities: ")
    assert isinstance(excinfo.value, ValueError)


def test_text_length_counts_utf16_after_parsing() -> None:
    assert MAX_MESSAGE_LENGTH == 4096
    assert telegram_text_length("<b>😀</b>&amp;") == 3
    assert telegram_text_length("<b>x</b>", parse_mode=None) == 8
    assert parse_telegram_html("<i>a&lt;b</i>") == ("a<b", [{"type": "italic", "offset": 0, "length": 3}])
