"""Plumbing for the crash tests (tests/test_crash.py): the real `python -m bot` as a subprocess, polling a
FakeBotApi on 127.0.0.1, SIGKILLed and started again, and the arithmetic of what arrived.

Each start of the process is a `Life`: its stderr goes to a file of its own (named in every failure
message), it counts as ready when it makes its first getUpdates call, and it ends with a kill (SIGKILL,
no chance to clean up) or, for the last one, a SIGTERM. The child gets a minimal environment (no proxy
settings, no token but the fake's, run from the temporary directory so no developer's .env is read): it
can reach nothing but the fake.

Copies of a message are counted by what the user sees: identical (chat, method, text) sent by the bot,
as the fake accepted them. A copy beyond the expected one is a duplicate; it is blamed on the life in
which the copy before it arrived (that life was killed before it recorded the send).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fake_bot_api import FakeBotApi, SentMessage

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0  # a start takes 2.5-3.5 s, up to 9 s on a busy 2-core machine; one that hangs must fail
STOP_TIMEOUT = 20.0  # SIGTERM gives the sends on their way 10 s (OutboxSender.stop's grace)


class DistantBotApi(FakeBotApi):
    """The fake Bot API a network away: each call the bot makes to a user's chat takes `latency` seconds to
    arrive and as long again for its answer to come back.

    The fake answers at once on 127.0.0.1, which leaves almost no moment in which a message has reached the
    user but the bot has not heard so; over a real network that moment is half of every call, and a kill
    in it is what repeats a send. getMe, setMyCommands and getUpdates stay fast (they only slow the starts).
    """

    SLOW_METHODS = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendVenue", "answerCallbackQuery"})

    def __init__(self, *args: Any, latency: float = 0.02, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latency = latency

    async def _handle(self, request: web.Request) -> web.Response:
        slow = request.match_info["method"] in self.SLOW_METHODS
        if slow:
            await asyncio.sleep(self.latency)
        response = await super()._handle(request)
        if slow:
            await asyncio.sleep(self.latency)
        return response


def wall_offset() -> float:
    """Add to a time.monotonic() reading (the fake's `SentMessage.at`) to get the wall clock (time.time())."""
    return time.time() - time.monotonic()


@dataclass
class Life:
    """One start of the bot process."""

    number: int
    log: Path
    started: float  # time.monotonic()
    ready: float | None = None
    ended: float | None = None
    how: str = "running"  # killed | stopped | exited
    returncode: int | None = None

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines() if self.log.exists() else []


def _child_environment(fake: FakeBotApi, data_dir: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir.parent),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONIOENCODING": "utf-8",
        "PTB_TIMEDELTA": "true",
        "NO_PROXY": "*",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "INFO",
    }
    env.update(settings)
    return env


