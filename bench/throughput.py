"""Throughput and latency of the Telegram side, in-process: the full bot against a bare PTB echo bot.

N simulated private chats each do a short registration-like exchange (8 updates) with the real
python-telegram-bot Application. Nothing touches the network: both applications get a fake
`BaseRequest` that answers every Bot API call at once and records, per chat, when each reply was
sent. A chat sends its next update only after the reply to the previous one arrived (like a real
user), while all chats run concurrently, and the updates go through `application.update_queue`
so the concurrent update processor is exercised.

    .venv/bin/python bench/throughput.py [--chats 200] [--rounds 1] [--think-ms 1000]

Two runs. Saturated: every user answers the instant a reply arrives, so updates/s is the most each
application can handle and their ratio compares the full bot with a bare echo bot; the latency
there is mostly queueing behind the other 199 chats. Paced: users pause about --think-ms before
answering (people read and type), so the latency is what one update sees when the bot keeps up.
The latency of an update is the time from putting it on the queue to the moment the last reply
message for it was "sent". It is a measurement, so the exit status is 0 whatever the result;
exchanges the bot did not answer as expected are printed as errors.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import html
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB 22 warns about RetryAfter otherwise
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.app import Core, build_telegram
from bot.channels.telegram import DurableUpdateQueue
from bot.config import load_settings
from core import replies
from core.clock import FakeClock
from core.inbox import InboxKey
from core.messages import Incoming
from handlers.router import Handled, Router

TOKEN = "123456:BENCH"
BOT_ID = 123456
BOT_USERNAME = "delegasi_bench_bot"
FIRST_USER_ID = 10_000
WARM_UP_USER_ID = 5_000
WARM_UP_CHATS = 5
STEP_TIMEOUT = 30.0  # seconds a chat waits for the reply to one update before giving up
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
MESSAGE_METHODS = frozenset({"sendmessage", "editmessagetext"})


# --- the exchange ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing the user does: type `text`, or press the button whose callback data is `press`.

    `replies` is how many messages (sendMessage/editMessageText) the full bot answers with.
    """

    text: str | None = None
    press: str | None = None
    replies: int = 1

    @property
    def shown(self) -> str:
        return self.text if self.text is not None else f"[{self.press}]"


EXCHANGE: tuple[Step, ...] = (
    Step(text="/daftar", replies=2),  # registration/intro + registration/ask_institution
    Step(text="Pemkab Cianjur"),  # registration/ask_province
    Step(text="jabar"),  # registration/ask_head
    Step(text="Herman Suherman, Bupati"),  # registration/ask_size
    Step(text="45"),  # registration/ask_mode
    Step(press="reg:mode:onsite"),  # registration/ask_arrival
    Step(text="10/12/2026"),  # registration/ask_departure (the fake clock says 25 November 2026)
    Step(press="reg:departure:1"),  # registration/ask_topics
)
LAST_BUTTON = "reg:topics:done"  # the topics question, the last reply of the exchange, has it


# --- a Bot API that answers at once -------------------------------------------------------------


@dataclass
class Sent:
    step: int
    at: float
    method: str
    message_id: int
    text: str
    buttons: tuple[str, ...]  # callback data of the inline keyboard


@dataclass
class ChatLog:
    sent: list[Sent] = field(default_factory=list)
    step: int = -1
    target: int = 0
    waiter: asyncio.Future[float] | None = None


class FakeBotApi(BaseRequest):
    """Answers every Bot API method immediately with {"ok": true, ...}; records the messages sent."""

    def __init__(self) -> None:
        self.chats: dict[int, ChatLog] = {}
        self.calls: dict[str, int] = {}
        self._message_ids = itertools.count(1_000_000)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """No connection to open."""

    async def shutdown(self) -> None:
        """No connection to close."""

    def chat(self, chat_id: int) -> ChatLog:
        log = self.chats.get(chat_id)
        if log is None:
            log = self.chats[chat_id] = ChatLog()
        return log

    def expect(self, chat_id: int, step: int, replies: int) -> asyncio.Future[float]:
        """A future that gets the time the `replies`-th message for `step` is sent."""
        log = self.chat(chat_id)
        log.step = step
        log.target = len(log.sent) + replies
        log.waiter = asyncio.get_running_loop().create_future()
        return log.waiter

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        name = endpoint.lower()
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        params = request_data.json_parameters if request_data is not None else {}  # what a real transport encodes
        if name == "getme":
            result: Any = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Delegasi",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif name in MESSAGE_METHODS:
            result = self._message(name, params)
        else:  # answerCallbackQuery, setMyCommands, deleteWebhook, …
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        text = params["text"]
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else {}
        buttons = tuple(
            b["callback_data"] for row in markup.get("inline_keyboard", ()) for b in row if "callback_data" in b
        )
        message_id = int(params["message_id"]) if name == "editmessagetext" else next(self._message_ids)
        at = time.perf_counter()
        log = self.chat(chat_id)
        log.sent.append(Sent(log.step, at, name, message_id, text, buttons))
        if log.waiter is not None and len(log.sent) >= log.target and not log.waiter.done():
            log.waiter.set_result(at)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Delegasi", "username": BOT_USERNAME},
            "chat": _chat(chat_id),
            "date": int(NOW.timestamp()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return message


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Bu", "last_name": f"Rina {chat_id}"}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Bu", "last_name": f"Rina {user_id}", "language_code": "id"}


