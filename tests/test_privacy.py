"""Personal data: /hapusdata shows and deletes what the bot holds; a daily job removes old visits' personal fields."""

from __future__ import annotations

import io
from datetime import date, datetime, time

from openpyxl import load_workbook

from bot.app import Core
from core.clock import FakeClock
from core.records.exports import export_document, load_export
from core.records.periods import DateRange, ExportFormat
from core.records.report import month_report
from storage import audit
from storage.db import fetch_all, fetch_one
from tests.conftest import WIB
from tests.support import ChatUser, Press, Recorder, play
from tests.test_join_and_status import join_as, register
from tests.test_reminders import published_visit

VISIT_ID = 1  # the first registration of a test
DECEMBER = DateRange(date(2026, 12, 1), date(2026, 12, 31))


async def rows(core: Core, sql: str, *params: object) -> list[dict[str, object]]:
    async with core.database.transaction() as conn:
        return [dict(r) for r in await fetch_all(conn, sql, params)]


async def user_row(core: Core, name: str) -> dict[str, object] | None:
    async with core.database.transaction() as conn:
        row = await fetch_one(conn, "SELECT * FROM users WHERE external_id = ?", (name,))
    return dict(row) if row else None


async def test_a_participant_sees_their_data_then_deletes_it_and_leaves_the_visit(recorder: Recorder) -> None:
    core = recorder.core
    coordinator, member, _ = await published_visit(recorder)
    await member.says("/pengingat")
    await member.presses("reminders_mute")
    [shown] = await member.says("/hapusdata")
    assert shown.template == "privacy/holdings"
    assert "Pemkab Cianjur" in shown.text and "Dedi, Camat" in shown.text and "Pengaturan pengingat" in shown.text
    assert shown.labels == ["🗑 Ya, hapus data saya", "Jangan hapus"]
    assert await rows(core, "SELECT user_id FROM reminder_prefs") != []
    dedi = await user_row(core, "Pak Dedi")
    assert dedi is not None

    await play(member, [(Press("keep_my_data"), ["privacy/kept"])])
    await play(member, [("/siaran", ["errors/staff_only"])])  # refused and audited with what was typed
    assert len(await rows(core, "SELECT id FROM participants")) == 1

    await member.says("/hapusdata")
    [erased] = await member.presses("erase_my_data")
    assert erased.template == "privacy/erased" and "keluar dari 1 kunjungan" in erased.text

    scrubbed = await rows(
        core, "SELECT display_name, chat_id, external_id, erased_at FROM users WHERE id = ?", dedi["id"]
    )
    assert scrubbed == [
        {
            "display_name": "",
            "chat_id": "",
            "external_id": f"erased-{dedi['id']}",
            "erased_at": scrubbed[0]["erased_at"],
        }
    ]
    assert scrubbed[0]["erased_at"] is not None
    assert await rows(core, "SELECT id FROM participants") == []  # the visit is still to come: they left it
    for table in ("reminders", "reminder_prefs", "conversations", "outbox", "questions"):
        assert await rows(core, f"SELECT * FROM {table} WHERE user_id = ?", dedi["id"]) == [], table
    assert [c["name"] for c in await rows(core, "PRAGMA table_info(join_failures)")] == ["id", "identity", "at"]
    async with core.database.transaction() as conn:
        [entry] = await audit.entries_with_action(conn, "personal_data.erased")
    assert entry.detail == {
        "memberships_left": 1,
        "memberships_anonymised": 0,
        "contacts_removed": 0,
        "questions_deleted": 0,
    }
    assert "Dedi" not in str(entry.detail)
    async with core.database.transaction() as conn:
        [refusal] = await audit.entries_with_action(conn, "access.refused")
    assert refusal.actor_id == dedi["id"] and "typed" not in refusal.detail and refusal.detail["attempted"]

    [roster] = await coordinator.says("/peserta")
    assert "0 dari 45" in roster.text
    [greeting] = await member.says("/start")  # writing again: a new user, welcomed as one
    assert greeting.template == "menu/start" and greeting.reply.params["role"] == "newcomer"


