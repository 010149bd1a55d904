"""Before the first update: a read-only data directory or a second process on it stops the start with one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.prepared import Prepared
from tests.test_console import ROOT, python_m_bot, run_in_repository


def run_as_reader(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot …` unable to write what the file modes forbid; as root, without the capabilities that
    override them (setpriv, from util-linux)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATA_DIR=str(data_dir), LANG="C.UTF-8", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    limited = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []
    return run_in_repository([*limited, sys.executable, "-m", "bot", *args], env, stdin)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory with a database in it (one user wrote /start); its modes are restored afterwards."""
    path = tmp_path / "var"
    assert python_m_bot(data_dir=path, stdin="/start\n").returncode == 0
    yield path
    for child in [path, *path.rglob("*")]:
        child.chmod(0o755 if child.is_dir() else 0o644)


def test_a_read_only_data_directory_stops_the_start_before_any_update(data_dir: Path) -> None:
    for path in [*data_dir.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    data_dir.chmod(0o555)
    result = run_as_reader(data_dir=data_dir, stdin="/start\n")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("cannot start: ") and str(data_dir) in line and "not writable" in line
    assert "👋" not in result.stdout  # nothing was answered (no greeting)


def test_a_database_that_cannot_be_written_stops_the_start_with_one_line(data_dir: Path) -> None:
    for path in data_dir.glob("delegasi.sqlite3*"):
        path.chmod(0o444)
    # the directory stays writable (the lock file works), the database is not
    result = run_as_reader(data_dir=data_dir, stdin="/start\n")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("cannot start: cannot use the database") and "readonly" in line


def test_a_second_process_on_the_same_data_directory_refuses_to_start(tmp_path: Path) -> None:
    """A console session shares the directory with other console sessions, one user each (bot/channels/console.py),
    but not with a Telegram process, nor with a second session of its own user."""
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATA_DIR=str(data_dir), LANG="C.UTF-8", PYTHONIOENCODING="utf-8")
    first = subprocess.Popen(
        [sys.executable, "-m", "bot"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    try:
        assert first.stdout is not None
        assert "mode konsol" in first.stdout.readline()  # it holds the directory now
        telegram = python_m_bot(
            data_dir=data_dir, stdin="", TELEGRAM_BOT_TOKEN="123:x", TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot"
        )
        assert telegram.returncode == 2
        assert (
            telegram.stderr.strip()
            == f"cannot start: another delegasi is already running on {data_dir} (pid {first.pid})"
        )
        same_user = python_m_bot(data_dir=data_dir, stdin="/start\n")
        assert same_user.returncode == 2
        assert (
            same_user.stderr.strip()
            == f"cannot start: a console session for tamu is already running on {data_dir} (pid {first.pid})"
        )
        other_user = python_m_bot("--user", "budi", data_dir=data_dir, stdin="/start\n")
        assert other_user.returncode == 0, other_user.stderr
        assert "Daftarkan kunjungan" in other_user.stdout  # the menu: it runs beside the first
    finally:
        first.communicate("/keluar\n", timeout=30)
    assert python_m_bot(data_dir=data_dir, stdin="/start\n").returncode == 0  # free again once the first has gone


HEAVY = (
    "telegram", "pywa", "starlette", "uvicorn", "httpx",  # the channels and the web server
    "openpyxl", "numpy", "matplotlib", "icalendar", "segno",  # the files a rare command makes
    "apscheduler", "dateparser", "phonenumbers", "snowballstemmer", "Sastrawi",  # what runs after the prompt
)  # fmt: skip
CONSOLE_START = """
import asyncio, io, sys
import bot.__main__
from bot.app import Core
from bot.channels.console import show_banner
from bot.config import load_settings

async def start():
    core = await Core.build(load_settings({"DATA_DIR": sys.argv[1]}, env_file=None), prepare=False)
    show_banner(core.renderer, io.StringIO(), user_name="tamu", locale="id", as_staff=False)
    await core.close()

asyncio.run(start())
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def test_a_console_start_leaves_the_heavy_libraries_to_what_needs_them(tmp_path: Path) -> None:
    """What a console loads before its prompt (bench/startup.py times it): none of the channels, the file makers,
    or what is built after the prompt (bot.app.Core.prepare); each is imported by the code that uses it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    done = run_in_repository([sys.executable, "-c", CONSOLE_START, str(tmp_path / "var"), *HEAVY], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


async def test_a_prepared_part_is_built_once_however_many_ask_at_once() -> None:
    """The console's warm-up after its prompt and a question typed meanwhile ask for the same index: one build."""
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        started.set()
        release.wait(5)
        return 42

    part = Prepared(build)
    first = asyncio.ensure_future(part.ready())
    await asyncio.to_thread(started.wait, 5)
    others = [asyncio.ensure_future(part.ready()) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not part.is_built
    release.set()
    assert await asyncio.gather(first, *others) == [42, 42, 42, 42]
    assert part.get() == 42 and len(builds) == 1


def test_a_prepared_part_whose_build_failed_is_built_again_by_the_next_caller() -> None:
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("content/places.yaml: 'xy' is too short")
        return "built"

    part = Prepared(build)
    with pytest.raises(ValueError, match="too short"):
        part.get()
    assert part.get() == "built" and len(attempts) == 2
