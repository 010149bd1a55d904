"""The planning desk as staff use it (/agenda): numbered items, leaving a change back to the plan, a programme for a
plan that has items, conflicts saved or published only on purpose, publishing that says who will be told, the
suggested plan's topics it could not place, and the question of an edit that shows the current value."""

from __future__ import annotations

import json
import re

from bot.config import Settings
from core.clock import FakeClock
from storage.agenda import items_of, plan_published
from storage.audit import entries_for
from storage.delegations import find_by_join_code
from tests.support import ChatUser, Press, Recorder, Sent, join_as, plan_with_programme, play, publish, register
from tests.test_console import REGISTRATION_SCRIPT, run_script

AN_OVERLAP = [  # a talk at 09:00 on the first day, into the programme's reception (08:30–10:00)
    (Press("agenda_add"), ["agenda/ask_when"]),
    ("10/12 09:00", ["agenda/ask_minutes"]),
    ("1 jam", ["agenda/ask_venue"]),
    (Press("text", 2), ["agenda/ask_title"]),
    ("Diskusi", ["agenda/ask_officer"]),
    (Press("skip"), ["agenda/ask_notes"]),
]


def buttons_of(sent: Sent) -> list[str]:
    """The label macros of a message's buttons."""
    return [b.label.name for row in sent.reply.buttons for b in row]


async def open_plan(staff: ChatUser) -> Sent:
    [_choose] = await staff.says("/agenda")
    [plan] = await staff.presses("text")
    return plan


async def test_the_plans_items_are_numbered_as_their_buttons(coordinator: ChatUser, staff: ChatUser) -> None:
    code = await register(coordinator)
    await plan_with_programme(staff)
    plan = await open_plan(staff)
    lines = {int(n): line for n, line in re.findall(r"^#(\d+) (.*)$", plan.text, flags=re.M)}
    assert sorted(lines) == [1, 2, 3, 4, 5] and "•" not in plan.text
    assert "08:30–10:00" in lines[1] and "Makan siang khas Osing" in lines[3]
    assert plan.labels[3:5] == ["✏️ Ubah #1", "🗑 Hapus #1"]
    [which] = await staff.presses("agenda_edit", 2)  # "✏️ Ubah #3"
    assert which.template == "agenda/edit_which" and "Makan siang khas Osing" in which.text
    member = await join_as(staff.recorder, "Pak Dedi", code)
    await open_plan(staff)
    await publish(staff)
    [schedule] = await member.says("/jadwal")
    assert "• 08:30–10:00" in schedule.text and "#1" not in schedule.text  # members see no desk numbers


async def test_cancelling_a_change_goes_back_to_the_plan(coordinator: ChatUser, staff: ChatUser) -> None:
    await register(coordinator)
    await plan_with_programme(staff)
    await play(staff, [*AN_OVERLAP, (Press("skip"), ["agenda/confirm"])])
    await play(staff, [(Press("cancel_flow"), ["menu/cancelled_agenda", "agenda/plan"])])
    assert staff.last_buttons[0][0] == "agenda_add"  # the numbers typed next press the plan's buttons
    await play(
        staff,
        [
            (Press("agenda_edit"), ["agenda/edit_which"]),
            (Press("agenda_field_minutes"), ["agenda/ask_minutes"]),
            ("/batal", ["menu/cancelled_agenda", "agenda/plan"]),
        ],
    )
    plan = staff.recorder.to("pak_staf")[-1]
    assert "08:30–10:00" in plan.text and "agenda_publish" in buttons_of(plan)


async def test_on_the_console_the_number_after_batal_presses_the_plans_button(
    settings: Settings, clock: FakeClock
) -> None:
    """The trial: Batal on an edit showed the main menu, and the "2" typed next opened "Gabung delegasi"."""
    await run_script(settings, clock, REGISTRATION_SCRIPT)
    adding = ["/agenda", "1", "1", "10/12 09:00", "2", "1", "Diskusi", "1", "1"]  # an item, up to its preview
    transcript = await run_script(settings, clock, [*adding, "2", "2"], user="sari", as_staff=True)
    preview, _, after = transcript.rpartition("[1] 💾 Simpan\n  [2] ✖️ Batal")
    assert preview, transcript[-1500:]
    # Batal, then the plan's second button
    assert "Perubahan agenda dibatalkan" in after and "Silakan pilih program standar" in after
    assert "Gabung" not in after