async def test_a_coordinator_of_a_visit_to_come_keeps_their_contact_until_it_is_cancelled(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    core = recorder.core
    await register(coordinator)
    [shown] = await coordinator.says("/hapusdata")
    assert "belum dapat dihapus" in shown.text and "Pemkab Cianjur" in shown.text
    assert "+62 812-3456-7890" in shown.text  # the contact given at registration, readable
    assert shown.labels == ["Jangan hapus"]
    [refused] = await coordinator.presses_action("priv:erase")  # an old button, or a typed action
    assert refused.template == "privacy/coordinator_busy"
    assert (await rows(core, "SELECT contact_name FROM delegations"))[0]["contact_name"] != ""

    await play(
        coordinator,
        [
            ("/status", ["status/list"]),
            (Press("cancel_visit"), ["status/confirm_cancel"]),
            (Press("cancel_visit_yes"), ["status/cancelled"]),
        ],
    )
    [shown] = await coordinator.says("/hapusdata")
    assert shown.labels == ["🗑 Ya, hapus data saya", "Jangan hapus"]
    [erased] = await coordinator.presses("erase_my_data")
    assert "Kontak Bapak/Ibu dihapus dari 1 pendaftaran" in erased.text
    [visit] = await rows(core, "SELECT institution, contact_name, contact_phone, planned_size, status FROM delegations")
    assert visit == {
        "institution": "Pemkab Cianjur",
        "contact_name": "",
        "contact_phone": "",
        "planned_size": 45,
        "status": "cancelled",
    }


async def test_after_a_visit_a_participant_who_deletes_stays_only_as_a_count(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    core = recorder.core
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))  # the visit (10–11 Dec) is over
    await member.says("/hapusdata")
    [erased] = await member.presses("erase_my_data")
    assert "Nama Bapak/Ibu dihapus dari 1 kunjungan yang sudah lewat" in erased.text
    assert await rows(core, "SELECT name, position, unit FROM participants") == [
        {"name": "", "position": "", "unit": None}
    ]
    [roster] = await coordinator.says("/peserta")
    assert "1 dari 45" in roster.text and "1. <i>(data pribadi dihapus)</i>" in roster.text
    async with core.database.transaction() as conn:
        data = await load_export(conn, DECEMBER)
        report = await month_report(conn, core.services.content, 2026, 12)
    assert data.delegations[0].participants == 1
    assert report.visits == 1
    sheet = load_workbook(io.BytesIO(export_document(data, core.services.content, "id", WIB, ExportFormat.XLSX).data))[
        "Peserta"
    ]
    headers = [c.value for c in sheet[1]]
    assert sheet.cell(2, headers.index("Nama") + 1).value == "(dihapus)"


