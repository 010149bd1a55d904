"""End to end: the real python-telegram-bot Application, polling a fake Bot API over HTTP on 127.0.0.1.

Users type and press the buttons the bot actually sent; the fake answers like Telegram (it refuses
invalid HTML, over-long messages, blocked chats, injected faults) and records everything it accepted.
The bot is built as production builds it (Core.build, build_telegram, start_telegram) on a temporary
database with the fixed FakeClock (Wednesday 25 November 2026, 10:00 WIB); retries wait through a
recorded sleep that returns at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from telegram import Update

from bot.app import Core, TelegramRuntime, build_telegram, start_telegram, stop_telegram
from bot.config import Settings
from core import inbox, replies
from core.clock import FakeClock
from core.inbox import InboxKey
from core.maps import maps_link
from core.messages import Incoming, Recipient, Reply, Venue
from core.sending import ANSWER_WORTH_FOR
from handlers.commands import (
    ADMIN_MENU_COMMANDS,
    MENU_COMMANDS,
    STAFF_COMMANDS,
    STAFF_MENU_COMMANDS,
    menu_commands_for,
)
from storage import outbox
from storage.conversations import load_conversation
from storage.delegations import delegations_of_coordinator
from storage.outbox import OutboxKind, OutboxStatus
from storage.participants import insert_participant
from storage.users import Role, find_user, upsert_user
from tests import fake_bot_api
from tests.conftest import E2E_TOKEN, PERSONAL, STAFF_TELEGRAM_ID, CoreFactory
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.support import RecordedSleep
from tests.telegram_html import MAX_MESSAGE_LENGTH, utf16_length
from tests.telegram_support import TelegramUser

TOKEN = E2E_TOKEN
FIXED_NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
BOT_USERNAME = "delegasi_test_bot"
COORDINATOR = 1001
ADMIN_TELEGRAM_ID = 888001  # HOST_ADMIN_TELEGRAM_IDS here: exports and reports
PARTICIPANT = 2002

# One recognisable phrase of each registration question (Indonesian), to tell the questions apart.
ASKS = {
    "institution": "instansi",
    "province": "provinsi",
    "head": "ketua rombongan",
    "size": "jumlah peserta",
    "mode": "bentuk kunjungan",
    "arrival": "tiba",
    "departure": "pulang",
    "topics": "ingin dipelajari",
    "contact_name": "nama koordinator",
    "contact_phone": "nomor HP",
}


# --- the bot and its users ---------------------------------------------------------------------


class RunningBot:
    """The Telegram bot as `python -m bot telegram` runs it, restartable on the same database."""

    def __init__(self, make_core: CoreFactory) -> None:
        self.make_core = make_core
        self.sleep = RecordedSleep()
        self.runtime: TelegramRuntime | None = None

    @property
    def core(self) -> Core:
        assert self.runtime is not None, "the bot is not running"
        return self.runtime.core

    async def start(self) -> None:
        core = await self.make_core()
        runtime = build_telegram(core, sleep=self.sleep)
        try:
            await start_telegram(runtime, poll_timeout=1, max_start_attempts=1)
            await core.start_background()  # the sender (every message goes through the outbox) and the scheduler
        except BaseException:
            await stop_telegram(runtime)
            raise
        self.runtime = runtime

    async def stop(self) -> None:
        """Stop polling and close the database, as on SIGTERM."""
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            try:
                await runtime.core.stop_background()
                await stop_telegram(runtime)
            finally:
                await runtime.core.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def asks(message: SentMessage, step: str) -> bool:
    assert message.plain_text is not None
    return ASKS[step] in message.plain_text


async def eventually(check: Callable[[], Awaitable[object]], what: str, within: float = 5.0) -> None:
    """Wait (at most `within` seconds) until `check` gives something true."""
    try:
        async with asyncio.timeout(within):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.01)  # a database row changes: there is no event to wait for
    except TimeoutError:
        raise AssertionError(f"not within {within:.0f} s: {what}") from None


async def blocked_at(core: Core, telegram_id: int) -> str | None:
    async with core.database.conn.execute(
        "SELECT blocked_at FROM users WHERE channel = 'telegram' AND external_id = ?", (str(telegram_id),)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None, f"no user row for {telegram_id}"
    return row["blocked_at"]


async def register_visit(
    user: TelegramUser, *, size: str = "45", note: str = "Mal Pelayanan Publik", contact: str = "Rina Marlina"
) -> str:
    """The shortest registration (typed answers, a typed topic note); returns the join code."""
    await user.says("/daftar", replies=2)
    await user.says("Pemkab Cianjur")
    await user.says("jabar")
    await user.says("Herman Suherman, Bupati")
    await user.says(size)
    await user.says("luring")
    [ask_departure] = await user.says("10/12/2026")
    await user.presses(ask_departure, "keesokan harinya")
    [ask_topics] = await user.says(note)  # a typed topic joins the selection until Done is pressed
    await user.presses(ask_topics, "Selesai memilih")
    await user.says(contact)
    [summary] = await user.says("0812 3456 7890")
    [submitted, _qr_text, _qr_file] = await user.presses(summary, "Kirim", replies=3)
    return join_code_in(submitted)


def join_code_in(message: SentMessage) -> str:
    assert message.plain_text is not None
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=join-([0-9A-Z]{{8}})", message.plain_text)
    assert match is not None, f"no join link in {message.plain_text!r}"
    return match.group(1)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with fake_bot_api.running(TOKEN, BOT_USERNAME) as api:
        yield api


@pytest.fixture
def settings(settings: Settings, fake: FakeBotApi) -> Settings:
    """The suite's settings pointed at the fake; the username is left out so it must come from getMe."""
    return dataclasses.replace(
        settings,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_bot_username=None,
        host_admin_telegram_ids=frozenset({ADMIN_TELEGRAM_ID}),
    )


