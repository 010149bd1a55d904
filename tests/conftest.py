"""Fixtures that build the application exactly as production does, on a temporary database and a fake clock."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import io
import logging
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import logs
from bot.app import Core
from bot.config import Settings, load_settings
from bot.render import RenderedReply, Renderer
from core.clock import FakeClock
from core.messages import Reply
from storage.db import Database
from tests.fake_graph_api import FakeGraphApi
from tests.support import ChatUser, Recorder

PERSONAL = ("Rina Marlina", "Herman Suherman", "0812 3456 7890", "81234567890", "Cianjur")
"""Values the registration stories type: none of them may reach the log."""
E2E_TOKEN = "123456:TEST"  # the token of the fake Bot API in the end-to-end tests

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 warns on every RetryAfter without it

WIB = ZoneInfo("Asia/Jakarta")
STAFF_TELEGRAM_ID = 777000
HOSTILE_HOST = "<b>&</a>😀"  # the host's name and contact as settings could spell them
WA_TOKEN, WA_PHONE_ID = "EAAG-test-token", "106540352242922"  # of the fake WhatsApp Cloud API
WA_USER = "6281234567890"  # a WhatsApp user who wrote to the bot within the last 24 hours


ONE_AT_A_TIME = ("test_crash.py", "test_serve_crash.py")
"""Tests that kill and restart real bot processes and time what arrives: with workers (`make test`'s `-n auto`,
pytest-xdist) they run one after the other on one worker, never two at once on the machine's two cores."""

if importlib.util.find_spec("xdist") is not None:  # a dev dependency; pytest refuses a hook of a plugin it lacks

    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        """`-n`'s distribution (--dist load), each test sent to the worker that asks next, but the tests of
        ONE_AT_A_TIME as one unit, which goes first (the longest; xdist orders units by their size)."""
        if config.getvalue("dist") != "load":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class OneAtATime(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
                return "killed bot processes" if module in ONE_AT_A_TIME else nodeid

        return OneAtATime(config, log)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=WIB))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {
            "DATA_DIR": str(tmp_path / "var"),
            "HOST_STAFF_TELEGRAM_IDS": str(STAFF_TELEGRAM_ID),
            "TELEGRAM_BOT_USERNAME": "delegasi_test_bot",
            "HOST_CONTACT": "0333 000000 (Bagian Protokol)",
            "SEND_CHAT_INTERVAL_MS": "0",  # the limiter has its own tests; flows need not wait a second
            "SEND_PER_SECOND": "1000",  # nor for the 31st message of a second
        },
        env_file=None,
    )


CoreFactory = Callable[..., Awaitable[Core]]


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created and migrated once per test process, by Database.open as the bot does it. A test's
    first Core starts on a copy of it (the same file a first start makes); the migrations themselves are tested
    on fresh files (tests/test_settings_and_storage.py)."""
    path = tmp_path_factory.mktemp("migrated") / "delegasi.sqlite3"

    async def create() -> None:
        await (await Database.open(path)).close()

    loop = asyncio.new_event_loop()  # not asyncio.run: that would unset the loop pytest-asyncio set for the thread
    try:
        loop.run_until_complete(create())
    finally:
        loop.close()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # closed: no write-ahead log left beside it
    return path


@pytest.fixture
async def make_core(settings: Settings, clock: FakeClock, migrated_database: Path) -> AsyncIterator[CoreFactory]:
    """Build a Core (as many times as a test restarts the bot); all are closed at the end."""
    built: list[Core] = []

    async def build(console_staff: tuple[str, ...] = ("pak_staf",)) -> Core:
        if not settings.database_path.exists():  # a first start: on a copy of the migrated database
            settings.database_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(migrated_database, settings.database_path)
        core = await Core.build(settings, clock=clock, console_staff=console_staff)
        built.append(core)
        return core

    yield build
    for core in built:
        await core.close()


@pytest.fixture
async def core(make_core: CoreFactory) -> Core:
    return await make_core()


@pytest.fixture
def recorder(core: Core) -> Recorder:
    return Recorder(core)


@pytest.fixture
def coordinator(recorder: Recorder) -> ChatUser:
    return ChatUser(recorder, "Bu Rina")


@pytest.fixture
def staff(recorder: Recorder) -> ChatUser:
    return ChatUser(recorder, "pak_staf")


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """What LOG_LEVEL=DEBUG would write, through the bot's own logging set-up."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in [*logs.QUIETER_LIBRARIES, ""]}
    written = io.StringIO()
    handler = logs.configure("DEBUG", secrets=[E2E_TOKEN], stream=written)
    try:
        yield written
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The templates with hostile host values, for the tests that render every template (Telegram, WhatsApp)."""
    return Renderer(ZoneInfo("Asia/Jakarta"), {"host_name": HOSTILE_HOST, "host_contact": HOSTILE_HOST})


@pytest.fixture(scope="session")
def hostile_renderings(renderer: Renderer) -> Callable[[str, str], tuple[RenderedReply, ...]]:
    """A message template rendered by `renderer` with each of tests/test_templates.py's parameter sets, once per
    process: the Telegram and the WhatsApp checks of every template read the same renderings."""
    from tests.test_templates import parameter_sets

    @functools.cache
    def rendered(template: str, locale: str) -> tuple[RenderedReply, ...]:
        return tuple(renderer.render_reply(Reply(template, params), locale) for params in parameter_sets())

    return rendered


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphApi]:
    """The fake WhatsApp Cloud API on 127.0.0.1; WA_USER wrote within the last 24 hours."""
    api = FakeGraphApi(WA_TOKEN, WA_PHONE_ID)
    api.window_open.add(WA_USER)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