# --- the two applications -----------------------------------------------------------------------


@dataclass
class Subject:
    """An application under test, started, with its fake Bot API and the replies each step expects."""

    name: str
    application: Application
    api: FakeBotApi
    replies: Callable[[Step], int]
    close: Callable[[], Awaitable[None]]


class MemoisedRouter:
    """The ceiling of the ratio: the bot with its core's answers memoised per (text, button).

    Every chat says the same things, so after the first chat the router's work (database,
    flows) costs nothing; what remains is rendering and the Telegram traffic the answers need
    (longer texts, keyboards, edited messages). Used only to show how far the ratio can go.
    """

    def __init__(self, router: Router) -> None:
        self._router = router
        self._memo: dict[tuple[str | None, str | None], Handled] = {}

    async def handle(self, incoming: Incoming, received: InboxKey | None = None) -> Handled:
        key = (incoming.text, incoming.action)
        if key not in self._memo:
            self._memo[key] = await self._router.handle(incoming, received)
            return self._memo[key]
        memo = self._memo[key]
        origin = dataclasses.replace(memo.origin, chat_id=incoming.chat_id)
        answers = [r for r in memo.replies if r.to is None]
        router = self._router
        async with router.database.transaction() as conn:  # the replies still go through the outbox
            ids = await replies.keep(
                conn,
                answers,
                origin=origin,
                origin_message_id=incoming.origin_message_id,
                now=router.services.clock.now(),
            )
        return Handled(origin, answers, tuple(ids), incoming.origin_message_id)


async def start_delegasi(data_dir: Path, *, memoised: bool = False) -> Subject:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATA_DIR": str(data_dir),
            "HOST_CONTACT": "0333 000000 (Bagian Protokol)",
            "LOG_LEVEL": "WARNING",
            # Every reply goes through the outbox and its limiter; set out of the way, so that what is
            # measured is the work per update, not Telegram's 30 messages a second.
            "SEND_PER_SECOND": "1000",
            "SEND_CHAT_INTERVAL_MS": "0",
            "SEND_CONCURRENCY": "64",
        },
        env_file=None,
    )
    core = await Core.build(settings, clock=FakeClock(NOW))
    if memoised:
        core.router = MemoisedRouter(core.router)  # type: ignore[assignment]
    api = FakeBotApi()
    runtime = build_telegram(core, request=api, get_updates_request=FakeBotApi())
    application = runtime.application
    # what bot.app.start_telegram does, without long polling: updates are put on the queue here
    await application.initialize()
    core.services.identity.username = application.bot.username
    await runtime.channel.register_commands(core.services.staff)
    await application.start()

    async def close() -> None:
        await _stop(application)
        await core.close()

    name = "memoised" if memoised else "delegasi"
    return Subject(name, application, api, lambda step: step.replies, close)


async def start_echo() -> Subject:
    api = FakeBotApi()
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(api)
        .get_updates_request(FakeBotApi())
        .concurrent_updates(True)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.message is not None
        await context.bot.send_message(
            update.effective_chat.id, html.escape(update.message.text or ""), parse_mode=ParseMode.HTML
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        await query.answer()
        await context.bot.send_message(
            update.effective_chat.id, html.escape(query.data or ""), parse_mode=ParseMode.HTML
        )

    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(press))
    await application.initialize()
    await application.start()

    async def close() -> None:
        await _stop(application)

    return Subject("echo", application, api, lambda step: 1, close)


async def _stop(application: Application) -> None:
    if application.running:
        await application.stop()
    await application.shutdown()


# --- simulated users ----------------------------------------------------------------------------


@dataclass
class ChatResult:
    chat_id: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered update
    last_reply_at: float = 0.0
    error: str | None = None