@pytest.fixture
async def bot(make_core: CoreFactory, fake: FakeBotApi, caplog: pytest.LogCaptureFixture) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_core)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], f"the bot logged errors: {errors}"


@pytest.fixture
def rina(fake: FakeBotApi) -> TelegramUser:
    return TelegramUser(fake, COORDINATOR, "Rina", "id")


# --- the stories -------------------------------------------------------------------------------


async def test_a_coordinator_registers_a_visit_and_gets_a_join_link(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    intro, ask_institution = await rina.says("/daftar", replies=2)
    assert "Pendaftaran kunjungan" in (intro.plain_text or "") and asks(ask_institution, "institution")

    [ask_province] = await rina.says("Pemkab Cianjur")
    assert asks(ask_province, "province")
    [java] = await rina.presses(ask_province, "Jawa")  # the island group first: the question is edited in place
    assert java.edited and java.message_id == ask_province.message_id
    [ask_head] = await rina.presses(java, "Jawa Barat")
    assert asks(ask_head, "head")
    [ask_size] = await rina.says("Herman Suherman, Bupati")
    assert asks(ask_size, "size")
    [ask_mode] = await rina.says("45")
    assert asks(ask_mode, "mode")
    [ask_arrival] = await rina.presses(ask_mode, "Kunjungan langsung")
    assert asks(ask_arrival, "arrival")
    [ask_departure] = await rina.says("10/12/2026")
    assert asks(ask_departure, "departure")
    [ask_topics] = await rina.presses(ask_departure, "keesokan harinya")
    assert asks(ask_topics, "topics") and not ask_topics.edited

    # Toggling a topic redraws the same message (ticks on the buttons) instead of sending a new one.
    [one_topic] = await rina.presses(ask_topics, "Pelayanan publik")
    [two_topics] = await rina.presses(one_topic, "Desa digital")
    for edit in (one_topic, two_topics):
        assert (edit.method, edit.edited, edit.message_id) == ("editMessageText", True, ask_topics.message_id)
    shown = fake.current_message(COORDINATOR, ask_topics.message_id)
    assert shown is not None and "Dipilih: Pelayanan publik, Desa digital" in shown["text"]
    ticked = [b["text"] for row in shown["reply_markup"]["inline_keyboard"] for b in row if b["text"].startswith("✅")]
    assert ticked == ["✅ Pelayanan publik", "✅ Desa digital"]

    [ask_contact_name] = await rina.presses(two_topics, "Selesai memilih")
    assert asks(ask_contact_name, "contact_name") and not ask_contact_name.edited
    [ask_contact_phone] = await rina.presses(ask_contact_name, "Pakai nama saya")
    assert asks(ask_contact_phone, "contact_phone")
    [summary] = await rina.says("0812 3456 7890")
    assert "Pemkab Cianjur" in (summary.plain_text or "") and "+62 812-3456-7890" in (summary.plain_text or "")

    [submitted, _qr_text, _qr_file] = await rina.presses(summary, "Kirim", replies=3)
    code = join_code_in(submitted)
    assert f"https://t.me/delegasi_test_bot?start=join-{code}" in (submitted.plain_text or "")
    assert f"/gabung {code}" in (submitted.plain_text or "")

    [note] = await fake.wait_for_messages(STAFF_TELEGRAM_ID, 1)
    assert "Pendaftaran kunjungan baru" in (note.plain_text or "")
    assert "Pemkab Cianjur" in (note.plain_text or "") and code in (note.plain_text or "")

    done = ask_topics.button_data("Selesai memilih")
    topic_messages = [m for m in fake.messages_to(COORDINATOR) if done in m.callback_data]
    assert [m.method for m in topic_messages] == ["sendMessage", "editMessageText", "editMessageText"]
    assert len(fake.callback_answers) == 9  # every press stopped its button's spinner
    assert fake.errors == []  # every message was accepted: valid Telegram HTML, within the limits
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_a_participant_joins_by_the_deep_link_in_english(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    code = await register_visit(rina)
    dewi = TelegramUser(fake, PARTICIPANT, "Dewi", "en")

    welcome, ask_name = await dewi.says(f"/start join-{code}", replies=2)
    assert "Welcome to the Pemkab Cianjur delegation" in (welcome.plain_text or "")
    assert "full name" in (ask_name.plain_text or "")
    [ask_position] = await dewi.says("Dewi Lestari")
    assert "position of Dewi Lestari" in (ask_position.plain_text or "")
    [ask_unit] = await dewi.says("Kepala Bappeda")
    assert "work unit" in (ask_unit.plain_text or "")
    [confirm] = await dewi.presses(ask_unit, "Skip")
    assert "Dewi Lestari" in (confirm.plain_text or "") and "Kepala Bappeda" in (confirm.plain_text or "")
    [joined] = await dewi.presses(confirm, "Submit")
    assert "you are registered as a participant of the Pemkab Cianjur delegation" in (joined.plain_text or "")

    [roster] = await rina.says("/peserta")
    assert "1 dari 45" in (roster.plain_text or "")
    assert "Dewi Lestari — Kepala Bappeda" in (roster.plain_text or "")
    assert fake.errors == []


async def test_a_registration_half_done_before_a_restart_goes_on_after_it(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await rina.says("/daftar", replies=2)
    await rina.says("Pemkab Cianjur")
    await rina.says("Jawa Barat")
    [ask_size] = await rina.says("Herman Suherman, Bupati")
    assert asks(ask_size, "size")
    before = bot.core

    await bot.restart()  # a new Core and Application on the same database and the same Bot API
    assert bot.core is not before

    [ask_mode] = await rina.says("45")  # taken as the number of participants, where she left off
    assert asks(ask_mode, "mode")
    await rina.presses(ask_mode, "Kunjungan langsung")
    [ask_departure] = await rina.says("10/12/2026")
    await rina.presses(ask_departure, "yang sama")
    [ask_topics] = await rina.says("Smart Kampung")
    await rina.presses(ask_topics, "Selesai memilih")
    await rina.says("Rina Marlina")
    [summary] = await rina.says("0812 3456 7890")
    for kept in ("Pemkab Cianjur", "Jawa Barat", "Herman Suherman, Bupati", "45", "Kamis, 10 Desember 2026"):
        assert kept in (summary.plain_text or ""), kept
    [submitted, _qr_text, _qr_file] = await rina.presses(summary, "Kirim", replies=3)
    join_code_in(submitted)

    await fake.assert_no_messages(COORDINATOR, within=0.05)  # nothing answered twice across the restart
    assert fake.errors == []


async def test_flood_control_is_waited_out_and_the_reply_arrives_once(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    fake.inject_fault("sendMessage", status=429, retry_after=3)

    [greeting] = await rina.says("/start")

    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    assert bot.sleep.delays == [3.0]
    assert fake.errors == [("sendMessage", 429, "Too Many Requests: retry after 3")]
    assert len(fake.calls_to("sendMessage")) == 2
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_server_errors_are_retried_with_backoff_and_the_reply_arrives_once(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    fake.inject_fault("sendMessage", status=500, times=2)
    fake.inject_fault("sendMessage", status=502)

    [greeting] = await rina.says("/start")

    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    assert [status for _, status, _ in fake.errors] == [500, 500, 502]
    delays = bot.sleep.delays
    assert len(delays) == 3 and delays == sorted(delays) and delays[0] > 0 and delays[-1] > delays[0]
    assert len(fake.calls_to("sendMessage")) == 4
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_an_outage_of_minutes_is_retried_through_and_the_reply_arrives_once(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    fake.inject_fault("sendMessage", status=502, times=12)  # 3.5 minutes of backoff: six attempts used to give up

    [greeting] = await rina.says("/start")

    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    delays = bot.sleep.delays
    assert len(delays) == 12 and max(delays) == 30.0 and sum(delays) == 211.5
    assert len(fake.calls_to("sendMessage")) == 13
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_a_reply_still_failing_after_it_stopped_being_useful_is_given_up_and_recorded(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject_fault("sendMessage", status=503, times=1000)

    rina.types("/start")

    async def failed() -> bool:
        async with bot.core.database.transaction() as conn:
            return (await outbox.counts_by_status(conn, OutboxKind.REPLY)).get(OutboxStatus.FAILED) == 1

    await eventually(failed, "the reply is recorded as failed")
    assert sum(bot.sleep.delays) <= ANSWER_WORTH_FOR.total_seconds()  # ten minutes of retrying, then no more
    assert len(bot.sleep.delays) == 24
    assert fake.messages_to(COORDINATOR) == []
    [given_up] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "still failing after 25 attempts over 572 s" in given_up
    caplog.clear()  # the one error this test is about


async def test_an_answer_the_platform_gives_late_is_waited_for_and_the_message_is_not_sent_twice(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    fake.answer_late("sendMessage", 5.5)  # python-telegram-bot stops waiting after 5 s by default

    [greeting] = await rina.says("/start")

    async def recorded() -> str | None:
        async with bot.core.database.conn.execute("SELECT status, delivered FROM outbox") as cursor:
            row = await cursor.fetchone()
        return row["delivered"] if row is not None and row["status"] == "sent" else None

    await eventually(recorded, "the send is recorded with its message id", within=10.0)
    assert await recorded() == str(greeting.message_id)
    assert len(fake.calls_to("sendMessage")) == 1
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_a_reply_kept_but_not_sent_before_a_kill_is_sent_at_the_next_start(
    bot: RunningBot, fake: FakeBotApi, clock: FakeClock
) -> None:
    origin = Recipient("telegram", str(COORDINATOR), "id")
    async with bot.core.database.transaction() as conn:  # a turn committed, and the process died before sending
        await replies.keep(
            conn, [Reply("menu/nothing_to_cancel")], origin=origin, origin_message_id=None, now=clock.now()
        )

    await bot.restart()

    [kept] = await fake.wait_for_messages(COORDINATOR, 1, timeout=2.0)  # at once, not at the sender's next look
    assert kept.plain_text
    await fake.assert_no_messages(COORDINATOR, within=0.1)


async def test_a_message_cut_short_by_a_kill_goes_on_after_the_last_step_accepted(
    bot: RunningBot, fake: FakeBotApi, clock: FakeClock
) -> None:
    """A text with a map is two sends; the text was accepted and saved when the process died."""
    origin = Recipient("telegram", str(COORDINATOR), "id")
    maps_url = maps_link("Pendopo", None, -8.2, 114.37)
    venue = Reply(
        "plan/venue",
        {"name": "Pendopo", "address": None, "maps_url": maps_url},
        venue=Venue(-8.2, 114.37, "Pendopo", "Jl. A"),
    )
    async with bot.core.database.transaction() as conn:
        [row_id] = await replies.keep(conn, [venue], origin=origin, origin_message_id=None, now=clock.now())
        await outbox.save_delivered(conn, row_id, ["4242"])
        await outbox.release_in_flight(conn)  # as the next start finds it

    bot.core.sender.wake()

    [pin] = await fake.wait_for_messages(COORDINATOR, 1)
    assert pin.method == "sendVenue"
    assert fake.calls_to("sendMessage") == []

    async def delivered() -> bool:
        async with bot.core.database.conn.execute("SELECT delivered FROM outbox WHERE id = ?", (row_id,)) as cursor:
            row = await cursor.fetchone()
        return bool(row["delivered"] == f"4242,{pin.message_id}")

    await eventually(delivered, "both steps' message ids are recorded")


async def test_a_user_who_blocked_the_bot_is_recorded_and_others_are_still_served(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    gone = TelegramUser(fake, 3003, "Budi")
    fake.block_user(gone.id)

    gone.types("/start")
    [greeting] = await rina.says("/start")
    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")

    await eventually(lambda: blocked_at(bot.core, gone.id), "the blocked user's row gets blocked_at")
    assert fake.errors == [("sendMessage", 403, "Forbidden: bot was blocked by the user")]  # not retried
    assert fake.messages_to(gone.id) == []
    assert await blocked_at(bot.core, COORDINATOR) is None

    [help_text] = await rina.says("/bantuan")  # the bot keeps serving
    assert help_text.inline_keyboard

    fake.unblock_user(gone.id)  # writing again means the bot was unblocked
    [welcome_back] = await gone.says("/start")
    assert "Bapak/Ibu Budi" in (welcome_back.plain_text or "")
    assert await blocked_at(bot.core, gone.id) is None


async def test_the_command_menu_is_registered_in_indonesian_and_english(bot: RunningBot, fake: FakeBotApi) -> None:
    default = json.dumps({"type": "default"})
    staff_chat = json.dumps({"type": "chat", "chat_id": STAFF_TELEGRAM_ID}, sort_keys=True)
    admin_chat = json.dumps({"type": "chat", "chat_id": ADMIN_TELEGRAM_ID}, sort_keys=True)
    assert set(fake.commands) == {None, "en"}
    scopes = (default, staff_chat, admin_chat)
    assert set(fake.commands_by_scope) == {(scope, lang) for scope in scopes for lang in (None, "en")}

    def menu(scope: str, language: str | None) -> dict[str, str]:
        return {c["command"]: c["description"] for c in fake.commands_by_scope[(scope, language)]}

    indonesian, english = menu(default, None), menu(default, "en")
    assert list(indonesian) == list(english) == list(menu_commands_for(Role.MEMBER)) == list(MENU_COMMANDS)
    assert {"start", "daftar", "gabung", "peserta", "batal"} <= set(indonesian)
    assert not set(indonesian) & STAFF_COMMANDS  # nobody is offered what they would be refused
    assert indonesian["daftar"] == "Daftarkan kunjungan delegasi"
    assert english["daftar"] == "Register a delegation visit"
    assert all(indonesian[name] != english[name] for name in MENU_COMMANDS)

    # The staff member's own chat adds the staff commands (not the admin ones: 777000 is staff, not admin).
    staff_indonesian, staff_english = menu(staff_chat, None), menu(staff_chat, "en")
    for staff, public in ((staff_indonesian, indonesian), (staff_english, english)):
        assert list(staff) == list(menu_commands_for(Role.STAFF))
        assert set(STAFF_MENU_COMMANDS) <= set(staff) and not set(ADMIN_MENU_COMMANDS) & set(staff)
        assert {name: staff[name] for name in public} == public
    assert staff_indonesian["siaran"] == "Kirim siaran (panitia)"
    assert staff_english["siaran"] == "Send a broadcast (staff)"
    assert list(menu(admin_chat, None)) == list(menu(admin_chat, "en")) == list(menu_commands_for(Role.ADMIN))
    assert set(ADMIN_MENU_COMMANDS) <= set(menu(admin_chat, None))
    assert fake.errors == []


async def test_an_admin_gets_the_export_and_the_report_as_files_and_staff_are_refused(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await register_visit(rina)
    await fake.wait_for_messages(STAFF_TELEGRAM_ID, 1)  # the new-registration notice
    await fake.wait_for_messages(ADMIN_TELEGRAM_ID, 1)
    admin = TelegramUser(fake, ADMIN_TELEGRAM_ID, "Bu Admin")
    [summary] = await admin.says("/ekspor 2026-12", replies=1)
    assert summary.method == "sendMessage" and "1" in (summary.plain_text or "")
    [workbook_file] = await fake.wait_for_messages(ADMIN_TELEGRAM_ID, 1)
    assert workbook_file.method == "sendDocument" and workbook_file.document is not None
    assert workbook_file.document.filename == "delegasi-2026-12-01_2026-12-31.xlsx"
    sheet = load_workbook(io.BytesIO(workbook_file.document.data))["Delegasi"]
    assert sheet["C2"].value == "Pemkab Cianjur" and sheet.freeze_panes == "A2"

    [month] = await admin.says("/laporan Desember 2026", replies=1)
    assert "Desember 2026" in (month.plain_text or "")
    [chart] = await fake.wait_for_messages(ADMIN_TELEGRAM_ID, 1)
    assert chart.document is not None and chart.document.filename == "laporan-2026-12.png"
    assert chart.document.data.startswith(b"\x89PNG")

    staff = TelegramUser(fake, STAFF_TELEGRAM_ID, "Sari")
    [refused] = await staff.says("/ekspor 2026-12", replies=1)
    assert "admin" in (refused.plain_text or "")
    assert fake.errors == []


async def test_hostile_names_and_notes_are_escaped_and_shown_intact(bot: RunningBot, fake: FakeBotApi) -> None:
    hostile_name = ("<b>Bu & Rina</a> 😀 " * 250)[:4000]
    visitor = TelegramUser(fake, 5005, hostile_name)

    greeting = await visitor.answer_until_keyboard("/start")

    assert fake.errors == []
    assert all(utf16_length(part.plain_text or "") <= MAX_MESSAGE_LENGTH for part in greeting)
    shown = "".join(part.plain_text or "" for part in greeting)
    user = await find_user(bot.core.database.conn, "telegram", str(visitor.id))
    assert user is not None
    assert hostile_name.startswith(user.display_name) and "<b>Bu & Rina</a> 😀" in user.display_name
    assert user.display_name.strip() in shown  # the name as stored (first 120 characters), markup shown as text

    hostile_note = ("Studi <b>MPP</b> & </a> 😀 smart-kampung " * 10)[:300].strip()
    assert len(hostile_note) == 300
    code = await register_visit(visitor, note=hostile_note)
    summary = [m for m in fake.messages_to(visitor.id) if "periksa kembali pendaftaran" in (m.plain_text or "")]
    assert len(summary) == 1 and hostile_note in (summary[0].plain_text or "")
    [note] = await fake.wait_for_messages(STAFF_TELEGRAM_ID, 1)
    assert hostile_note in (note.plain_text or "") and user.display_name in (note.plain_text or "")
    assert code in (note.plain_text or "")
    assert fake.errors == []
    assert all(utf16_length(m.plain_text or "") <= MAX_MESSAGE_LENGTH for m in fake.sent)


async def test_a_roster_longer_than_one_message_is_split_into_accepted_parts(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await register_visit(rina, size="300")
    names = [f"Peserta {i:02d} <b>&</a> 😀 " + "Wicaksono " * 6 for i in range(1, 61)]
    core = bot.core
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        coordinator = await find_user(conn, "telegram", str(COORDINATOR))
        assert coordinator is not None
        [delegation] = await delegations_of_coordinator(conn, coordinator.id)
        for number, name in enumerate(names, 1):
            member = await upsert_user(
                conn,
                channel="telegram",
                external_id=str(9000 + number),
                chat_id=str(9000 + number),
                display_name=name.strip(),
                default_language="id",
                role=Role.MEMBER,
                now=now,
            )
            await insert_participant(
                conn,
                delegation_id=delegation.id,
                user_id=member.id,
                name=name.strip()[:80],
                position="Kepala <Bidang> & Sekretaris " + "Perencanaan " * 4,
                unit="Dinas Komunikasi, Informatika & Persandian " + "Kabupaten Cianjur " * 4,
                now=now,
            )

    rina.types("/peserta")
    parts = await fake.wait_for_messages(COORDINATOR, 1)
    while "60. Peserta 60" not in " ".join(p.plain_text or "" for p in parts):
        parts += await fake.wait_for_messages(COORDINATOR, 1)

    assert fake.errors == []
    assert len(parts) > 1
    assert all(utf16_length(p.plain_text or "") <= MAX_MESSAGE_LENGTH for p in parts)
    assert "60 dari 300" in (parts[0].plain_text or "")
    for number, name in enumerate(names, 1):  # each participant whole, in one part: cuts fall between lines
        line = f"{number}. {name.strip()[:80]} — Kepala <Bidang> & Sekretaris"
        assert sum(line in (p.plain_text or "") for p in parts) == 1, line
    await fake.assert_no_messages(COORDINATOR, within=0.05)


async def test_messages_of_one_chat_are_answered_in_order_while_other_chats_go_on(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    other = TelegramUser(fake, 6006, "Sari")
    for text in ("/daftar", "Pemkab Cianjur", "jabar", "Herman Suherman, Bupati", "45"):
        rina.types(text)  # all at once, without waiting for answers
    other.types("/start")

    intro, *questions = await fake.wait_for_messages(COORDINATOR, 6)
    [greeting] = await fake.wait_for_messages(other.id, 1)

    assert "Pendaftaran kunjungan" in (intro.plain_text or "")
    for message, step in zip(questions, ("institution", "province", "head", "size", "mode"), strict=True):
        assert asks(message, step), f"expected the {step} question, got {message.plain_text!r}"
    assert "Bapak/Ibu Sari" in (greeting.plain_text or "")
    user = await find_user(bot.core.database.conn, "telegram", str(COORDINATOR))
    assert user is not None
    conversation = await load_conversation(bot.core.database.conn, user.id)
    assert conversation is not None and (conversation.flow, conversation.step) == ("reg", "mode")
    assert conversation.data["planned_size"] == 45 and conversation.data["province_code"] == "32"
    await fake.assert_no_messages(COORDINATOR, within=0.05)
    assert fake.errors == []


async def test_a_sticker_during_registration_gets_text_only_and_the_same_question(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await rina.says("/daftar", replies=2)
    [ask_province] = await rina.says("Pemkab Cianjur")

    text_only, asked_again = await rina.sends_sticker(replies=2)

    assert "hanya dapat membaca pesan teks" in (text_only.plain_text or "")
    assert asks(asked_again, "province") and asked_again.callback_data == ask_province.callback_data
    [java] = await rina.presses(asked_again, "Jawa")  # the flow goes on from there
    [ask_head] = await rina.presses(java, "Jawa Barat")
    assert asks(ask_head, "head")
    assert fake.errors == []


async def test_messages_in_a_group_are_ignored_and_never_move_a_users_chat(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await rina.says("/start")
    fake.user_sends(COORDINATOR, "/status@delegasi_test_bot", first_name="Rina", chat_id=-100777)
    await fake.assert_no_messages(-100777, within=0.3)
    user = await find_user(bot.core.database.conn, "telegram", str(COORDINATOR))
    assert user is not None and user.chat_id == str(COORDINATOR)


async def test_a_question_is_answered_with_a_map_and_an_unknown_one_reaches_staff_and_back(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    [answer] = await rina.says("gmn cara ke kawah ijen?")
    assert "Kawah Ijen" in (answer.plain_text or "")
    card, place, venue = await rina.presses(answer, "Selengkapnya", replies=3)
    assert "Kawah Ijen" in (card.plain_text or "") and "Buka di peta" in (place.plain_text or "")
    assert venue.method == "sendVenue" and -9 < float(venue.params["latitude"]) < -7

    staff = TelegramUser(fake, STAFF_TELEGRAM_ID, "Sari")
    [unknown] = await rina.says("Apakah ada hotel dekat Pendopo untuk 50 orang?")
    assert "belum ada di catatan kami" in (unknown.plain_text or "")
    [notice] = await fake.wait_for_messages(STAFF_TELEGRAM_ID, 1)
    assert "hotel dekat Pendopo" in (notice.plain_text or "")
    _question, prompt = await staff.presses(notice, "Jawab", replies=2)
    assert "#1" in (prompt.plain_text or "")
    [sent] = await staff.says("Ada, daftar hotel mitra akan kami kirim <segera>.")
    assert "terkirim" in (sent.plain_text or "")
    [relayed] = await fake.wait_for_messages(COORDINATOR, 1)
    assert "daftar hotel mitra akan kami kirim <segera>." in (relayed.plain_text or "")
    assert fake.errors == []


async def test_staff_plan_and_publish_over_telegram_and_the_coordinator_gets_a_calendar_file(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    await register_visit(rina)
    await fake.wait_for_messages(STAFF_TELEGRAM_ID, 1)  # the new-registration notice
    staff = TelegramUser(fake, STAFF_TELEGRAM_ID, "Sari")
    [choose] = await staff.says("/agenda")
    [empty_plan] = await staff.presses(choose, "Pemkab Cianjur")
    [programs] = await staff.presses(empty_plan, "Terapkan program")
    [preview] = await staff.presses(programs, "satu hari")
    assert "Tidak ada bentrok" in (preview.plain_text or "")
    _saved, plan = await staff.presses(preview, "Simpan", replies=2)
    [ask] = await staff.presses(plan, "Terbitkan")
    assert "dikirim ke 1 orang: koordinator." in (ask.plain_text or "")
    [published] = await staff.presses(ask, "Ya, terbitkan")
    assert "dikirim" in (published.plain_text or "")
    [notice] = await fake.wait_for_messages(COORDINATOR, 1)
    assert "Lounge Pelayanan Publik" in (notice.plain_text or "")
    [document] = await rina.says("/kalender", replies=1)
    assert document.method == "sendMessage"
    [file] = await fake.wait_for_messages(COORDINATOR, 1)
    assert file.method == "sendDocument" and file.document is not None
    assert file.document.filename.endswith(".ics") and b"BEGIN:VCALENDAR" in file.document.data
    assert fake.errors == []


async def test_a_registration_over_telegram_at_debug_logs_nobody(
    debug_log: io.StringIO, bot: RunningBot, rina: TelegramUser
) -> None:
    await register_visit(rina, contact="Rina Marlina")
    written = debug_log.getvalue()
    assert written, "the bot logged something at DEBUG"
    assert TOKEN not in written
    for value in PERSONAL:
        assert value not in written, value


async def test_an_update_kept_but_not_handled_before_a_kill_is_answered_at_the_next_start(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser
) -> None:
    """The platform was told the update arrived (its offset confirmed), then the process died: the inbox has it."""
    await bot.stop()
    tool = await bot.make_core()  # the database opened while the bot is down
    async with tool.database.transaction() as conn:
        incoming = Incoming("telegram", str(COORDINATOR), str(COORDINATOR), "Rina", "id", text="/start")
        assert await inbox.receive(conn, InboxKey("telegram", "424242"), incoming, FIXED_NOW)
    await tool.close()
    await bot.start()
    [greeting] = await fake.wait_for_messages(COORDINATOR, 1)
    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    await bot.restart()
    await fake.assert_no_messages(COORDINATOR, within=0.2)  # handled once: not again at the next start


async def test_the_same_update_sent_twice_is_answered_once(bot: RunningBot, fake: FakeBotApi) -> None:
    payload = fake.user_sends(COORDINATOR, "/start", first_name="Rina")
    await fake.wait_for_messages(COORDINATOR, 1)
    update = Update.de_json(payload, bot.runtime.application.bot)  # type: ignore[union-attr]
    await bot.runtime.application.update_queue.put(update)  # type: ignore[union-attr]  # Telegram sends it again
    await fake.assert_no_messages(COORDINATOR, within=0.3)


async def test_an_update_the_database_cannot_keep_is_not_confirmed_and_comes_again(
    bot: RunningBot, fake: FakeBotApi, rina: TelegramUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = [sqlite3.OperationalError("database or disk is full")]
    receive = inbox.receive

    async def full_disk_once(*args: object, **kwargs: object) -> bool:
        if failures:
            raise failures.pop()
        return await receive(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox, "receive", full_disk_once)
    [greeting] = await rina.says("/start")  # kept at the second delivery, answered once
    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    await fake.assert_no_messages(COORDINATOR, within=0.2)
