"""Throughput and latency of the Telegram side, in-process: the full bot against a bare PTB echo bot and against
the same conversation as a typical PTB developer writes it.

N simulated private chats each do a short registration-like exchange (8 updates) with the real
python-telegram-bot Application. Nothing touches the network: both applications get a fake
`BaseRequest` that answers every Bot API call at once and records, per chat, when each reply was
sent. A chat sends its next update only after the reply to the previous one arrived (like a real
user), while all chats run concurrently, and the updates go through `application.update_queue`
so the concurrent update processor is exercised. delegasi's queue keeps the updates in its inbox before the next
getUpdates confirms them, as in life: one transaction for what arrived since the last getUpdates, every
GET_UPDATES_EVERY (20 ms; a round trip to Telegram is longer, so in life the batches are larger).
What delegasi asks of its database per update is counted in a run of its own after the timed one (the same
chats, new users): the meter's trace costs about 15 % of the CPU of an update, so it stays out of the timing.

    .venv/bin/python bench/throughput.py [--chats 200] [--rounds 3] [--think-ms 1000]

The applications: "echo" answers every update with its text (the floor of what PTB costs); "typical" is the
registration exchange as a PTB developer writes it (one ConversationHandler of 8 states, the answers in an
aiosqlite table with an UPDATE and a commit per step, sending the same messages as delegasi, which the
bench checks); "delegasi" is the full bot; "memoised" is the full bot with its core's answers memoised (a ceiling).

Two runs per round. Saturated: every user answers the instant a reply arrives, so updates/s is the most each
application can handle, and CPU/update (the process's CPU time, every thread, over the updates) what each
update costs; the latency there is mostly queueing behind the other 199 chats. Paced: users pause about
--think-ms before answering (people read and type), so the latency is what one update sees when the bot keeps
up. The saturated figures of the median round (by delegasi/typical) count; the paced p99 counts in every round.
The latency of an update is the time from putting it on the queue to the moment the last reply
message for it was "sent". It is a measurement, so the exit status is 0 whatever the result;
exchanges the bot did not answer as expected are printed as errors.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import html
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 warns about RetryAfter otherwise
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from db_meter import Meter
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.app import Core, build_telegram, settle_start_up
from bot.channels.telegram import DurableUpdateQueue
from bot.config import load_settings
from core import replies
from core.clock import FakeClock
from core.inbox import InboxKey
from core.messages import Incoming
from handlers.router import Handled, Router
from storage.db import Database

TOKEN = "123456:BENCH"
BOT_ID = 123456
BOT_USERNAME = "delegasi_bench_bot"
FIRST_USER_ID = 10_000
COUNTED_FIRST_USER_ID = 1_000_000  # the run after the timed one that counts the database work (as many chats)
WARM_UP_USER_ID = 5_000
WARM_UP_CHATS = 5
GET_UPDATES_EVERY = 0.02  # seconds between two getUpdates under load (a round trip to Telegram takes longer)
STEP_TIMEOUT = 30.0  # seconds a chat waits for the reply to one update before giving up
TARGET_TYPICAL_RATIO = 0.8  # delegasi/typical in updates/s (the goal is 1.0)
GOAL_TYPICAL_RATIO = 1.0
TARGET_ECHO_RATIO = 0.5  # delegasi/echo
TARGET_PACED_P99_MS = 30.0  # in every round
TARGET_SATURATED_P99_TIMES = 2.0  # delegasi's saturated p99 at most this many times the typical bot's
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
MESSAGE_METHODS = frozenset({"sendmessage", "editmessagetext"})


# --- the exchange ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing the user does: type `text`, or press the button whose callback data is `press`.

    `replies` is how many messages (sendMessage/editMessageText) the full bot answers with.
    """

    text: str | None = None
    press: str | None = None
    replies: int = 1

    @property
    def shown(self) -> str:
        return self.text if self.text is not None else f"[{self.press}]"


EXCHANGE: tuple[Step, ...] = (
    Step(text="/daftar", replies=2),  # registration/intro + registration/ask_institution
    Step(text="Pemkab Cianjur"),  # registration/ask_province
    Step(text="jabar"),  # registration/ask_head
    Step(text="Herman Suherman, Bupati"),  # registration/ask_size
    Step(text="45"),  # registration/ask_mode
    Step(press="reg:mode:onsite"),  # registration/ask_arrival
    Step(text="10/12/2026"),  # registration/ask_departure (the fake clock says 25 November 2026)
    Step(press="reg:departure:1"),  # registration/ask_topics
)
LAST_BUTTON = "reg:topics:done"  # the topics question, the last reply of the exchange, has it


# --- a Bot API that answers at once -------------------------------------------------------------


