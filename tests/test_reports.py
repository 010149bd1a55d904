"""Host staff take the records out: /ekspor as a workbook or CSV, /laporan as figures and a chart, and the same
from the command line.

Four visits are registered through the real dialogs (the clock stands at Wednesday 25 November 2026):
  1 Pemkab Cianjur (Jawa Barat), 45 on site, 30 Nov–1 Dec, approved                 → a November visit
  2 "PEMKAB. CIANJUR" (Jawa Barat), 30 on site, 10–11 Dec, pending, 2 participants  → a repeat visitor
  3 Pemprov Sulawesi Selatan, 12 virtual, 15 Dec, approved, 1 participant
  4 a formula-shaped name (Papua), 20 on site, 20–22 Dec, cancelled                 → not counted
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.app import Core
from bot.cli.records import run_export, run_report
from bot.config import Settings
from core.clock import FakeClock
from core.content import Content
from core.errors import DomainError
from core.messages import Incoming, Reply
from core.people import identify
from core.records.exports import ILLEGAL_CHARACTERS, ExportData, delegations_csv, delegations_workbook
from core.records.periods import DateRange
from core.records.report import ModeTally, RepeatVisitor, month_report
from core.replies import finish
from handlers.context import Turn
from handlers.reports import export_command, report_command
from storage.delegations import DelegationStatus, VisitMode
from storage.reports import DelegationRecord, ParticipantRecord
from tests.support import ChatUser, Press, Recorder, join_as, play
from tests.telegram_html import validate_telegram_html

FORMULA_NAME = '=HYPERLINK("http://evil.example","Pemkab Jayapura")'
WIB = ZoneInfo("Asia/Jakarta")

Handler = Callable[[Turn, str], Awaitable[list[Reply]]]


async def register_visit(
    recorder: Recorder,
    who: str,
    *,
    institution: str,
    province: str,
    size: int,
    arrival: str,
    departure: str | None,
    topics: list[int],
) -> str:
    """A confirmed registration through the dialog (departure None: a virtual visit); returns the join code."""
    user = ChatUser(recorder, who)
    dates: list[tuple[str | Press | None, list[str]]] = (
        [(arrival, ["registration/ask_departure"]), (departure, ["registration/ask_topics"])]
        if departure
        else [(arrival, ["registration/ask_topics"])]
    )
    await play(
        user,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            (institution, ["registration/ask_province"]),
            (province, ["registration/ask_head"]),
            ("Herman Suherman, Bupati", ["registration/ask_size"]),
            (str(size), ["registration/ask_mode"]),
            (Press("mode_onsite" if departure else "mode_virtual"), ["registration/ask_arrival"]),
            *dates,
            *[(Press("theme_toggle", index), ["registration/ask_topics"]) for index in topics],
            (Press("done"), ["registration/ask_contact_name"]),
            (Press("use_my_name"), ["registration/ask_contact_phone"]),
            ("0812 3456 7890", ["registration/summary"]),
        ],
    )
    [submitted, _qr_code] = await user.presses("confirm")
    assert submitted.template == "registration/submitted"
    return str(submitted.reply.params["delegation"].join_code)


async def four_visits(recorder: Recorder) -> dict[str, str]:
    """The visits of the module docstring; returns their join codes by coordinator."""
    codes = {
        "Bu Rina": await register_visit(
            recorder,
            "Bu Rina",
            institution="Pemkab Cianjur",
            province="jabar",
            size=45,
            arrival="30/11/2026",
            departure="1/12/2026",
            topics=[0, 2],
        ),
        "Pak Andi": await register_visit(
            recorder,
            "Pak Andi",
            institution="PEMKAB. CIANJUR",
            province="Jawa Barat",
            size=30,
            arrival="10/12/2026",
            departure="11/12/2026",
            topics=[0, 4],
        ),
        "Bu Sari": await register_visit(
            recorder,
            "Bu Sari",
            institution="Pemprov Sulawesi Selatan",
            province="Sulawesi Selatan",
            size=12,
            arrival="15/12/2026",
            departure=None,
            topics=[0, 1],
        ),
        "Pak Joko": await register_visit(
            recorder,
            "Pak Joko",
            institution=FORMULA_NAME,
            province="Papua",
            size=20,
            arrival="20/12/2026",
            departure="22/12/2026",
            topics=[6],
        ),
    }
    staff = ChatUser(recorder, "pak_staf")
    for delegation_id in (1, 3):
        await staff.presses_action(f"appr:approve:{delegation_id}")
    await join_as(recorder, "Pak Dedi", codes["Pak Andi"])
    await join_as(recorder, "Bu Wati", codes["Pak Andi"])
    await join_as(recorder, "Pak Made", codes["Bu Sari"])
    await play(
        ChatUser(recorder, "Pak Joko"),
        [
            ("/status", ["status/list"]),
            (Press("cancel_visit"), ["status/confirm_cancel"]),
            (Press("cancel_visit_yes"), ["status/cancelled"]),
        ],
    )
    return codes


async def run_command(core: Core, who: str, handler: Handler, argument: str) -> list[Reply]:
    """What Router.handle does for one command, calling the handler directly to get its Reply objects: the file of
    a reply is made after the transaction."""
    incoming = Incoming("console", who, who, who, "id", text=f"/x {argument}")
    async with core.database.transaction() as conn:
        user = await identify(conn, incoming, core.services.staff, core.services.clock)
        turn = Turn(conn, user, core.services, incoming, conversation=None)
        try:
            replies = await handler(turn, argument)
        except DomainError as error:
            replies = [Reply(error.template, error.params)]
    replies = await finish(replies)
    for sent in replies:
        for part in core.renderer.render_reply(sent, user.language).parts:
            validate_telegram_html(part)
    return replies


def text_of(core: Core, sent: Reply, locale: str = "id") -> str:
    return "\n".join(core.renderer.render_reply(sent, locale).parts)


async def test_the_workbook_has_typed_columns_both_sheets_and_a_frozen_bold_header(
    core: Core, recorder: Recorder
) -> None:
    codes = await four_visits(recorder)
    [sent] = await run_command(core, "pak_staf", export_command, "2026-12")
    assert sent.template == "reports/export"
    assert sent.document is not None and sent.document.filename == "delegasi-2026-12-01_2026-12-31.xlsx"
    assert sent.document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "4 delegasi (termasuk 1 yang dibatalkan atau ditolak) · 3 peserta" in text_of(core, sent)

    workbook = load_workbook(io.BytesIO(sent.document.data))
    assert workbook.sheetnames == ["Delegasi", "Peserta"]
    delegations, participants = workbook["Delegasi"], workbook["Peserta"]
    for sheet in (delegations, participants):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert all((sheet.column_dimensions[c.column_letter].width or 0) >= 6 for c in sheet[1])

    rows = [dict(zip([c.value for c in delegations[1]], [c.value for c in row], strict=True)) for row in delegations]
    rows = rows[1:]
    assert [r["Kode gabung"] for r in rows] == list(codes.values())  # by arrival, the visit over 1 Dec included
    first = rows[0]
    assert first["Instansi"] == "Pemkab Cianjur" and first["Provinsi asal"] == "Jawa Barat"
    assert first["Wilayah"] == "Jawa" and first["Status"] == "Disetujui"
    assert first["Tanggal datang"] == datetime(2026, 11, 30) and first["Tanggal pulang"] == datetime(2026, 12, 1)
    assert first["Jumlah orang (rencana)"] == 45 and isinstance(first["Jumlah orang (rencana)"], int)
    assert first["Lama (hari)"] == 2 and first["Peserta terdaftar di bot"] == 0
    assert first["Topik yang diminta"] == "Pelayanan publik; Desa digital"
    assert first["Telepon narahubung"] == "+62 812-3456-7890"
    assert first["Didaftarkan (WIB)"] == datetime(2026, 11, 25, 10, 0)  # the host's wall clock, not UTC
    assert [r["Peserta terdaftar di bot"] for r in rows] == [0, 2, 1, 0]
    assert rows[2]["Bentuk kunjungan"] == "Virtual (daring)" and rows[2]["Lama (hari)"] == 1
    assert rows[3]["Status"] == "Dibatalkan"
    date_cell = delegations.cell(row=2, column=11)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy"
    formula_cell = delegations.cell(row=5, column=3)
    assert formula_cell.value == FORMULA_NAME and formula_cell.data_type == "s"  # text, never a formula

    people = [[c.value for c in row] for row in participants.iter_rows(min_row=2)]
    assert [(p[1], p[5], p[6], p[7]) for p in people] == [
        (codes["Pak Andi"], "Dedi", "Camat", None),
        (codes["Pak Andi"], "Wati", "Camat", None),
        (codes["Bu Sari"], "Made", "Camat", None),
    ]
    assert people[0][0] == 1 and isinstance(people[0][3], datetime) and isinstance(people[0][8], datetime)


async def test_csv_on_request_is_a_zip_of_two_utf8_files_excel_can_open(core: Core, recorder: Recorder) -> None:
    codes = await four_visits(recorder)
    [sent] = await run_command(core, "pak_staf", export_command, "1/12/2026 15/12/2026 csv")
    assert sent.document is not None and sent.document.filename == "delegasi-2026-12-01_2026-12-15.zip"
    assert "Arsip ZIP berisi dua file CSV" in text_of(core, sent)
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    assert sorted(archive.namelist()) == ["Delegasi.csv", "Peserta.csv"]
    raw = archive.read("Delegasi.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Kode gabung"] for r in rows] == [codes["Bu Rina"], codes["Pak Andi"], codes["Bu Sari"]]
    assert rows[1]["Tanggal datang"] == "2026-12-10" and rows[1]["Jumlah orang (rencana)"] == "30"
    assert rows[1]["Didaftarkan (WIB)"] == "2026-11-25 10:00"
    people = list(csv.DictReader(io.StringIO(archive.read("Peserta.csv").decode("utf-8-sig"))))
    assert [p["Nama"] for p in people] == ["Dedi", "Wati", "Made"]


async def test_export_periods_default_to_this_month_and_next(core: Core, recorder: Recorder) -> None:
    await four_visits(recorder)
    [sent] = await run_command(core, "pak_staf", export_command, "")
    assert sent.document is not None and sent.document.filename == "delegasi-2026-11-01_2026-12-31.xlsx"
    assert sent.params["export"].delegations == 4
    [november] = await run_command(core, "pak_staf", export_command, "November 2026")
    assert november.params["export"].delegations == 1 and november.params["export"].participants == 0
    [one_day] = await run_command(core, "pak_staf", export_command, "15/12/2026")
    assert one_day.params["export"].delegations == 1


async def test_the_month_report_counts_visits_people_origins_topics_modes_and_repeat_visitors(
    core: Core, recorder: Recorder
) -> None:
    await four_visits(recorder)
    content = core.services.content
    async with core.database.transaction() as conn:
        december = await month_report(conn, content, 2026, 12)
        november = await month_report(conn, content, 2026, 11)

    assert (december.visits, december.approved, december.pending, december.not_held) == (2, 1, 1, 1)
    assert (december.people, december.participants, december.institutions) == (42, 3, 2)
    assert december.onsite == ModeTally(1, 30) and december.virtual == ModeTally(1, 12)
    assert [(t.item.code, t.count) for t in december.provinces] == [("32", 1), ("73", 1)]
    assert {t.item.id: t.count for t in december.regions} == {
        "sumatera": 0,
        "jawa": 1,
        "bali-nusra": 0,
        "kalimantan": 0,
        "sulawesi": 1,
        "maluku-papua": 0,  # the Papua visit was cancelled
    }
    assert [(t.item.id, t.count) for t in december.topics] == [
        ("public-services", 2),
        ("poverty-social-protection", 1),
        ("tourism-festivals", 1),
    ]
    assert december.repeat_visitors == (RepeatVisitor("PEMKAB. CIANJUR", 1),)
    assert december.first_time_institutions == 1

    assert (november.visits, november.people, november.repeat_visitors) == (1, 45, ())
    assert [(t.item.id, t.count) for t in november.topics] == [("public-services", 1), ("digital-villages", 1)]


async def test_laporan_sends_the_summary_and_the_chart_as_a_png(core: Core, recorder: Recorder) -> None:
    await four_visits(recorder)
    for argument in ("2026-12", "12/2026", "Desember 2026", "dec 2026"):
        [sent] = await run_command(core, "pak_staf", report_command, argument)
        assert sent.template == "reports/month"
        assert sent.params["report"].visits == 2
    assert sent.document is not None and sent.document.mime_type == "image/png"
    assert sent.document.filename == "laporan-2026-12.png"
    assert sent.document.data.startswith(b"\x89PNG\r\n\x1a\n")
    text = text_of(core, sent)
    assert "Laporan kunjungan delegasi — Desember 2026" in text
    assert "2 (1 disetujui, 1 menunggu persetujuan)" in text
    assert "• Jawa Barat: 1" in text and "• Sulawesi: 1" in text and "• Pelayanan publik: 2" in text
    assert "PEMKAB. CIANJUR (1× sebelumnya)" in text
    assert "1 pendaftaran dibatalkan atau ditolak" in text
    assert "Kalimantan" not in text  # regions without visits are left out of the message

    [this_month] = await run_command(core, "pak_staf", report_command, "")
    assert this_month.params["report"].month == 11 and this_month.params["report"].visits == 1


async def test_staff_reading_english_get_english_files(core: Core, recorder: Recorder) -> None:
    await four_visits(recorder)
    await ChatUser(recorder, "pak_staf").says("/bahasa en")
    [sent] = await run_command(core, "pak_staf", export_command, "2026-12")
    assert sent.document is not None and sent.document.filename == "delegations-2026-12-01_2026-12-31.xlsx"
    workbook = load_workbook(io.BytesIO(sent.document.data))
    assert workbook.sheetnames == ["Delegations", "Participants"]
    assert workbook["Delegations"]["R2"].value == "Approved"
    [report] = await run_command(core, "pak_staf", report_command, "December 2026")
    assert report.document is not None and report.document.filename == "report-2026-12.png"
    assert "Delegation visits report — December 2026" in text_of(core, report, "en")


async def test_only_admins_export_or_report_and_the_refusal_is_logged(
    core: Core, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    await four_visits(recorder)
    with caplog.at_level(logging.WARNING, logger="core.people"):
        for handler in (export_command, report_command):
            [sent] = await run_command(core, "Bu Rina", handler, "2026-12")
            assert sent.template == "errors/admin_only" and sent.document is None
    assert [r.getMessage().split(" to ")[0] for r in caplog.records] == ["refused export", "refused monthly report"]


@pytest.mark.parametrize(
    "argument",
    ["kemarin lusa besok", "13/2026", "31/12/2026 1/12/2026", "1/1/2026 1/6/2027", "2026-12 pdf", "<b>x</b>"],
)
async def test_an_unreadable_export_period_gets_the_format_explained(core: Core, argument: str) -> None:
    [sent] = await run_command(core, "pak_staf", export_command, argument)
    assert sent.template == "reports/export_usage" and sent.document is None
    assert "/ekspor 1/12/2026 31/12/2026" in text_of(core, sent)


@pytest.mark.parametrize("argument", ["bulan depan", "13/2026", "2026", "ma 2026"])
async def test_an_unreadable_month_gets_the_format_explained(core: Core, argument: str) -> None:
    [sent] = await run_command(core, "pak_staf", report_command, argument)
    assert sent.template == "reports/month_usage"
    assert "/laporan Desember 2026" in text_of(core, sent)


def test_typed_text_stays_text_in_both_formats() -> None:
    """A name shaped like a formula or holding control characters is written as plain text."""
    stamp = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    delegation = DelegationRecord(
        institution="=1+2\x07 Pemkab",
        province_code="35",
        head_name="@Kepala",
        head_position="-Bupati",
        planned_size=10,
        mode=VisitMode.ONSITE,
        arrival_date=date(2026, 12, 1),
        departure_date=date(2026, 12, 1),
        topics=("unknown-theme",),
        topics_note="+catatan",
        contact_name="Bu Rina",
        contact_phone="+6281234567890",
        id=1,
        join_code="ABCD2345",
        coordinator_id=1,
        status=DelegationStatus.PENDING,
        created_at=stamp,
        participants=1,
    )
    participant = ParticipantRecord(
        1, 1, "ABCD2345", "=1+2 Pemkab", date(2026, 12, 1), DelegationStatus.PENDING, "=cmd|' /C calc'!A0",
        "Camat", None, stamp,
    )  # fmt: skip
    data = ExportData(DateRange(date(2026, 12, 1), date(2026, 12, 31)), (delegation,), (participant,))
    content = Content()
    sheet = load_workbook(io.BytesIO(delegations_workbook(data, content, "id", WIB)))["Delegasi"]
    assert sheet["C2"].value == "=1+2 Pemkab" and sheet["C2"].data_type == "s"
    assert sheet["N2"].value == "unknown-theme"  # a theme no longer in content is shown by its id
    archive = zipfile.ZipFile(io.BytesIO(delegations_csv(data, content, "id", WIB)))
    row = next(csv.DictReader(io.StringIO(archive.read("Delegasi.csv").decode("utf-8-sig"))))
    assert row["Instansi"] == "'=1+2 Pemkab" and row["Ketua rombongan"] == "'@Kepala"
    person = next(csv.DictReader(io.StringIO(archive.read("Peserta.csv").decode("utf-8-sig"))))
    assert person["Nama"] == "'=cmd|' /C calc'!A0"


def test_the_characters_left_out_are_those_a_workbook_refuses() -> None:
    """The exports keep openpyxl's list of illegal characters so that a CSV export need not import openpyxl."""
    assert ILLEGAL_CHARACTERS.pattern == ILLEGAL_CHARACTERS_RE.pattern


