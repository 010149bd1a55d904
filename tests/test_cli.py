"""The command line (`python -m bot …`): each mistake is named with the part that is wrong, nothing is overwritten
without --force, and every subcommand explains itself."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import Core
from bot.cli.ask import run_ask
from bot.cli.backup import run_backup
from bot.cli.records import run_export, run_report
from bot.config import Settings
from core.clock import FakeClock
from core.records.periods import DateRange, parse_export_request
from tests.support import Recorder
from tests.test_reports import four_visits

DECEMBER = "delegasi-2026-12-01_2026-12-31.xlsx"


@pytest.fixture
def database(settings: Settings, clock: FakeClock) -> Path:
    """A database with four visits in December 2026."""

    async def prepare() -> None:
        core = await Core.build(settings, clock=clock, console_staff=("pak_staf",))
        try:
            await four_visits(Recorder(core))
        finally:
            await core.close()

    asyncio.run(prepare())
    return settings.database_path


def errors_of(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(
    ("first", "last", "named"),
    [
        ("2026-12", "2026-11", "runs backwards: LAST '2026-11' (2026-11-30) is before FIRST '2026-12' (2026-12-01)"),
        ("31/12/2026", "1/12/2026", "runs backwards: LAST '1/12/2026' (2026-12-01) is before FIRST '31/12/2026'"),
        ("2026-13", None, "cannot read FIRST '2026-13'"),
        ("1/12/2026", "nanti", "cannot read LAST 'nanti'"),
        ("2026-01", "2027-06", "2026-01-01 to 2027-06-30 is 546 days, more than 366"),
    ],
)
def test_export_names_the_part_of_the_period_that_is_wrong(
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    first: str,
    last: str | None,
    named: str,
) -> None:
    """Reversed dates were "cannot read the period '2026-12 2026-11' and format 'xlsx'": the format was fine."""
    assert run_export(settings, first, last, "xlsx", tmp_path, clock=clock) == 2
    error = errors_of(capsys)
    assert named in error and "format" not in error
    assert not list(tmp_path.glob("*.xlsx"))


def test_a_month_as_the_last_end_of_a_period_means_its_last_day() -> None:
    """'2026-11 2026-12' was 1 November to 1 December; '2026-13' was read by dateparser as 13 November."""
    today = date(2026, 11, 25)
    request = parse_export_request("2026-11 2026-12", today)
    assert request is not None and request.period == DateRange(date(2026, 11, 1), date(2026, 12, 31))
    assert parse_export_request("2026-13 2026-12", today) is None


@pytest.mark.usefixtures("database")
def test_export_writes_into_a_folder_named_with_a_slash_even_before_it_exists(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    """`-o out/` wrote a file named `out`."""
    assert run_export(settings, "2026-12", None, "xlsx", f"{tmp_path}/out/", clock=clock) == 0
    assert (tmp_path / "out" / DECEMBER).is_file()
    assert run_export(settings, "2026-12", None, "xlsx", str(tmp_path / "december.xlsx"), clock=clock) == 0
    assert (tmp_path / "december.xlsx").is_file()  # a path without the slash is the file itself


@pytest.mark.usefixtures("database")
def test_export_refuses_to_overwrite_a_file_unless_forced(
    settings: Settings, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / DECEMBER
    target.write_bytes(b"kept")
    assert run_export(settings, "2026-12", None, "xlsx", tmp_path, clock=clock) == 1
    assert f"{target} exists: not overwritten (--force overwrites it)" in errors_of(capsys)
    assert target.read_bytes() == b"kept"
    assert run_export(settings, "2026-12", None, "xlsx", tmp_path, clock=clock, force=True) == 0
    assert target.read_bytes().startswith(b"PK")


@pytest.mark.usefixtures("database")
def test_report_refuses_to_overwrite_either_file_unless_forced(
    settings: Settings, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "laporan-2026-12.txt"
    summary.write_text("kept", encoding="utf-8")
    assert run_report(settings, "2026-12", tmp_path, clock=clock) == 1
    assert f"{summary} exists: not overwritten (--force overwrites it)" in errors_of(capsys)
    assert summary.read_text(encoding="utf-8") == "kept"
    assert not (tmp_path / "laporan-2026-12.png").exists()  # neither file is written when one would be lost
    assert run_report(settings, "2026-12", tmp_path, clock=clock, force=True) == 0
    assert "Desember 2026" in summary.read_text(encoding="utf-8")


@pytest.mark.usefixtures("database")
def test_backup_refuses_to_overwrite_unless_forced(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"kept")
    assert run_backup(settings, target) == 1
    assert f"{target} exists: not overwritten (--force overwrites it)" in errors_of(capsys)
    assert target.read_bytes() == b"kept"
    assert run_backup(settings, target, force=True) == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


class TerminalInput(io.StringIO):
    """Standard input that is a terminal (a person at the keyboard, not a pipe)."""

    def isatty(self) -> bool:
        return True


def test_ask_on_a_terminal_with_no_question_says_what_it_waits_for(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """It waited silently for stdin."""
    out = io.StringIO()
    assert run_ask(settings, [], as_json=False, language=None, stdin=TerminalInput("apa itu MPP\n"), out=out) == 0
    assert "type a question and press Enter" in errors_of(capsys)
    assert "mal-pelayanan-publik" in out.getvalue()
    run_ask(settings, [], as_json=False, language=None, stdin=io.StringIO("apa itu MPP\n"), out=io.StringIO())
    assert errors_of(capsys) == ""  # a pipe needs no hint


SUBCOMMANDS = ("run", "serve", "backup", "ask", "export", "report")


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_every_subcommand_describes_itself_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bot export --help` went from its usage line straight to the arguments."""
    listing = " ".join(help_of(capsys).split())
    for name in SUBCOMMANDS:
        usage, description, *_ = help_of(capsys, name).split("\n\n")
        assert usage.startswith(f"usage: python -m bot {name}")
        assert not description.startswith(("positional arguments:", "options:")), name
        assert " ".join(description.split()) in listing  # the same words as its line in the list of commands


def test_a_word_too_many_is_reported_with_the_subcommands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """`report foo bar` printed the top-level usage, which does not show report's arguments."""
    with pytest.raises(SystemExit) as exit_:
        main(["report", "foo", "bar"])
    assert exit_.value.code == 2
    error = errors_of(capsys)
    assert error.startswith("usage: python -m bot report")
    assert "python -m bot report: error: unrecognized arguments: bar" in error
