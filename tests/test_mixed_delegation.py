"""A mixed delegation end to end: the coordinator on WhatsApp, host staff on Telegram, one participant on each.

One process as `python -m bot serve` wires it (bot.app.serve_web): one Core on one database, the real web app
served by uvicorn on 127.0.0.1 taking WhatsApp's signed webhooks (answers go to the fake Cloud API), and the
real python-telegram-bot Application against the fake Bot API: by its webhook when TELEGRAM_WEBHOOK_URL is set
(Telegram posts each update to /telegram), else polling beside the web server. Both modes run. The journey:

1. the coordinator registers the visit on WhatsApp and gets the join code and both join links;
2. the staff member named in HOST_STAFF_TELEGRAM_IDS gets the new-registration notice on Telegram and approves
   it with its buttons (a callback query each);
3. the coordinator gets the approval, with the join code, on WhatsApp;
4. one participant joins on WhatsApp by the click-to-chat text "GABUNG <code>", another on Telegram by the
   deep link (/start join-<code>);
5. staff plan the visit on Telegram (a ready-made programme) and publish it: each member gets the plan on their
   own app, and staff the confirmation;
6. staff broadcast to the delegation: each member gets it on their own app, and staff the report counting all
   three as sent.

Everyone's messages are read in order as they come; at the end nobody has anything unread, nothing went to
anyone else, no send failed or is left, and each of the journey's messages reached each of its recipients
exactly once. The FakeClock moves an hour between the steps, staying well within 24 hours of each WhatsApp
user's last message (WhatsApp's window for free-form messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.app import build_telegram, build_web, start_telegram, start_telegram_webhook, stop_telegram
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.whatsapp_inbound import CHANNEL as WHATSAPP
from bot.config import Settings
from bot.web import TELEGRAM_SECRET_HEADER
from core.clock import FakeClock
from storage import outbox
from storage.outbox import OutboxKind, OutboxStatus
from tests import fake_bot_api
from tests.conftest import STAFF_TELEGRAM_ID, CoreFactory
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.fake_graph_api import FakeGraphApi
from tests.support import RecordedSleep, served
from tests.telegram_support import Push, TelegramUser
from tests.test_whatsapp_inbound import RINA
from tests.whatsapp_support import BUSINESS_NUMBER, Server, WaUser, fill_in_registration, join_code_in, with_whatsapp

TOKEN = "123456:MIXED"
WEBHOOK_URL, WEBHOOK_SECRET = "https://delegasi.example/telegram", "mixed-delegation_secret"
COORDINATOR = RINA  # Bu Rina, on WhatsApp
DEDI = "6285712345678"  # Pak Dedi, a participant on WhatsApp
SARI = 2002  # Bu Sari, a participant on Telegram
STAFF = STAFF_TELEGRAM_ID  # Pak Staf, host staff on Telegram
BROADCAST = "Bus berangkat pukul 07.30 dari hotel; mohon tepat waktu."
WITHIN_THE_WINDOW = timedelta(hours=23)  # WhatsApp's 24 hours, with room to spare


# --- the process, as `python -m bot serve` runs it ---------------------------------------------


@pytest.fixture(params=["webhook", "polling"])
def telegram_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with fake_bot_api.running(TOKEN, "delegasi_test_bot") as api:
        yield api


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphApi, fake: FakeBotApi, telegram_mode: str) -> Settings:
    """WhatsApp and Telegram both configured; the one staff member is named by a Telegram id."""
    webhook = telegram_mode == "webhook"
    return dataclasses.replace(
        with_whatsapp(settings, graph),
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        telegram_bot_username=None,  # from getMe, as in production
        host_staff_telegram_ids=frozenset({STAFF}),
        host_staff_whatsapp_ids=frozenset(),
        telegram_webhook_url=WEBHOOK_URL if webhook else None,
        telegram_webhook_secret=WEBHOOK_SECRET if webhook else None,
    )


@contextlib.asynccontextmanager
async def telegram_pushing(http: httpx.AsyncClient, url: str) -> AsyncIterator[Push]:
    """Telegram in webhook mode: each update a user makes is posted to the bot's /telegram with the secret it was
    given, one at a time in the order they were made; every answer must be 200, a press's the answer to its query."""
    updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    headers = {TELEGRAM_SECRET_HEADER: WEBHOOK_SECRET}
    refused: list[str] = []

    async def deliver() -> None:
        while True:
            update = await updates.get()
            try:
                answer = await http.post(f"{url}/telegram", json=update, headers=headers)
                if answer.status_code != 200:
                    refused.append(f"{answer.status_code} {answer.text}")
                elif "callback_query" in update:  # the press is answered in the response: its spinner stops
                    query_id = update["callback_query"]["id"]
                    if answer.json() != {"method": "answerCallbackQuery", "callback_query_id": query_id}:
                        refused.append(f"press {query_id} answered {answer.text}")
            except httpx.HTTPError as error:
                refused.append(repr(error))

    delivering = asyncio.create_task(deliver())
    try:
        yield updates.put_nowait
    finally:
        delivering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivering
    assert refused == [], f"the bot did not take Telegram's updates: {refused}"


