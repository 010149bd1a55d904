"""WhatsApp's 24-hour window and its receipts, end to end: the real web app over HTTP, the fake Cloud API.

A participant joins on WhatsApp and then says nothing for days, as participants do. The evening reminder
before the visit and a broadcast are messages the bot starts: outside the window each goes as its approved
template, with the message on one line, and in full when she replies or taps the template's button. The
statuses WhatsApp posts back (delivered, read, a late failure) show in /siaran_status.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from core.clock import FakeClock
from storage.db import fetch_all
from storage.outbox import OutboxKind, OutboxStatus
from storage.users import find_user
from tests.conftest import CoreFactory
from tests.fake_graph_api import FakeGraphApi, WaSent
from tests.support import ChatUser, Press, Recorder, plan_with_programme, play, publish, register
from tests.test_web import serving
from tests.test_whatsapp_inbound import webhook
from tests.whatsapp_support import Server, WaUser, with_whatsapp

WIB = ZoneInfo("Asia/Jakarta")
DEDI = "6281355501234"  # a participant on WhatsApp


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphApi) -> Settings:
    return with_whatsapp(settings, graph)


@pytest.fixture
async def server(make_core: CoreFactory) -> AsyncIterator[Server]:
    async with serving(make_core) as running:
        yield running


async def a_published_visit_with_dedi_on_whatsapp(server: Server, graph: FakeGraphApi, clock: FakeClock) -> WaUser:
    """Bu Rina registers on the console, Pak Dedi joins on WhatsApp by the click-to-chat text, staff publish."""
    recorder = Recorder(server.web.core)
    code = await register(ChatUser(recorder, "Bu Rina"))
    dedi = WaUser(server, graph, DEDI, clock=clock)
    for typed in (f"GABUNG {code}", "Dedi Kurniawan", "Camat", "-"):
        assert await dedi.says(typed)
    [joined] = await dedi.taps("Kirim")
    assert "terdaftar sebagai peserta" in joined.text
    staff = ChatUser(recorder, "pak_staf")
    await plan_with_programme(staff)
    await publish(staff)
    await dedi.receives(1)  # the plan, while his window is open
    return dedi


def days_later(dedi: WaUser, graph: FakeGraphApi, clock: FakeClock, when: str) -> None:
    """Time passes; Dedi wrote nothing since he joined, and WhatsApp counts his window closed too."""
    clock.set(datetime.fromisoformat(when).replace(tzinfo=WIB))
    graph.window_open.discard(dedi.wa_id)


async def taps_the_template(dedi: WaUser, graph: FakeGraphApi, template: WaSent) -> None:
    """The template's quick-reply button, as WhatsApp posts it back (a "button" message with the payload)."""
    graph.window_open.add(dedi.wa_id)  # his message opens the window again
    pressed = {"from": dedi.wa_id, "id": f"wamid.tap.{template.id}", "timestamp": "1765000000", "type": "button",
               "context": {"from": "6281133004400", "id": template.id},
               "button": {"payload": template.template_payload, "text": "Lihat pesan lengkap"}}  # fmt: skip
    assert (await dedi.server.post(webhook(pressed))).status_code == 200
    await dedi.server.web.intake.drain()


async def rows(server: Server, kind: OutboxKind) -> dict[OutboxStatus, int]:
    """Dedi's messages of a kind, by status."""
    async with server.web.core.database.transaction() as conn:
        user = await find_user(conn, "whatsapp", DEDI)
        assert user is not None
        sql = "SELECT status, COUNT(*) AS n FROM outbox WHERE kind = ? AND user_id = ? GROUP BY status"
        found = await fetch_all(conn, sql, (kind, user.id))
    return {OutboxStatus(r["status"]): r["n"] for r in found}


async def settled_rows(server: Server, kind: OutboxKind) -> dict[OutboxStatus, int]:
    """`rows` once none is on its way: WhatsApp has the message a moment before the bot has its answer and records it
    (the sender runs on its own, so reading at once raced it)."""
    for _ in range(500):
        found = await rows(server, kind)
        if OutboxStatus.SENDING not in found:
            return found
        await asyncio.sleep(0.01)
    return found


async def test_a_reminder_outside_the_window_goes_as_a_template_and_in_full_when_he_taps_it(
    server: Server, graph: FakeGraphApi, clock: FakeClock
) -> None:
    dedi = await a_published_visit_with_dedi_on_whatsapp(server, graph, clock)
    days_later(dedi, graph, clock, "2026-12-09T19:00")  # the evening before the visit, two weeks on
    core = server.web.core
    await core.scheduler.run_due()
    await core.sender.drain()

    [template] = await dedi.receives(1)
    assert template.type == "template" and template.template_name == "delegasi_pengingat"
    host, message = template.template_params
    assert host == core.settings.host_name
    assert "Besok" in message and "Penerimaan" in message and "\n" not in message  # the essentials, on one line
    assert graph.refused == []  # no free-form message was even tried
    assert await rows(server, OutboxKind.REMINDER) == {OutboxStatus.HELD: 1}

    await taps_the_template(dedi, graph, template)
    [full] = await dedi.receives(1)
    assert full.type == "text" and "Penerimaan" in full.text and "*" in full.text  # the reminder itself
    assert await settled_rows(server, OutboxKind.REMINDER) == {OutboxStatus.SENT: 1}
    await dedi.receives_nothing_more()  # the tap itself needs no answer: the message is the answer


