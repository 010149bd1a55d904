"""The console channel: chat with the bot in a terminal, with the same flows and database as Telegram.

Buttons are printed as numbered options and typing the number presses one. It reads lines from
any async source, so a piped stdin runs a scripted session unattended. Messages for other users
(e.g. staff notifications) are printed with a header naming the recipient.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.answers import AnswerSender
from bot.delivery import Attempt
from bot.render import Renderer
from core.messages import Incoming, Recipient, Reply
from handlers.router import Router

CHANNEL = "console"
QUIT_COMMANDS = {"/keluar", "/quit", "/exit"}
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


class ConsoleChannel:
    name = CHANNEL

    def __init__(self, renderer: Renderer, out: TextIO, current_chat_id: str, files_dir: Path | None = None) -> None:
        self._renderer = renderer
        self._out = out
        self._current_chat_id = current_chat_id
        self._files_dir = files_dir or Path("var") / "files"
        self.pending_actions: list[str] = []

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        """Print the reply (a console cannot fail to show it: nothing to retry or resume)."""
        rendered = self._renderer.render_reply(reply, recipient.locale)
        text = "\n".join(html_to_text(part) for part in rendered.parts)
        own = recipient.chat_id == self._current_chat_id
        if not own:
            header = self._renderer.render("console/for_other", recipient.locale, {"recipient": recipient.chat_id})
            self._out.write(f"\n{html_to_text(header)}\n")
        self._out.write(f"\n{text}\n")
        if reply.document is not None:
            self._files_dir.mkdir(parents=True, exist_ok=True)
            path = self._files_dir / reply.document.filename
            path.write_bytes(reply.document.data)
            self._out.write(f"📎 {path}\n")
        if reply.venue is not None:
            venue = reply.venue
            self._out.write(f"📍 {venue.title}, {venue.address} ({venue.latitude:.5f}, {venue.longitude:.5f})\n")
        if own:
            self.pending_actions = []  # only the latest message's options can be pressed
            for row in rendered.buttons:
                for button in row:
                    self.pending_actions.append(button.action)
                    self._out.write(f"  [{len(self.pending_actions)}] {button.label}\n")
        self._out.flush()

    def press(self, typed: str) -> str | None:
        """The action of the numbered option the user typed, if that is what they typed."""
        stripped = typed.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.pending_actions):
            return self.pending_actions[int(stripped) - 1]
        return None


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from standard input without blocking the event loop; works for a terminal and a pipe."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line.rstrip("\n")


async def run_console(
    *,
    router: Router,
    answers: AnswerSender,
    channel: ConsoleChannel,
    renderer: Renderer,
    user_name: str,
    locale: str,
    lines: AsyncIterator[str],
    out: TextIO,
    as_staff: bool,
    interactive: bool,
) -> None:
    """The read–answer loop; ends at end of input or /keluar."""
    language_code = "en" if locale == "en" else "id"
    banner = renderer.render("console/banner", locale, {"user": user_name, "as_staff": as_staff})
    out.write(html_to_text(banner) + "\n")
    out.flush()
    async for line in lines:
        if line.strip().lower() in QUIT_COMMANDS:
            break
        if not line.strip():
            continue
        action = channel.press(line)
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=user_name,
            user_external_id=user_name,
            display_name=user_name,
            language_code=language_code,
            text=None if action else line,
            action=action,
        )
        if not interactive:
            out.write(f"\n> {line}\n")
        await answers.send(await router.handle(incoming))  # the answer is shown before the next prompt
        if interactive:
            out.write("\n> ")
            out.flush()