@dataclasses.dataclass
class Serving:
    server: Server  # the web server: WhatsApp's webhooks, and Telegram's in webhook mode
    push: Push | None  # how Telegram's updates reach the bot in webhook mode; None: the bot polls for them


@contextlib.asynccontextmanager
async def serving(make_core: CoreFactory, settings: Settings) -> AsyncIterator[Serving]:
    """bot.app.serve_web's start and stop, on the test's clock and a port of its own."""
    core = await make_core(console_staff=())  # nobody at a console: staff are whom the settings name
    sleep = RecordedSleep()
    telegram = build_telegram(core, sleep=sleep)
    webhook = settings.telegram_webhook_url is not None
    web = build_web(core, telegram=telegram if webhook else None, sleep=sleep)
    try:
        if webhook:
            await start_telegram_webhook(telegram, WEBHOOK_URL, WEBHOOK_SECRET)
            await web.intake.handle_kept(TELEGRAM)
        else:
            await start_telegram(telegram, poll_timeout=1, max_start_attempts=1)
        await web.intake.handle_kept(WHATSAPP)
        await core.start_background()
        async with served(web) as url, httpx.AsyncClient(timeout=10.0) as http:
            server = Server(web, url, http)
            if webhook:
                async with telegram_pushing(http, url) as push:
                    yield Serving(server, push)
            else:
                yield Serving(server, None)
    finally:
        await web.intake.drain()
        await core.stop_background()
        await stop_telegram(telegram)


@dataclasses.dataclass
class Journey:
    """The four people, each on their own app, and the clock that moves between the steps."""

    clock: FakeClock
    rina: WaUser  # the coordinator
    dedi: WaUser
    sari: TelegramUser
    staff: TelegramUser
    started: datetime = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock.now()

    def later(self) -> None:
        """An hour passes; the coordinator last wrote at the start, so everything stays within her window."""
        self.clock.advance(timedelta(hours=1))
        assert self.clock.now() - self.started < WITHIN_THE_WINDOW

    async def nobody_receives_anything_more(self) -> None:
        await asyncio.sleep(0.3)  # for anything still on its way, then a look at each
        for wa_user in (self.rina, self.dedi):
            await wa_user.receives_nothing_more(within=0)
        for tg_user in (self.sari, self.staff):
            await tg_user.receives_nothing_more(within=0)


# --- the journey -------------------------------------------------------------------------------