def test_the_command_line_writes_the_export_and_the_report(
    settings: Settings, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        core = await Core.build(settings, clock=clock, console_staff=("pak_staf",))
        try:
            await four_visits(Recorder(core))
        finally:
            await core.close()

    asyncio.run(prepare())
    exports = tmp_path / "exports"
    exports.mkdir()
    assert run_export(settings, "2026-12", None, "xlsx", exports, clock=clock) == 0
    workbook = load_workbook(exports / "delegasi-2026-12-01_2026-12-31.xlsx")
    assert workbook["Delegasi"].max_row == 5 and workbook["Peserta"].max_row == 4
    assert run_export(settings, "1/12/2026", "31/12/2026", "csv", tmp_path / "december.zip", clock=clock) == 0
    assert zipfile.is_zipfile(tmp_path / "december.zip")
    assert run_export(settings, None, None, "xlsx", exports, clock=clock) == 0
    assert (exports / "delegasi-2026-11-01_2026-12-31.xlsx").is_file()

    assert run_report(settings, "Desember 2026", tmp_path / "report", clock=clock) == 0
    chart = tmp_path / "report" / "laporan-2026-12.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    summary = (tmp_path / "report" / "laporan-2026-12.txt").read_text(encoding="utf-8")
    assert "Laporan kunjungan delegasi — Desember 2026" in summary and "<b>" not in summary

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.startswith("wrote ") for line in lines)
    assert "4 delegations, 3 participants, 2026-12-01 to 2026-12-31" in lines[0]

    assert run_report(settings, "Smarch 2026", tmp_path, clock=clock) == 2
    assert run_export(settings, "31/12/2026", "1/12/2026", "xlsx", tmp_path, clock=clock) == 2
    assert "cannot read" in capsys.readouterr().err
    elsewhere = Settings(data_dir=tmp_path / "typo")
    assert run_export(elsewhere, None, None, "xlsx", tmp_path, clock=clock) == 1
    assert run_report(elsewhere, "", tmp_path, clock=clock) == 1
    assert "no database" in capsys.readouterr().err and not (tmp_path / "typo").exists()