class BotProcess:
    """`python -m bot` (Telegram polling) on one data directory, started, killed and stopped by the test."""

    def __init__(self, fake: FakeBotApi, data_dir: Path, log_dir: Path, settings: dict[str, str]) -> None:
        self.fake = fake
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.env = _child_environment(fake, data_dir, settings)
        self.lives: list[Life] = []
        self._process: asyncio.subprocess.Process | None = None

    @property
    def kills(self) -> int:
        return sum(life.how == "killed" for life in self.lives)

    @property
    def current(self) -> Life:
        return self.lives[-1]

    async def start(self) -> Life:
        """Start the process and wait until it polls (its first getUpdates); fails with its log if it cannot."""
        assert self._process is None, "the bot is already running"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        life = Life(len(self.lives) + 1, self.log_dir / f"life-{len(self.lives) + 1:02d}.stderr", time.monotonic())
        self.lives.append(life)
        mark = len(self.fake.calls)
        with life.log.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.data_dir.parent,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        process = self._process
        deadline = time.monotonic() + READY_TIMEOUT
        while not any(method == "getUpdates" for method, _ in self.fake.calls[mark:]):
            if process.returncode is not None:
                self._ended(life, "exited")
                raise AssertionError(
                    f"the bot exited with {process.returncode} before polling (start {life.number}):\n"
                    + self.tail(life)
                )
            if time.monotonic() > deadline:
                await self.kill()
                raise AssertionError(
                    f"the bot did not poll within {READY_TIMEOUT:.0f} s (start {life.number}):\n" + self.tail(life)
                )
            await asyncio.sleep(0.01)
        life.ready = time.monotonic()
        return life

    async def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        process = self._running()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        self._ended(self.current, "killed")

    async def stop(self) -> int:
        """SIGTERM, as an operator stops the bot; returns the exit code (fails if it does not stop in time)."""
        process = self._running()
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            await self.kill()
            raise AssertionError(
                f"the bot did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM:\n" + self.tail()
            ) from None
        self._ended(self.current, "stopped")
        return process.returncode if process.returncode is not None else -1

    async def close(self) -> None:
        """Whatever happened, leave no process behind."""
        if self._process is not None and self._process.returncode is None:
            await self.kill()

    def _running(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "the bot is not running"
        return self._process

    def _ended(self, life: Life, how: str) -> None:
        process, self._process = self._process, None
        life.ended, life.how = time.monotonic(), how
        life.returncode = process.returncode if process is not None else None

    def life_at(self, moment: float) -> Life | None:
        """The life during which something happened at `moment` (time.monotonic())."""
        found = None
        for life in self.lives:
            if life.started <= moment:
                found = life
        return found

    def up_during(self, start: float, end: float) -> bool:
        """Whether one life was polling for the whole of [start, end] (monotonic)."""
        return any(
            life.ready is not None and life.ready <= start and (life.ended is None or life.ended >= end)
            for life in self.lives
        )

    def lines(self, needle: str) -> list[tuple[int, str]]:
        """Log lines of every life containing `needle`, with the life's number."""
        return [(life.number, line) for life in self.lives for line in life.log_lines() if needle in line]

    def errors(self) -> list[tuple[int, str]]:
        """Lines logged at ERROR or CRITICAL, and tracebacks, in any life."""
        return [
            (life.number, line)
            for life in self.lives
            for line in life.log_lines()
            if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
        ]

    def tail(self, life: Life | None = None, lines: int = 30) -> str:
        life = life or self.current
        return f"--- {life.log} (last {lines} lines)\n" + "\n".join(life.log_lines()[-lines:])

    def summary(self) -> str:
        """One line per life: how long it took to poll, how long it ran, how it ended, what it found at start."""
        rows = []
        for life in self.lives:
            ready = f"{life.ready - life.started:.2f}" if life.ready else "-"
            ran = f"{life.ended - life.ready:.2f}" if life.ended and life.ready else "-"
            found = [line.split(": ", 1)[-1] for line in life.log_lines() if " WARNING " in line]
            rows.append(f"  life {life.number:2d}: ready after {ready} s, ran {ran} s, {life.how}; {found}")
        return "\n".join(rows)


async def kill_repeatedly(
    bot: BotProcess, rng_uniform: Callable[[float, float], float], kills: int, delay: tuple[float, float]
) -> list[float]:
    """Start, let it run for a random delay after it is ready, SIGKILL; `kills` times. Leaves it running."""
    delays = []
    for _ in range(kills):
        await bot.start()
        delays.append(rng_uniform(*delay))
        await asyncio.sleep(delays[-1])
        await bot.kill()
    await bot.start()
    return delays


async def wait_until(check: Callable[[], object], what: str, timeout: float, bot: BotProcess | None = None) -> None:  # noqa: ASYNC109
    """Poll `check` every 20 ms until it is true; fails naming `what` (and the bot's last log lines)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            detail = f"\n{bot.summary()}\n{bot.tail()}" if bot is not None else ""
            raise AssertionError(f"not within {timeout:.0f} s: {what}{detail}")
        await asyncio.sleep(0.02)


# --- counting copies ---------------------------------------------------------------------------


def message_key(message: SentMessage) -> tuple[int, str, str]:
    """What the user sees: the chat, a new message or an edit, and the text (the title of a venue)."""
    return (message.chat_id, message.method, message.text or "")


@dataclass
class Copies:
    """Every message the fake accepted, grouped by what the user sees."""

    by_key: dict[tuple[int, str, str], list[SentMessage]] = field(default_factory=dict)

    @classmethod
    def of(cls, sent: Iterable[SentMessage], chats: Callable[[int], bool] = lambda chat: True) -> Copies:
        by_key: dict[tuple[int, str, str], list[SentMessage]] = collections.defaultdict(list)
        for message in sent:
            if chats(message.chat_id):
                by_key[message_key(message)].append(message)
        return cls(dict(by_key))

    def duplicates(self) -> int:
        """Copies beyond the first of each distinct message (every message here is expected once)."""
        return sum(len(copies) - 1 for copies in self.by_key.values())

    def duplicated(self) -> dict[tuple[int, str, str], int]:
        return {key: len(copies) for key, copies in self.by_key.items() if len(copies) > 1}

    def listing(self) -> list[tuple[str, int]]:
        """The duplicated messages, readably, with how many copies arrived."""
        return [(describe(key), n) for key, n in self.duplicated().items()]

    def per_chat_and_life(self, bot: BotProcess) -> collections.Counter[tuple[int, int]]:
        """Duplicates per (chat, life whose kill caused them): the design allows at most one each."""
        blamed: collections.Counter[tuple[int, int]] = collections.Counter()
        for (chat, _, _), copies in self.by_key.items():
            for earlier in sorted(copies, key=lambda m: m.at)[:-1]:
                life = bot.life_at(earlier.at)
                blamed[(chat, life.number if life else 0)] += 1
        return blamed


def describe(key: tuple[int, str, str], limit: int = 70) -> str:
    chat, method, text = key
    short = text.replace("\n", " ")
    return f"{chat} {method} {short[:limit]!r}"


def first_copies(messages: Sequence[SentMessage]) -> list[SentMessage]:
    """The messages in order of arrival, each distinct text once (later copies dropped)."""
    seen: set[tuple[int, str, str]] = set()
    firsts = []
    for message in messages:
        key = message_key(message)
        if key not in seen:
            seen.add(key)
            firsts.append(message)
    return firsts