async def test_a_mixed_delegation_gets_the_approval_the_plan_and_a_broadcast_each_on_their_own_app(
    make_core: CoreFactory, settings: Settings, graph: FakeGraphApi, fake: FakeBotApi, clock: FakeClock
) -> None:
    async with serving(make_core, settings) as running:
        server, push = running.server, running.push
        journey = Journey(
            clock,
            rina=WaUser(server, graph, COORDINATOR, clock=clock),
            dedi=WaUser(server, graph, DEDI, clock=clock),
            sari=TelegramUser(fake, SARI, "Sari", push=push),
            staff=TelegramUser(fake, STAFF, "Pak Staf", push=push),
        )
        code = await coordinator_registers_on_whatsapp(journey)
        journey.later()
        await staff_approve_on_telegram(journey, code)
        journey.later()
        await participants_join_on_both(journey, code)
        journey.later()
        await staff_plan_and_publish(journey)
        journey.later()
        await staff_broadcast_to_the_delegation(journey)

        await journey.nobody_receives_anything_more()
        async with server.web.core.database.transaction() as conn:
            assert await outbox.counts_by_status(conn, OutboxKind.BROADCAST) == {OutboxStatus.SENT: 3}
            assert set(await outbox.counts_by_status(conn)) == {OutboxStatus.SENT}  # none failed, held or left

    assert graph.refused == [] and fake.errors == []
    assert {message.to for message in graph.sent} == {COORDINATOR, DEDI}  # WhatsApp: its two users only
    assert {sent.chat_id for sent in fake.sent} == {STAFF, SARI}  # Telegram: its two users only
    members = [(WHATSAPP, COORDINATOR), (WHATSAPP, DEDI), (TELEGRAM, str(SARI))]
    once_each = {
        "Pendaftaran kunjungan baru": [(TELEGRAM, str(STAFF))],
        "Kunjungan Bapak/Ibu disetujui": [(WHATSAPP, COORDINATOR)],
        "Status kunjungan dapat diperiksa kapan saja": [(WHATSAPP, DEDI), (TELEGRAM, str(SARI))],
        "Agenda kunjungan Pemkab Cianjur": members,
        "Informasi dari panitia": members,
        "Laporan siaran": [(TELEGRAM, str(STAFF))],
    }
    received = list(every_message(graph, fake))
    for phrase, recipients in once_each.items():
        got = [(channel, chat) for channel, chat, text in received if phrase in text]
        assert sorted(got) == sorted(recipients), phrase


# --- the steps ---------------------------------------------------------------------------------


async def coordinator_registers_on_whatsapp(journey: Journey) -> str:
    """Step 1: the registration, typed and tapped on WhatsApp; returns the join code it gives."""
    summary = await fill_in_registration(journey.rina)
    assert "Pemkab Cianjur" in summary.text
    submitted, *qr_codes = await journey.rina.taps("Kirim")
    code = join_code_in(submitted)
    assert "Pendaftaran terkirim" in submitted.text
    assert f"https://t.me/delegasi_test_bot?start=join-{code}" in submitted.text  # a link for each channel
    assert f"https://wa.me/{BUSINESS_NUMBER}?text=GABUNG%20{code}" in submitted.text
    assert [m.type for m in qr_codes] == ["text", "image", "text", "image"]
    return code


async def staff_approve_on_telegram(journey: Journey, code: str) -> None:
    """Steps 2 and 3: the notice reaches staff on Telegram, they approve, the coordinator hears on WhatsApp."""
    staff = journey.staff
    [notice] = await staff.receives(1)
    assert "Pendaftaran kunjungan baru" in shown(notice) and "Pemkab Cianjur" in shown(notice)
    assert code in shown(notice)
    [load] = await staff.presses(notice, "Setujui")
    assert "Beban hari kunjungan Pemkab Cianjur" in shown(load)
    [done] = await staff.presses(load, "Ya, setujui")
    assert "disetujui; koordinator sudah diberi tahu" in shown(done)

    [approved] = await journey.rina.receives(1)
    assert "Kunjungan Bapak/Ibu disetujui" in approved.text
    assert f"```{code}```" in approved.text  # the join code to share, in WhatsApp's monospace


