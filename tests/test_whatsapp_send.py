"""Sending on WhatsApp: pywa's real client against a fake Cloud API on 127.0.0.1 that refuses what the real one does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel, build_client
from bot.channels.whatsapp_templates import SUMMARY_LIMIT, StandIns, TemplatesFileError, summary
from bot.config import WhatsAppSettings
from bot.delivery import Attempt, Outcome
from core import choices, windows
from core.messages import Button, Document, Label, Recipient, Reply, Venue
from handlers.held import SHOW_HELD
from storage.users import Role, find_user, upsert_user
from tests.conftest import WA_PHONE_ID, WA_TOKEN, WA_USER
from tests.fake_graph_api import FakeGraphApi
from tests.support import RecordedSleep

TOKEN, PHONE_ID, RINA = WA_TOKEN, WA_PHONE_ID, WA_USER
TEN_MINUTES = 600.0
HELP = Reply("menu/help", {"role": "member"})


@pytest.fixture
async def channel(core: Core, graph: FakeGraphApi) -> AsyncIterator[WhatsAppChannel]:
    settings = WhatsAppSettings(PHONE_ID, TOKEN, "secret", "verify", api_base_url=graph.base_url)
    client = build_client(settings)
    stand_ins = StandIns.load("Pemkab Banyuwangi", SHOW_HELD(), {})
    clock = core.services.clock
    whatsapp = WhatsAppChannel(client, core.renderer, core.database, clock, stand_ins, sleep=RecordedSleep())
    core.delivery.register(whatsapp)
    async with core.database.transaction() as conn:  # Rina wrote a minute ago, as the fake Cloud API knows too
        await windows.wrote(conn, "whatsapp", RINA, clock.now())
    yield whatsapp


async def send(core: Core, reply: Reply, to: str = RINA, locale: str = "id") -> tuple[Outcome, Attempt]:
    attempt = Attempt(TEN_MINUTES)
    outcome = await core.delivery.send_one(Recipient("whatsapp", to, locale), reply, attempt)
    return outcome, attempt


def buttons(*names: str) -> list[list[Button]]:
    return [[Button(Label(name), f"act:{name}")] for name in names]


async def test_a_message_goes_in_whatsapps_markup_and_its_id_is_recorded(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    outcome, attempt = await send(core, HELP)
    assert outcome is Outcome.SENT
    [sent] = graph.to(RINA)
    assert sent.type == "text" and "<b>" not in sent.text and "*" in sent.text
    assert attempt.delivered == [sent.id]


async def test_up_to_three_buttons_are_reply_buttons_on_the_message_itself(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    await send(core, replace(HELP, buttons=buttons("confirm", "cancel_flow")))
    [sent] = graph.to(RINA)
    assert sent.type == "interactive" and sent.text.strip()
    assert sent.choices == [("act:confirm", "✅ Kirim / konfirmasi"), ("act:cancel_flow", "✖️ Batal")]


async def test_more_buttons_are_a_list_and_more_than_ten_numbered_lines(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    five = ("edit_institution", "edit_province", "edit_head", "edit_size", "edit_mode")
    await send(core, replace(HELP, buttons=buttons(*five)))
    [listed] = graph.to(RINA)
    assert listed.body["interactive"]["type"] == "list"
    assert [action for action, _ in listed.choices] == [f"act:{name}" for name in five]

    seven = ("edit_arrival", "edit_departure", "edit_topics", "edit_contact_name", "edit_contact_phone", "edit_name")
    twelve = (*five, *seven, "edit_position")
    await send(core, replace(HELP, buttons=buttons(*twelve)))
    numbered = graph.to(RINA)[-1]
    assert numbered.type == "text"
    assert "\n1. " in numbered.text and "\n12. " in numbered.text and "nomor pilihan" in numbered.text


async def test_a_long_message_is_split_and_its_buttons_follow_with_a_short_prompt(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    text = "kata " * 1500  # over an interactive body's 1,024, and over a text's 4,096: two parts, then the prompt
    long = Reply("broadcast/message", {"host_name": "Pemkab Banyuwangi", "text": text}, buttons(*("skip",)))
    outcome, attempt = await send(core, long)
    assert outcome is Outcome.SENT
    sent = graph.to(RINA)
    assert [s.type for s in sent] == ["text"] * (len(sent) - 1) + ["interactive"]
    assert sent[-1].text == "Silakan pilih:"
    assert attempt.delivered == [s.id for s in sent]


async def test_a_file_is_uploaded_as_a_document_and_a_venue_sent_as_a_location(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    document = Document("kunjungan.xlsx", b"PK-workbook-bytes", "application/vnd.ms-excel")
    await send(core, replace(HELP, document=document))
    await send(core, replace(HELP, venue=Venue(-8.2192, 114.3691, "Pendopo Sabha Swagata", "Jl. A. Yani")))
    kinds = [s.type for s in graph.to(RINA)]
    assert kinds == ["text", "document", "text", "location"]
    [(filename, data)] = graph.media.values()
    assert (filename, data) == ("kunjungan.xlsx", b"PK-workbook-bytes")
    location = graph.to(RINA)[-1].body["location"]
    assert (location["latitude"], location["name"]) == (-8.2192, "Pendopo Sabha Swagata")


async def test_server_errors_and_throttling_are_retried_and_the_message_arrives_once(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    graph.inject_fault(500, 2, times=2)
    graph.inject_fault(400, 131056)  # too many messages to this one user: wait, then again
    outcome, _ = await send(core, HELP)
    assert outcome is Outcome.SENT
    assert len(graph.to(RINA)) == 1
    assert [code for code, _ in graph.refused] == [2, 2, 131056]


async def test_the_pair_rate_limit_to_one_user_is_waited_out_and_every_message_arrives_once(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    moment = [0.0]  # the fake's clock and the channel's waits: seconds pass only when the channel waits

    async def wait(delay: float) -> None:
        moment[0] += delay

    graph.pair_limit, graph.monotonic = (3, 6.0), lambda: moment[0]
    clock = core.services.clock
    patient = WhatsAppChannel(channel._client, core.renderer, core.database, clock, channel._stand_ins, sleep=wait)
    core.delivery.register(patient)
    outcomes = [(await send(core, HELP))[0] for _ in range(7)]
    assert outcomes == [Outcome.SENT] * 7
    assert len(graph.to(RINA)) == 7  # each once
    assert 131056 in [code for code, _ in graph.refused] and moment[0] >= 6.0  # refused, waited, then taken


STRANGER = "6281399998888"  # never wrote to the bot
BROADCAST = Reply("broadcast/message", {"host_name": "Pemkab Banyuwangi", "text": "Bus berangkat pukul 07.00 WIB."})


async def test_outside_the_24_hour_window_a_template_stands_in_and_the_message_is_held(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    outcome, attempt = await send(core, BROADCAST, to=STRANGER)
    assert outcome is Outcome.HELD
    [template] = graph.to(STRANGER)
    assert template.type == "template" and template.template_name == "delegasi_informasi"
    assert template.body["template"]["language"]["code"] == "id"
    host, message = template.template_params
    assert host == "Pemkab Banyuwangi"
    assert message == "📣 Informasi dari panitia Pemkab Banyuwangi Bus berangkat pukul 07.00 WIB."
    assert template.template_payload == SHOW_HELD()  # tapped, it shows the full message
    assert attempt.stand_in == template.id and attempt.delivered == []
    assert graph.refused == []  # no free-form message was even tried


async def test_each_purpose_has_its_own_template_in_the_readers_language(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    await send(core, Reply("reminders/settings", {"muted": True}), to=STRANGER, locale="en")
    await send(core, HELP, to=STRANGER, locale="en")
    names = [(m.template_name, m.body["template"]["language"]["code"]) for m in graph.to(STRANGER)]
    assert names == [("delegasi_pengingat", "en"), ("delegasi_pemberitahuan", "en")]


async def test_when_whatsapp_counts_the_window_closed_after_all_the_template_goes_and_the_window_is_closed(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    graph.window_open.discard(RINA)  # we counted her message of a minute ago; WhatsApp did not
    outcome, _ = await send(core, HELP)
    assert outcome is Outcome.HELD
    assert graph.refused == [(131047, "Re-engagement message")]
    assert [m.type for m in graph.to(RINA)] == ["template"]
    async with core.database.transaction() as conn:
        assert not await windows.is_open(conn, "whatsapp", RINA, core.services.clock.now())


async def test_without_a_template_or_when_it_is_refused_the_message_is_outside_the_window_for_good(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    del graph.approved["delegasi_informasi"]  # not approved by Meta (132001)
    outcome, _ = await send(core, BROADCAST, to=STRANGER)
    assert outcome is Outcome.OUTSIDE_WINDOW
    assert [code for code, _ in graph.refused] == [132001]  # refused once, not retried
    switched_off = StandIns.load("Pemkab Banyuwangi", SHOW_HELD(), {"notice": ""})
    off = WhatsAppChannel(channel._client, core.renderer, core.database, core.services.clock, switched_off)
    core.delivery.register(off)
    outcome, _ = await send(core, HELP, to=STRANGER)
    assert outcome is Outcome.OUTSIDE_WINDOW
    assert len(graph.to(STRANGER)) == 0


def test_a_template_holds_the_message_on_one_line_within_its_limit_cut_at_a_word() -> None:
    assert summary("🔔 <b>Agenda berubah:</b>\n\n➕ Baru: <b>Makan &amp; minum</b>, 08:00") == (
        "🔔 Agenda berubah: ➕ Baru: Makan & minum, 08:00."
    )
    long = summary("<b>Agenda</b>\n" + "Kunjungan lapangan ke desa " * 60)
    assert len(long) <= SUMMARY_LIMIT and long.endswith("…") and "\n" not in long
    assert long.removesuffix("…").split()[-1] in {"Kunjungan", "lapangan", "ke", "desa"}  # whole words only
    assert summary("Selesai!") == "Selesai!"


def test_a_template_setting_for_a_purpose_the_file_lacks_is_refused() -> None:
    with pytest.raises(TemplatesFileError, match="WHATSAPP_TEMPLATE_REMINDERS"):
        StandIns.load("Pemkab Banyuwangi", SHOW_HELD(), {"reminders": "x"})


async def test_a_number_not_on_whatsapp_is_recorded_as_unreachable(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    async with core.database.transaction() as conn:
        await upsert_user(
            conn, channel="whatsapp", external_id=RINA, chat_id=RINA, display_name="Rina",
            default_language="id", role=Role.MEMBER, now=core.services.clock.now(),
        )  # fmt: skip
    graph.inject_fault(400, 131026)
    outcome, _ = await send(core, HELP)
    assert outcome is Outcome.UNREACHABLE
    async with core.database.transaction() as conn:
        user = await find_user(conn, "whatsapp", RINA)
    assert user is not None and user.blocked_at is not None


async def test_numbered_options_are_remembered_for_the_chat_before_they_go(
    core: Core, channel: WhatsAppChannel, graph: FakeGraphApi
) -> None:
    many = [f"edit_{name}" for name in ("institution", "province", "head", "size", "mode", "arrival", "departure")]
    many += ["edit_topics", "edit_contact_name", "edit_contact_phone", "edit_name", "edit_position"]
    await send(core, replace(HELP, buttons=buttons(*many)))
    async with core.database.transaction() as conn:
        assert await choices.picked_actions(conn, "whatsapp", RINA, "12, 1") == [
            "act:edit_position",
            "act:edit_institution",
        ]
        assert await choices.picked_actions(conn, "whatsapp", RINA, "13") == []  # not offered
        assert await choices.picked_actions(conn, "whatsapp", "6281399998888", "1") == []  # another chat