@dataclass
class Sent:
    step: int
    at: float
    method: str
    message_id: int
    text: str
    buttons: tuple[str, ...]  # callback data of the inline keyboard
    keyboard: tuple[tuple[tuple[str, str], ...], ...] = ()  # its rows of (label, callback data)


@dataclass
class ChatLog:
    sent: list[Sent] = field(default_factory=list)
    step: int = -1
    target: int = 0
    waiter: asyncio.Future[float] | None = None


class FakeBotApi(BaseRequest):
    """Answers every Bot API method immediately with {"ok": true, ...}; records the messages sent."""

    def __init__(self) -> None:
        self.chats: dict[int, ChatLog] = {}
        self.calls: dict[str, int] = {}
        self._message_ids = itertools.count(1_000_000)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """No connection to open."""

    async def shutdown(self) -> None:
        """No connection to close."""

    def chat(self, chat_id: int) -> ChatLog:
        log = self.chats.get(chat_id)
        if log is None:
            log = self.chats[chat_id] = ChatLog()
        return log

    def expect(self, chat_id: int, step: int, replies: int) -> asyncio.Future[float]:
        """A future that gets the time the `replies`-th message for `step` is sent."""
        log = self.chat(chat_id)
        log.step = step
        log.target = len(log.sent) + replies
        log.waiter = asyncio.get_running_loop().create_future()
        return log.waiter

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        name = endpoint.lower()
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        params = request_data.json_parameters if request_data is not None else {}  # what a real transport encodes
        if name == "getme":
            result: Any = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Delegasi",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif name in MESSAGE_METHODS:
            result = self._message(name, params)
        else:  # answerCallbackQuery, setMyCommands, deleteWebhook, …
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        text = params["text"]
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else {}
        buttons = tuple(
            b["callback_data"] for row in markup.get("inline_keyboard", ()) for b in row if "callback_data" in b
        )
        message_id = int(params["message_id"]) if name == "editmessagetext" else next(self._message_ids)
        at = time.perf_counter()
        log = self.chat(chat_id)
        keyboard = tuple(
            tuple((b["text"], b.get("callback_data", "")) for b in row) for row in markup.get("inline_keyboard", ())
        )
        log.sent.append(Sent(log.step, at, name, message_id, text, buttons, keyboard))
        if log.waiter is not None and len(log.sent) >= log.target and not log.waiter.done():
            log.waiter.set_result(at)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Delegasi", "username": BOT_USERNAME},
            "chat": _chat(chat_id),
            "date": int(NOW.timestamp()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return message


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Bu", "last_name": f"Rina {chat_id}"}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Bu", "last_name": f"Rina {user_id}", "language_code": "id"}


# --- the two applications -----------------------------------------------------------------------


@dataclass
class Subject:
    """An application under test, started, with its fake Bot API and the replies each step expects."""

    name: str
    application: Application
    api: FakeBotApi
    replies: Callable[[Step], int]
    close: Callable[[], Awaitable[None]]
    database: Database | None = None  # delegasi's, whose work per update is counted in a run of its own


class MemoisedRouter:
    """The ceiling of the ratio: the bot with its core's answers memoised per (text, button).

    Every chat says the same things, so after the first chat the router's work (database,
    flows) costs nothing; what remains is rendering and the Telegram traffic the answers need
    (longer texts, keyboards, edited messages). Used only to show how far the ratio can go.
    """

    def __init__(self, router: Router) -> None:
        self._router = router
        self._memo: dict[tuple[str | None, str | None], Handled] = {}

    async def handle(self, incoming: Incoming, received: InboxKey | None = None) -> Handled:
        key = (incoming.text, incoming.action)
        if key not in self._memo:
            self._memo[key] = await self._router.handle(incoming, received)
            return self._memo[key]
        memo = self._memo[key]
        origin = dataclasses.replace(memo.origin, chat_id=incoming.chat_id)
        answers = [r for r in memo.replies if r.to is None]
        router = self._router
        async with router.database.transaction() as conn:  # the replies still go through the outbox
            ids = await replies.keep(
                conn,
                answers,
                origin=origin,
                origin_message_id=incoming.origin_message_id,
                now=router.services.clock.now(),
            )
        return Handled(origin, answers, tuple(ids), incoming.origin_message_id)


