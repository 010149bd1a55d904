"""A broadcast to 1,000 recipients through the real Telegram channel, against a fake Bot API that enforces
30 messages a second (answering 429 with retry_after when exceeded) and answers a few injected 429s and 403s.

    .venv/bin/python bench/broadcast.py [--recipients 1000] [--blocked 5] [--injected-429 3]

Prints the time against the floor of recipients / 30 s, and counts of lost and duplicated messages.
Targets: time <= 1.05 x floor, 0 lost, 0 duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bot.app import Core, build_telegram
from bot.config import load_settings
from core.clock import SystemClock
from storage import outbox
from storage._codec import dump_instant
from storage.broadcasts import Audience, insert_broadcast
from storage.outbox import OutboxKind
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456:BENCH"
FIRST_CHAT = 500_000
TARGET_RATIO = 1.05


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


async def run(recipients: int, blocked: int, injected: int) -> int:
    fake = FakeBotApi(TOKEN, bot_username="delegasi_bench_bot", rate_limit_per_second=30)
    await fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": fake.base_url,
                    "DATA_DIR": tmp,
                    "LOG_LEVEL": "ERROR",
                },
                env_file=None,
            )
            setup = await Core.build(settings)
            await setup.close()
            seed_users(settings.database_path, recipients)
            for n in range(blocked):
                fake.block_user(FIRST_CHAT + 7 + n * 97)
            fake.inject_fault("sendMessage", status=429, retry_after=1, times=injected)

            core = await Core.build(settings, clock=SystemClock())
            runtime = build_telegram(core)
            await runtime.application.initialize()
            async with core.database.transaction() as conn:
                broadcast = await insert_broadcast(
                    conn,
                    author_id=1,
                    audience=Audience.EVERYONE,
                    audience_ref=None,
                    text="Bus berangkat pukul 07.30 dari hotel.",
                    recipients=recipients,
                    skipped=0,
                    now=core.services.clock.now(),
                )
                for user_id in range(1, recipients + 1):
                    await outbox.enqueue(
                        conn,
                        kind=OutboxKind.BROADCAST,
                        ref=broadcast.id,
                        user_id=user_id,
                        now=core.services.clock.now(),
                    )
            started = time.perf_counter()
            sent = await core.sender.drain()
            elapsed = time.perf_counter() - started
            async with core.database.transaction() as conn:
                statuses = await outbox.counts_for(conn, OutboxKind.BROADCAST, broadcast.id)
            await runtime.application.shutdown()
            await core.close()
    finally:
        await fake.stop()

    per_chat = collections.Counter(m.chat_id for m in fake.sent if m.method == "sendMessage")
    blocked_chats = {FIRST_CHAT + 7 + n * 97 for n in range(blocked)}
    expected = {FIRST_CHAT + n for n in range(recipients)} - blocked_chats
    reports = per_chat.pop(FIRST_CHAT, 0) - 1 if FIRST_CHAT in expected else 0  # the author (user 1) gets a report
    per_chat[FIRST_CHAT] = 1 + max(0, reports - 1) if FIRST_CHAT in expected else 0
    lost = sum(1 for chat in expected if per_chat.get(chat, 0) == 0)
    duplicates = sum(count - 1 for chat, count in per_chat.items() if count > 1)
    floor = len(expected) / 30
    print(f"recipients {recipients} ({blocked} blocked the bot, {injected} injected 429s)")
    print(
        f"sent {sent} in {elapsed:.2f} s; floor {floor:.2f} s ({len(expected)} / 30 per s); "
        f"ratio {elapsed / floor:.3f} (target <= {TARGET_RATIO})"
    )
    print(f"outbox: { {str(k): v for k, v in statuses.items()} }; 429s from the rate limit: {fake.rate_limited}")
    print(
        f"lost {lost}, duplicates {duplicates} (targets 0, 0): "
        f"{'PASS' if elapsed <= TARGET_RATIO * floor and lost == 0 and duplicates == 0 else 'FAIL'}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--blocked", type=int, default=5)
    parser.add_argument("--injected-429", type=int, default=3)
    args = parser.parse_args()
    return asyncio.run(run(args.recipients, args.blocked, args.injected_429))


if __name__ == "__main__":
    sys.exit(main())