async def participants_join_on_both(journey: Journey, code: str) -> None:
    """Step 4: Pak Dedi by WhatsApp's click-to-chat text, Bu Sari by Telegram's deep link."""
    dedi = journey.dedi
    welcome, ask_name = await dedi.says(f"GABUNG {code}")  # what wa.me/…?text=GABUNG%20<code> types for him
    assert "Selamat datang di delegasi *Pemkab Cianjur*" in welcome.text and "nama lengkap" in ask_name.text
    [ask_position] = await dedi.says("Dedi Kurniawan")
    assert "jabatan" in ask_position.text
    [ask_unit] = await dedi.says("Camat Cugenang")
    assert "unit kerja" in ask_unit.text
    [confirm] = await dedi.taps("Lewati")
    assert "Dedi Kurniawan" in confirm.text
    [joined] = await dedi.taps("Kirim")
    assert "Dedi Kurniawan terdaftar sebagai peserta delegasi *Pemkab Cianjur*" in joined.text

    sari = journey.sari
    welcome_tg, ask_name_tg = await sari.says(f"/start join-{code}", replies=2)
    assert "Selamat datang di delegasi Pemkab Cianjur" in shown(welcome_tg) and "nama lengkap" in shown(ask_name_tg)
    await sari.says("Sari Wulandari")
    [ask_unit_tg] = await sari.says("Kepala Bappeda")
    [confirm_tg] = await sari.presses(ask_unit_tg, "Lewati")
    [joined_tg] = await sari.presses(confirm_tg, "Kirim")
    assert "Sari Wulandari terdaftar sebagai peserta delegasi Pemkab Cianjur" in shown(joined_tg)


async def staff_plan_and_publish(journey: Journey) -> None:
    """Step 5: staff apply the one-day programme on Telegram and publish it; every member gets it on their app."""
    staff = journey.staff
    [choose] = await staff.says("/agenda")
    [empty_plan] = await staff.presses(choose, "Pemkab Cianjur")
    [programs] = await staff.presses(empty_plan, "Terapkan program")
    [preview] = await staff.presses(programs, "satu hari")
    assert "Tidak ada bentrok" in shown(preview)
    _saved, plan = await staff.presses(preview, "Simpan", replies=2)
    [ask] = await staff.presses(plan, "Terbitkan")
    assert "dikirim ke 3 orang" in shown(ask)
    [published] = await staff.presses(ask, "Ya, terbitkan")
    assert "sudah dikirim ke koordinator dan peserta" in shown(published)

    plans = [*await journey.rina.receives(1), *await journey.dedi.receives(1)]
    plans_text = [m.text for m in plans] + [shown(m) for m in await journey.sari.receives(1)]
    for text in plans_text:
        assert "Agenda kunjungan Pemkab Cianjur" in text and "Lounge Pelayanan Publik" in text


async def staff_broadcast_to_the_delegation(journey: Journey) -> None:
    """Step 6: /siaran to the one delegation; each member gets it, and staff the report of three sent."""
    staff = journey.staff
    [ask_audience] = await staff.says("/siaran")
    [ask_delegation] = await staff.presses(ask_audience, "Satu delegasi")
    [ask_text] = await staff.presses(ask_delegation, "Pemkab Cianjur")
    assert "Silakan tulis isi siarannya" in shown(ask_text)
    [preview] = await staff.says(BROADCAST)
    assert "Penerima: 3 orang" in shown(preview)
    [queued] = await staff.presses(preview, "Kirim")
    assert "sedang dikirim ke 3 orang" in shown(queued)

    messages = [*await journey.rina.receives(1), *await journey.dedi.receives(1)]
    messages_text = [m.text for m in messages] + [shown(m) for m in await journey.sari.receives(1)]
    for text in messages_text:
        assert "Informasi dari panitia" in text and BROADCAST in text
    [report] = await staff.receives(1)
    assert "Laporan siaran #1" in shown(report)
    assert "Terkirim: 3 · gagal: 0 · tidak terjangkau (memblokir bot): 0 · dari 3" in shown(report)


# --- reading what each person got --------------------------------------------------------------


def shown(message: SentMessage) -> str:
    """A Telegram message's text as the user sees it (HTML parsed)."""
    return message.plain_text or ""


def every_message(graph: FakeGraphApi, fake: FakeBotApi) -> Iterator[tuple[str, str, str]]:
    """(channel, chat, text) of every message either platform accepted."""
    for message in graph.sent:
        yield WHATSAPP, message.to, message.text
    for sent in fake.sent:
        yield TELEGRAM, str(sent.chat_id), shown(sent)