class Simulation:
    def __init__(self, subject: Subject, *, think: float = 0.0) -> None:
        self.subject = subject
        self.think = think
        self._update_ids = itertools.count(1)
        self._user_message_ids = itertools.count(1)

    def _update(self, chat_id: int, step: Step) -> Update:
        update_id = next(self._update_ids)
        if step.text is not None:
            message: dict[str, Any] = {
                "message_id": next(self._user_message_ids),
                "date": int(NOW.timestamp()),
                "chat": _chat(chat_id),
                "from": _user(chat_id),
                "text": step.text,
            }
            if step.text.startswith("/"):
                command = step.text.split(" ", 1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            data: dict[str, Any] = {"update_id": update_id, "message": message}
        else:
            shown = self._message_with_button(chat_id, step.press or "")
            data = {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": _user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": step.press,
                    "message": {
                        "message_id": shown.message_id,
                        "date": int(NOW.timestamp()),
                        "chat": _chat(chat_id),
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Delegasi", "username": BOT_USERNAME},
                        "text": shown.text,
                    },
                },
            }
        return Update.de_json(data, self.subject.application.bot)

    def _message_with_button(self, chat_id: int, action: str) -> Sent:
        """The latest message in the chat with this button; the echo bot has no buttons, so any last message."""
        sent = self.subject.api.chat(chat_id).sent
        for message in reversed(sent):
            if action in message.buttons:
                return message
        if self.subject.name == "echo" and sent:
            return sent[-1]
        raise LookupError(f"no message with the button {action!r} in chat {chat_id}")

    async def run_chat(self, chat_id: int, steps: Sequence[Step]) -> ChatResult:
        result = ChatResult(chat_id)
        queue = self.subject.application.update_queue
        pauses = random.Random(chat_id)  # the same pauses for the same chat in both applications
        if self.think:  # users arrive spread over one think time, not all in the same instant
            await asyncio.sleep(pauses.uniform(0, self.think))
        for index, step in enumerate(steps):
            try:
                update = self._update(chat_id, step)
            except LookupError as error:
                result.error = f"step {index + 1} {step.shown}: {error}"
                break
            replied = self.subject.api.expect(chat_id, index, self.subject.replies(step))
            put_at = time.perf_counter()
            await queue.put(update)
            if isinstance(queue, DurableUpdateQueue):
                await queue.keep()  # as the next getUpdates does: the update is in the inbox before it is confirmed
            try:
                result.last_reply_at = await asyncio.wait_for(replied, STEP_TIMEOUT)
            except TimeoutError:
                result.error = f"step {index + 1} {step.shown}: no (or too few) replies within {STEP_TIMEOUT:.0f} s"
                break
            result.latencies.append(result.last_reply_at - put_at)
            if self.think and index < len(steps) - 1:
                await asyncio.sleep(pauses.uniform(0, 2 * self.think))  # reading and typing: think on average
        return result

    async def run(self, chat_ids: Sequence[int], steps: Sequence[Step]) -> tuple[float, list[ChatResult]]:
        """All chats at once; returns the seconds from the first update to the last reply, and each chat's result."""
        started = time.perf_counter()
        results = await asyncio.gather(*(self.run_chat(chat_id, steps) for chat_id in chat_ids))
        finished = max((r.last_reply_at for r in results), default=started)
        return max(finished - started, 1e-9), list(results)


def check(subject: Subject, results: Sequence[ChatResult], steps: Sequence[Step]) -> list[str]:
    """What went wrong in the exchanges: chats that stopped, replies per step that differ from the expected."""
    problems = [f"{subject.name} chat {r.chat_id}: {r.error}" for r in results if r.error]
    wanted = [subject.replies(step) for step in steps]
    for r in results:
        if r.error:
            continue
        sent = subject.api.chat(r.chat_id).sent
        got = [sum(1 for s in sent if s.step == index) for index in range(len(steps))]
        if got != wanted:
            problems.append(f"{subject.name} chat {r.chat_id}: replies per step {got}, expected {wanted}")
        elif subject.name == "delegasi" and (LAST_BUTTON not in sent[-1].buttons or "Topik" not in sent[-1].text):
            problems.append(f"{subject.name} chat {r.chat_id}: the last reply is not the topics question: {sent[-1]}")
    return problems


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    problems: list[str]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the per-update latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000


async def measure(subject: Subject, chats: int, think: float) -> Measurement:
    simulation = Simulation(subject, think=think)
    # warm-up (not measured): one chat alone, then a few together, so template, dateparser and
    # other first-use caches are filled before the clock runs
    warm_ids = [WARM_UP_USER_ID + i for i in range(WARM_UP_CHATS)]
    _, first = await simulation.run(warm_ids[:1], EXCHANGE)
    _, others = await simulation.run(warm_ids[1:], EXCHANGE)
    problems = check(subject, first + others, EXCHANGE)
    ids = [FIRST_USER_ID + i for i in range(chats)]
    elapsed, results = await simulation.run(ids, EXCHANGE)
    problems += check(subject, results, EXCHANGE)
    latencies = [latency for r in results for latency in r.latencies]
    return Measurement(subject.name, len(latencies), elapsed, latencies, problems)


