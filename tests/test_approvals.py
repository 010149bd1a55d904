"""Host staff decide on registrations: the load of the days first, then approve, reject or propose dates."""

from __future__ import annotations

from storage.delegations import DelegationStatus, delegations_of_coordinator
from storage.users import find_user
from tests.conftest import STAFF_TELEGRAM_ID
from tests.support import ChatUser, Press, Recorder, play, register


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
    await play(staff, [("/status", [("status/staff_overview", "Pemkab Cianjur")])])
    await play(staff, [(Press("decide_visit"), ["approvals/load"])])
    await play(staff, [(Press("approve_confirm"), ["approvals/done"])])
    assert await status_of(recorder, "Bu Rina") is DelegationStatus.APPROVED
    [overview] = await staff.says("/status")
    assert overview.labels == []  # nothing left to decide
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
