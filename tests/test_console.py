"""The console channel: a newcomer tries every flow in a terminal, buttons as numbered options."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from bot.app import serve_console
from bot.config import Settings
from core.clock import FakeClock
from core.joincode import ALPHABET

ROOT = Path(__file__).resolve().parent.parent
REGISTRATION_SCRIPT = [
    "/start",
    "1",  # 📝 register a visit
    "Pemkab Cianjur",
    "jabar",
    "Herman Suherman, Bupati",
    "45",
    "1",  # on site
    "10/12/2026",
    "2",  # leaves the next day
    "1",  # public services
    "9",  # done choosing
    "1",  # use my name
    "0812 3456 7890",
    "11",  # confirm
]


async def lines_of(script: Iterable[str]) -> AsyncIterator[str]:
    for line in script:
        yield line


async def run_script(settings: Settings, clock: FakeClock, script: list[str], **options: object) -> str:
    out = io.StringIO()
    params: dict[str, object] = {"user": "budi", "as_staff": False, "locale": "id", "interactive": False}
    params.update(options)
    await serve_console(settings, lines=lines_of(script), out=out, clock=clock, **params)  # type: ignore[arg-type]
    return out.getvalue()


async def test_a_scripted_console_session_registers_a_visit_and_prints_the_join_code(
    settings: Settings, clock: FakeClock
) -> None:
    transcript = await run_script(settings, clock, REGISTRATION_SCRIPT)
    assert "mode konsol" in transcript
    assert "[1] 📝 Daftarkan kunjungan" in transcript
    assert "✅ Kirim / konfirmasi" in transcript
    match = re.search(rf"Kode gabung: ([{ALPHABET}]{{8}})", transcript)
    assert match, transcript[-2000:]
    assert f"?start=join-{match.group(1)}" in transcript
    assert "<b>" not in transcript  # markup is turned into plain text


async def test_two_people_take_turns_and_staff_see_the_registration(settings: Settings, clock: FakeClock) -> None:
    await run_script(settings, clock, ["/start"], user="sari", as_staff=True)
    transcript = await run_script(settings, clock, REGISTRATION_SCRIPT)
    assert "pesan untuk sari" in transcript  # the staff notification, addressed to the other console user
    code = re.search(rf"Kode gabung: ([{ALPHABET}]{{8}})", transcript)
    assert code
    joined = await run_script(
        settings, clock, [f"/gabung {code.group(1)}", "Dedi", "Camat", "1", "4"], user="dedi", locale="en"
    )
    assert "Welcome" in joined and "you are registered" in joined.lower()
    staff_view = await run_script(settings, clock, [f"/peserta {code.group(1)}"], user="sari", as_staff=True)
    assert "Dedi — Camat" in staff_view and "1 dari 45" in staff_view


async def test_typing_a_number_with_no_options_is_just_text(settings: Settings, clock: FakeClock) -> None:
    transcript = await run_script(settings, clock, ["/daftar", "77"])
    assert "Nama instansi perlu berisi huruf" in transcript


def python_m_bot(*args: str, data_dir: Path, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` as a newcomer would: no Telegram token, a fresh data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATA_DIR=str(data_dir), LANG="C.UTF-8", PYTHONIOENCODING="utf-8", **extra_env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_python_m_bot_with_piped_stdin_runs_unattended(tmp_path: Path) -> None:
    """The real command reading a piped script: no token, so console mode.

    The dates typed are relative ("30 hari lagi"), so the outcome does not depend on today's date.
    """
    script = "\n".join([*REGISTRATION_SCRIPT[:7], "30 hari lagi", *REGISTRATION_SCRIPT[8:], "/status", ""])
    result = python_m_bot("--user", "budi", data_dir=tmp_path / "var", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "mode konsol" in result.stdout
    assert re.search(rf"Kode gabung: [{ALPHABET}]{{8}}", result.stdout), result.stdout[-3000:]
    assert "menunggu persetujuan" in result.stdout  # /status after confirming


def test_a_bad_setting_stops_the_start_with_one_line_naming_it(tmp_path: Path) -> None:
    result = python_m_bot(data_dir=tmp_path, MIN_NOTICE_DAYS="tiga")
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: MIN_NOTICE_DAYS must be a whole number, got 'tiga'"


def test_backup_writes_a_consistent_copy(tmp_path: Path) -> None:
    assert python_m_bot(data_dir=tmp_path / "var", stdin="/start\n").returncode == 0
    target = tmp_path / "copy.sqlite3"
    result = python_m_bot("backup", str(target), data_dir=tmp_path / "var")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*) FROM users").fetchone() == (1,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