async def start_delegasi(data_dir: Path, *, memoised: bool = False) -> Subject:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATA_DIR": str(data_dir),
            "HOST_CONTACT": "0333 000000 (Bagian Protokol)",
            "LOG_LEVEL": "WARNING",
            # Every reply goes through the outbox and its limiter; set out of the way, so that what is
            # measured is the work per update, not Telegram's 30 messages a second.
            "SEND_PER_SECOND": "1000",
            "SEND_CHAT_INTERVAL_MS": "0",
            "SEND_CONCURRENCY": "64",
        },
        env_file=None,
    )
    core = await Core.build(settings, clock=FakeClock(NOW))
    await core.prepare()  # as bot.app.serve_telegram does before it starts
    if memoised:
        core.router = MemoisedRouter(core.router)  # type: ignore[assignment]
    api = FakeBotApi()
    runtime = build_telegram(core, request=api, get_updates_request=FakeBotApi())
    application = runtime.application
    # what bot.app.start_telegram and serve_telegram do, without long polling: updates are put on the queue here
    await application.initialize()
    core.services.identity.username = application.bot.username
    await runtime.channel.register_commands(core.services.staff)
    await application.start()
    settle_start_up()

    async def close() -> None:
        await _stop(application)
        await core.close()
        gc.unfreeze()

    name = "memoised" if memoised else "delegasi"
    return Subject(name, application, api, lambda step: step.replies, close, core.database)


async def start_echo() -> Subject:
    api = FakeBotApi()
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(api)
        .get_updates_request(FakeBotApi())
        .concurrent_updates(True)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.message is not None
        await context.bot.send_message(
            update.effective_chat.id, html.escape(update.message.text or ""), parse_mode=ParseMode.HTML
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        await query.answer()
        await context.bot.send_message(
            update.effective_chat.id, html.escape(query.data or ""), parse_mode=ParseMode.HTML
        )

    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(press))
    await application.initialize()
    await application.start()

    async def close() -> None:
        await _stop(application)

    return Subject("echo", application, api, lambda step: 1, close)


# --- the typical PTB bot: the same exchange as a PTB developer writes it ---------------------------

(
    INSTITUTION,
    PROVINCE,
    HEAD,
    SIZE,
    MODE,
    ARRIVAL,
    DEPARTURE,
    TOPICS,
) = range(8)

HOST = "Pemkab Banyuwangi"
MIN_NOTICE_DAYS = 3
MAX_VISIT_DAYS = 7
TOTAL_STEPS = 9
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
PROVINCES = {"jabar": "Jawa Barat", "jawa barat": "Jawa Barat", "jateng": "Jawa Tengah", "jatim": "Jawa Timur"}
REGIONS = (
    ("sumatera", "Sumatera"),
    ("jawa", "Jawa"),
    ("bali-nusra", "Bali & Nusa Tenggara"),
    ("kalimantan", "Kalimantan"),
    ("sulawesi", "Sulawesi"),
    ("maluku-papua", "Maluku & Papua"),
)
TOPIC_CHOICES = (
    ("public-services", "Pelayanan publik"),
    ("poverty-social-protection", "Penanggulangan kemiskinan & perlindungan sosial"),
    ("digital-villages", "Desa digital"),
    ("planning-budgeting", "Perencanaan & penganggaran"),
    ("tourism-festivals", "Pariwisata & festival"),
    ("small-business-economy", "UMKM & ekonomi"),
    ("education", "Pendidikan"),
    ("health", "Kesehatan"),
)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _long_date(day: Any) -> str:
    return f"{DAYS[day.weekday()]}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def _step(number: int) -> str:
    return f"<i>Langkah {number} dari {TOTAL_STEPS}</i>\n"