async def solo_latency(subject: Subject, user_id: int) -> list[float]:
    """Per-update latency of one chat alone (no queueing behind other chats): the bot's own handling time."""
    result = await Simulation(subject).run_chat(user_id, EXCHANGE)
    return result.latencies


async def saturated_round(chats: int) -> tuple[Measurement, Measurement, Measurement, list[float]]:
    """Every user answers the instant a reply arrives: the most updates/s each application can handle."""
    echo = await start_echo()
    try:
        echo_result = await measure(echo, chats, 0.0)
    finally:
        await echo.close()
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        delegasi = await start_delegasi(Path(tmp) / "var")
        try:
            delegasi_result = await measure(delegasi, chats, 0.0)
            solo = await solo_latency(delegasi, WARM_UP_USER_ID + 999)
        finally:
            await delegasi.close()
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        memoised = await start_delegasi(Path(tmp) / "var", memoised=True)
        try:
            memoised_result = await measure(memoised, chats, 0.0)
        finally:
            await memoised.close()
    return echo_result, delegasi_result, memoised_result, solo


async def paced_round(chats: int, think: float) -> Measurement:
    """Users pause before answering, as people do: the latency one update sees when the bot is not saturated."""
    with tempfile.TemporaryDirectory(prefix="delegasi-bench-") as tmp:
        delegasi = await start_delegasi(Path(tmp) / "var")
        try:
            return await measure(delegasi, chats, think)
        finally:
            await delegasi.close()


def line(m: Measurement) -> str:
    return (
        f"  {m.name + ':':<9} {m.updates} updates in {m.seconds:.2f} s = {m.rate:.0f} updates/s, "
        f"p50 {m.percentile_ms(50):.1f} ms, p99 {m.percentile_ms(99):.1f} ms"
    )


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chats", type=int, default=200, help="simulated private chats (default 200)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the saturated run; the median round counts")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=1000.0,
        help="paced run: mean pause of a user before answering a reply (default 1000 ms)",
    )
    args = parser.parse_args(argv)
    if args.chats < 1 or args.rounds < 1 or args.think_ms <= 0:
        parser.error("--chats and --rounds must be at least 1, --think-ms above 0")

    print(f"chats={args.chats} updates={args.chats * len(EXCHANGE)} (each chat: {len(EXCHANGE)} updates in order)")
    rounds: list[tuple[Measurement, Measurement, Measurement, list[float]]] = []
    problems: list[str] = []
    for number in range(1, args.rounds + 1):
        echo, delegasi, memoised, solo = await saturated_round(args.chats)
        rounds.append((echo, delegasi, memoised, solo))
        problems += echo.problems + delegasi.problems + memoised.problems
        if args.rounds > 1:
            print(
                f"  round {number}: echo {echo.rate:.0f}/s, delegasi {delegasi.rate:.0f}/s, "
                f"ratio {delegasi.rate / echo.rate:.2f}"
            )
    rounds.sort(key=lambda r: r[1].rate / r[0].rate)
    echo, delegasi, memoised, solo = rounds[len(rounds) // 2]  # the median round by ratio
    ratio = delegasi.rate / echo.rate
    print("saturated: every user answers the instant the reply arrives (latency is queueing behind the other chats)")
    print(line(echo))
    print(line(delegasi))
    print(
        f"  ratio delegasi/echo = {ratio:.2f} (target >= {TARGET_RATIO}): {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    print(line(memoised))
    print(f"  ceiling: the same replies with the core's work memoised reach {memoised.rate / echo.rate:.2f} of echo")

    paced = await paced_round(args.chats, args.think_ms / 1000)
    problems += paced.problems
    p50, p99 = paced.percentile_ms(50), paced.percentile_ms(99)
    print(f"paced: each user pauses ~{args.think_ms:g} ms before answering ({paced.rate:.0f} updates/s offered)")
    print(
        f"  delegasi handling latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <= {TARGET_P99_MS:.0f} ms): "
        f"{'PASS' if p99 <= TARGET_P99_MS else 'FAIL'}"
    )
    solo_ms = sorted(x * 1000 for x in solo)
    if solo_ms:  # the bot's own handling time, without queueing behind other chats
        print(f"one chat alone: p50 {statistics.median(solo_ms):.1f} ms, max {solo_ms[-1]:.1f} ms per update")
    if problems:
        print(f"ERROR: {len(problems)} exchange(s) did not go as expected, e.g.:", file=sys.stderr)
        for problem in problems[:10]:
            print(f"  {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
