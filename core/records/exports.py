"""The delegations and participants of a period as a spreadsheet (xlsx) or as CSV, for the host's records.

Both formats come from the same tables, so a column means the same in either. The workbook keeps
types (dates are Excel dates, counts are numbers) so staff can sort, filter and sum without
retyping. Every text a visitor typed is written as text, never as a formula: a delegation named
"=HYPERLINK(…)" must not run anything on a staff member's computer.

CSV is a zip of two files (delegations, participants) rather than one file: the participants are
half of what staff ask for, and one document keeps the chat reply and the command line simple.
Each CSV is UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 (names such as
"Kepulauan Bangka Belitung" are plain, but a participant's name may not be).

An export is read and made in two steps (`read_export`, then `ExportSnapshot.make`): the rows are read in a
short transaction, and the file, seconds of CPU for thousands of participants, is made after it, in a worker
thread in the chat (the router, core.replies.finish) and straight away on the command line.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from aiosqlite import Connection

from core.content import Content
from core.messages import Document
from core.records.export_texts import DELEGATION_COLUMNS, PARTICIPANT_COLUMNS, ExportTexts, export_texts
from core.records.periods import DateRange, ExportFormat, ExportRequest
from core.registration import format_phone
from storage.reports import DelegationRecord, ParticipantRecord, delegations_overlapping, participants_overlapping

if TYPE_CHECKING:  # openpyxl (and the numpy it brings) costs ~0.25 s and ~15 MB: imported by the first workbook
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MIME = "application/zip"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MIN_WIDTH, MAX_WIDTH = 6, 60
EXCEL_CELL_LIMIT = 32_767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CellValue = str | int | date | datetime | None


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds, for the message that carries the file."""

    first_day: date
    last_day: date
    delegations: int
    inactive: int  # cancelled or rejected, listed with their status
    participants: int
    format: str


@dataclass(frozen=True)
class ExportData:
    period: DateRange
    delegations: tuple[DelegationRecord, ...]
    participants: tuple[ParticipantRecord, ...]

    def summary(self, export_format: ExportFormat) -> ExportSummary:
        return ExportSummary(
            self.period.first_day,
            self.period.last_day,
            len(self.delegations),
            sum(1 for d in self.delegations if not d.is_active),
            len(self.participants),
            export_format.value,
        )


@dataclass(frozen=True)
class Table:
    """One sheet (or one CSV file): a name, the headers, and typed rows."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[CellValue, ...], ...]


async def load_export(conn: Connection, period: DateRange) -> ExportData:
    """Every visit with a day in the period, whatever its status, and the participants of those visits."""
    delegations = await delegations_overlapping(conn, period.first_day, period.last_day)
    participants = await participants_overlapping(conn, period.first_day, period.last_day)
    return ExportData(period, tuple(delegations), tuple(participants))


@dataclass(frozen=True)
class ExportSnapshot:
    """The rows of an export as one transaction read them, and all else its file needs: making the file
    reads nothing more from the database, so it can happen after the transaction, in any thread
    (a core.messages.DocumentSource)."""

    data: ExportData
    format: ExportFormat
    content: Content
    locale: str
    tz: tzinfo

    @property
    def summary(self) -> ExportSummary:
        return self.data.summary(self.format)

    def make(self) -> Document:
        return export_document(self.data, self.content, self.locale, self.tz, self.format)


async def read_export(
    conn: Connection, request: ExportRequest, content: Content, locale: str, tz: tzinfo
) -> ExportSnapshot:
    """What the export of `request` will hold, read now; make the file once the transaction is over."""
    return ExportSnapshot(await load_export(conn, request.period), request.format, content, locale, tz)


class _Names:
    """Province, region, theme, status and mode names in the export's language."""

    def __init__(self, content: Content, texts: ExportTexts) -> None:
        self.content = content
        self.texts = texts
        self._regions = {p.code: r for r in content.regions for p in r.provinces}

    def province(self, code: str) -> str:
        try:
            return self.content.province(code).display(self.texts.locale)
        except KeyError:
            return code  # a code from older content: still worth showing

    def region(self, code: str) -> str | None:
        region = self._regions.get(code)
        return region.display(self.texts.locale) if region else None

    def topics(self, ids: Sequence[str]) -> str:
        names = []
        for theme_id in ids:
            try:
                names.append(self.content.theme(theme_id).display(self.texts.locale))
            except KeyError:
                names.append(theme_id)
        return "; ".join(names)


def _local(instant: datetime, tz: tzinfo) -> datetime:
    """Excel has no time zones: the host's wall-clock time, as the header says."""
    return instant.astimezone(tz).replace(tzinfo=None)


def _or_removed(texts: ExportTexts) -> Callable[[str], str]:
    """A required personal field is '' only once it was removed (storage.personal_data): say so in the cell."""
    return lambda value: value or texts.removed


