"""Settings validation, the database's guarantees, join codes and per-chat ordering."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.ordering import KeyedLocks
from core.joincode import ALPHABET, LENGTH, new_join_code, normalize_join_code
from storage import db
from storage.db import Database, available_migrations, backup_database


def test_defaults_work_on_a_fresh_machine() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.telegram_bot_token is None
    assert settings.data_dir == Path("var")
    assert settings.host_name == "Pemkab Banyuwangi"
    assert settings.timezone == "Asia/Jakarta"
    assert (settings.min_notice_days, settings.max_visit_days) == (3, 7)
    assert settings.host_staff_telegram_ids == frozenset()


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HOST_NAME=Pemkab Contoh\nMIN_NOTICE_DAYS=5\nHOST_STAFF_TELEGRAM_IDS=1, 2;3\n")
    settings = load_settings({"MIN_NOTICE_DAYS": "4"}, env_file=env_file)
    assert settings.host_name == "Pemkab Contoh"
    assert settings.min_notice_days == 4
    assert settings.host_staff_telegram_ids == frozenset({1, 2, 3})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE_URL", "ftp://example"),
        ("HOST_STAFF_TELEGRAM_IDS", "12, budi"),
        ("TIMEZONE", "Mars/Olympus"),
        ("MIN_NOTICE_DAYS", "-1"),
        ("MAX_VISIT_DAYS", "seminggu"),
        ("MAX_VISIT_DAYS", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("HOST_STAFF_WHATSAPP_NUMBERS", "0812 3456 7890, budi"),
        ("HOST_ADMIN_WHATSAPP_NUMBERS", "12345"),
        ("SERVE_PORT", "80000"),
        ("TELEGRAM_WEBHOOK_URL", "http://bot.example/telegram"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, env_file=None)


def test_the_bot_api_base_url_must_end_in_bot() -> None:
    """python-telegram-bot appends the token to it: 'http://localhost:8081' asked 'http://localhost:8081123:…'."""
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL must end in /bot"):
        load_settings({"TELEGRAM_API_BASE_URL": "http://localhost:8081"}, env_file=None)
    local = load_settings({"TELEGRAM_API_BASE_URL": "http://localhost:8081/bot/"}, env_file=None)
    assert local.telegram_api_base_url == "http://localhost:8081/bot"


WHATSAPP = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-token",
    "WHATSAPP_APP_SECRET": "app-secret",
    "WHATSAPP_VERIFY_TOKEN": "verify-me",
}


def test_whatsapp_is_off_until_configured_and_then_needs_all_of_its_secrets() -> None:
    assert load_settings({}, env_file=None).whatsapp is None
    settings = load_settings({**WHATSAPP, "WHATSAPP_BUSINESS_NUMBER": "+62 811-3300-4400"}, env_file=None)
    assert settings.whatsapp is not None
    assert settings.whatsapp.business_number == "6281133004400"
    assert settings.whatsapp.api_base_url == "https://graph.facebook.com"
    for left_out in WHATSAPP:
        partial = {k: v for k, v in WHATSAPP.items() if k != left_out}
        with pytest.raises(ConfigError, match=left_out):
            load_settings(partial, env_file=None)


def test_staff_whatsapp_numbers_are_read_in_any_common_spelling() -> None:
    settings = load_settings(
        {
            "HOST_STAFF_WHATSAPP_NUMBERS": "0812-3456-7890; +62 813 1111 2222, 6281399998888",
            "HOST_ADMIN_WHATSAPP_NUMBERS": "+44 7911 123456",
        },
        env_file=None,
    )
    assert settings.host_staff_whatsapp_ids == {"6281234567890", "6281311112222", "6281399998888"}
    assert settings.host_admin_whatsapp_ids == {"447911123456"}


def test_telegram_webhook_mode_needs_https_the_token_and_a_secret() -> None:
    token = {"TELEGRAM_BOT_TOKEN": "123456:ABC"}
    url = {"TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram"}
    assert load_settings(token, env_file=None).telegram_webhook_url is None  # long polling, as before
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings({**token, **url}, env_file=None)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({**url, "TELEGRAM_WEBHOOK_SECRET": "s3cret"}, env_file=None)
    settings = load_settings({**token, **url, "TELEGRAM_WEBHOOK_SECRET": "s3cret_-x"}, env_file=None)
    assert (settings.telegram_webhook_url, settings.telegram_webhook_secret) == (
        url["TELEGRAM_WEBHOOK_URL"],
        "s3cret_-x",
    )


async def test_migrations_are_numbered_recorded_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = await Database.open(path)
    conn = database.conn
    async with conn.execute("SELECT version FROM schema_version") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == [m.version for m in available_migrations()]
    async with conn.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
    async with conn.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
    await database.close()
    again = await Database.open(path)  # a restart applies nothing twice
    async with again.conn.execute("SELECT COUNT(*) FROM schema_version") as cursor:
        assert (await cursor.fetchone())[0] == len(available_migrations())  # type: ignore[index]
    await again.close()


async def test_a_failed_unit_of_work_leaves_nothing_behind(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    with pytest.raises(RuntimeError):
        async with database.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (channel, external_id, chat_id, display_name, created_at, updated_at) "
                "VALUES ('console', 'x', 'x', 'X', 'now', 'now')"
            )
            raise RuntimeError("boom")
    async with database.conn.execute("SELECT COUNT(*) FROM users") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    with pytest.raises(Exception, match="FOREIGN KEY"):
        async with database.transaction() as conn:
            await conn.execute(
                "INSERT INTO participants (delegation_id, user_id, name, position, joined_at) "
                "VALUES (99, 99, 'a', 'b', 'c')"
            )
    await database.close()


async def test_a_write_waits_for_the_lock_another_connection_holds_on_the_event_loop(tmp_path: Path) -> None:
    """The bot's connection runs its statements on the event loop (storage.db.InlineConnection): while another
    connection (the web thread's, another process's) holds SQLite's write lock, a write waits without blocking the
    loop, and goes through once the lock is free."""
    database = await Database.open(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def write() -> None:
        async with database.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (channel, external_id, chat_id, display_name, created_at, updated_at) "
                "VALUES ('console', 'x', 'x', 'X', 'now', 'now')"
            )

    ticking = asyncio.create_task(tick())
    writing = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.2)
        assert not writing.done() and ticks >= 10  # waiting, and the loop went on meanwhile
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 2)
    finally:
        ticking.cancel()
        other.close()
    async with database.conn.execute("SELECT COUNT(*) FROM users") as cursor:
        assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
    await database.close()


async def test_the_log_is_checkpointed_in_a_worker_thread_not_in_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoints would run in the commit that fills the log, on the event loop; the Database's
    Checkpointer does them on a thread of its own every CHECKPOINT_EVERY commits."""
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 5)
    checkpointed_in: list[int] = []
    checkpoint = db.Checkpointer._checkpoint

    def recorded(self: db.Checkpointer, mode: str) -> None:
        checkpointed_in.append(threading.get_ident())
        checkpoint(self, mode)

    monkeypatch.setattr(db.Checkpointer, "_checkpoint", recorded)
    database = await Database.open(tmp_path / "db.sqlite3")
    async with database.conn.execute("PRAGMA wal_autocheckpoint") as cursor:
        assert (await cursor.fetchone())[0] == 0  # type: ignore[index]
    for n in range(12):
        async with database.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (channel, external_id, chat_id, display_name, created_at, updated_at) "
                "VALUES ('console', ?, 'x', 'X', 'now', 'now')",
                (str(n),),
            )
        await asyncio.sleep(0.01)
    await database.checkpoint()  # after an erasure: everything, and the log emptied
    await database.close()
    assert len(checkpointed_in) >= 3 and threading.get_ident() not in checkpointed_in
    assert not (tmp_path / "db.sqlite3-wal").exists() or (tmp_path / "db.sqlite3-wal").stat().st_size == 0


