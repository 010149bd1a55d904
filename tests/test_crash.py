"""Crash tests: the real `python -m bot` process, SIGKILLed at random moments and started again, loses nothing.

Each scenario runs the bot as a subprocess in Telegram polling mode against a FakeBotApi on 127.0.0.1
(answering every call to a chat 2 x 20 ms later, as over a network: tests/crash_support.py), with a fresh
data directory, and kills it `CRASH_KILLS` times (default 10), each a random 0.05-0.8 s after
it started polling (seeded: `CRASH_SEED`, default below, makes the kill delays and the users' pauses
reproducible; the interleaving with the process is not). After the last start the test waits until
nothing is left to do (the outbox empty, the inbox handled), stops the bot with SIGTERM and counts, per
recipient, what was lost and what was duplicated:

(a) coordinators register visits through the whole registration conversation (typed answers and
    buttons) while the bot is killed under them: every step is answered, every typed value is in the
    stored visit, staff hear of each registration;
(b) a broadcast to a few hundred recipients, queued before the first start as bench/broadcast.py
    queues it: everyone gets it, the author gets the delivery report;
(c) bursts of item reminders falling due during the kills (seeded as bench/reminders.py does), half
    useful for an hour, half only for a few seconds: every useful one arrives, none arrives after its
    useful_until (by more than its trip from the bot), and one that fell due while the bot was up with
    time to spare is not dropped.

A duplicate is a copy of a message (same chat, same text) beyond the one expected. The design allows the
one send per chat on its way at each kill to be repeated, and that is asserted: no chat gets two
duplicates from one kill, and in all no more than a kill can have on its way (a chat's answer each in (a),
SEND_CONCURRENCY queued sends in (b) and (c)). Whether the total stayed within one per kill is printed
with the counts (run with -s), which are in every assertion message too. Each life's stderr is kept in
the test's tmp_path (logs/life-NN.stderr) or in $CRASH_LOG_DIR.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage._codec import dump_instant
from storage.broadcasts import Audience, insert_broadcast
from storage.db import Database
from storage.outbox import OutboxKind, enqueue
from storage.users import Role, upsert_user
from tests.conftest import E2E_TOKEN, STAFF_TELEGRAM_ID
from tests.crash_support import (
    BotProcess,
    Copies,
    DistantBotApi,
    describe,
    first_copies,
    kill_repeatedly,
    message_key,
    wait_until,
    wall_offset,
)
from tests.fake_bot_api import FakeBotApi, SentMessage

SEED = int(os.environ.get("CRASH_SEED", "20261125"))
KILLS = int(os.environ.get("CRASH_KILLS", "10"))
KILL_DELAY = (0.05, 0.8)  # seconds after the process polls
SEND_CONCURRENCY = 4  # the default: up to four queued messages on their way at once, to different chats
SETTLE_TIMEOUT = 45.0  # after the last start, until nothing is left to send (generous: a busy machine)
STEP_TIMEOUT = 60.0  # one step of a conversation: as long as the kills go on, plus that
LATENCY = 0.02  # each way, for every call to a user's chat: a message reaches the user before the bot knows
BOT_USERNAME = "delegasi_test_bot"
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = DistantBotApi(E2E_TOKEN, bot_username=BOT_USERNAME, latency=LATENCY)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def make_bot(
    fake: FakeBotApi, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[[dict[str, str]], BotProcess]]:
    """The bot process on tmp_path/var, never left running after the test. Its logs go to tmp_path/logs, or
    to $CRASH_LOG_DIR/<test name> (pytest keeps only its last few tmp_paths: a busy machine loses them)."""
    made: list[BotProcess] = []
    logs = (
        Path(os.environ["CRASH_LOG_DIR"]) / request.node.name if os.environ.get("CRASH_LOG_DIR") else tmp_path / "logs"
    )

    def make(settings: dict[str, str]) -> BotProcess:
        bot = BotProcess(fake, tmp_path / "var", logs, settings)
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.close()


def read_db(bot: BotProcess, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """A read-only look at the bot's database (never a checkpoint, never a lock held past the query)."""
    conn = sqlite3.connect(f"file:{bot.data_dir / 'delegasi.sqlite3'}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outbox_waiting(bot: BotProcess) -> int:
    [row] = read_db(bot, "SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')")
    return int(row["n"])


def inbox_waiting(bot: BotProcess) -> int:
    [row] = read_db(bot, "SELECT COUNT(*) AS n FROM inbox WHERE handled_at IS NULL")
    return int(row["n"])


async def migrated(bot: BotProcess) -> Database:
    """The bot's database created and migrated by the test, before the bot's first start."""
    return await Database.open(bot.data_dir / "delegasi.sqlite3")


def restart_findings(bot: BotProcess) -> str:
    """What the lives found at start, from their logs: sends in flight, updates kept but not handled."""
    in_flight = [int(m.group(1)) for _, line in bot.lines("in flight") if (m := re.search(r"(\d+) messages", line))]
    kept = [int(m.group(1)) for _, line in bot.lines("kept before") if (m := re.search(r"handled (\d+)", line))]
    return (
        f"restarts that found sends in flight: {len(in_flight)} ({sum(in_flight)} rows), "
        f"that found updates kept but not handled: {len(kept)} ({sum(kept)} updates)"
    )


def per_kill_excess(copies: Copies, bot: BotProcess) -> dict[tuple[int, int], int]:
    """(chat, life) pairs with more than the one duplicate a kill may cause in a chat."""
    return {key: n for key, n in copies.per_chat_and_life(bot).items() if n > 1}


def against_kills(duplicates: int, kills: int) -> str:
    """The duplicates, and whether they stayed within one per kill (the design allows one per chat per kill)."""
    return f"{duplicates} ({'within' if duplicates <= kills else 'MORE than'} one per kill)"


def report(name: str, **counts: object) -> str:
    line = f"[crash:{name}] seed {SEED}, " + ", ".join(
        f"{key.replace('_', ' ')} {value}" for key, value in counts.items()
    )
    print("\n" + line)
    return line


# --- (a) registrations --------------------------------------------------------------------------


@dataclass
class Coordinator:
    """A coordinator registering a visit in their private chat, one step after the other."""

    fake: FakeBotApi
    bot: BotProcess
    user_id: int
    first_name: str
    number: int
    rng: random.Random  # how long they pause before each step
    pushed: list[int] = field(default_factory=list)
    answered: int = 0
    steps: int = 0  # of the registration script, counted when it starts
    stuck: str | None = None
    last: SentMessage | None = None
    typed: dict[str, str] = field(default_factory=dict)  # what they type, each value found in the stored visit
    longest_wait: float = 0.0  # seconds from typing to the whole answer, the longest of the conversation
    answers: list[tuple[int, str, str]] = field(default_factory=list)  # each expected message, as first seen

    def __post_init__(self) -> None:
        arrival = datetime.now(WIB).date() + timedelta(days=14 + self.number)
        self.typed = {
            "institution": self.institution,
            "province": "jabar",
            "head": f"Herman Suherman {self.first_name}, Bupati",
            "size": str(20 + self.number),
            "mode": "luring",
            "arrival": arrival.strftime("%d/%m/%Y"),
            "note": f"Mal Pelayanan Publik {self.first_name}",
            "contact": f"Rina {self.first_name}",
            "phone": f"0812 3456 78{self.number:02d}",
        }

    @property
    def institution(self) -> str:
        return f"Pemkab Ujicoba {'ABCDEFGHIJKLMNOP'[self.number]}"

    async def register(self) -> None:
        typed = self.typed
        steps: list[tuple[str, str, list[str]]] = [
            ("type", "/daftar", ["Pendaftaran kunjungan", "instansi"]),
            ("type", typed["institution"], ["provinsi"]),
            ("type", typed["province"], ["ketua rombongan"]),
            ("type", typed["head"], ["jumlah peserta"]),
            ("type", typed["size"], ["bentuk kunjungan"]),
            ("type", typed["mode"], ["tiba"]),
            ("type", typed["arrival"], ["pulang"]),
            ("press", "keesokan harinya", ["ingin dipelajari"]),
            ("type", typed["note"], ["ingin dipelajari"]),  # a typed topic joins the selection; the step stays open
            ("press", "Selesai memilih", ["nama koordinator"]),
            ("type", typed["contact"], ["nomor HP"]),
            ("type", typed["phone"], ["periksa kembali pendaftaran"]),
            ("press", "Kirim", ["start=join-", "Kode QR", ""]),  # the code, then its QR code (a caption and a file)
        ]
        self.steps = len(steps)
        for number, (how, what, answers) in enumerate(steps, 1):
            await asyncio.sleep(self.rng.uniform(0.1, 0.5))
            try:
                await self._step(how, what, answers)
            except AssertionError as error:
                self.stuck = f"step {number} ({how} {what!r}): {error}"
                return
            self.answered += 1

    def _seen(self) -> set[tuple[int, str, str]]:
        return {message_key(m) for m in self.fake.messages_to(self.user_id)}

    async def _step(self, how: str, what: str, answers: list[str]) -> None:
        before = self._seen()
        if how == "type":
            update = self.fake.user_sends(self.user_id, what, first_name=self.first_name)
        else:
            assert self.last is not None
            update = self.fake.user_presses(
                self.user_id,
                self.last.button_data(what),
                message_id=self.last.message_id,
                first_name=self.first_name,
            )
        self.pushed.append(update["update_id"])
        typed_at = time.monotonic()

        def new() -> list[SentMessage]:
            return [m for m in first_copies(self.fake.messages_to(self.user_id)) if message_key(m) not in before]

        await wait_until(
            lambda: len(new()) >= len(answers), f"{len(answers)} answer(s) to {what!r}", STEP_TIMEOUT, self.bot
        )
        self.longest_wait = max(self.longest_wait, time.monotonic() - typed_at)
        got = new()[: len(answers)]
        for message, phrase in zip(got, answers, strict=True):
            assert phrase in (message.plain_text or ""), f"wanted {phrase!r}, got {message.plain_text!r}"
        self.answers += [message_key(m) for m in got]
        self.last = got[-1]


async def test_registrations_survive_kills(fake: FakeBotApi, make_bot: Callable[[dict[str, str]], BotProcess]) -> None:
    began = time.monotonic()
    rng = random.Random(f"{SEED}:registration")
    bot = make_bot({"HOST_STAFF_TELEGRAM_IDS": str(STAFF_TELEGRAM_ID), "TELEGRAM_BOT_USERNAME": BOT_USERNAME})
    names = ["Ayu", "Bima", "Citra", "Dodi", "Eka", "Fajar"]
    coordinators = [
        Coordinator(fake, bot, 4001 + n, name, n, random.Random(f"{SEED}:pause:{n}")) for n, name in enumerate(names)
    ]

    async def converse() -> None:
        await wait_until(lambda: bot.lives and bot.lives[0].ready, "the first start", 60.0)
        await asyncio.gather(*(c.register() for c in coordinators))

    killing = asyncio.create_task(kill_repeatedly(bot, rng.uniform, KILLS, KILL_DELAY))
    await asyncio.sleep(0)  # the first start is under way before anyone types
    await asyncio.gather(killing, converse())
    kills = bot.kills

    def staff_notices() -> list[SentMessage]:
        return [
            m
            for m in first_copies(fake.messages_to(STAFF_TELEGRAM_ID))
            if "Pendaftaran kunjungan baru" in (m.plain_text or "")
        ]

    done = [c for c in coordinators if c.stuck is None]
    if done:
        await wait_until(
            lambda: all(any(c.institution in (m.plain_text or "") for m in staff_notices()) for c in done),
            "a staff notice for every registration",
            SETTLE_TIMEOUT,
            bot,
        )
    await wait_until(
        lambda: outbox_waiting(bot) == 0 and inbox_waiting(bot) == 0, "the outbox and inbox empty", SETTLE_TIMEOUT, bot
    )
    await asyncio.sleep(0.5)  # a copy still on the wire is counted too
    assert await bot.stop() == 0, bot.tail()

    chats = {c.user_id for c in coordinators} | {STAFF_TELEGRAM_ID}
    copies = Copies.of(fake.sent, chats=chats.__contains__)
    expected = {key for c in coordinators for key in c.answers} | {message_key(m) for m in staff_notices()}
    unexpected = [describe(key) for key in copies.by_key if key not in expected]
    lost = sum(c.steps - c.answered for c in coordinators) + sum(
        not any(c.institution in (m.plain_text or "") for m in staff_notices()) for c in coordinators
    )
    pushed = [u for c in coordinators for u in c.pushed]
    not_handed_over = [u for u in pushed if u not in fake.handed_over]
    stored = {
        row["institution"]: row
        for row in read_db(
            bot,
            "SELECT institution, head_name, head_position, planned_size, mode, arrival_date, topics_note, "
            "contact_name, contact_phone FROM delegations",
        )
    }
    [inbox] = read_db(bot, "SELECT COUNT(*) AS n, COUNT(handled_at) AS handled FROM inbox WHERE channel = 'telegram'")
    statuses = dict(read_db(bot, "SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    resent = [  # replies a kill left on their way, and how long after their turn they went out
        (datetime.fromisoformat(row["finished_at"]) - datetime.fromisoformat(row["created_at"])).total_seconds()
        for row in read_db(bot, "SELECT created_at, finished_at FROM outbox WHERE kind = 'reply' AND attempts > 1")
    ]
    excess = per_kill_excess(copies, bot)
    line = report(
        "registration",
        kills=kills,
        coordinators=len(coordinators),
        updates=len(pushed),
        lost=lost,
        duplicates=against_kills(copies.duplicates(), kills),
        unexpected=len(unexpected),
        chats_with_over_one_duplicate_per_kill=len(excess),
        longest_wait_for_an_answer=f"{max(c.longest_wait for c in coordinators):.1f} s",
        replies_sent_again=f"{len(resent)} ({max(resent, default=0):.1f} s after their turn at most)",
        runtime=f"{time.monotonic() - began:.1f} s",
    )
    detail = (
        f"{line}\n{restart_findings(bot)}\nduplicated: {copies.listing()}\n"
        f"unexpected: {unexpected}\nstuck: {[c.stuck for c in coordinators if c.stuck]}\n"
        f"outbox: {statuses}\nlives:\n{bot.summary()}\nlogs: {bot.log_dir}"
    )
    print(detail)

    assert kills >= KILLS, detail
    assert lost == 0, detail
    assert not_handed_over == [] and inbox["n"] == inbox["handled"] == len(pushed), detail
    assert unexpected == [], detail
    for c in coordinators:
        visit = stored.get(c.institution)
        assert visit is not None, f"{c.institution} was not stored\n{detail}"
        typed = c.typed
        assert f"{visit['head_name']}, {visit['head_position']}" == typed["head"], detail
        assert visit["planned_size"] == int(typed["size"]) and visit["mode"] == "onsite", detail
        assert datetime.strptime(typed["arrival"], "%d/%m/%Y").date().isoformat() == visit["arrival_date"], detail
        assert visit["topics_note"] == typed["note"] and visit["contact_name"] == typed["contact"], detail
        assert visit["contact_phone"] == "+62812345678" + f"{c.number:02d}", detail
    assert len(stored) == len(coordinators), detail
    assert copies.duplicates() <= kills * len(chats), detail  # each chat's answer on its way at a kill, at most
    assert excess == {}, detail
    assert bot.errors() == [], f"{detail}\nerrors: {bot.errors()}"


# --- (b) a broadcast ----------------------------------------------------------------------------

RECIPIENTS = 360
FIRST_RECIPIENT = 600_000
BROADCAST_TEXT = "Bus berangkat pukul 07.30 dari hotel."


async def seed_broadcast(bot: BotProcess) -> int:
    """Recipients, the staff author and a broadcast queued to all of them, as bench/broadcast.py queues it."""
    database = await migrated(bot)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as conn:
            author = await upsert_user(
                conn,
                channel="telegram",
                external_id=str(STAFF_TELEGRAM_ID),
                chat_id=str(STAFF_TELEGRAM_ID),
                display_name="Sari",
                default_language="id",
                role=Role.STAFF,
                now=now,
            )
            users = []
            for n in range(RECIPIENTS):
                chat = str(FIRST_RECIPIENT + n)
                user = await upsert_user(
                    conn,
                    channel="telegram",
                    external_id=chat,
                    chat_id=chat,
                    display_name=f"Peserta {n}",
                    default_language="id",
                    role=Role.MEMBER,
                    now=now,
                )
                users.append(user.id)
            broadcast = await insert_broadcast(
                conn,
                author_id=author.id,
                audience=Audience.EVERYONE,
                audience_ref=None,
                text=BROADCAST_TEXT,
                recipients=RECIPIENTS,
                skipped=0,
                now=now,
            )
            for user_id in users:
                await enqueue(conn, kind=OutboxKind.BROADCAST, ref=broadcast.id, user_id=user_id, now=now)
    finally:
        await database.close()
    return broadcast.id


async def test_a_broadcast_survives_kills(fake: FakeBotApi, make_bot: Callable[[dict[str, str]], BotProcess]) -> None:
    began = time.monotonic()
    rng = random.Random(f"{SEED}:broadcast")
    # 50 a second: the few hundred copies take longer than the bot is up between the kills (about 4 s).
    bot = make_bot(
        {
            "HOST_STAFF_TELEGRAM_IDS": str(STAFF_TELEGRAM_ID),
            "SEND_PER_SECOND": "50",
            "SEND_CONCURRENCY": str(SEND_CONCURRENCY),
        }
    )
    number = await seed_broadcast(bot)
    recipients = range(FIRST_RECIPIENT, FIRST_RECIPIENT + RECIPIENTS)

    def reports() -> list[SentMessage]:
        return [m for m in fake.messages_to(STAFF_TELEGRAM_ID) if f"Laporan siaran #{number}" in (m.plain_text or "")]

    await kill_repeatedly(bot, rng.uniform, KILLS, KILL_DELAY)
    kills = bot.kills
    sent_during_kills = len({m.chat_id for m in fake.sent if m.chat_id in recipients})

    def received() -> set[int]:
        return {m.chat_id for m in fake.sent}

    await wait_until(
        lambda: set(recipients) <= received() and reports(), "every recipient and the report", SETTLE_TIMEOUT, bot
    )
    await wait_until(lambda: outbox_waiting(bot) == 0, "the outbox empty", SETTLE_TIMEOUT, bot)
    await asyncio.sleep(0.5)
    assert await bot.stop() == 0, bot.tail()

    copies = Copies.of(fake.sent)
    per_chat = collections.Counter(m.chat_id for m in fake.sent if m.chat_id in recipients)
    lost = [chat for chat in recipients if per_chat[chat] == 0]
    wrong = [describe(k) for k in copies.by_key if k[0] in recipients and BROADCAST_TEXT not in k[2]]
    report_copies = reports()
    statuses = dict(read_db(bot, "SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    excess = per_kill_excess(copies, bot)
    line = report(
        "broadcast",
        kills=kills,
        recipients=RECIPIENTS,
        reached_before_the_last_start=sent_during_kills,
        lost=len(lost),
        duplicates=against_kills(copies.duplicates(), kills),
        report_copies=len(report_copies),
        chats_with_over_one_duplicate_per_kill=len(excess),
        runtime=f"{time.monotonic() - began:.1f} s",
    )
    detail = (
        f"{line}\n{restart_findings(bot)}\nduplicated: {copies.listing()}\n"
        f"outbox: {statuses}\nlives:\n{bot.summary()}\nlogs: {bot.log_dir}"
    )
    print(detail)

    assert kills >= KILLS, detail
    assert lost == [] and wrong == [], detail
    assert report_copies and f"Terkirim: {RECIPIENTS}" in (report_copies[0].plain_text or ""), detail
    assert statuses == {"sent": RECIPIENTS + 1}, detail
    assert copies.duplicates() <= kills * SEND_CONCURRENCY, detail  # the sends on their way at a kill, at most
    assert excess == {}, detail
    assert bot.errors() == [], f"{detail}\nerrors: {bot.errors()}"


# --- (c) reminders ------------------------------------------------------------------------------

BURSTS = 14  # one about every start of the bot (the kills go on for some 35 s), and a few after
PER_BURST = 24
BURST_EVERY = timedelta(seconds=3)
FIRST_MEMBER = 700_000
IN_TRANSIT = 0.25
"""The bot checks useful_until when it composes a reminder; the message then still has its trip to make
(LATENCY here). Arriving later than this after useful_until means it was sent when no longer useful."""


@dataclass(frozen=True)
class SeededReminder:
    user_id: int
    chat_id: int
    title: str
    due_at: datetime
    useful_until: datetime

    @property
    def useful_for_long(self) -> bool:
        return self.useful_until - self.due_at > timedelta(minutes=10)


def seed_reminders(bot: BotProcess, start: datetime, rng: random.Random) -> list[SeededReminder]:
    """A published visit and one item reminder per member, falling due in bursts from `start` on: in each
    burst half are useful for an hour (the item starts then), half only 0.5-3 s (it starts right away)."""
    now = dump_instant(start)
    seeded = []
    conn = sqlite3.connect(bot.data_dir / "delegasi.sqlite3")
    with conn:
        members = BURSTS * PER_BURST
        conn.executemany(
            "INSERT INTO users (id, channel, external_id, chat_id, display_name, created_at, updated_at) "
            "VALUES (?, 'telegram', ?, ?, ?, ?, ?)",
            [
                (u, str(FIRST_MEMBER + u), str(FIRST_MEMBER + u), f"Anggota {u}", now, now)
                for u in range(1, members + 1)
            ],
        )
        conn.execute(
            "INSERT INTO delegations (id, join_code, coordinator_id, institution, province_code, head_name, "
            "head_position, planned_size, mode, arrival_date, departure_date, contact_name, contact_phone, status, "
            "created_at, updated_at, plan_published_at) VALUES (1, 'CRASH001', 1, 'Pemkab Crash', '32', 'A', 'B', "
            "200, 'onsite', ?, ?, 'C', '+6281234567890', 'approved', ?, ?, ?)",
            (
                (start - timedelta(days=1)).date().isoformat(),
                (start + timedelta(days=2)).date().isoformat(),
                now,
                now,
                now,
            ),
        )
        for n in range(members):
            burst, place = divmod(n, PER_BURST)
            due = start + burst * BURST_EVERY + timedelta(milliseconds=20 * place)
            useful_until = due + (timedelta(hours=1) if place % 2 == 0 else timedelta(seconds=rng.uniform(0.5, 3.0)))
            title = f"Acara uji {n}"
            item_id = conn.execute(
                "INSERT INTO agenda_items (delegation_id, uid, starts_at, minutes, venue_id, title, created_at, "
                "updated_at) VALUES (1, ?, ?, 60, 'lounge-pelayanan-publik', ?, ?, ?)",
                (f"crash-{n}", dump_instant(useful_until), title, now, now),
            ).lastrowid
            conn.execute(
                "INSERT INTO reminders (key, kind, user_id, delegation_id, item_id, day, due_at, useful_until, "
                "updated_at) VALUES (?, 'item', ?, 1, ?, ?, ?, ?, ?)",
                (
                    f"crash:{n}",
                    n + 1,
                    item_id,
                    useful_until.astimezone(WIB).date().isoformat(),
                    dump_instant(due),
                    dump_instant(useful_until),
                    now,
                ),
            )
            seeded.append(SeededReminder(n + 1, FIRST_MEMBER + n + 1, title, due, useful_until))
    conn.close()
    return seeded


async def test_reminders_survive_kills(fake: FakeBotApi, make_bot: Callable[[dict[str, str]], BotProcess]) -> None:
    began = time.monotonic()
    rng = random.Random(f"{SEED}:reminders")
    bot = make_bot({"SEND_PER_SECOND": "30", "SEND_CONCURRENCY": str(SEND_CONCURRENCY)})
    await (await migrated(bot)).close()
    start = datetime.now(UTC)
    reminders = seed_reminders(bot, start, rng)
    offset = wall_offset()

    def wall(moment: float) -> datetime:
        return datetime.fromtimestamp(moment + offset, UTC)

    await kill_repeatedly(bot, rng.uniform, KILLS, KILL_DELAY)
    kills = bot.kills
    useful = [r for r in reminders if r.useful_for_long]

    def received() -> set[int]:
        return {m.chat_id for m in fake.sent}

    # After this nothing falls due any more, and every short-lived reminder is past its use.
    quiet_from = max(r.due_at if r.useful_for_long else r.useful_until for r in reminders)
    await wait_until(
        lambda: {r.chat_id for r in useful} <= received() and datetime.now(UTC) > quiet_from,
        "every useful reminder",
        SETTLE_TIMEOUT,
        bot,
    )
    await wait_until(lambda: outbox_waiting(bot) == 0, "the outbox empty", SETTLE_TIMEOUT, bot)
    await asyncio.sleep(0.5)
    assert await bot.stop() == 0, bot.tail()

    by_chat: dict[int, list[SentMessage]] = collections.defaultdict(list)
    for message in fake.sent:
        by_chat[message.chat_id].append(message)
    lost_useful = [r.title for r in useful if not by_chat[r.chat_id]]
    late = {  # seconds after useful_until that its last copy arrived
        r.title: round((wall(by_chat[r.chat_id][-1].at) - r.useful_until).total_seconds(), 3)
        for r in reminders
        if by_chat[r.chat_id] and wall(by_chat[r.chat_id][-1].at) > r.useful_until
    }
    too_late = {title: seconds for title, seconds in late.items() if seconds > IN_TRANSIT}
    wrong = [r.title for r in reminders for m in by_chat[r.chat_id] if r.title not in (m.plain_text or "")]
    short = [r for r in reminders if not r.useful_for_long]
    short_sent = [r for r in short if by_chat[r.chat_id]]

    # Due while the bot was polling, with two seconds to spare before it was no use: it had to go.
    def monotonic_of(when: datetime) -> float:
        return when.timestamp() - offset

    had_time = [
        r
        for r in short
        if r.useful_until - r.due_at >= timedelta(seconds=2)
        and bot.up_during(monotonic_of(r.due_at), monotonic_of(r.due_at) + 2.0)
    ]
    dropped_while_up = [r.title for r in had_time if not by_chat[r.chat_id]]
    after_due = sorted(
        (wall(by_chat[r.chat_id][0].at) - r.due_at).total_seconds() for r in useful if by_chat[r.chat_id]
    ) or [float("nan")]
    copies = Copies.of(fake.sent, chats=lambda chat: chat > FIRST_MEMBER)
    statuses = dict(read_db(bot, "SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    reminder_statuses = dict(read_db(bot, "SELECT status, COUNT(*) FROM reminders GROUP BY status"))
    excess = per_kill_excess(copies, bot)
    line = report(
        "reminders",
        kills=kills,
        reminders=len(reminders),
        useful_for_an_hour=len(useful),
        lost_useful=len(lost_useful),
        short_lived_sent=f"{len(short_sent)}/{len(short)}",
        arrived_after_useful_until=f"{len(late)} (by more than {IN_TRANSIT:g} s: {len(too_late)})",
        dropped_while_up=f"{len(dropped_while_up)} of {len(had_time)}",
        useful_ones_after_due=f"median {after_due[len(after_due) // 2]:.1f} s, max {after_due[-1]:.1f} s",
        duplicates=against_kills(copies.duplicates(), kills),
        chats_with_over_one_duplicate_per_kill=len(excess),
        runtime=f"{time.monotonic() - began:.1f} s",
    )
    detail = (
        f"{line}\n{restart_findings(bot)}\nlate (s after useful_until): {late}\nlost: {lost_useful}\n"
        f"dropped while up: {dropped_while_up}\nduplicated: {copies.listing()}\n"
        f"outbox: {statuses}, reminders: {reminder_statuses}\nlives:\n{bot.summary()}\nlogs: {bot.log_dir}"
    )
    print(detail)

    assert kills >= KILLS, detail
    assert lost_useful == [] and wrong == [], detail
    assert too_late == {}, detail
    assert dropped_while_up == [], detail
    assert "pending" not in reminder_statuses and "sending" not in statuses and "pending" not in statuses, detail
    assert copies.duplicates() <= kills * SEND_CONCURRENCY, detail  # the sends on their way at a kill, at most
    assert excess == {}, detail
    assert bot.errors() == [], f"{detail}\nerrors: {bot.errors()}"