def _delegation_cells(names: _Names, tz: tzinfo) -> dict[str, Callable[[int, DelegationRecord], CellValue]]:
    texts = names.texts
    removed = _or_removed(texts)
    return {
        "number": lambda n, d: n,
        "join_code": lambda n, d: d.join_code,
        "institution": lambda n, d: d.institution,
        "province": lambda n, d: names.province(d.province_code),
        "region": lambda n, d: names.region(d.province_code),
        "head_name": lambda n, d: removed(d.head_name),
        "head_position": lambda n, d: d.head_position,
        "planned_size": lambda n, d: d.planned_size,
        "joined": lambda n, d: d.participants,
        "mode": lambda n, d: texts.modes[d.mode.value],
        "arrival": lambda n, d: d.arrival_date,
        "departure": lambda n, d: d.departure_date,
        "days": lambda n, d: d.days,
        "topics": lambda n, d: names.topics(d.topics),
        "topics_note": lambda n, d: d.topics_note,
        "contact_name": lambda n, d: removed(d.contact_name),
        "contact_phone": lambda n, d: removed(d.contact_phone and format_phone(d.contact_phone)),
        "status": lambda n, d: texts.statuses[d.status.value],
        "registered_at": lambda n, d: _local(d.created_at, tz),
    }


def _participant_cells(names: _Names, tz: tzinfo) -> dict[str, Callable[[int, ParticipantRecord], CellValue]]:
    texts = names.texts
    removed = _or_removed(texts)
    return {
        "number": lambda n, p: n,
        "join_code": lambda n, p: p.join_code,
        "institution": lambda n, p: p.institution,
        "arrival": lambda n, p: p.arrival_date,
        "delegation_status": lambda n, p: texts.statuses[p.status.value],
        "name": lambda n, p: removed(p.name),
        "position": lambda n, p: removed(p.position),
        "unit": lambda n, p: p.unit,
        "joined_at": lambda n, p: _local(p.joined_at, tz),
    }


def export_tables(data: ExportData, content: Content, locale: str, tz: tzinfo) -> tuple[Table, Table]:
    """The delegations table and the participants table, headers and values in `locale`, times in `tz`."""
    texts = export_texts(locale, content.directory)
    names = _Names(content, texts)
    delegation_cells = _delegation_cells(names, tz)
    participant_cells = _participant_cells(names, tz)
    delegations = Table(
        texts.delegations_sheet,
        tuple(texts.delegation_headers[key] for key in DELEGATION_COLUMNS),
        tuple(
            tuple(delegation_cells[key](number, d) for key in DELEGATION_COLUMNS)
            for number, d in enumerate(data.delegations, 1)
        ),
    )
    participants = Table(
        texts.participants_sheet,
        tuple(texts.participant_headers[key] for key in PARTICIPANT_COLUMNS),
        tuple(
            tuple(participant_cells[key](number, p) for key in PARTICIPANT_COLUMNS)
            for number, p in enumerate(data.participants, 1)
        ),
    )
    return delegations, participants


ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""The control characters a spreadsheet cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (tests/test_reports.py checks
they agree), here so that a CSV export does not import openpyxl."""


def _clean(text: str) -> str:
    """Without the control characters a spreadsheet cannot hold, and within Excel's cell limit."""
    return ILLEGAL_CHARACTERS.sub("", text)[:EXCEL_CELL_LIMIT]


def _shown_length(value: CellValue) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


def _write_sheet(ws: Worksheet, table: Table) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.title = table.name
    ws.append(list(table.headers))
    for row in table.rows:
        ws.append([_clean(v) if isinstance(v, str) else v for v in row])
    bold = Font(bold=True)
    for column, header in enumerate(table.headers, 1):
        ws.cell(row=1, column=column).font = bold
        values = [row[column - 1] for row in table.rows]
        for offset, value in enumerate(values, 2):
            cell = ws.cell(row=offset, column=column)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                cell.data_type = "s"  # openpyxl reads a leading "=" as a formula; typed text stays text
        longest = max([len(header), *(_shown_length(v) for v in values)])
        letter = get_column_letter(column)
        ws.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{len(table.rows) + 1}"


def delegations_workbook(data: ExportData, content: Content, locale: str, tz: tzinfo) -> bytes:
    """An .xlsx with a delegations sheet and a participants sheet: bold, frozen, filterable headers."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    for sheet, table in zip((first, workbook.create_sheet()), export_tables(data, content, locale, tz), strict=True):
        _write_sheet(sheet, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = _clean(value)
    # A spreadsheet opening the CSV would run a cell starting like a formula; the quote makes it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def table_csv(table: Table) -> bytes:
    """One table as CSV, UTF-8 with a byte-order mark so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_text(v) for v in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def delegations_csv(data: ExportData, content: Content, locale: str, tz: tzinfo) -> bytes:
    """A zip with two CSV files, named after the sheets (Delegasi.csv, Peserta.csv)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in export_tables(data, content, locale, tz):
            archive.writestr(f"{table.name}.csv", table_csv(table))
    return buffer.getvalue()


def export_document(
    data: ExportData, content: Content, locale: str, tz: tzinfo, export_format: ExportFormat
) -> Document:
    """The export as a file to send or write: an .xlsx, or a .zip of CSVs."""
    texts = export_texts(locale, content.directory)
    stem = texts.export_file.format(first=data.period.first_day.isoformat(), last=data.period.last_day.isoformat())
    if export_format is ExportFormat.CSV:
        return Document(f"{stem}.zip", delegations_csv(data, content, locale, tz), ZIP_MIME)
    return Document(f"{stem}.xlsx", delegations_workbook(data, content, locale, tz), XLSX_MIME)
