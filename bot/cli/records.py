"""`python -m bot export …` and `python -m bot report …`: the staff exports, written to files from a terminal.

The same code as /ekspor and /laporan makes the files, so a spreadsheet from the server and one from
the chat are the same: the rows are read in one short transaction (`read_export`), and the file is made
from that snapshot after it (`ExportSnapshot.make`). The report's summary is the chat message as plain
text, beside the chart.
Periods are read as in the chat, FIRST and LAST each on its own so a mistake names its part, and "today"
is the host's date (WIB), whatever the server's zone. No file is overwritten without --force.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.cli.files import would_overwrite
from bot.config import Settings
from bot.render import Renderer
from core.clock import Clock, SystemClock, local_today
from core.content import Content
from core.model import Database
from core.records.exports import ExportSnapshot, read_export
from core.records.periods import (
    MAX_EXPORT_DAYS,
    DateRange,
    ExportFormat,
    ExportRequest,
    Month,
    PeriodFault,
    fault_of,
    parse_bound,
    parse_export_request,
    parse_month,
)
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


def _target(output: str | Path, filename: str) -> Path:
    """A directory (one that exists, or a path written with a trailing slash, made if missing) gets the file
    under its usual name; anything else is the file to write. Path() drops the slash, so the text decides."""
    into = str(output).endswith(("/", os.sep)) or Path(output).is_dir()
    path = Path(output) / filename if into else Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class PeriodError(ValueError):
    """The export's period cannot be used; the message names the part that is wrong."""


def read_period(first: str | None, last: str | None, today: date) -> DateRange:
    """FIRST and LAST as the help says: each a day or a month; no LAST is the end of FIRST's month, or FIRST's day;
    neither is this month and next, as /ekspor with nothing after it."""
    if first is None:
        default = parse_export_request("", today)
        assert default is not None
        return default.period
    start = parse_bound(first, today, last=False)
    if start is None:
        raise PeriodError(f"cannot read FIRST {first!r}: use a day (1/12/2026) or a month (2026-12)")
    end = parse_bound(last if last is not None else first, today, last=True)
    if end is None:
        raise PeriodError(f"cannot read LAST {last!r}: use a day (31/12/2026) or a month (2026-12)")
    period = DateRange(start, end)
    fault = fault_of(period)
    if fault is PeriodFault.BACKWARDS:
        raise PeriodError(
            f"the period runs backwards: LAST {last!r} ({end.isoformat()}) is before FIRST {first!r} "
            f"({start.isoformat()}); give the earlier one first"
        )
    if fault is PeriodFault.TOO_LONG:
        raise PeriodError(
            f"the period {start.isoformat()} to {end.isoformat()} is {period.days} days, more than "
            f"{MAX_EXPORT_DAYS}: export it in parts"
        )
    return period


def run_export(
    settings: Settings,
    first: str | None,
    last: str | None,
    fmt: str,
    output: str | Path,
    *,
    locale: str = "id",
    clock: Clock | None = None,
    out: TextIO | None = None,
    force: bool = False,
) -> int:
    """Write the export of [first, last] (both empty: this month and next; a month alone: that month) to
    `output`, a file or a directory (_target); an existing file only with `force`."""
    out = out or sys.stdout
    today = local_today(clock or SystemClock(), settings.tz)
    try:
        request = ExportRequest(read_period(first, last, today), ExportFormat(fmt))
    except PeriodError as error:
        print(error, file=sys.stderr)
        return 2
    if _no_database(settings):
        return 1
    snapshot = asyncio.run(_read_export(settings, request, locale))
    document = snapshot.make()
    data = snapshot.data
    path = _target(output, document.filename)
    if would_overwrite([path], force):
        return 1
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
    force: bool = False,
) -> int:
    """Write the month's chart (PNG) and its summary (text) into output_dir; an empty month is this month.
    Neither is written when one of them exists, unless `force`."""
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
    document = report_document(report, content, locale)
    chart = output_dir / document.filename
    summary = output_dir / Path(document.filename).with_suffix(".txt").name
    if would_overwrite([chart, summary], force):
        return 1
    output_dir.mkdir(parents=True, exist_ok=True)
    chart.write_bytes(document.data)
    print(f"wrote {chart}: the chart of {label} ({report.visits} visits)", file=out)
    renderer = Renderer(settings.tz, {"host_name": settings.host_name, "host_contact": settings.host_contact})
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
