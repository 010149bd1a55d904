"""Telegram users for the end-to-end tests: they type and press the buttons the bot sent them at the fake Bot API
(tests/fake_bot_api.py), which the bot polls, or which Telegram posts to the bot's webhook (`push`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fake_bot_api import FakeBotApi, SentMessage

Push = Callable[[dict[str, Any]], None]
"""Telegram's webhook delivery: takes each update a user makes (as the fake queued it) to the bot's URL."""


class TelegramUser:
    """Someone chatting with the bot in their private chat.

    Without `push` the bot polls the user's updates from the fake (getUpdates); with it, they are pushed."""

    def __init__(
        self,
        fake: FakeBotApi,
        user_id: int,
        first_name: str,
        language_code: str | None = "id",
        *,
        push: Push | None = None,
    ) -> None:
        self.fake = fake
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.push = push

    def types(self, text: str) -> None:
        """Send without waiting for the answer."""
        self._delivered(
            self.fake.user_sends(self.id, text, first_name=self.first_name, language_code=self.language_code)
        )

    async def says(self, text: str, *, replies: int = 1) -> list[SentMessage]:
        self.types(text)
        return await self.fake.wait_for_messages(self.id, replies)

    async def presses(self, message: SentMessage, label: str, *, replies: int = 1) -> list[SentMessage]:
        """Press the one button of `message` whose label contains `label`, with the callback_data the bot sent."""
        pressed = self.fake.user_presses(
            self.id,
            message.button_data(label),
            message_id=message.message_id,
            first_name=self.first_name,
            language_code=self.language_code,
        )
        self._delivered(pressed)
        return await self.fake.wait_for_messages(self.id, replies)

    async def sends_sticker(self, *, replies: int = 1) -> list[SentMessage]:
        self._delivered(
            self.fake.user_sends_sticker(self.id, first_name=self.first_name, language_code=self.language_code)
        )
        return await self.fake.wait_for_messages(self.id, replies)

    async def receives(self, count: int = 1) -> list[SentMessage]:
        """The next `count` messages not read yet that the bot sent of its own accord (a notice, a broadcast)."""
        return await self.fake.wait_for_messages(self.id, count)

    async def receives_nothing_more(self, *, within: float = 0.3) -> None:
        await self.fake.assert_no_messages(self.id, within=within)

    async def answer_until_keyboard(self, text: str) -> list[SentMessage]:
        """Send `text` and collect every part of the answer: the last part carries the keyboard."""
        self.types(text)
        parts = await self.fake.wait_for_messages(self.id, 1)
        while not parts[-1].inline_keyboard:
            parts += await self.fake.wait_for_messages(self.id, 1)
        return parts

    def _delivered(self, update: dict[str, Any]) -> None:
        if self.push is not None:
            self.push(update)
