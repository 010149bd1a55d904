"""A broadcast through the real Telegram channel, against a fake Bot API that enforces the platform's rate
(answering 429 with retry_after when exceeded) and answers a few injected 429s and 403s. The fake runs in a process
of its own (bench/fake_bot_api_process.py), as Telegram does, so the CPU measured is the bot's.

    .venv/bin/python bench/broadcast.py [--recipients 1000] [--rate 30] [--blocked 5] [--injected-429 3]
    .venv/bin/python bench/broadcast.py --recipients 10000 --rate 300

`--rate` is both the fake Bot API's limit and the bot's own (SEND_PER_SECOND). Prints the time against the floor
of recipients / rate, the rate sustained, what one delivered message cost (transactions committed, trips to the
database, the bot process's CPU and, measured after the run, how much of it one Bot API request alone takes) and
counts of lost and duplicated messages.

Targets: below 100 a second (Telegram's 30), time <= 1.01 x floor; from 100 a second, at least 280/300 of the rate
sustained and CPU <= 2 ms per delivered message; always at most 3 transactions per delivered message, 0 lost,
0 duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from db_meter import Meter

from bot.app import Core, build_telegram
from bot.config import load_settings
from core.clock import SystemClock
from storage import outbox
from storage._codec import dump_instant
from storage.broadcasts import Audience, insert_broadcast
from storage.outbox import OutboxKind

TOKEN = "123456:BENCH"
FIRST_CHAT = 500_000
FLOOR_RATIO = 1.01
"""Below FAST: the time against recipients / rate."""
SUSTAINED_SHARE = 280 / 300
"""From FAST on (the limiter, not the cost of a send, should set the pace): the share of the rate sustained."""
TRANSACTIONS_PER_MESSAGE = 3.0
CPU_MS_PER_MESSAGE = 2.0
FAST = 100
FAST_CONCURRENCY = 8
"""SEND_CONCURRENCY from FAST on, unless --concurrency says: the default 4 sends on their way cover round trips of
13 ms at 300 a second, 8 cover 27 ms; more cost more per request (httpcore's pool looks at every connection)."""


def seed_users(db_path: Path, recipients: int) -> None:
    now = dump_instant(datetime.now(ZoneInfo("UTC")))
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executemany(
            "INSERT INTO users (id, channel, external_id, chat_id, display_name, created_at, updated_at) "
            "VALUES (?, 'telegram', ?, ?, ?, ?, ?)",
            [(n + 1, str(FIRST_CHAT + n), str(FIRST_CHAT + n), f"Peserta {n}", now, now) for n in range(recipients)],
        )
    conn.close()


@dataclass(frozen=True)
class FakeReport:
    sent: collections.Counter[int]  # sendMessage calls accepted, per chat
    rate_limited: int
    cpu: float


@contextlib.contextmanager
def fake_bot_api(rate: int, blocked: set[int], injected: int) -> Iterator[tuple[str, Callable[[], FakeReport]]]:
    """Start the fake in its own process; yields its base URL and what asks it for its report (and stops it)."""
    fake = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("fake_bot_api_process.py")),
            TOKEN,
            f"--rate={rate}",
            f"--blocked={','.join(map(str, sorted(blocked)))}",
            f"--injected-429={injected}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdin is not None and fake.stdout is not None
    stdin, stdout = fake.stdin, fake.stdout

    def report() -> FakeReport:
        stdin.write("report\n")
        stdin.flush()
        answer = json.loads(stdout.readline())
        sent = collections.Counter({int(chat): n for chat, n in answer["sent"].items()})
        return FakeReport(sent, answer["rate_limited"], answer["cpu"])

    try:
        base_url = stdout.readline().strip()
        if not base_url:
            raise RuntimeError("the fake Bot API did not start")
        yield base_url, report
    finally:
        stdin.close()
        try:
            fake.wait(10)
        except subprocess.TimeoutExpired:
            fake.kill()


@dataclass(frozen=True)
class Run:
    sent: int
    elapsed: float
    cpu: float
    statuses: dict[str, int]
    calls: int  # of the Bot API calls alone, after the broadcast
    calls_cpu: float


PROBE_CALLS = 1000


