"""The console channel: chat with the bot in a terminal, with the same flows and database as Telegram.

Buttons are printed as numbered options and typing the number presses one. It reads lines from
any async source, so a piped stdin runs a scripted session unattended.

Several terminals may chat on one database at once, one console user each (`python -m bot --user sari
--as-staff` in one, `--user budi` in another): each is a process of its own, and a message for a console
user is an outbox row like any other. Who prints it:

- **Its user's session is running** (in this process or another): it is printed there, and only there, with
  its buttons. The other processes leave the row in the outbox (`ConsoleChannel.serves`); the session looks
  for its user's rows every `POLL_EVERY` seconds (`watch_outbox`), as no other process can wake its sender.
- **No session of its user runs anywhere** (a session runs while it holds its lock in `ConsoleSessions`; the
  kernel lets go of it when the process ends, however it ends): the session that sends it prints it, under
  the header "✉️ pesan untuk …" and without its buttons, so one person playing several users in turns sees
  who was told what; the row is then held (`Held`, as WhatsApp holds a message outside its window) and
  shown in full, buttons and all, when that user's session next starts. A held message nobody opens is
  dropped with WhatsApp's after `core.windows.HELD_KEPT`.

A session makes its user known as it starts (`introduce`), so staff who have only opened a console are told
of a registration at once. One user cannot run two sessions at once (the second refuses to start). Files a
message carries are written to DATA_DIR/files and their path printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import html
import logging
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.answers import AnswerSender
from bot.delivery import Attempt, Held
from bot.render import Renderer
from bot.startup import hold_lock, is_held
from core.clock import Clock
from core.messages import Incoming, Recipient, Reply
from core.model import Database
from core.people import StaffDirectory, identify
from handlers.router import Router
from storage import outbox

logger = logging.getLogger(__name__)

CHANNEL = "console"
QUIT_COMMANDS = {"/keluar", "/quit", "/exit"}
PROMPT = "\n> "
POLL_EVERY = 1.0
"""Seconds between a session's looks at the outbox for what other processes queued for its user."""
SESSIONS_DIR = "console-sessions"
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


class ConsoleSessions:
    """Which console users have a session running on this data directory, in any process: a session holds an
    exclusive lock on a file of its own (DATA_DIR/console-sessions) for as long as it runs."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._dir = data_dir / SESSIONS_DIR

    def _path(self, user: str) -> Path:
        """A file name for any user name, however long or odd (a name could hold a slash)."""
        return self._dir / f"{hashlib.sha256(user.encode()).hexdigest()[:32]}.lock"

    @contextlib.contextmanager
    def hold(self, user: str) -> Iterator[None]:
        """Run `user`'s session; StartupError when it already runs in another terminal."""
        self._dir.mkdir(parents=True, exist_ok=True)
        busy = f"a console session for {user} is already running on {self._data_dir}"
        with hold_lock(self._path(user), busy=busy):
            yield

    def running(self, user: str) -> bool:
        return is_held(self._path(user))

    @contextlib.asynccontextmanager
    async def opening(self) -> AsyncIterator[None]:
        """One session at a time opens the database: two starting at once would both apply a new migration."""
        self._dir.mkdir(parents=True, exist_ok=True)
        with (self._dir / "opening.lock").open("a+b") as handle:
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class ConsoleChannel:
    name = CHANNEL

    def __init__(
        self,
        renderer: Renderer,
        out: TextIO,
        current_chat_id: str,
        files_dir: Path | None = None,
        sessions: ConsoleSessions | None = None,
    ) -> None:
        self._renderer = renderer
        self._out = out
        self._current_chat_id = current_chat_id
        self._files_dir = files_dir or Path("var") / "files"
        self._sessions = sessions  # None: no other session can be running (one terminal, nothing shared)
        self.pending_actions: list[str] = []
        self.prompt = ""  # shown again after a message that arrives while the user is at the prompt

    def serves(self, chat_id: str) -> bool:
        """Whether this process sends to this console chat now: its own user's, and a user's with no session
        running anywhere; a user's whose session runs in another terminal is left to that session."""
        own = chat_id == self._current_chat_id
        return own or self._sessions is None or not self._sessions.running(chat_id)

    async def send(
        self, recipient: Recipient, reply: Reply, attempt: Attempt, *, origin_message_id: str | None = None
    ) -> None:
        """Print the reply for this session's user (a console cannot fail to show it: nothing to retry or
        resume); for anyone else, print it under a header and raise Held, so it waits for their session."""
        rendered = self._renderer.render_reply(reply, recipient.locale)
        text = "\n".join(html_to_text(part) for part in rendered.parts)
        if recipient.chat_id != self._current_chat_id:
            header = self._renderer.render("console/for_other", recipient.locale, {"recipient": recipient.chat_id})
            self._out.write(f"\n{html_to_text(header)}\n\n{text}\n{self.prompt}")
            self._out.flush()
            raise Held(f"for {recipient.chat_id}, shown when their session starts")
        self._out.write(f"\n{text}\n")
        if reply.document is not None:
            self._files_dir.mkdir(parents=True, exist_ok=True)
            path = self._files_dir / reply.document.filename
            path.write_bytes(reply.document.data)
            self._out.write(f"📎 {path}\n")
        if reply.venue is not None:
            venue = reply.venue
            self._out.write(f"📍 {venue.title}, {venue.address} ({venue.latitude:.5f}, {venue.longitude:.5f})\n")
        self.pending_actions = []  # only the latest message's options can be pressed
        for row in rendered.buttons:
            for button in row:
                self.pending_actions.append(button.action)
                self._out.write(f"  [{len(self.pending_actions)}] {button.label}\n")
        self._out.write(self.prompt)
        self._out.flush()

    def press(self, typed: str) -> str | None:
        """The action of the numbered option the user typed, if that is what they typed."""
        stripped = typed.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.pending_actions):
            return self.pending_actions[int(stripped) - 1]
        return None


