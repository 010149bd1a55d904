"""Broadcasts from the staff desk: audiences, preview, delivery through the outbox, the report, resume after a kill."""

from __future__ import annotations

from storage import outbox
from tests.conftest import CoreFactory
from tests.support import ChatUser, Press, Recorder, join_as, play, register


async def two_visits(recorder: Recorder) -> tuple[ChatUser, ChatUser]:
    first, second = ChatUser(recorder, "Bu Rina"), ChatUser(recorder, "Pak Budi")
    code = await register(first)
    await register(second)
    await join_as(recorder, "Pak Dedi", code)
    return first, second


async def test_a_broadcast_to_one_delegation_reaches_its_members_and_the_author_gets_a_report(
    staff: ChatUser, recorder: Recorder
) -> None:
    await two_visits(recorder)
    await play(
        staff,
        [
            ("/siaran", ["broadcast/ask_audience"]),
            (Press("audience_delegation"), ["broadcast/ask_delegation"]),
            (Press("text", 0), ["broadcast/ask_text"]),
            ("x", ["broadcast/errors/text_length", "broadcast/ask_text"]),
            ("Bus berangkat pukul 07.30 dari hotel <b>&</b> peserta mohon tepat waktu.", [("broadcast/preview", "2")]),
            (Press("send_broadcast"), ["broadcast/queued"]),
        ],
    )
    await recorder.core.sender.drain()
    for member in ("Bu Rina", "Pak Dedi"):
        message = recorder.to(member)[-1]
        assert message.template == "broadcast/message" and "07.30 dari hotel &lt;b&gt;&amp;&lt;/b&gt;" in message.text
    assert recorder.to("Pak Budi")[-1].template != "broadcast/message"
    report = recorder.to("pak_staf")[-1]
    assert report.template == "broadcast/report" and "Terkirim: 2" in report.text
    [status] = await staff.says("/siaran_status")
    assert "selesai" in status.text


async def test_every_audience_counts_its_recipients(staff: ChatUser, recorder: Recorder) -> None:
    await two_visits(recorder)
    expected = {"audience_date": 3, "audience_coordinators": 2, "audience_everyone": 3, "audience_participants": 0}
    for audience, count in expected.items():
        await play(staff, [("/siaran", ["broadcast/ask_audience"])])
        sent = await staff.presses(audience)
        if audience == "audience_date":
            sent = await staff.says("10/12/2026")
        [ask_text] = sent
        assert ask_text.template == "broadcast/ask_text"
        [preview] = await staff.says("Informasi penting untuk semua.")
        assert preview.reply.params["recipients"] == count, audience
        await play(staff, [("/batal", ["menu/cancelled_siaran"])])


async def test_a_kill_mid_broadcast_resumes_without_missing_or_repeating_anyone(
    make_core: CoreFactory,
) -> None:
    first = Recorder(await make_core())
    await two_visits(first)
    staff = ChatUser(first, "pak_staf")
    await staff.says("/siaran")
    await staff.presses("audience_everyone")
    await staff.says("Pengumuman")
    await staff.presses("send_broadcast")
    async with first.core.database.transaction() as conn:
        rows = await outbox.pending(conn)
        assert len(rows) == 3
        assert await outbox.claim(conn, rows[0].id, first.core.services.clock.now())  # in flight at the kill
    await first.core.close()

    second = Recorder(await make_core())
    await second.core.sender.start()
    await second.core.sender.stop()
    await second.core.sender.drain()
    delivered = [s.recipient.chat_id for s in second.sent if s.template == "broadcast/message"]
    assert sorted(delivered) == ["Bu Rina", "Pak Budi", "Pak Dedi"]
    assert second.to("pak_staf")[-1].template == "broadcast/report"


async def test_only_staff_broadcast(coordinator: ChatUser) -> None:
    assert [s.template for s in await coordinator.says("/siaran")] == ["errors/staff_only"]
    assert [s.template for s in await coordinator.says("/siaran_status")] == ["errors/staff_only"]


async def test_an_audience_nobody_is_in_cannot_be_sent_to_but_can_be_changed(
    staff: ChatUser, recorder: Recorder
) -> None:
    await two_visits(recorder)  # registered, none approved: no "participants of approved upcoming visits"
    await play(
        staff,
        [
            ("/siaran", ["broadcast/ask_audience"]),
            (Press("audience_participants"), ["broadcast/ask_text"]),
            ("Informasi penting untuk semua.", [("broadcast/preview", "Tidak ada penerima")]),
        ],
    )
    assert staff.last_buttons[0][0] == "change_audience"  # no Send button
    [refused, *_] = await staff.presses_action("siaran:confirm:send")  # an old Send button
    assert refused.template == "broadcast/errors/nobody"
    await play(
        staff,
        [
            (Press("change_audience"), ["broadcast/ask_audience"]),
            (Press("audience_coordinators"), [("broadcast/preview", "Informasi penting untuk semua.")]),
            (Press("send_broadcast"), [("broadcast/queued", "2 orang")]),
        ],
    )


# --- formatting typed by staff (issue 12, item 19) --------------------------------------------------

FORMATTED = "*PDH* wajib, _tepat waktu_ ya. ~Bus kedua~ batal. <b>x</b> *a_b* 3*4*5 ~~ & *tanpa penutup"


async def test_staff_format_a_broadcast_with_whatsapp_markers_and_anything_else_stays_escaped(
    staff: ChatUser, recorder: Recorder
) -> None:
    await two_visits(recorder)
    await play(
        staff,
        [
            ("/siaran", ["broadcast/ask_audience"]),
            (Press("audience_coordinators"), [("broadcast/ask_text", "<code>*tebal*</code>")]),
            (FORMATTED, [("broadcast/preview", "<b>PDH</b> wajib")]),
            (Press("send_broadcast"), ["broadcast/queued"]),
        ],
    )
    await recorder.core.sender.drain()
    message = recorder.to("Bu Rina")[-1]
    assert message.template == "broadcast/message"
    assert message.text.endswith(
        "<b>PDH</b> wajib, <i>tepat waktu</i> ya. <s>Bus kedua</s> batal. &lt;b&gt;x&lt;/b&gt; <b>a_b</b> 3*4*5 ~~ "
        "&amp; *tanpa penutup"
    )