async def calls_alone(bot: Any, calls: int, concurrency: int) -> float:
    """CPU seconds of `calls` Bot API requests like the broadcast's, from `concurrency` tasks, with no outbox:
    what sending costs the bot whatever the sender does. They go as getMe (the fake answers it whatever the body
    and does not rate-limit it), with a copy's parameters, so the request is a sendMessage's."""
    text = "Bus berangkat pukul 07.30 dari hotel."
    data = {"chat_id": FIRST_CHAT, "text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}

    async def caller(count: int) -> None:
        for _ in range(count):
            await bot._post("getMe", data)

    started = time.process_time()
    async with asyncio.TaskGroup() as group:
        for n in range(concurrency):
            group.create_task(caller(calls // concurrency + (n < calls % concurrency)))
    return time.process_time() - started


async def broadcast_once(base_url: str, recipients: int, rate: int, concurrency: int | None, meter: Meter) -> Run:
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        environment = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATA_DIR": tmp,
            "LOG_LEVEL": "ERROR",
            "SEND_PER_SECOND": str(rate),
        }
        if concurrency is not None:
            environment["SEND_CONCURRENCY"] = str(concurrency)
        settings = load_settings(environment, env_file=None)
        setup = await Core.build(settings)
        await setup.close()
        seed_users(settings.database_path, recipients)

        core = await Core.build(settings, clock=SystemClock())
        runtime = build_telegram(core)
        await runtime.application.initialize()
        now = core.services.clock.now()
        async with core.database.transaction() as conn:
            broadcast = await insert_broadcast(
                conn,
                author_id=1,
                audience=Audience.EVERYONE,
                audience_ref=None,
                text="Bus berangkat pukul 07.30 dari hotel.",
                recipients=recipients,
                skipped=0,
                now=now,
            )
            for user_id in range(1, recipients + 1):
                await outbox.enqueue(conn, kind=OutboxKind.BROADCAST, ref=broadcast.id, user_id=user_id, now=now)
        await meter.attach(core.database)
        meter.reset()
        started, cpu_started = time.perf_counter(), time.process_time()
        sent = await core.sender.drain()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        async with core.database.transaction() as conn:
            statuses = await outbox.counts_for(conn, OutboxKind.BROADCAST, broadcast.id)
        calls = min(PROBE_CALLS, recipients)
        calls_cpu = await calls_alone(runtime.application.bot, calls, core.settings.send_concurrency)
        await runtime.application.shutdown()
        await core.close()
    return Run(sent, elapsed, cpu, {str(k): v for k, v in statuses.items()}, calls, calls_cpu)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=30, help="messages a second, the fake Bot API's and the bot's")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help=f"SEND_CONCURRENCY (default: the setting's, {FAST_CONCURRENCY} from {FAST}/s)",
    )
    parser.add_argument("--blocked", type=int, default=5)
    parser.add_argument("--injected-429", type=int, default=3)
    args = parser.parse_args()
    recipients, rate, blocked, injected = args.recipients, args.rate, args.blocked, args.injected_429
    concurrency = args.concurrency or (FAST_CONCURRENCY if rate >= FAST else None)

    blocked_chats = {FIRST_CHAT + 7 + n * 97 for n in range(blocked)}
    meter = Meter()
    with fake_bot_api(rate, blocked_chats, injected) as (base_url, report_of_fake):
        run = asyncio.run(broadcast_once(base_url, recipients, rate, concurrency, meter))
        fake = report_of_fake()

    per_chat = fake.sent
    expected = {FIRST_CHAT + n for n in range(recipients)} - blocked_chats
    reports = per_chat.pop(FIRST_CHAT, 0) - 1 if FIRST_CHAT in expected else 0  # the author (user 1) gets a report
    per_chat[FIRST_CHAT] = 1 + max(0, reports - 1) if FIRST_CHAT in expected else 0
    lost = sum(1 for chat in expected if per_chat.get(chat, 0) == 0)
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    delivered = max(1, run.sent)
    floor = len(expected) / rate
    sustained = len(expected) / run.elapsed
    transactions = meter.statements["COMMIT"] / delivered
    cpu_ms = 1000 * run.cpu / delivered
    fast = rate >= FAST

    checks = {
        "no loss": lost == 0 and duplicates == 0,
        "transactions": transactions <= TRANSACTIONS_PER_MESSAGE,
        "pace": sustained >= SUSTAINED_SHARE * rate if fast else run.elapsed <= FLOOR_RATIO * floor,
        "cpu": cpu_ms <= CPU_MS_PER_MESSAGE or not fast,
    }
    slots = f", {concurrency} sends on their way at most" if concurrency else ""
    print(f"recipients {recipients} at {rate}/s ({blocked} blocked the bot, {injected} injected 429s{slots})")
    if fast:
        print(
            f"sent {run.sent} in {run.elapsed:.2f} s: {sustained:.0f} msg/s sustained "
            f"(target >= {SUSTAINED_SHARE * rate:.0f}): {verdict(checks['pace'])}; "
            f"floor {floor:.2f} s, ratio {run.elapsed / floor:.3f}"
        )
    else:
        print(
            f"sent {run.sent} in {run.elapsed:.2f} s; floor {floor:.2f} s ({len(expected)} / {rate} per s); "
            f"ratio {run.elapsed / floor:.3f} (target <= {FLOOR_RATIO}): {verdict(checks['pace'])}"
        )
    print(
        f"per delivered message: {transactions:.2f} transactions (target <= {TRANSACTIONS_PER_MESSAGE:.0f}): "
        f"{verdict(checks['transactions'])}; {meter.units / delivered:.2f} units of work, "
        f"{meter.trips / delivered:.2f} trips to the database, {meter.statements['SELECT'] / delivered:.2f} SELECTs, "
        f"{meter.statements['UPDATE'] / delivered:.2f} UPDATEs"
    )
    print(
        f"CPU of the bot {run.cpu:.2f} s over the run ({100 * run.cpu / run.elapsed:.0f} % of one core): "
        f"{cpu_ms:.2f} ms per delivered message (target <= {CPU_MS_PER_MESSAGE}"
        f"{'): ' + verdict(checks['cpu']) if fast else ' from ' + str(FAST) + '/s)'}; "
        f"the fake Bot API's process {1000 * fake.cpu / delivered:.2f} ms"
    )
    alone = 1000 * run.calls_cpu / max(1, run.calls)
    print(
        f"of which the Bot API call itself (PTB and its HTTP connection; {run.calls} such requests alone after the "
        "run): "
        f"{alone:.2f} ms; the rest (outbox, composing, limiter, rendering): {cpu_ms - alone:.2f} ms"
    )
    print(f"outbox: {run.statuses}; 429s from the rate limit: {fake.rate_limited}")
    print(f"lost {lost}, duplicates {duplicates} (targets 0, 0): {verdict(checks['no loss'])}")
    print(f"all targets: {verdict(all(checks.values()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
