"""The console channel: a newcomer tries every flow in a terminal, buttons as numbered options."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import pytest

from bot.app import serve_console
from bot.config import Settings
from bot.startup import StartupError
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


async def test_a_question_typed_as_the_session_starts_waits_for_the_knowledge_index(
    settings: Settings, clock: FakeClock
) -> None:
    """The index is built after the prompt (bot.app.Core.prepare); a question typed before it is ready is answered
    from it all the same, not passed to staff."""
    transcript = await run_script(settings, clock, ["jam buka mal pelayanan publik?"])
    assert "Mal Pelayanan Publik (MPP) Banyuwangi" in transcript
    assert "🕒" in transcript


async def test_typing_a_number_with_no_options_is_just_text(settings: Settings, clock: FakeClock) -> None:
    transcript = await run_script(settings, clock, ["/daftar", "77"])
    assert "Nama instansi perlu berisi huruf" in transcript


def run_in_repository(command: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A command run from the repository's root, its output captured as text; a minute at most."""
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False
    )


def python_m_bot(*args: str, data_dir: Path, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` as a newcomer would: no Telegram token, a fresh data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATA_DIR=str(data_dir), LANG="C.UTF-8", PYTHONIOENCODING="utf-8", **extra_env)
    return run_in_repository([sys.executable, "-m", "bot", *args], env, stdin)


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


SHOWS_WITHIN = 15.0  # seconds: far more than a session takes to print what it polled (every 0.02 s here)


class Terminal:
    """One console session a test types into while other sessions run on the same database."""

    def __init__(self, settings: Settings, clock: FakeClock, user: str, **options: object) -> None:
        self.user = user
        self.out = io.StringIO()
        self._typed: asyncio.Queue[str | None] = asyncio.Queue()
        params: dict[str, object] = {"as_staff": False, "locale": "id", "interactive": False, "poll_every": 0.02}
        params.update(options)
        self.session = asyncio.create_task(
            serve_console(settings, user=user, lines=self._lines(), out=self.out, clock=clock, **params),  # type: ignore[arg-type]
            name=f"console-{user}",
        )

    async def _lines(self) -> AsyncIterator[str]:
        while (line := await self._typed.get()) is not None:
            yield line

    def type(self, *lines: str) -> None:
        for line in lines:
            self._typed.put_nowait(line)

    async def shows(self, text: str) -> str:
        """Wait until the terminal shows `text` (the session has printed it), and return all it shows."""
        async with asyncio.timeout(SHOWS_WITHIN):
            while text not in self.out.getvalue():
                if self.session.done():
                    self.session.result()  # a session that ended with an error says so
                    raise AssertionError(f"{self.user}'s session ended without showing {text!r}")
                await asyncio.sleep(0.01)
        return self.out.getvalue()

    def button(self, label: str) -> str:
        """The number of the latest option with this label, as the user would type it."""
        numbers = re.findall(rf"\[(\d+)\] {re.escape(label)}", self.out.getvalue())
        assert numbers, f"no option {label!r} in {self.user}'s terminal"
        return numbers[-1]

    async def leave(self) -> str:
        self._typed.put_nowait(None)
        await self.session
        return self.out.getvalue()


Opener = Callable[..., Terminal]


@pytest.fixture
async def open_terminal(settings: Settings, clock: FakeClock) -> AsyncIterator[Opener]:
    """Open terminals on the test's database; any still running at the end (a failed test) is closed."""
    opened: list[Terminal] = []

    def open_one(user: str, **options: object) -> Terminal:
        opened.append(Terminal(settings, clock, user, **options))
        return opened[-1]

    yield open_one
    for terminal in opened:
        terminal.session.cancel()
        with contextlib.suppress(BaseException):
            await terminal.session


async def test_two_sessions_on_one_database_each_see_their_own_messages(open_terminal: Opener) -> None:
    """Staff and a coordinator in two terminals at once: the notice of the registration appears in the staff's
    terminal, and the approval in the coordinator's; neither is printed in the terminal of the one who acted."""
    sari = open_terminal("sari", as_staff=True)
    await sari.shows("mode konsol")
    budi = open_terminal("budi")
    await budi.shows("mode konsol")
    budi.type(*REGISTRATION_SCRIPT)
    await budi.shows("Kode gabung:")
    await sari.shows("Pendaftaran kunjungan baru dari budi")
    sari.type(sari.button("✅ Setujui"))
    await sari.shows("Ya, setujui")
    sari.type(sari.button("✅ Ya, setujui"))
    await sari.shows("koordinator sudah diberi tahu")
    coordinator = await budi.shows("Kunjungan Bapak/Ibu disetujui!")
    staff = await sari.leave()
    await budi.leave()
    assert "pesan untuk" not in coordinator and "Pendaftaran kunjungan baru" not in coordinator
    assert "pesan untuk" not in staff and "Kunjungan Bapak/Ibu disetujui" not in staff


async def test_a_message_for_someone_with_no_session_is_shown_here_and_again_when_they_start(
    settings: Settings, clock: FakeClock, open_terminal: Opener
) -> None:
    """Taking turns in one terminal: the coordinator sees, under a header, that staff were told; staff see the
    notice itself, with its buttons, when they next start, and it is theirs to press."""
    await run_script(settings, clock, ["/start"], user="sari", as_staff=True)
    coordinator = await run_script(settings, clock, REGISTRATION_SCRIPT)
    assert "pesan untuk sari" in coordinator and "Pendaftaran kunjungan baru dari budi" in coordinator
    sari = open_terminal("sari", as_staff=True)
    await sari.shows("Pendaftaran kunjungan baru dari budi")
    sari.type(sari.button("✅ Setujui"))
    staff = await sari.shows("Ya, setujui")
    await sari.leave()
    assert "pesan untuk" not in staff
    assert staff.index("mode konsol") < staff.index("Pendaftaran kunjungan baru")  # after the banner
    again = await run_script(settings, clock, ["/start"], user="sari", as_staff=True)
    assert "Pendaftaran kunjungan baru" not in again  # shown once


async def test_one_user_cannot_run_two_sessions_at_once(
    settings: Settings, clock: FakeClock, open_terminal: Opener
) -> None:
    budi = open_terminal("budi")
    await budi.shows("mode konsol")
    with pytest.raises(StartupError, match="a console session for budi is already running"):
        await run_script(settings, clock, ["/start"])
    await budi.leave()


async def test_an_empty_line_is_answered_like_any_message(settings: Settings, clock: FakeClock) -> None:
    """The console skipped blank lines, so Enter alone (or a blank line in a script) got no answer at all."""
    transcript = await run_script(settings, clock, ["/daftar", "", "   "])
    assert transcript.count("Pesan Bapak/Ibu kosong") == 2
    assert transcript.count("Apa nama instansi") == 3  # and the question is asked again each time
