"""`python -m bot export …` and `python -m bot report …`: the staff exports, written to files from a terminal.

The same code as /ekspor and /laporan makes the files, so a spreadsheet from the server and one from
the chat are the same: the rows are read in one short transaction (`read_export`), and the file is made
from that snapshot after it (`ExportSnapshot.make`). The report's summary is the chat message as plain
text, beside the chart.
Periods are read as in the chat and "today" is the host's date (WIB), whatever the server's zone.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.render import Renderer
from core.clock import Clock, SystemClock, local_today
from core.content import Content
from core.model import Database
from core.records.exports import ExportSnapshot, read_export
from core.records.periods import ExportFormat, ExportRequest, Month, parse_export_request, parse_month
from core.records.report import MonthReport, month_report, report_document

_TAG = re.compile(r"<[^>]+>")


def _plain(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


def _no_database(settings: Settings) -> bool:
    """A mistyped DATA_DIR should say so, not create an empty database and export nothing."""
    if settings.database_path.is_file():
        return False
    print(f"no database at {settings.database_path} (check DATA_DIR)", file=sys.stderr)
    return True


def _target(output: Path, filename: str) -> Path:
    """An existing directory gets the file under its usual name; anything else is the file to write."""
    path = output / filename if output.is_dir() else output
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def run_export(
    settings: Settings,
    first: str | None,
    last: str | None,
    fmt: str,
    output: Path,
    *,
    locale: str = "id",
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Write the export of [first, last] (both empty: this month and next; a month alone: that month)."""
    out = out or sys.stdout
    argument = " ".join(part for part in (first, last, fmt) if part)
    today = local_today(clock or SystemClock(), settings.tz)
    request = parse_export_request(argument, today)
    if request is None or fmt not in {f.value for f in ExportFormat}:
        print(
            f"cannot read the period {' '.join(p for p in (first, last) if p)!r} and format {fmt!r}: "
            "use 2026-12, or 1/12/2026 31/12/2026 (at most 366 days), and xlsx or csv",
            file=sys.stderr,
        )
        return 2
    if _no_database(settings):
        return 1
    snapshot = asyncio.run(_read_export(settings, request, locale))
    document = snapshot.make()
    data = snapshot.data
    path = _target(output, document.filename)
    path.write_bytes(document.data)
    print(
        f"wrote {path}: {len(data.delegations)} delegations, {len(data.participants)} participants, "
        f"{request.period.first_day.isoformat()} to {request.period.last_day.isoformat()}",
        file=out,
    )
    return 0


async def _read_export(settings: Settings, request: ExportRequest, locale: str) -> ExportSnapshot:
    database = await Database.open(settings.database_path)
    try:
        async with database.transaction() as conn:
            return await read_export(conn, request, Content(), locale, settings.tz)
    finally:
        await database.close()


def run_report(
    settings: Settings,
    month: str,
    output_dir: Path,
    *,
    locale: str = "id",
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Write the month's chart (PNG) and its summary (text) into output_dir; an empty month is this month."""
    out = out or sys.stdout
    today = local_today(clock or SystemClock(), settings.tz)
    chosen = parse_month(month, today)
    if chosen is None:
        print(f"cannot read the month {month!r}: use 2026-12, 12/2026 or 'Desember 2026'", file=sys.stderr)
        return 2
    if _no_database(settings):
        return 1
    content = Content()
    report = asyncio.run(_load_report(settings, content, chosen))
    label = f"{chosen.year:04d}-{chosen.month:02d}"
    output_dir.mkdir(parents=True, exist_ok=True)
    document = report_document(report, content, locale)
    chart = output_dir / document.filename
    chart.write_bytes(document.data)
    print(f"wrote {chart}: the chart of {label} ({report.visits} visits)", file=out)
    renderer = Renderer(settings.tz, {"host_name": settings.host_name, "host_contact": settings.host_contact})
    summary = output_dir / Path(document.filename).with_suffix(".txt").name
    summary.write_text(_plain(renderer.render("reports/month", locale, {"report": report})) + "\n", encoding="utf-8")
    print(f"wrote {summary}: the summary of {label}", file=out)
    return 0


async def _load_report(settings: Settings, content: Content, month: Month) -> MonthReport:
    database = await Database.open(settings.database_path)
    try:
        async with database.transaction() as conn:
            return await month_report(conn, content, month.year, month.month)
    finally:
        await database.close()