def typed_by(user_name: str, locale: str, *, text: str | None = None, action: str | None = None) -> Incoming:
    """What the session's user sends: the console user is their own chat."""
    language_code = "en" if locale == "en" else "id"
    return Incoming(CHANNEL, user_name, user_name, user_name, language_code, text=text, action=action)


async def introduce(database: Database, staff: StaffDirectory, clock: Clock, user_name: str, locale: str) -> None:
    """Make the session's user known (with their role) as it starts, before they type a word: staff who opened
    a console are told of a registration made in another at once, as staff named in the settings are."""
    async with database.transaction() as conn:
        await identify(conn, typed_by(user_name, locale), staff, clock)


async def take_held(database: Database, user: str, clock: Clock) -> int:
    """What sessions printed for `user` while theirs was not running goes to the sender now (returns how many)."""
    async with database.transaction() as conn:
        return await outbox.release_held(conn, CHANNEL, user, clock.now())


async def watch_outbox(
    database: Database, user: str, clock: Clock, wake: Callable[[], None], every: float = POLL_EVERY
) -> None:
    """Until cancelled: every `every` seconds, have the sender look for `user`'s messages. Another process
    that queues one cannot wake this one's sender, whose own look comes only every LOOK_AGAIN_AFTER seconds."""
    while True:
        try:
            await take_held(database, user, clock)  # a session that started just after another printed it
        except Exception:  # a busy database this time; the next look will do
            logger.exception("looking for %s's held console messages failed", user)
        wake()
        await asyncio.sleep(every)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from standard input without blocking the event loop; works for a terminal and a pipe."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line.rstrip("\n")


def show_banner(renderer: Renderer, out: TextIO, *, user_name: str, locale: str, as_staff: bool) -> None:
    """Who the session chats as, and how; printed before the messages that waited for this user."""
    banner = renderer.render("console/banner", locale, {"user": user_name, "as_staff": as_staff})
    out.write(html_to_text(banner) + "\n")
    out.flush()


async def run_console(
    *,
    router: Router,
    answers: AnswerSender,
    channel: ConsoleChannel,
    user_name: str,
    locale: str,
    lines: AsyncIterator[str],
    out: TextIO,
    interactive: bool,
) -> None:
    """The read–answer loop; ends at end of input or /keluar."""
    if interactive:
        channel.prompt = PROMPT
        out.write(PROMPT)
        out.flush()
    async for line in lines:
        if line.strip().lower() in QUIT_COMMANDS:
            break
        action = channel.press(line)
        incoming = typed_by(user_name, locale, text=None if action else line, action=action)
        if not interactive:
            out.write(f"\n> {line}\n")
        channel.prompt = ""
        await answers.send(await router.handle(incoming))  # the answer is shown before the next prompt
        if interactive:
            channel.prompt = PROMPT  # a message from another terminal's doing may come before the next line
            out.write(PROMPT)
            out.flush()
