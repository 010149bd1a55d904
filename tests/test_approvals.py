"""Host staff decide on registrations: the load of the days first, then approve, reject or propose dates."""

from __future__ import annotations

from storage.delegations import DelegationStatus, delegations_of_coordinator
from storage.users import find_user
from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import UP_TO_SUMMARY, ChatUser, Press, Recorder, play, register


async def status_of(recorder: Recorder, name: str) -> DelegationStatus:
    conn = recorder.core.database.conn
    user = await find_user(conn, "console", name)
    assert user is not None
    [delegation] = await delegations_of_coordinator(conn, user.id)
    return delegation.status


async def test_staff_see_the_load_then_approve_and_the_coordinator_is_told(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")
    await register(coordinator)
    notice = recorder.to("pak_staf")[-1]
    assert notice.template == "registration/submitted_for_staff" and notice.labels[:2] == ["✅ Setujui", "❌ Tolak"]
    staff.last_buttons = [(b.label.name, b.action) for row in notice.reply.buttons for b in row]
    await play(
        staff,
        [
            (Press("approve"), [("approvals/load", "0 delegasi lain disetujui")]),
            (Press("approve_confirm"), ["approvals/done"]),
        ],
    )
    told = recorder.to("Bu Rina")[-1]
    assert told.template == "approvals/approved" and await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED
    sent = await staff.presses_action(notice.reply.buttons[0][0].action)  # pressed again later
    assert [s.template for s in sent] == ["approvals/already_decided"]


async def test_approving_past_the_daily_limit_asks_to_confirm(
    staff: ChatUser, recorder: Recorder, settings: object
) -> None:
    big = [ChatUser(recorder, f"Koordinator {n}") for n in range(5)]
    for person in big:
        await register(person)
    for delegation_id in range(1, 5):
        await staff.presses_action(f"appr:approve:{delegation_id}")
    [load] = await staff.presses_action("appr:load:5")
    assert load.template == "approvals/load" and load.reply.params["over"]
    assert "⚠️ Tetap setujui" in load.labels


async def test_rejecting_asks_a_reason_that_the_coordinator_receives(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    await staff.presses_action("appr:reject:1")
    await play(
        staff,
        [
            ("?", ["approvals/errors/reason", "approvals/ask_reason"]),
            ("Tanggal itu ada acara B-Fest.", ["approvals/done"]),
        ],
    )
    told = recorder.to("Bu Rina")[-1]
    assert told.template == "approvals/rejected" and "B-Fest" in told.text
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.REJECTED


async def test_proposed_dates_are_accepted_by_the_coordinator(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await staff.says("/start")
    await register(coordinator)
    await staff.presses_action("appr:propose:1")
    await play(staff, [("17/12/2026", ["approvals/ask_departure"]), (Press("next_day"), ["approvals/proposed"])])
    proposal = recorder.to("Bu Rina")[-1]
    assert proposal.template == "approvals/proposal" and "Kamis, 17 Desember 2026" in proposal.text
    coordinator.last_buttons = [(b.label.name, b.action) for row in proposal.reply.buttons for b in row]
    await play(coordinator, [(Press("accept_dates"), [("approvals/proposal_answered", "17 Desember 2026")])])
    assert recorder.to("pak_staf")[-1].template == "approvals/proposal_answered_for_staff"
    assert recorder.to(str(STAFF_TELEGRAM_ID))[-1].template == "approvals/proposal_answered_for_staff"
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED


async def test_a_staff_member_answering_their_own_proposal_is_not_told_about_it_as_staff(
    staff: ChatUser, recorder: Recorder
) -> None:
    """Every staff notice goes to the staff but the one acting: the proposal answer once forgot that."""
    await register(staff)  # a staff member registers a visit of their own office, and so coordinates it
    await staff.presses_action("appr:propose:1")
    await play(
        staff,
        [
            ("17/12/2026", ["approvals/ask_departure"]),
            (Press("next_day"), ["approvals/proposed", "approvals/proposal"]),  # as staff, then as its coordinator
        ],
    )
    await staff.presses_action("prop:accept:1")
    assert [s.template for s in recorder.to("pak_staf")][-1] == "approvals/proposal_answered"
    assert "approvals/proposal_answered_for_staff" not in [s.template for s in recorder.to("pak_staf")]
    assert recorder.to(str(STAFF_TELEGRAM_ID))[-1].template == "approvals/proposal_answered_for_staff"


async def test_declining_keeps_the_registration_pending(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    await staff.presses_action("appr:propose:1")
    await play(staff, [("17/12/2026", ["approvals/ask_departure"]), (Press("same_day"), ["approvals/proposed"])])
    await play(coordinator, [(None, ["errors/unsupported"])])
    sent = await coordinator.presses_action("prop:decline:1")
    assert next(s.template for s in sent) == "approvals/proposal_answered"
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.PENDING
    again = await coordinator.presses_action("prop:accept:1")
    assert [s.template for s in again] == ["approvals/proposal_gone"]


async def test_the_guest_calendar_lists_visits_by_day(coordinator: ChatUser, staff: ChatUser) -> None:
    await register(coordinator)
    await play(staff, [("/kalender_tamu", [("desk/calendar", "Pemkab Cianjur")])])
    [day] = await staff.presses("calendar_day")
    assert day.template == "desk/day" and "Herman Suherman" in day.text
    assert "+62 812-3456-7890\nStatus:" in day.text  # the status on its own line
    assert day.labels == ["⚖️ Putuskan: Pemkab Cianjur"]  # pending: decide from here too


async def test_staff_who_missed_the_notice_decide_from_status_or_the_calendar(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    await play(staff, [("/status", ["desk/todo", ("status/staff_overview", "Pemkab Cianjur")])])
    await play(staff, [(Press("decide_visit"), ["approvals/load"])])
    await play(staff, [(Press("approve_confirm"), ["approvals/done"])])
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED
    todo, overview = await staff.says("/status")
    assert todo.labels == overview.labels == []  # nothing left to decide
    await staff.says("/kalender_tamu")
    [day] = await staff.presses("calendar_day")
    assert day.labels == []


async def test_only_staff_decide(coordinator: ChatUser, recorder: Recorder) -> None:
    await register(coordinator)
    for action in ("appr:load:1", "appr:approve:1", "appr:reject:1", "appr:propose:1"):
        assert [s.template for s in await coordinator.presses_action(action)] == ["errors/staff_only"]
    assert [s.template for s in await coordinator.says("/kalender_tamu")] == ["errors/staff_only"]
    other = ChatUser(recorder, "Orang Lain")
    assert [s.template for s in await other.presses_action("prop:accept:1")] == ["errors/not_your_delegation"]


# --- the whole registration before deciding (issue 12, item 16) ------------------------------------


async def test_the_decision_screen_shows_the_whole_registration_with_the_load(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    [load] = await staff.presses_action("appr:load:1")
    assert load.template == "approvals/load" and load.labels[0] == "✅ Ya, setujui"
    for shown in (
        "Pemkab Cianjur",
        "Jawa Barat",
        "Herman Suherman, Bupati",
        "<b>Jumlah peserta:</b> 45",
        "kunjungan langsung",
        "Kamis, 10 Desember 2026 – Jumat, 11 Desember 2026",
        "Pelayanan publik, Desa digital",
        "Bu Rina, +62 812-3456-7890",
        "0 delegasi lain disetujui",
    ):
        assert shown in load.text, shown
    assert load.text.index("Herman Suherman") < load.text.index("0 delegasi lain")  # the registration, then the load
    english = ChatUser(recorder, "Ms Staff", channel="telegram", external_id=str(STAFF_TELEGRAM_ID), language_code="en")
    [load] = await english.presses_action("appr:load:1")
    assert "<b>Number of participants:</b> 45" in load.text and "Herman Suherman, Bupati" in load.text


# --- answering a proposal from /status (issue 12, item 14) -----------------------------------------


async def propose_17_december(staff: ChatUser, delegation_id: int = 1) -> None:
    await staff.presses_action(f"appr:propose:{delegation_id}")
    await play(staff, [("17/12/2026", ["approvals/ask_departure"]), (Press("next_day"), ["approvals/proposed"])])


async def test_a_coordinator_answers_a_proposal_from_status_not_only_from_the_notice(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    await register(coordinator)
    [status] = await coordinator.says("/status")
    assert "Usulan" not in status.text and "✅ Setuju" not in " ".join(status.labels)
    await propose_17_december(staff)
    await play(
        coordinator,
        [
            ("/status", [("status/list", "Kamis, 17 Desember 2026 – Jumat, 18 Desember 2026")]),
            (Press("decline_dates_for"), [("approvals/proposal_answered", "tetap menunggu")]),
            ("/status", ["status/list"]),
        ],
    )
    assert "17 Desember" not in recorder.to("Bu Rina")[-1].text and "decline_dates_for" not in dict(
        coordinator.last_buttons
    )
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.PENDING

    await propose_17_december(staff)
    [status] = await coordinator.says("/status")
    assert status.labels[:2] == ["✅ Setujui tanggal baru: Pemkab Cianjur", "❌ Tolak tanggal baru: Pemkab Cianjur"]
    await play(coordinator, [(Press("accept_dates_for"), [("approvals/proposal_answered", "17 Desember 2026")])])
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED
    [status] = await coordinator.says("/status")
    assert "Usulan" not in status.text and status.labels == ["Batalkan kunjungan Pemkab Cianjur"]


async def test_a_proposal_ends_when_staff_decide_the_visit_meanwhile(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    """Deciding settles the visit: an open proposal is withdrawn with it, so neither /status nor the old notice's
    buttons offer it (declining it used to be recorded, and staff told, on an approved visit)."""
    await register(coordinator)
    await propose_17_december(staff)
    await play(staff, [("/status", ["desk/todo", "status/staff_overview"])])
    await play(staff, [(Press("decide_visit"), ["approvals/load"]), (Press("approve_confirm"), ["approvals/done"])])
    [status] = await coordinator.says("/status")
    assert "17 Desember" not in status.text
    told = len(recorder.to("pak_staf"))
    for old_button in ("prop:decline:1", "prop:accept:1"):
        assert [s.template for s in await coordinator.presses_action(old_button)] == ["approvals/proposal_gone"]
    assert len(recorder.to("pak_staf")) == told
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED


# --- the desk's to-do for staff who missed the notices (issue 12, item 15) -------------------------


async def test_staff_who_never_wrote_find_the_desks_to_do_on_start_and_status(recorder: Recorder) -> None:
    """Telegram refuses a chat the person never started, so a staff member named in the settings who never wrote
    missed every notice sent before: their first /start (and any /status) leads with what waits for the desk."""
    first, second, asker = ChatUser(recorder, "Bu Rina"), ChatUser(recorder, "Pak Budi"), ChatUser(recorder, "Tamu")
    await register(first)
    await register(second)
    await asker.says("Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?")
    proposer = ChatUser(recorder, "pak_staf")
    await propose_17_december(proposer, delegation_id=2)
    newcomer = ChatUser(recorder, "Bu Staf", channel="telegram", external_id=str(STAFF_TELEGRAM_ID))

    todo, greeting = await newcomer.says("/start")
    assert (todo.template, greeting.template) == ("desk/todo", "menu/start")
    assert "Menunggu keputusan (1)" in todo.text and "Pemkab Cianjur" in todo.text
    assert "Usulan tanggal menunggu jawaban koordinator (1)" in todo.text
    assert "Kamis, 17 Desember 2026 – Jumat, 18 Desember 2026" in todo.text
    assert "Pertanyaan terbuka (1)" in todo.text and "hotel dekat Pendopo" in todo.text and "Tamu" in todo.text
    assert todo.labels == ["⚖️ Putuskan: Pemkab Cianjur", "⚖️ Putuskan: Pemkab Cianjur", "✍️ Jawab #1"]

    todo, overview = await newcomer.says("/status")
    assert (todo.template, overview.template) == ("desk/todo", "status/staff_overview") and not overview.labels
    await play(newcomer, [(Press("answer_question_n"), ["questions/question_to_answer", "questions/ask_staff_answer"])])
    await play(newcomer, [("Ada, daftar hotel mitra menyusul.", ["questions/answer_sent"])])
    await newcomer.says("/status")
    await play(newcomer, [(Press("decide_visit"), ["approvals/load"]), (Press("approve_confirm"), ["approvals/done"])])
    await newcomer.presses_action("appr:approve:2")  # the visit whose proposal is still unanswered

    [greeting] = await newcomer.says("/start")  # nothing waits: the greeting alone
    assert greeting.template == "menu/start"
    todo, _ = await newcomer.says("/status")
    assert "Tidak ada yang menunggu" in todo.text and not todo.labels


async def test_the_to_do_is_for_staff_only(coordinator: ChatUser) -> None:
    await register(coordinator)
    assert [s.template for s in await coordinator.says("/start")] == ["menu/start"]
    assert [s.template for s in await coordinator.says("/status")] == ["status/list"]


# --- proposing a date for a virtual session, and dates far ahead (issue 12, items 10 and 13) ---------


async def register_virtual(coordinator: ChatUser) -> None:
    """A confirmed registration of a virtual session on 10 December 2026."""
    await play(
        coordinator,
        [
            *UP_TO_SUMMARY[:5],
            (Press("mode_virtual"), ["registration/ask_arrival"]),
            ("10/12/2026", ["registration/ask_topics"]),
            (Press("theme_toggle"), ["registration/ask_topics"]),
            (Press("done"), ["registration/ask_contact_name"]),
            (Press("use_my_name"), ["registration/ask_contact_phone"]),
            ("0812 3456 7890", ["registration/summary"]),
            (Press("confirm"), ["registration/submitted", "registration/join_qr"]),
        ],
    )


async def test_staff_propose_one_date_for_a_virtual_session(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    """Staff were asked for an arrival and a departure of a session that takes one day."""
    await register_virtual(coordinator)
    [ask] = await staff.presses_action("appr:propose:1")
    assert ask.template == "approvals/ask_arrival" and "sesi virtual" in ask.text and "tiba" not in ask.text
    await play(staff, [("17/12/2026", [("approvals/proposed", "Kamis, 17 Desember 2026 dikirim")])])
    proposal = recorder.to("Bu Rina")[-1]
    assert proposal.template == "approvals/proposal" and "<b>Kamis, 17 Desember 2026</b>" in proposal.text
    await coordinator.presses_action("prop:accept:1")
    conn = recorder.core.database.conn
    user = await find_user(conn, "console", "Bu Rina")
    assert user is not None
    [visit] = await delegations_of_coordinator(conn, user.id)
    assert (visit.arrival_date.isoformat(), visit.departure_date.isoformat()) == ("2026-12-17", "2026-12-17")


async def test_a_proposed_date_far_ahead_is_confirmed_first(coordinator: ChatUser, staff: ChatUser) -> None:
    await register(coordinator)
    await staff.presses_action("appr:propose:1")
    await play(
        staff,
        [
            ("17/12/2027", [("approvals/confirm_date", "Jumat, 17 Desember 2027")]),
            (Press("date_change"), ["approvals/ask_arrival"]),
            ("17/12/2027", ["approvals/confirm_date"]),
            (Press("date_right"), [("approvals/ask_departure", "Jumat, 17 Desember 2027")]),
            (Press("same_day"), ["approvals/proposed"]),
        ],
    )