async def start_typical(database: Path) -> Subject:
    """The registration exchange as a typical PTB developer writes it: one ConversationHandler of 8 states, the
    answers in an aiosqlite table, an UPDATE and a commit per step, the same messages as delegasi sends."""
    db = await aiosqlite.connect(database)
    await db.execute("PRAGMA journal_mode = WAL")  # as delegasi's database: a commit does not wait for the disk
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute(
        """CREATE TABLE IF NOT EXISTS registrations (
               user_id INTEGER PRIMARY KEY, state INTEGER, institution TEXT, province TEXT, head TEXT,
               head_title TEXT, size INTEGER, mode TEXT, arrival TEXT, departure TEXT)"""
    )
    await db.commit()
    today = NOW.date()

    async def save(user_id: int, state: int, column: str, value: object) -> None:
        await db.execute(f"UPDATE registrations SET {column} = ?, state = ? WHERE user_id = ?", (value, state, user_id))
        await db.commit()

    async def say(update: Update, text: str, keyboard: list[list[InlineKeyboardButton]] | None = None) -> None:
        assert update.effective_chat is not None
        await update.get_bot().send_message(
            update.effective_chat.id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=InlineKeyboardMarkup(keyboard) if keyboard else None,
        )

    async def daftar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Start a registration: the introduction and the first question."""
        assert update.effective_user is not None
        await db.execute(
            "INSERT INTO registrations (user_id, state) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET state = ?",
            (update.effective_user.id, INSTITUTION, INSTITUTION),
        )
        await db.commit()
        await say(
            update,
            f"📝 <b>Pendaftaran kunjungan ke {HOST}</b>\nKami akan menanyakan beberapa hal satu per satu. "
            f"Kunjungan didaftarkan paling lambat {MIN_NOTICE_DAYS} hari sebelumnya. Ketik /batal kapan saja untuk "
            "berhenti; isian tetap tersimpan bila terputus.",
        )
        await say(
            update,
            _step(1) + "Apa nama <b>instansi</b> yang berkunjung? Contoh: <i>Pemkab Cianjur</i>.",
        )
        return INSTITUTION

    async def institution(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the institution; ask the province."""
        assert update.message is not None and update.effective_user is not None
        await save(update.effective_user.id, PROVINCE, "institution", (update.message.text or "").strip())
        regions = [InlineKeyboardButton(label, callback_data=f"reg:province:r:{key}") for key, label in REGIONS]
        await say(
            update,
            _step(2) + "Dari <b>provinsi</b> mana? Silakan pilih pulaunya dulu, atau langsung ketik nama provinsi "
            "(mis. <i>Jawa Barat</i>, <i>Jabar</i>).",
            [regions[i : i + 2] for i in range(0, len(regions), 2)],
        )
        return PROVINCE

    async def province(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the province; ask the head of the delegation."""
        assert update.message is not None and update.effective_user is not None
        name = PROVINCES.get((update.message.text or "").strip().lower())
        if name is None:
            await say(update, "Provinsi itu tidak kami kenal. Silakan ketik lagi.")
            return PROVINCE
        await save(update.effective_user.id, HEAD, "province", name)
        await say(
            update,
            _step(3) + "Siapa <b>ketua rombongan</b>? Silakan tulis nama dan jabatan dipisah koma, contoh: "
            "<i>Herman Suherman, Bupati</i>.",
        )
        return HEAD

    async def head(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the head's name and title; ask the size of the group."""
        assert update.message is not None and update.effective_user is not None
        name, _, title = (update.message.text or "").partition(",")
        await save(update.effective_user.id, SIZE, "head", f"{name.strip()}|{title.strip()}")
        await say(update, _step(4) + "Berapa <b>jumlah peserta</b> rombongan? Cukup tulis angkanya, contoh: <i>45</i>.")
        return SIZE

    async def size(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the group size; ask how they visit."""
        assert update.message is not None and update.effective_user is not None
        text = (update.message.text or "").strip()
        if not text.isdigit() or not 1 <= int(text) <= 500:
            await say(update, "Mohon tulis jumlah peserta sebagai angka, contoh: <i>45</i>.")
            return SIZE
        await save(update.effective_user.id, MODE, "size", int(text))
        await say(
            update,
            _step(5) + "Apa <b>bentuk kunjungannya</b>: datang langsung ke Banyuwangi, atau sesi berbagi virtual "
            "(daring)?",
            [
                [
                    InlineKeyboardButton("🚌 Kunjungan langsung", callback_data="reg:mode:onsite"),
                    InlineKeyboardButton("💻 Virtual (daring)", callback_data="reg:mode:virtual"),
                ]
            ],
        )
        return MODE

    async def mode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the mode (a button); ask the arrival date."""
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        await query.answer()
        await save(update.effective_user.id, ARRIVAL, "mode", (query.data or "").rsplit(":", 1)[-1])
        earliest = today + timedelta(days=MIN_NOTICE_DAYS)
        await say(
            update,
            _step(6) + f"Pada <b>tanggal</b> berapa rombongan <b>tiba</b>? Paling cepat {_long_date(earliest)}.\n"
            f"Contoh: <i>{earliest:%d/%m/%Y}</i>, <i>{earliest.day} {MONTHS[earliest.month - 1][:3]} "
            f"{earliest.year}</i>, <i>1 minggu lagi</i>.",
        )
        return ARRIVAL

    async def arrival(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the arrival date; ask the departure."""
        assert update.message is not None and update.effective_user is not None
        try:
            day = datetime.strptime((update.message.text or "").strip(), "%d/%m/%Y").date()
        except ValueError:
            await say(update, "Tanggalnya belum terbaca. Contoh: <i>28/11/2026</i>.")
            return ARRIVAL
        if day < today + timedelta(days=MIN_NOTICE_DAYS):
            await say(update, f"Kunjungan didaftarkan paling lambat {MIN_NOTICE_DAYS} hari sebelumnya.")
            return ARRIVAL
        await save(update.effective_user.id, DEPARTURE, "arrival", day.isoformat())
        await say(
            update,
            _step(6) + f"Tanggal berapa rombongan <b>pulang</b>? Tiba {_long_date(day)}; kunjungan paling lama "
            f"{MAX_VISIT_DAYS} hari.",
            [
                [
                    InlineKeyboardButton("Pulang hari yang sama", callback_data="reg:departure:0"),
                    InlineKeyboardButton("Pulang keesokan harinya", callback_data="reg:departure:1"),
                ]
            ],
        )
        return DEPARTURE

    async def departure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Take the departure (a button: days after the arrival); ask the topics."""
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        await query.answer()
        user_id = update.effective_user.id
        async with db.execute("SELECT arrival FROM registrations WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        day = date.fromisoformat(row[0]) + timedelta(days=int((query.data or "0").rsplit(":", 1)[-1]))
        await save(user_id, TOPICS, "departure", day.isoformat())
        await say(
            update,
            _step(7) + "<b>Topik</b> apa yang ingin dipelajari? Silakan tekan tombol untuk memilih (boleh lebih dari "
            "satu), lalu <b>Selesai memilih</b>. Topik lain boleh juga diketik, satu per pesan.",
            [[InlineKeyboardButton(f"▫️ {label}", callback_data=f"reg:topics:t:{key}")] for key, label in TOPIC_CHOICES]
            + [[InlineKeyboardButton("Selesai memilih ➡️", callback_data="reg:topics:done")]],
        )
        return TOPICS

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Stop the registration."""
        await say(update, "Pendaftaran dibatalkan.")
        return ConversationHandler.END

    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():  # "CallbackQueryHandler will not be tracked for every message": as intended
        warnings.simplefilter("ignore", PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[CommandHandler("daftar", daftar)],
            states={
                INSTITUTION: [MessageHandler(text, institution)],
                PROVINCE: [MessageHandler(text, province)],
                HEAD: [MessageHandler(text, head)],
                SIZE: [MessageHandler(text, size)],
                MODE: [CallbackQueryHandler(mode, pattern=r"^reg:mode:")],
                ARRIVAL: [MessageHandler(text, arrival)],
                DEPARTURE: [CallbackQueryHandler(departure, pattern=r"^reg:departure:")],
                TOPICS: [CallbackQueryHandler(cancel, pattern=r"^reg:topics:")],
            },
            fallbacks=[CommandHandler("batal", cancel)],
        )
    api = FakeBotApi()
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(api)
        .get_updates_request(FakeBotApi())
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(conversation)
    await application.initialize()
    await application.start()

    async def close() -> None:
        await _stop(application)
        await db.close()

    return Subject("typical", application, api, lambda step: step.replies, close)


async def _stop(application: Application) -> None:
    if application.running:
        await application.stop()
    await application.shutdown()


# --- simulated users ----------------------------------------------------------------------------


@dataclass
class ChatResult:
    chat_id: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered update
    last_reply_at: float = 0.0
    error: str | None = None


class Simulation:
    def __init__(self, subject: Subject, *, think: float = 0.0, first_update_id: int = 1) -> None:
        self.subject = subject
        self.think = think
        self._update_ids = itertools.count(first_update_id)  # the inbox drops an update id it has seen
        self._user_message_ids = itertools.count(1)

    async def _poll(self) -> None:
        """What PTB's Updater does between two getUpdates: the next call confirms the updates of the last answer,
        so delegasi's queue keeps them first, all in one transaction (DurableUpdateQueue, KeepBeforeConfirming).
        The updates here are put on the queue one by one, so a getUpdates answer is what arrived since the last
        one, every GET_UPDATES_EVERY; a batch is one update when chats are few and slow."""
        while True:
            await asyncio.sleep(GET_UPDATES_EVERY)
            await self._keep()

    async def _keep(self) -> None:
        queue = self.subject.application.update_queue
        if isinstance(queue, DurableUpdateQueue):
            await queue.keep()

    def _update(self, chat_id: int, step: Step) -> Update:
        update_id = next(self._update_ids)
        if step.text is not None:
            message: dict[str, Any] = {
                "message_id": next(self._user_message_ids),
                "date": int(NOW.timestamp()),
                "chat": _chat(chat_id),
                "from": _user(chat_id),
                "text": step.text,
            }
            if step.text.startswith("/"):
                command = step.text.split(" ", 1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            data: dict[str, Any] = {"update_id": update_id, "message": message}
        else:
            shown = self._message_with_button(chat_id, step.press or "")
            data = {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": _user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": step.press,
                    "message": {
                        "message_id": shown.message_id,
                        "date": int(NOW.timestamp()),
                        "chat": _chat(chat_id),
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Delegasi", "username": BOT_USERNAME},
                        "text": shown.text,
                    },
                },
            }
        return Update.de_json(data, self.subject.application.bot)

    def _message_with_button(self, chat_id: int, action: str) -> Sent:
        """The latest message in the chat with this button; the echo bot has no buttons, so any last message."""
        sent = self.subject.api.chat(chat_id).sent
        for message in reversed(sent):
            if action in message.buttons:
                return message
        if self.subject.name == "echo" and sent:
            return sent[-1]
        raise LookupError(f"no message with the button {action!r} in chat {chat_id}")

    async def run_chat(self, chat_id: int, steps: Sequence[Step]) -> ChatResult:
        result = ChatResult(chat_id)
        queue = self.subject.application.update_queue
        pauses = random.Random(chat_id)  # the same pauses for the same chat in both applications
        if self.think:  # users arrive spread over one think time, not all in the same instant
            await asyncio.sleep(pauses.uniform(0, self.think))
        for index, step in enumerate(steps):
            try:
                update = self._update(chat_id, step)
            except LookupError as error:
                result.error = f"step {index + 1} {step.shown}: {error}"
                break
            replied = self.subject.api.expect(chat_id, index, self.subject.replies(step))
            put_at = time.perf_counter()
            await queue.put(update)
            try:
                result.last_reply_at = await asyncio.wait_for(replied, STEP_TIMEOUT)
            except TimeoutError:
                result.error = f"step {index + 1} {step.shown}: no (or too few) replies within {STEP_TIMEOUT:.0f} s"
                break
            result.latencies.append(result.last_reply_at - put_at)
            if self.think and index < len(steps) - 1:
                await asyncio.sleep(pauses.uniform(0, 2 * self.think))  # reading and typing: think on average
        return result

    async def run(self, chat_ids: Sequence[int], steps: Sequence[Step]) -> tuple[float, list[ChatResult]]:
        """All chats at once; returns the seconds from the first update to the last reply, and each chat's result."""
        started = time.perf_counter()
        polling = asyncio.create_task(self._poll())
        try:
            results = await asyncio.gather(*(self.run_chat(chat_id, steps) for chat_id in chat_ids))
        finally:
            polling.cancel()
        await self._keep()
        finished = max((r.last_reply_at for r in results), default=started)
        return max(finished - started, 1e-9), list(results)


def check(subject: Subject, results: Sequence[ChatResult], steps: Sequence[Step]) -> list[str]:
    """What went wrong in the exchanges: chats that stopped, replies per step that differ from the expected."""
    problems = [f"{subject.name} chat {r.chat_id}: {r.error}" for r in results if r.error]
    wanted = [subject.replies(step) for step in steps]
    for r in results:
        if r.error:
            continue
        sent = subject.api.chat(r.chat_id).sent
        got = [sum(1 for s in sent if s.step == index) for index in range(len(steps))]
        if got != wanted:
            problems.append(f"{subject.name} chat {r.chat_id}: replies per step {got}, expected {wanted}")
        elif subject.name != "echo" and (LAST_BUTTON not in sent[-1].buttons or "Topik" not in sent[-1].text):
            problems.append(f"{subject.name} chat {r.chat_id}: the last reply is not the topics question: {sent[-1]}")
    return problems


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    updates: int
    seconds: float
    cpu_seconds: float  # the process's CPU time (every thread) over the measured run
    latencies: list[float]
    problems: list[str]
    collections: list[tuple[int, float]] = field(default_factory=list)  # (generation, seconds) of each collection
    database: str | None = None  # what one update asked of the database (Meter.per), where it is counted

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_us(self) -> float:
        """CPU time per update, in microseconds."""
        return self.cpu_seconds / max(self.updates, 1) * 1e6

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the per-update latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000

    def collections_seen(self) -> str:
        """How often the garbage collector ran in the measured run, per generation, and its longest pause."""
        if not self.collections:
            return "no collections"
        counts = [sum(1 for g, _ in self.collections if g == generation) for generation in range(3)]
        longest = max(self.collections, key=lambda c: c[1])
        return (
            f"collections gen0/1/2 {counts[0]}/{counts[1]}/{counts[2]}, "
            f"longest {longest[1] * 1000:.1f} ms (gen {longest[0]})"
        )


class CollectionLog:
    """Records each garbage collection (its generation and how long it held the interpreter) while active."""

    def __init__(self) -> None:
        self.collections: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> CollectionLog:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((info["generation"], time.perf_counter() - self._started))


async def measure(subject: Subject, chats: int, think: float) -> Measurement:
    simulation = Simulation(subject, think=think)
    # warm-up (not measured): one chat alone, then a few together, so template, dateparser and
    # other first-use caches are filled before the clock runs
    warm_ids = [WARM_UP_USER_ID + i for i in range(WARM_UP_CHATS)]
    _, first = await simulation.run(warm_ids[:1], EXCHANGE)
    _, others = await simulation.run(warm_ids[1:], EXCHANGE)
    problems = check(subject, first + others, EXCHANGE)
    ids = [FIRST_USER_ID + i for i in range(chats)]
    with CollectionLog() as collections:
        cpu_started = time.process_time()
        elapsed, results = await simulation.run(ids, EXCHANGE)
        cpu = time.process_time() - cpu_started
    problems += check(subject, results, EXCHANGE)
    latencies = [latency for r in results for latency in r.latencies]
    database = None
    if subject.database is not None:  # counted apart: the meter's trace costs ~15 % of the CPU per update
        meter = Meter()
        await meter.attach(subject.database)
        try:
            _, counted = await simulation.run([COUNTED_FIRST_USER_ID + i for i in range(chats)], EXCHANGE)
        finally:
            meter.detach()
        problems += check(subject, counted, EXCHANGE)
        database = meter.per(sum(len(r.latencies) for r in counted))
    return Measurement(
        subject.name, len(latencies), elapsed, cpu, latencies, problems, collections.collections, database
    )


def shown(subject: Subject, chat_id: int) -> list[tuple[str, str, tuple[tuple[tuple[str, str], ...], ...]]]:
    """What the chat was sent: each message's method, text and keyboard."""
    return [(s.method, s.text, s.keyboard) for s in subject.api.chat(chat_id).sent]


def same_messages(typical: Subject, delegasi: Subject) -> list[str]:
    """Where the typical bot's messages differ from delegasi's in the first warm-up chat (empty: the same)."""
    mine, theirs = shown(typical, WARM_UP_USER_ID), shown(delegasi, WARM_UP_USER_ID)
    differences = [
        f"message {index + 1}: typical {a!r}, delegasi {b!r}"
        for index, (a, b) in enumerate(zip(mine, theirs, strict=False))
        if a != b
    ]
    if len(mine) != len(theirs):
        differences.append(f"typical sent {len(mine)} messages, delegasi {len(theirs)}")
    return differences


SOLO_FIRST_UPDATE_ID = 10_000_000
"""Past the update ids of the measured simulation: the same ids again would be dropped by the inbox as copies
(each step would then wait STEP_TIMEOUT for an answer that never comes)."""


async def solo_latency(subject: Subject, user_id: int) -> list[float]:
    """Per-update latency of one chat alone (no queueing behind other chats): the bot's own handling time."""
    result = await Simulation(subject, first_update_id=SOLO_FIRST_UPDATE_ID).run_chat(user_id, EXCHANGE)
    return result.latencies


@dataclass
class Round:
    echo: Measurement
    typical: Measurement
    delegasi: Measurement
    memoised: Measurement
    solo: list[float]
    differences: list[str]  # between the typical bot's messages and delegasi's
    paced: Measurement | None = None

    @property
    def typical_ratio(self) -> float:
        return self.delegasi.rate / self.typical.rate

    @property
    def echo_ratio(self) -> float:
        return self.delegasi.rate / self.echo.rate

    @property
    def problems(self) -> list[str]:
        measured = [self.echo, self.typical, self.delegasi, self.memoised, *([self.paced] if self.paced else [])]
        return [problem for m in measured for problem in m.problems]


async def saturated_round(chats: int) -> Round:
    """Every user answers the instant a reply arrives: the most updates/s each application can handle."""
    echo = await start_echo()
    try:
        echo_result = await measure(echo, chats, 0.0)
    finally:
        await echo.close()
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        typical = await start_typical(Path(tmp) / "typical.sqlite3")
        delegasi: Subject | None = None
        try:
            typical_result = await measure(typical, chats, 0.0)
            delegasi = await start_delegasi(Path(tmp) / "var")
            delegasi_result = await measure(delegasi, chats, 0.0)
            solo = await solo_latency(delegasi, WARM_UP_USER_ID + 999)
            differences = same_messages(typical, delegasi)
        finally:
            await typical.close()
            if delegasi is not None:
                await delegasi.close()
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        memoised = await start_delegasi(Path(tmp) / "var", memoised=True)
        try:
            memoised_result = await measure(memoised, chats, 0.0)
        finally:
            await memoised.close()
    return Round(echo_result, typical_result, delegasi_result, memoised_result, solo, differences)


async def paced_round(chats: int, think: float) -> Measurement:
    """Users pause before answering, as people do: the latency one update sees when the bot is not saturated."""
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        delegasi = await start_delegasi(Path(tmp) / "var")
        try:
            return await measure(delegasi, chats, think)
        finally:
            await delegasi.close()


def line(m: Measurement) -> str:
    return (
        f"  {m.name + ':':<9} {m.updates} updates in {m.seconds:.2f} s = {m.rate:.0f} updates/s, "
        f"{m.cpu_us:.0f} µs CPU/update, p50 {m.percentile_ms(50):.1f} ms, p99 {m.percentile_ms(99):.1f} ms"
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chats", type=int, default=200, help="simulated private chats (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both runs; the median saturated round counts")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=1000.0,
        help="paced run: mean pause of a user before answering a reply (default 1000 ms)",
    )
    args = parser.parse_args(argv)
    if args.chats < 1 or args.rounds < 1 or args.think_ms <= 0:
        parser.error("--chats and --rounds must be at least 1, --think-ms above 0")

    print(
        f"chats={args.chats} updates={args.chats * len(EXCHANGE)} (each chat: {len(EXCHANGE)} updates in order), "
        f"{args.rounds} round(s)"
    )
    rounds: list[Round] = []
    for number in range(1, args.rounds + 1):
        measured = await saturated_round(args.chats)
        measured.paced = await paced_round(args.chats, args.think_ms / 1000)
        rounds.append(measured)
        print(
            f"  round {number}: echo {measured.echo.rate:.0f}/s, typical {measured.typical.rate:.0f}/s, "
            f"delegasi {measured.delegasi.rate:.0f}/s ({measured.delegasi.cpu_us:.0f} µs CPU/update): "
            f"delegasi/typical {measured.typical_ratio:.2f}, delegasi/echo {measured.echo_ratio:.2f}; "
            f"saturated p99 {measured.delegasi.percentile_ms(99):.0f} ms (typical "
            f"{measured.typical.percentile_ms(99):.0f} ms); paced p99 {measured.paced.percentile_ms(99):.1f} ms"
        )
    problems = [problem for r in rounds for problem in r.problems]
    median = sorted(rounds, key=lambda r: r.typical_ratio)[len(rounds) // 2]
    print("saturated, the median round: every user answers the instant the reply arrives (latency is queueing)")
    for m in (median.echo, median.typical, median.delegasi, median.memoised):
        print(line(m))
    print(
        "  ceiling: the same replies with the core's work memoised reach "
        f"{median.memoised.rate / median.echo.rate:.2f} of echo"
    )
    print(f"  delegasi {median.delegasi.collections_seen()}; typical {median.typical.collections_seen()}")
    print(f"  delegasi per update: {median.delegasi.database}; memoised: {median.memoised.database}")
    differences = [d for r in rounds for d in r.differences]
    print(f"  typical sends the same messages as delegasi: {'no' if differences else 'yes'}")
    for difference in differences[:3]:
        print(f"    {difference}")

    paced = [r.paced for r in rounds if r.paced is not None]
    p99s = [m.percentile_ms(99) for m in paced]
    print(f"paced: each user pauses ~{args.think_ms:g} ms before answering ({paced[0].rate:.0f} updates/s offered)")
    for number, m in enumerate(paced, 1):
        print(
            f"  round {number}: delegasi handling latency p50 {m.percentile_ms(50):.1f} ms, "
            f"p99 {m.percentile_ms(99):.1f} ms, {m.cpu_us:.0f} µs CPU/update; {m.collections_seen()}"
        )
    solo_ms = sorted(x * 1000 for x in median.solo)
    if solo_ms:  # the bot's own handling time, without queueing behind other chats
        print(f"one chat alone: p50 {statistics.median(solo_ms):.1f} ms, max {solo_ms[-1]:.1f} ms per update")

    typical_ratio, echo_ratio = median.typical_ratio, median.echo_ratio
    saturated_p99, typical_p99 = median.delegasi.percentile_ms(99), median.typical.percentile_ms(99)
    allowed_p99 = TARGET_SATURATED_P99_TIMES * typical_p99
    print("targets:")
    print(
        f"  delegasi/typical = {typical_ratio:.2f} (target >= {TARGET_TYPICAL_RATIO}, goal {GOAL_TYPICAL_RATIO}): "
        f"{verdict(typical_ratio >= TARGET_TYPICAL_RATIO)}"
        + (" (goal reached)" if typical_ratio >= GOAL_TYPICAL_RATIO else "")
    )
    print(
        f"  delegasi/echo = {echo_ratio:.2f} (target >= {TARGET_ECHO_RATIO}): "
        f"{verdict(echo_ratio >= TARGET_ECHO_RATIO)}"
    )
    print(
        f"  paced p99 in every round ({', '.join(f'{p:.1f}' for p in p99s)} ms) <= {TARGET_PACED_P99_MS:.0f} ms: "
        f"{verdict(all(p <= TARGET_PACED_P99_MS for p in p99s))}"
    )
    print(
        f"  saturated p99 {saturated_p99:.0f} ms <= {TARGET_SATURATED_P99_TIMES:g} x the typical bot's "
        f"{typical_p99:.0f} ms = {allowed_p99:.0f} ms: {verdict(saturated_p99 <= allowed_p99)}"
    )
    if problems:
        print(f"ERROR: {len(problems)} exchange(s) did not go as expected, e.g.:", file=sys.stderr)
        for problem in problems[:10]:
            print(f"  {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