async def test_any_message_he_writes_releases_what_was_held_and_a_tap_later_says_nothing_waits(
    server: Server, graph: FakeGraphApi, clock: FakeClock
) -> None:
    dedi = await a_published_visit_with_dedi_on_whatsapp(server, graph, clock)
    days_later(dedi, graph, clock, "2026-12-09T19:00")
    await server.web.core.scheduler.run_due()
    await server.web.core.sender.drain()
    [template] = await dedi.receives(1)

    graph.window_open.add(dedi.wa_id)
    answers = await dedi.says("apa itu smart kampung")
    await server.web.core.sender.drain()
    later = await dedi.receives(1)
    assert "Smart Kampung" in answers[0].text  # his question is answered first
    assert "Penerimaan" in later[0].text  # then the reminder he had not read
    await taps_the_template(dedi, graph, template)
    [nothing_waits] = await dedi.receives(1)
    assert "Tidak ada pesan yang menunggu" in nothing_waits.text


async def broadcast(staff: ChatUser, text: str) -> None:
    await play(
        staff,
        [
            ("/siaran", ["broadcast/ask_audience"]),
            (Press("audience_delegation"), ["broadcast/ask_delegation"]),
            (Press("text", 0), ["broadcast/ask_text"]),
            (text, ["broadcast/preview"]),
            (Press("send_broadcast"), ["broadcast/queued"]),
        ],
    )


def status(message_id: str, state: str, at: int, **extra: Any) -> dict[str, Any]:
    return {"id": message_id, "status": state, "timestamp": str(at), "recipient_id": DEDI, **extra}


async def test_the_broadcast_report_counts_templates_and_siaran_status_says_delivered_and_read(
    server: Server, graph: FakeGraphApi, clock: FakeClock
) -> None:
    dedi = await a_published_visit_with_dedi_on_whatsapp(server, graph, clock)
    days_later(dedi, graph, clock, "2026-12-09T08:00")
    staff = ChatUser(Recorder(server.web.core), "pak_staf")
    await broadcast(staff, "Bus berangkat pukul 07.30 dari hotel, mohon tepat waktu.")
    await server.web.core.sender.drain()
    [template] = await dedi.receives(1)
    assert template.template_name == "delegasi_informasi" and "07.30" in template.template_params[1]
    report = staff.recorder.to("pak_staf")[-1]
    assert report.template == "broadcast/report"
    assert "\n📨 1 di luar jendela 24 jam WhatsApp" in report.text  # a line of its own: sent as a template

    at = int(clock.now().timestamp())
    receipts = (status(template.id, "delivered", at), status(template.id, "read", at))
    posted = await server.post(webhook(statuses=receipts))
    assert posted.status_code == 200
    [shown] = await staff.says("/siaran_status")
    assert "Di WhatsApp sejauh ini: 1 diterima, 1 dibaca (dari 1)" in shown.text
    again = await server.post(webhook(statuses=(status(template.id, "delivered", at + 1),)))  # late, out of order
    assert again.status_code == 200
    [still] = await staff.says("/siaran_status")
    assert "1 dibaca" in still.text  # a receipt only moves forward


async def test_a_late_131047_marks_the_copy_outside_the_window_and_the_next_message_goes_as_a_template(
    server: Server, graph: FakeGraphApi, clock: FakeClock
) -> None:
    dedi = await a_published_visit_with_dedi_on_whatsapp(server, graph, clock)
    clock.advance(timedelta(hours=2))  # within the window by our count, and by the fake's
    staff = ChatUser(Recorder(server.web.core), "pak_staf")
    await broadcast(staff, "Ruang pertemuan pindah ke lantai dua.")
    await server.web.core.sender.drain()
    [free_form] = await dedi.receives(1)
    assert free_form.type == "text"
    failed = status(free_form.id, "failed", int(clock.now().timestamp()), errors=[{"code": 131047}])
    assert (await server.post(webhook(statuses=(failed,)))).status_code == 200  # WhatsApp's count beat ours
    assert await rows(server, OutboxKind.BROADCAST) == {OutboxStatus.OUTSIDE_WINDOW: 1}
    [shown] = await staff.says("/siaran_status")
    assert "⛔ 1 di luar jendela 24 jam WhatsApp" in shown.text

    await broadcast(staff, "Makan siang di Waroeng Kemarang.")
    await server.web.core.sender.drain()
    [template] = await dedi.receives(1)
    assert template.type == "template"  # the window is closed from then on, until he writes


async def test_a_held_message_nobody_asks_for_within_a_week_is_dropped_by_the_daily_job(
    server: Server, graph: FakeGraphApi, clock: FakeClock
) -> None:
    dedi = await a_published_visit_with_dedi_on_whatsapp(server, graph, clock)
    days_later(dedi, graph, clock, "2026-12-09T19:00")
    core = server.web.core
    await core.scheduler.run_due()
    await core.sender.drain()
    await dedi.receives(1)
    clock.advance(timedelta(days=6))
    await core.retention.run()
    assert await rows(server, OutboxKind.REMINDER) == {OutboxStatus.HELD: 1}  # still his to ask for
    clock.advance(timedelta(days=2))
    await core.retention.run()
    assert await rows(server, OutboxKind.REMINDER) == {OutboxStatus.DROPPED: 1}