async def test_publishing_asks_first_and_says_who_will_be_told(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    await plan_with_programme(staff)
    [ask] = await staff.presses("agenda_publish")
    assert ask.template == "agenda/confirm_publish"
    assert "5 acara" in ask.text and "dikirim ke 2 orang: koordinator dan 1 peserta yang sudah bergabung" in ask.text
    assert buttons_of(ask) == ["agenda_publish_confirm", "cancel_flow"]
    await play(member, [("/jadwal", ["plan/none"])])  # nothing is published by asking
    await play(staff, [(Press("cancel_flow"), [("agenda/plan", "draf")])])
    assert [s.template for s in recorder.to("Pak Dedi")].count("plan/published") == 0

    [ask] = await staff.presses("agenda_publish")
    confirm = staff.last_buttons[0][1]
    await play(staff, [(Press("agenda_publish_confirm"), ["agenda/published"])])
    assert [s.template for s in recorder.to("Pak Dedi")].count("plan/published") == 1
    again = await staff.presses_action(confirm)  # the confirmation is still in the chat: pressed once more
    assert [s.template for s in again] == ["agenda/errors/already_published"]
    assert [s.template for s in recorder.to("Pak Dedi")].count("plan/published") == 1  # not sent twice


async def test_a_conflict_is_saved_and_published_only_on_purpose(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    await plan_with_programme(staff)
    *_, preview = await play(staff, [*AN_OVERLAP, (Press("skip"), [("agenda/confirm", "Simpan walau bentrok")])])
    assert buttons_of(preview) == ["agenda_save_anyway", "cancel_flow"]
    plain_save = preview.reply.buttons[0][0].action.replace(":despite", ":save")  # an older preview's button
    sent = await staff.presses_action(plain_save)
    assert [s.template for s in sent] == ["agenda/errors/conflicts", "agenda/confirm"]
    await play(staff, [(Press("agenda_save_anyway"), ["agenda/saved", ("agenda/plan", "bertabrakan")])])

    conn = recorder.core.database.conn
    delegation = await find_by_join_code(conn, code)
    assert delegation is not None and len(await items_of(conn, delegation.id)) == 6
    [ask] = await staff.presses("agenda_publish")
    assert "bertabrakan" in ask.text and buttons_of(ask) == ["agenda_publish_anyway", "cancel_flow"]
    sent = await staff.presses_action(f"plan:publish_yes:{delegation.id}")  # without saying "despite"
    assert [s.template for s in sent] == ["agenda/errors/conflicts", "agenda/confirm_publish"]
    assert not await plan_published(conn, delegation.id)
    await play(staff, [(Press("agenda_publish_anyway"), ["agenda/published"])])
    assert await plan_published(conn, delegation.id)
    accepted = [e.detail.get("conflicts_accepted") for e in await entries_for(conn, "delegation", delegation.id)]
    assert accepted.count(1) == 2  # the save and the publication, each with the one overlap staff accepted


async def test_a_programme_for_a_plan_with_items_asks_to_replace_or_add(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    await plan_with_programme(staff)
    conn = recorder.core.database.conn
    delegation = await find_by_join_code(conn, code)
    assert delegation is not None
    first = [i.uid for i in await items_of(conn, delegation.id)]
    again = [(Press("agenda_program"), ["agenda/programs"]), (Press("text", 0), [("agenda/combine", "5 acara")])]
    await play(staff, again)
    await play(staff, [(Press("cancel_flow"), ["menu/cancelled_agenda", "agenda/plan"])])
    assert [i.uid for i in await items_of(conn, delegation.id)] == first  # nothing replaced by asking

    await play(staff, again)
    await play(staff, [(Press("agenda_append"), [("agenda/confirm", "5 acara yang ada ditambah usulan ini")])])
    await play(staff, [(Press("agenda_save_anyway"), ["agenda/saved", "agenda/plan"])])  # the same items twice
    after = [i.uid for i in await items_of(conn, delegation.id)]
    assert len(after) == 10 and set(first) <= set(after)

    await play(staff, [(Press("agenda_suggest"), [("agenda/combine", "10 acara")])])  # a suggestion asks too
    await play(staff, [(Press("agenda_replace"), [("agenda/confirm", "menggantikan 10 acara yang ada")])])
    await play(staff, [(Press("agenda_save"), ["agenda/saved", "agenda/plan"])])
    replaced = await items_of(conn, delegation.id)
    assert replaced and not {i.uid for i in replaced} & set(after)


async def test_the_suggestion_names_the_topics_it_found_no_venue_for(
    coordinator: ChatUser, staff: ChatUser, recorder: Recorder
) -> None:
    code = await register(coordinator)
    async with recorder.core.database.transaction() as conn:
        topics = json.dumps(["public-services", "education", "health"])
        await conn.execute("UPDATE delegations SET topics = ? WHERE join_code = ?", (topics, code))
    await open_plan(staff)
    [preview] = await staff.presses("agenda_suggest")
    assert preview.template == "agenda/confirm"
    assert "Belum ada tempat kunjungan untuk topik <b>Pendidikan, Kesehatan</b>" in preview.text
    assert "Jumat, 11 Desember 2026" in preview.text  # the second day is planned too


async def test_editing_the_time_shows_the_current_one_on_its_own_line(coordinator: ChatUser, staff: ChatUser) -> None:
    await register(coordinator)
    await plan_with_programme(staff)
    await play(staff, [(Press("agenda_edit"), ["agenda/edit_which"])])
    [question] = await staff.presses("agenda_field_when")
    assert "hari pertama kunjungan.\nSaat ini: 10 Des 2026 08:30 WIB" in question.text
