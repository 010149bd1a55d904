"""Telegram's webhook mode end to end: setWebhook at start, updates posted to /telegram of the real web server
(uvicorn on 127.0.0.1), answers sent to the fake Bot API, through the same inbox as WhatsApp's."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import build_telegram, build_web, start_telegram_webhook, stop_telegram
from bot.config import Settings
from tests import fake_bot_api
from tests.conftest import CoreFactory
from tests.fake_bot_api import FakeBotApi
from tests.support import RecordedSleep, served

TOKEN = "123456:WEBHOOK"
URL, SECRET = "https://delegasi.example/telegram", "s3cret-token_1"
RINA = 1001


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with fake_bot_api.running(TOKEN, "delegasi_test_bot") as api:
        yield api


@pytest.fixture
def settings(settings: Settings, fake: FakeBotApi) -> Settings:
    return dataclasses.replace(
        settings,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_url=URL,
        telegram_webhook_secret=SECRET,
    )


@dataclasses.dataclass
class Hooked:
    url: str
    http: httpx.AsyncClient

    async def post(self, update: dict[str, object], secret: str = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        return await self.http.post(f"{self.url}/telegram", json=update, headers=headers)


@pytest.fixture
async def hooked(make_core: CoreFactory, fake: FakeBotApi) -> AsyncIterator[Hooked]:
    core = await make_core()
    telegram = build_telegram(core, sleep=RecordedSleep())
    web = build_web(core, telegram=telegram)
    await start_telegram_webhook(telegram, URL, SECRET)
    await core.start_background()
    try:
        async with served(web) as url, httpx.AsyncClient(timeout=10.0) as http:
            yield Hooked(url, http)
    finally:
        await web.intake.drain()
        await core.stop_background()
        await stop_telegram(telegram)


async def test_the_webhook_is_set_with_its_secret_and_no_polling_happens(hooked: Hooked, fake: FakeBotApi) -> None:
    assert fake.webhook is not None
    assert (fake.webhook["url"], fake.webhook["secret_token"]) == (URL, SECRET)
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    assert fake.calls_to("getUpdates") == []


async def test_a_posted_update_is_answered_and_a_second_copy_is_not(hooked: Hooked, fake: FakeBotApi) -> None:
    update = fake.user_sends(RINA, "/start", first_name="Rina")
    assert (await hooked.post(update)).status_code == 200
    [greeting] = await fake.wait_for_messages(RINA, 1)
    assert "Bapak/Ibu Rina" in (greeting.plain_text or "")
    assert (await hooked.post(update)).status_code == 200  # Telegram retries an update it did not hear 200 for
    await fake.assert_no_messages(RINA, within=0.3)


async def test_a_pressed_button_is_answered_in_the_webhook_response_itself(hooked: Hooked, fake: FakeBotApi) -> None:
    await hooked.post(fake.user_sends(RINA, "/bahasa", first_name="Rina"))
    [ask] = await fake.wait_for_messages(RINA, 1)
    press = fake.user_presses(RINA, ask.button_data("English"), message_id=ask.message_id, first_name="Rina")
    response = await hooked.post(press)
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": press["callback_query"]["id"]}
    [done] = await fake.wait_for_messages(RINA, 1)
    assert "English" in (done.plain_text or "")


async def test_without_the_secret_or_with_no_update_nothing_is_kept(hooked: Hooked, fake: FakeBotApi) -> None:
    update = fake.user_sends(RINA, "/start", first_name="Rina")
    assert (await hooked.post(update, secret="guess")).status_code == 401
    missing = await hooked.http.post(f"{hooked.url}/telegram", json=update)
    assert missing.status_code == 401
    assert (await hooked.post({"message": "no update_id"})).status_code == 400
    not_json = await hooked.http.post(
        f"{hooked.url}/telegram", content=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert not_json.status_code == 400
    await fake.assert_no_messages(RINA, within=0.2)