async def test_the_daily_job_removes_personal_fields_of_visits_past_the_retention_period(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    core = recorder.core
    code = await register(coordinator)  # 10–11 Dec 2026
    await join_as(recorder, "Pak Dedi", code)
    assert core.retention.retention_days == 365

    clock.set(datetime(2027, 12, 11, 23, 0, tzinfo=WIB))  # 365 days after the last day: not yet
    assert await core.retention.run() == 0
    clock.set(datetime(2027, 12, 12, 3, 0, tzinfo=WIB))
    assert await core.retention.run() == 1
    assert await core.retention.run() == 0  # done once

    [visit] = await rows(
        core,
        """SELECT institution, province_code, planned_size, arrival_date, topics, head_name, head_position,
                  contact_name, contact_phone, topics_note, personal_data_removed_at FROM delegations""",
    )
    assert visit["head_name"] == visit["contact_name"] == visit["contact_phone"] == ""
    assert visit["topics_note"] is None and visit["personal_data_removed_at"] is not None
    assert (visit["institution"], visit["province_code"], visit["planned_size"]) == ("Pemkab Cianjur", "32", 45)
    assert visit["head_position"] != "" and visit["topics"] != "[]"
    assert await rows(core, "SELECT name, position, unit FROM participants") == [
        {"name": "", "position": "", "unit": None}
    ]
    async with core.database.transaction() as conn:
        report = await month_report(conn, core.services.content, 2026, 12)
        data = await load_export(conn, DECEMBER)
        [entry] = await audit.entries_with_action(conn, "personal_data.expired")
    assert report.visits == 1 and report.people >= 1
    assert entry.detail["delegation_ids"] == [VISIT_ID] and entry.actor_id is None
    sheet = load_workbook(io.BytesIO(export_document(data, core.services.content, "en", WIB, ExportFormat.XLSX).data))[
        "Delegations"
    ]
    headers = [c.value for c in sheet[1]]
    row = {header: cell.value for header, cell in zip(headers, sheet[2], strict=True)}
    assert row["Head of delegation"] == row["Contact person"] == row["Contact phone"] == "(removed)"
    assert row["Institution"] == "Pemkab Cianjur"


async def _expiries(conn):  # type: ignore[no-untyped-def]
    return [e for e in await audit.entries_by(conn, 0) if e.action == "personal_data.expired"]


async def test_starting_the_bot_catches_up_and_arms_the_daily_job(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    core = recorder.core
    await register(coordinator)
    clock.set(datetime(2028, 1, 5, 12, 0, tzinfo=WIB))  # the bot was down when the sweep was due
    await core.start_background()
    try:
        [visit] = await rows(core, "SELECT personal_data_removed_at FROM delegations")
        assert visit["personal_data_removed_at"] is not None
        job = core.scheduler.scheduler.get_job("personal-data-retention")
        assert job is not None
        assert job.next_run_time.astimezone(WIB).time() == time(3, 0)  # daily at 03:00 WIB
    finally:
        await core.stop_background()


async def test_no_copy_of_erased_data_stays_in_the_database_files(recorder: Recorder) -> None:
    """The row is scrubbed, freed space is zeroed (secure_delete) and the write-ahead log is emptied."""
    core = recorder.core
    code = await register(ChatUser(recorder, "Bu Rina"))
    member = ChatUser(recorder, "Pak Dedi Kurniawan", external_id="70012")  # a chat id, as Telegram's are
    await play(
        member,
        [
            (f"/gabung {code}", ["join/welcome", "join/ask_name"]),
            ("Dedi Kurniawan Wirasaputra", ["join/ask_position"]),
            ("Sekretaris Daerah Kabupaten", ["join/ask_unit"]),
            ("-", ["join/confirm"]),
            (Press("confirm"), ["join/joined"]),
        ],
    )
    await member.says("/hapusdata")
    await member.presses("erase_my_data")
    await core.tasks.wait()  # the checkpoint after the commit
    files = [p for p in core.settings.data_dir.iterdir() if p.name.startswith("delegasi.sqlite3")]
    assert files
    for path in files:
        raw = path.read_bytes()
        for value in ("Dedi Kurniawan Wirasaputra", "Sekretaris Daerah Kabupaten", "Pak Dedi Kurniawan"):
            assert value.encode() not in raw, (path.name, value)


async def test_hapusdata_counts_the_questions_it_holds_and_says_which_those_are(
    coordinator: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    asked = [
        "Apa itu Smart Kampung?",  # answered from the knowledge base: not kept
        "gmn cara ke kawah ijen?",  # the same
        "Apakah rombongan boleh membawa kucing ke ruang rapat?",  # passed to staff: kept
        "apakah rombongan boleh membawa kucing ke ruang rapat",  # the same question again: kept once
        "Apakah ada hotel dekat Pendopo untuk 50 orang?",  # passed to staff: kept
    ]
    for question in asked:
        await member.says(question)
    kept = len(await rows(recorder.core, "SELECT id FROM questions"))
    assert kept == 2
    [shown] = await member.says("/hapusdata")
    assert f"{kept} pertanyaan yang Bapak/Ibu ajukan kepada panitia" in shown.text
    assert "dijawab langsung oleh bot tidak disimpan" in shown.text
    [erased] = await member.presses("erase_my_data")
    assert f"{kept} pertanyaan Bapak/Ibu kepada panitia dihapus" in erased.text


async def test_hapusdata_mentions_only_what_it_holds(coordinator: ChatUser, recorder: Recorder) -> None:
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    [shown] = await member.says("/hapusdata")
    assert "Bapak/Ibu keluar dari kunjungan yang belum berlangsung" in shown.text
    for not_held in ("kontak", "koordinator", "pertanyaan", "pengaturan", "sudah lewat", "belum terkirim"):
        assert not_held not in shown.text.lower(), not_held
    visitor = ChatUser(recorder, "Ms Lee", language_code="en-GB")
    await play(visitor, [(f"/join {code}", ["join/welcome", "join/ask_name"])])
    await play(visitor, [(Press("use_my_name"), ["join/ask_position"]), ("Head of unit", ["join/ask_unit"])])
    await play(visitor, [(Press("skip"), ["join/confirm"]), (Press("confirm"), ["join/joined"])])
    [shown] = await visitor.says("/mydata")
    assert "you leave the visits that have not happened yet" in shown.text
    for not_held in ("contact", "coordinator", "question", "settings", "past visits"):
        assert not_held not in shown.text.lower(), not_held


async def test_what_hapusdata_says_an_erasure_removes_is_what_it_removes(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    """A coordinator of a past visit who asked staff a question: the preview's counts are the erasure's."""
    await register(coordinator)  # 10–11 Dec 2026
    await coordinator.says("Apakah ada hotel dekat Pendopo untuk 50 orang?")
    clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=WIB))  # the visit is over
    [shown] = await coordinator.says("/hapusdata")
    preview = shown.reply.params["erasure"]
    assert "kontak Bapak/Ibu sebagai koordinator dihapus" in shown.text
    assert "Bapak/Ibu keluar dari kunjungan" not in shown.text  # nothing still to come
    [erased] = await coordinator.presses("erase_my_data")
    assert erased.reply.params["erasure"] == preview
    assert (preview.contacts_removed, preview.questions_deleted) == (1, 1)