async def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    async with database.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (channel, external_id, chat_id, display_name, created_at, updated_at) "
            "VALUES ('console', 'x', 'x', 'X', 'now', 'now')"
        )
    backup_database(tmp_path / "db.sqlite3", tmp_path / "copy" / "backup.sqlite3")
    await database.close()
    copy = await Database.open(tmp_path / "copy" / "backup.sqlite3")
    async with copy.conn.execute("SELECT display_name FROM users") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["X"]
    await copy.close()
    with pytest.raises(FileNotFoundError):
        backup_database(tmp_path / "missing.sqlite3", tmp_path / "x.sqlite3")


def test_join_codes_carry_40_bits_without_look_alikes() -> None:
    assert len(set(ALPHABET)) == 32 and LENGTH == 8
    assert math.log2(len(ALPHABET)) * LENGTH >= 40
    assert not set("OIL") & set(ALPHABET)
    codes = {new_join_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(normalize_join_code(c) == c for c in codes)
    assert normalize_join_code(" ab12-cd34 ") == "AB12CD34"
    assert normalize_join_code("OIL23456") == "01123456"
    assert normalize_join_code("join-AB12CD34") == "AB12CD34"
    assert normalize_join_code("AB12CD3") is None
    assert normalize_join_code("AB12CD3U") is None


async def test_one_chat_is_handled_in_order_while_other_chats_go_on() -> None:
    locks = KeyedLocks()
    log: list[str] = []
    release_first = asyncio.Event()

    async def handle(chat: str, message: str, wait: asyncio.Event | None = None) -> None:
        async with locks.hold(chat):
            log.append(f"start {chat}:{message}")
            if wait is not None:
                await wait.wait()
            log.append(f"end {chat}:{message}")

    first = asyncio.create_task(handle("a", "1", release_first))
    second = asyncio.create_task(handle("a", "2"))
    other = asyncio.create_task(handle("b", "1"))
    await asyncio.sleep(0.01)
    assert log == ["start a:1", "start b:1", "end b:1"]  # chat b was not held up by chat a
    release_first.set()
    await asyncio.gather(first, second, other)
    assert log[3:] == ["end a:1", "start a:2", "end a:2"]
    assert len(locks) == 0  # no lock kept for idle chats
