"""Who may do what. A participant is refused every staff command and button: politely, with nothing done and
the attempt on the record. Staff who are not admins are refused exports and reports. What staff do is in the
audit log with who and when, and the help lists what each role can use.

The cast: Bu Rina registered a visit (10–11 Dec 2026) and Pak Dedi joined it; "pak_staf" is the console
admin, and Telegram user 777000 is host staff without admin rights.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from core.clock import FakeClock
from core.people import StaffDirectory
from core.phones import locale_of_number, whatsapp_id
from handlers.commands import ADMIN_COMMANDS, ADMIN_MENU_COMMANDS, COMMANDS, STAFF_COMMANDS, STAFF_MENU_COMMANDS
from storage.agenda import items_of, plan_published
from storage.audit import AuditEntry, entries_by
from storage.conversations import load_conversation
from storage.delegations import DelegationStatus, find_by_join_code, get_delegation
from storage.questions import get_question, open_questions
from storage.users import Role, User, find_user
from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import ChatUser, Press, Recorder, Sent, join_as, plan_with_programme, play, register

REFUSALS = {"errors/staff_only", "errors/admin_only"}
A_QUESTION_THE_BOT_KNOWS = "Apa itu Smart Kampung?"
A_QUESTION_FOR_STAFF = "Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?"


@pytest.fixture
async def code(coordinator: ChatUser) -> str:
    return await register(coordinator)


@pytest.fixture
async def participant(recorder: Recorder, code: str) -> ChatUser:
    return await join_as(recorder, "Pak Dedi", code)


@pytest.fixture
def telegram_staff(recorder: Recorder) -> ChatUser:
    return ChatUser(recorder, "Pak Yusuf", channel="telegram", external_id=str(STAFF_TELEGRAM_ID))


async def user_of(recorder: Recorder, chat: ChatUser) -> User:
    user = await find_user(recorder.core.database.conn, chat.channel, chat.external_id)
    assert user is not None
    return user


async def history_of(recorder: Recorder, chat: ChatUser) -> list[AuditEntry]:
    return await entries_by(recorder.core.database.conn, (await user_of(recorder, chat)).id)


async def assert_refused(recorder: Recorder, clock: FakeClock, who: ChatUser, sent: list[Sent], typed: str) -> None:
    """One polite refusal to the user and nobody else, no file, no flow begun, and one audit entry naming it."""
    assert [s.template for s in sent] in (["errors/staff_only"], ["errors/admin_only"]), typed
    assert sent[0].reply.document is None
    user = await user_of(recorder, who)
    assert await load_conversation(recorder.core.database.conn, user.id) is None, typed
    *_, refusal = await history_of(recorder, who)
    assert refusal.action == "access.refused" and refusal.at == clock.now()
    assert (refusal.subject_type, refusal.subject_id) == ("user", user.id)
    assert refusal.detail["typed"] == typed and refusal.detail["role"] == user.role.value
    assert refusal.detail["attempted"], "the refusal names what was attempted"


# --- members are refused the staff desk --------------------------------------------------------


@pytest.mark.parametrize("command", sorted(STAFF_COMMANDS))
async def test_a_participant_is_refused_every_staff_command_and_nothing_happens(
    participant: ChatUser, recorder: Recorder, clock: FakeClock, command: str
) -> None:
    before = len(recorder.sent)
    sent = await participant.says(f"/{command}")
    assert [s.recipient.chat_id for s in recorder.sent[before:]] == ["Pak Dedi"]  # staff hear nothing either
    await assert_refused(recorder, clock, participant, sent, f"/{command}")
    assert [e.action for e in await history_of(recorder, participant)] == ["participant.joined", "access.refused"]
    # had a staff flow begun, this would be taken as its answer (a broadcast text, an agenda time …)
    await play(participant, [(A_QUESTION_THE_BOT_KNOWS, ["questions/answer"])])


async def test_a_participant_may_not_read_another_roster_by_its_code(
    participant: ChatUser, recorder: Recorder, clock: FakeClock, code: str
) -> None:
    sent = await participant.says(f"/peserta {code}")
    await assert_refused(recorder, clock, participant, sent, f"/peserta {code}")
    assert sent[0].template == "errors/staff_only"


async def test_forged_staff_buttons_are_refused_and_change_nothing(
    participant: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock, code: str
) -> None:
    conn = recorder.core.database.conn
    await plan_with_programme(staff)  # saved, not published
    await participant.says(A_QUESTION_FOR_STAFF)
    delegation = await find_by_join_code(conn, code)
    assert delegation is not None
    items = await items_of(conn, delegation.id)
    [question] = await open_questions(conn)
    program = next(p.id for p in recorder.core.services.venues.programs.values() if p.mode == "onsite")
    d, item = delegation.id, items[0].id
    forged = [
        f"appr:load:{d}",
        f"appr:approve:{d}",
        f"appr:reject:{d}",
        f"appr:propose:{d}",
        f"plan:open:{d}",
        f"plan:add:{d}",
        f"plan:programs:{d}",
        f"plan:suggest:{d}",
        f"plan:apply:{d}:{program}",
        f"plan:publish:{d}",
        f"plan:publish_yes:{d}",
        f"plan:publish_anyway:{d}",
        f"plan:edit:{item}",
        f"plan:field:{item}:title",
        f"plan:del:{item}",
        f"plan:delete_yes:{item}",
        f"qa:reply:{question.id}",
        "tamu:day:2026-12-10",
        "menu:siaran",
        "menu:ekspor",
    ]
    for action in forged:
        sent = await participant.presses_action(action)
        await assert_refused(recorder, clock, participant, sent, action)
        assert sent[0].template == ("errors/admin_only" if action == "menu:ekspor" else "errors/staff_only")

    refused = [e for e in await history_of(recorder, participant) if e.action == "access.refused"]
    assert [e.detail["typed"] for e in refused] == forged
    after = await get_delegation(conn, delegation.id)
    assert after is not None and after.status is DelegationStatus.PENDING
    assert (after.arrival_date, after.departure_date) == (delegation.arrival_date, delegation.departure_date)
    assert await items_of(conn, delegation.id) == items and not await plan_published(conn, delegation.id)
    still_open = await get_question(conn, question.id)
    assert still_open is not None and still_open.answer is None


async def test_every_command_that_refuses_a_member_is_listed_as_a_staff_command(
    participant: ChatUser, recorder: Recorder
) -> None:
    """A new staff command must be listed in STAFF_COMMANDS, so that the tests above refuse it to members."""
    refused = set()
    for command in sorted(COMMANDS):
        sent = await participant.says(f"/{command}")
        if REFUSALS & {s.template for s in sent}:
            refused.add(command)
        await participant.says("/batal")  # whatever a public command began
    assert refused == STAFF_COMMANDS


# --- admins only --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_exports_and_reports_are_for_admins_not_all_staff(
    telegram_staff: ChatUser, staff: ChatUser, recorder: Recorder, clock: FakeClock, command: str
) -> None:
    sent = await telegram_staff.says(f"/{command}")
    assert sent[0].template == "errors/admin_only"
    await assert_refused(recorder, clock, telegram_staff, sent, f"/{command}")
    assert (await history_of(recorder, telegram_staff))[-1].detail["role"] == "staff"

    [made] = await staff.says(f"/{command}")
    assert made.template in ("reports/export", "reports/month") and made.reply.document is not None
    assert made.reply.document.data


# --- the record of what staff did ---------------------------------------------------------------


async def test_staff_actions_are_in_the_audit_log_with_who_and_when(
    staff: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    coordinators = [ChatUser(recorder, name) for name in ("Bu Rina", "Pak Budi", "Bu Sari")]
    for coordinator in coordinators:
        await register(coordinator)  # delegations 1, 2 and 3
    expected: list[tuple[str, datetime]] = []

    def logged(action: str) -> None:
        """The step just taken is on the record now; the next one happens a few minutes later."""
        expected.append((action, clock.now()))
        clock.advance(timedelta(minutes=7))

    assert [s.template for s in await staff.presses_action("appr:approve:1")] == ["approvals/done"]
    logged("delegation.approved")
    await staff.presses_action("appr:reject:2")
    await play(staff, [("Tanggal itu ada acara B-Fest.", ["approvals/done"])])
    logged("delegation.rejected")
    await staff.presses_action("appr:propose:3")
    await play(staff, [("17/12/2026", ["approvals/ask_departure"]), (Press("next_day"), ["approvals/proposed"])])
    logged("delegation.dates_proposed")
    await plan_with_programme(staff)
    logged("agenda.replace")
    await play(staff, [(Press("agenda_publish"), ["agenda/confirm_publish"])])
    await play(staff, [(Press("agenda_publish_confirm"), ["agenda/published"])])
    logged("agenda.published")
    await play(
        staff,
        [
            ("/siaran", ["broadcast/ask_audience"]),
            (Press("audience_everyone"), ["broadcast/ask_text"]),
            ("Bus berangkat pukul 07.30 dari hotel.", ["broadcast/preview"]),
            (Press("send_broadcast"), ["broadcast/queued"]),
        ],
    )
    logged("broadcast.sent")
    await coordinators[0].says(A_QUESTION_FOR_STAFF)
    await play(
        staff,
        [
            ("/pertanyaan", ["questions/open_questions"]),
            (Press("answer_question_n"), ["questions/question_to_answer", "questions/ask_staff_answer"]),
            ("Ada, panitia akan mengirim daftar hotel mitra.", ["questions/answer_sent"]),
        ],
    )
    logged("question.answered")
    await play(staff, [("/ekspor", ["reports/export"])])
    logged("data.exported")
    await play(staff, [("/laporan", ["reports/month"])])
    logged("report.made")
    code = str((await staff.says("/status"))[-1].reply.params["delegations"][0].join_code)
    await play(staff, [(f"/peserta {code}", ["participants/list"])])
    logged("roster.viewed")

    history = await history_of(recorder, staff)
    assert [(e.action, e.at) for e in history] == expected
    rejected = history[1]
    assert (rejected.subject_type, rejected.subject_id) == ("delegation", 2)
    assert rejected.detail == {"reason": "Tanggal itu ada acara B-Fest."}


# --- the help matches the role ------------------------------------------------------------------


def commands_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![<\w])/([a-z_]+)", text))


async def test_the_help_lists_what_each_role_may_use(
    participant: ChatUser, telegram_staff: ChatUser, staff: ChatUser
) -> None:
    [for_participant] = await participant.says("/bantuan")
    [for_staff] = await telegram_staff.says("/bantuan")
    [for_admin] = await staff.says("/bantuan")

    assert not commands_in(for_participant.text) & STAFF_COMMANDS
    assert "/hapusdata — lihat dan hapus data pribadi" in for_participant.text
    assert "/siaran" not in for_participant.text and "/ekspor" not in for_participant.text

    assert set(STAFF_MENU_COMMANDS) <= commands_in(for_staff.text)
    assert "/siaran — " in for_staff.text and "<code>/peserta KODE</code>" in for_staff.text
    assert not commands_in(for_staff.text) & set(ADMIN_MENU_COMMANDS)

    assert {*STAFF_MENU_COMMANDS, *ADMIN_MENU_COMMANDS, "hapusdata"} <= commands_in(for_admin.text)
    await staff.says("/bahasa en")
    [in_english] = await staff.says("/bantuan")
    assert {*STAFF_MENU_COMMANDS, *ADMIN_MENU_COMMANDS} <= commands_in(in_english.text)
    assert "/ekspor — export visits to Excel" in in_english.text
    assert "/hapusdata — see and delete the data the bot holds about you" in in_english.text


async def test_a_probing_user_cannot_fill_the_audit_log(
    participant: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    """Twenty refusals in ten minutes are kept one by one; the rest are counted in one summary entry."""
    for n in range(85):
        sent = await participant.presses_action(f"appr:approve:{n + 1}")
        assert [s.template for s in sent] == ["errors/staff_only"]  # every try is still refused
    history = await history_of(recorder, participant)
    refused = [e for e in history if e.action == "access.refused"]
    [summary] = [e for e in history if e.action == "access.refused.repeated"]
    assert len(refused) == 20 and summary.detail["repeats"] == 65
    assert summary.detail["last"]["typed"] == "appr:approve:85"
    clock.advance(timedelta(minutes=11))  # a new window: refusals are kept one by one again
    await participant.presses_action("appr:approve:1")
    assert len([e for e in await history_of(recorder, participant) if e.action == "access.refused"]) == 21


async def test_bidirectional_controls_never_reach_what_staff_read(recorder: Recorder) -> None:
    """A right-to-left override in a chat name (or in what someone types) is dropped as the message arrives."""
    tricky = ChatUser(recorder, "Budi \u202eiduB", external_id="budi")
    await tricky.says("Apakah ada hotel \u202edekat Pendopo yang menerima rombongan 50 orang?")
    [notice] = [s for s in recorder.to(str(STAFF_TELEGRAM_ID)) if s.template == "questions/unknown_for_staff"]
    assert "\u202e" not in notice.text and "Budi iduB" in notice.text and "hotel dekat Pendopo" in notice.text
    user = await find_user(recorder.core.database.conn, "console", "budi")
    assert user is not None and user.display_name == "Budi iduB"


def test_whatsapp_staff_are_named_by_number_and_a_number_elsewhere_grants_nothing() -> None:
    staff = StaffDirectory(whatsapp_ids=frozenset({"6281234567890"}), admin_whatsapp_ids=frozenset({"447911123456"}))
    assert staff.role_of("whatsapp", "6281234567890") is Role.STAFF
    assert staff.role_of("whatsapp", "447911123456") is Role.ADMIN
    assert staff.role_of("whatsapp", "6281200000000") is Role.MEMBER
    assert staff.role_of("telegram", "6281234567890") is Role.MEMBER  # the same digits on another channel
    assert staff.named() == [("whatsapp", "447911123456"), ("whatsapp", "6281234567890")]


def test_a_whatsapp_user_starts_in_the_language_of_their_number() -> None:
    assert locale_of_number("6281234567890") == "id"
    assert locale_of_number("447911123456") == "en"
    assert locale_of_number("60123456789") == "en"
    assert whatsapp_id("0812 3456 7890") == "6281234567890"
    assert whatsapp_id("nomor saya") is None
