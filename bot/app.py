"""Builds everything from Settings and starts and stops it in order: the only module that wires parts together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache, lru_cache, partial
from typing import TYPE_CHECKING, TextIO

from bot import logs
from bot.answers import AnswerSender
from bot.background import OwnedTasks
from bot.channels.console import CHANNEL as CONSOLE
from bot.channels.console import (
    POLL_EVERY,
    ConsoleChannel,
    ConsoleSessions,
    introduce,
    run_console,
    show_banner,
    take_held,
    watch_outbox,
)
from bot.channels.whatsapp_inbound import CHANNEL as WHATSAPP
from bot.config import ConfigError, Settings
from bot.delivery import Delivery
from bot.render import Renderer
from bot.scheduler import ReminderScheduler
from bot.sender import OutboxSender, SendLimits, whatsapp_limits
from core.broadcasts import report_when_done
from core.clock import Clock, SystemClock
from core.content import Content
from core.dates import warm_up
from core.desk import DailyLimits
from core.itinerary import PlanningRules
from core.joincode import BotIdentity
from core.knowledge import build_knowledge
from core.knowledge.learned import LearnedKnowledge
from core.knowledge.places import Gazetteer
from core.knowledge.views import HostDetails
from core.locale import choose_locale
from core.model import Database, OutboxKind
from core.people import StaffDirectory
from core.personal_data import RetentionJob
from core.plan_lookup import plan_cues
from core.prepared import Prepared
from core.registration import VisitRules
from core.reminders import ReminderRules
from core.replies import compose_reply
from core.services import Services
from core.signals import Signals
from core.venues import VenueCatalog
from handlers import broadcast
from handlers.asking import KnowledgeAnswerer
from handlers.held import SHOW_HELD
from handlers.reminders import reminder_composer
from handlers.router import Router
from storage import outbox

if TYPE_CHECKING:  # the channels and the web server are imported by what starts them: a console starts neither
    from telegram.ext import Application
    from telegram.request import BaseRequest

    from bot.channels.telegram import Sleep, TelegramChannel
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.channels.whatsapp_templates import StandIns
    from bot.intake import WebhookIntake
    from bot.web import WebServer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedContent:
    """The reviewed content/ files the services read, read-only once parsed."""

    content: Content
    venues: VenueCatalog


@cache
def parsed_content() -> ParsedContent:
    """Parsed once per process and shared by every Core built in it (a deploy restarts the bot; the tests build
    hundreds of Cores, and parsing the YAML each time was a fifth of the suite)."""
    return ParsedContent(Content(), VenueCatalog())


@cache
def parsed_gazetteer() -> Gazetteer:
    """content/places.yaml, parsed once per process; each Core still builds it on first use (its own Prepared)."""
    return Gazetteer.load()


@lru_cache(maxsize=8)
def shared_renderer(tz: tzinfo, host_name: str, host_contact: str | None) -> Renderer:
    """One Renderer, so one set of compiled templates, per process and host; keyed on all that it is built from."""
    return Renderer(tz, {"host_name": host_name, "host_contact": host_contact})


@dataclass
class Core:
    """The channel-neutral application: database, services, router, delivery, and the reminder machinery."""

    settings: Settings
    database: Database
    renderer: Renderer
    services: Services
    router: Router
    delivery: Delivery
    sender: OutboxSender
    scheduler: ReminderScheduler
    retention: RetentionJob
    tasks: OwnedTasks
    answers: AnswerSender

    @classmethod
    async def build(
        cls, settings: Settings, *, clock: Clock | None = None, console_staff: Iterable[str] = (), prepare: bool = True
    ) -> Core:
        """`prepare`: build what a first question needs now (`prepare`); the console leaves it for after its prompt."""
        clock = clock or SystemClock()
        parsed = parsed_content()
        content = parsed.content
        database = await Database.open(settings.database_path)
        renderer = shared_renderer(settings.tz, settings.host_name, settings.host_contact)
        signals = Signals()
        reviewed = Prepared(partial(build_knowledge, theme_ids=frozenset(t.id for t in content.themes)))
        services = Services(
            content=content,
            staff=StaffDirectory(
                settings.host_staff_telegram_ids,
                admin_telegram_ids=settings.host_admin_telegram_ids,
                whatsapp_ids=settings.host_staff_whatsapp_ids,
                admin_whatsapp_ids=settings.host_admin_whatsapp_ids,
            ).with_console_staff(console_staff),
            rules=VisitRules(settings.min_notice_days, settings.max_visit_days),
            clock=clock,
            tz=settings.tz,
            identity=BotIdentity(
                settings.telegram_bot_username, settings.whatsapp.business_number if settings.whatsapp else None
            ),
            reviewed=reviewed,
            host=HostDetails(settings.host_name, settings.host_contact),
            venues=parsed.venues,
            reminder_rules=ReminderRules(
                evening_at=settings.reminder_evening_at,
                morning_at=settings.reminder_morning_at,
                lead_minutes=settings.reminder_lead_minutes,
            ),
            signals=signals,
            limits=DailyLimits(settings.daily_delegation_limit, settings.daily_people_limit),
            retention_days=settings.retention_days,
            planning=PlanningRules(friday_break=settings.friday_prayer_break),
            learned=LearnedKnowledge(reviewed, settings.tz),
            gazetteer=Prepared(parsed_gazetteer),
        )
        delivery = Delivery(database, clock)
        limits = SendLimits(
            settings.send_per_second, settings.send_chat_interval_seconds, settings.send_group_per_minute
        )
        channel_limits = {}
        if settings.whatsapp is not None:
            per_second, interval = settings.whatsapp.messages_per_second, settings.send_chat_interval_seconds
            channel_limits[WHATSAPP] = whatsapp_limits(per_second, interval)
        sender = OutboxSender(
            database, delivery, clock, limits, channel_limits=channel_limits, concurrency=settings.send_concurrency
        )
        sender.register(OutboxKind.REPLY, compose_reply)
        sender.register(OutboxKind.REMINDER, reminder_composer(services))
        sender.register_many(
            OutboxKind.BROADCAST, broadcast.compose_broadcasts, partial(report_when_done, services=services)
        )
        sender.register(OutboxKind.BROADCAST_REPORT, broadcast.compose_report)
        signals.on_outbox_changed(sender.wake)
        scheduler = ReminderScheduler(database, clock, settings.tz, sender)
        signals.on_plan_changed(scheduler.plan_changed)
        tasks = OwnedTasks()
        signals.on_personal_data_removed(lambda: tasks.spawn(database.checkpoint(), name="wal-checkpoint"))
        router = Router(database, services, KnowledgeAnswerer())
        retention = RetentionJob(database, clock, settings.tz, settings.retention_days, settings.retention_run_at)
        answers = AnswerSender(database, delivery, clock, sender)
        core = cls(
            settings, database, renderer, services, router, delivery, sender, scheduler, retention, tasks, answers
        )
        if prepare:
            await core.prepare()
        return core

    async def prepare(self) -> None:
        """Build what a first question or date needs and a start does not (the console does it after its prompt,
        the others as they build, before their first update): the gazetteer and the knowledge index, with the staff
        answers saved so far, the cues of questions about a plan, then dateparser's language data; each costly part
        in a worker thread."""
        await self.services.prepare()
        async with self.database.transaction() as conn:
            await self.services.learned.current(conn)
        await asyncio.to_thread(plan_cues, self.services.venues)
        await asyncio.to_thread(warm_up)

    async def start_background(self, *, in_flight_of: tuple[str, str] | None = None) -> None:
        """Start the sender, the reminder schedule and the daily jobs (after the channels are registered).
        `in_flight_of`: the one chat whose messages in flight this process may send again (OutboxSender.start)."""
        await self.sender.start(in_flight_of=in_flight_of)
        await self.start_schedule()

    async def start_schedule(self) -> None:
        """The reminder schedule and the daily jobs, with the catch-up of the days the bot was down."""
        await self.scheduler.start()
        self.scheduler.add_daily("personal-data-retention", self.retention.at, self.retention.run)
        try:
            await self.retention.run()  # catch up on the days the bot was down
        except Exception:  # a failed sweep is retried at its daily time; the bot must still start
            logger.exception("removing expired personal data failed")

    async def stop_background(self, *, flush_outbox: bool = False) -> None:
        """Stop the schedule and the sender; `flush_outbox` sends what is queued first (the console's goodbye)."""
        await self.scheduler.stop()
        await self.sender.stop(flush=flush_outbox)
        await self.tasks.wait()

    async def close(self) -> None:
        await self.tasks.wait()
        await self.database.close()


@dataclass
class TelegramRuntime:
    core: Core
    application: Application
    channel: TelegramChannel


def build_telegram(
    core: Core,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    sleep: Sleep = asyncio.sleep,
) -> TelegramRuntime:
    """The Telegram Application and channel for a Core; `sleep` is how retries wait (tests record it)."""
    from bot.channels.telegram import DurableUpdateQueue, TelegramChannel, build_application

    token = core.settings.telegram_bot_token
    assert token is not None
    application = build_application(
        token=token,
        base_url=core.settings.telegram_api_base_url,
        router=core.router,
        answers=core.answers,
        updates=DurableUpdateQueue(core.database, core.services.clock),
        request=request,
        get_updates_request=get_updates_request,
    )
    channel = TelegramChannel(application, core.renderer, sleep=sleep)
    core.delivery.register(channel)
    return TelegramRuntime(core, application, channel)


async def start_telegram(
    runtime: TelegramRuntime,
    *,
    poll_timeout: int = 30,
    max_start_attempts: int | None = None,
    retry_delay: float = 5.0,
    prepared: Awaitable[None] | None = None,
) -> None:
    """Initialise (getMe), register commands, start long polling. Retries while the Bot API is unreachable.
    `prepared`: what must be done before the first update is handled (Core.prepare, under way meanwhile)."""
    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram import handle_kept_updates

    application = runtime.application
    attempt = 0
    while True:
        attempt += 1
        try:
            await application.initialize()
            break
        except InvalidToken:
            raise
        except TelegramError as error:
            if max_start_attempts is not None and attempt >= max_start_attempts:
                raise
            delay = min(60.0, retry_delay * attempt)
            logger.warning("cannot reach the Telegram Bot API (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
    runtime.core.services.identity.username = application.bot.username
    try:
        await runtime.channel.register_commands(runtime.core.services.staff)
    except Exception:  # the command menu is a convenience; the bot works without it
        logger.exception("could not register the command menu")
    if prepared is not None:
        await prepared
    await handle_kept_updates(runtime.core.router, runtime.core.answers, runtime.core.database)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=poll_timeout,
        allowed_updates=["message", "callback_query"],
    )
    logger.info("Telegram channel polling as @%s", application.bot.username)


async def stop_telegram(runtime: TelegramRuntime) -> None:
    application = runtime.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


@dataclass
class WebRuntime:
    """The web server, the intake that handles what it keeps, and the WhatsApp channel (bot/web.py, bot/intake.py).
    `python -m bot serve` serves it with `server.serve`, the tests and benches with `server.running`: the same thread,
    loop, connection and app."""

    core: Core
    server: WebServer
    intake: WebhookIntake
    channel: WhatsAppChannel | None  # None: WhatsApp is not configured


def build_web(core: Core, *, telegram: TelegramRuntime | None = None, sleep: Sleep = asyncio.sleep) -> WebRuntime:
    """The web server of `python -m bot serve`: WhatsApp's webhook when it is configured (with its channel), and
    Telegram's when `telegram` is given and TELEGRAM_WEBHOOK_URL is set."""
    from bot.channels.telegram import read_update
    from bot.channels.whatsapp import WhatsAppChannel, build_client
    from bot.intake import WebhookIntake
    from bot.web import TelegramHook, WebServer

    settings = core.settings
    intake = WebhookIntake(core.database, core.router, core.answers, core.services.clock)
    channel = None
    if settings.whatsapp is not None:
        client = build_client(settings.whatsapp)
        stand_ins = whatsapp_stand_ins(settings)
        channel = WhatsAppChannel(client, core.renderer, core.database, core.services.clock, stand_ins, sleep=sleep)
        core.delivery.register(channel)
    hook = None
    if telegram is not None and settings.telegram_webhook_secret is not None:
        hook = TelegramHook(settings.telegram_webhook_secret, partial(read_update, bot=telegram.application.bot))
    server = WebServer(settings.database_path, intake, settings.whatsapp, hook, partial(health_of, core))
    return WebRuntime(core, server, intake, channel)


def whatsapp_stand_ins(settings: Settings) -> StandIns:
    """The templates that stand in for messages outside the 24-hour window, named as the settings say."""
    from bot.channels.whatsapp_templates import StandIns, TemplatesFileError

    assert settings.whatsapp is not None
    try:
        return StandIns.load(settings.host_name, SHOW_HELD(), settings.whatsapp.template_names)
    except TemplatesFileError as error:
        raise ConfigError(str(error)) from error


async def start_telegram_webhook(runtime: TelegramRuntime, url: str, secret: str) -> None:
    """Webhook mode: getMe, the command menu, and setWebhook; Telegram then posts to /telegram (no polling)."""
    application = runtime.application
    await application.initialize()
    runtime.core.services.identity.username = application.bot.username
    try:
        await runtime.channel.register_commands(runtime.core.services.staff)
    except Exception:  # the command menu is a convenience; the bot works without it
        logger.exception("could not register the command menu")
    await application.bot.set_webhook(url, secret_token=secret, allowed_updates=["message", "callback_query"])
    logger.info("Telegram channel on its webhook as @%s", application.bot.username)


async def health_of(core: Core) -> dict[str, object]:
    """What /healthz reports: the database answers, the sender runs, how long the oldest unsent message waited."""
    try:
        async with core.database.transaction() as conn:
            oldest = await outbox.oldest_waiting(conn)
    except Exception:
        logger.exception("health check: the database does not answer")
        return {"ok": False, "database": "unreachable"}
    waited = (core.services.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
    running = core.sender.running
    return {"ok": running, "database": "ok", "sender": "running" if running else "stopped", "oldest_unsent_s": waited}


async def serve_web(settings: Settings) -> None:
    """`python -m bot serve`: the webhooks on SERVE_HOST:SERVE_PORT; Telegram by its webhook when
    TELEGRAM_WEBHOOK_URL is set, else polled beside them as `run` does."""
    from bot.channels.telegram import CHANNEL as TELEGRAM

    core = await Core.build(settings)
    telegram = build_telegram(core) if settings.telegram_bot_token else None
    webhook = telegram is not None and settings.telegram_webhook_url is not None
    web = build_web(core, telegram=telegram if webhook else None)
    try:
        if telegram is not None and webhook:
            assert settings.telegram_webhook_url is not None and settings.telegram_webhook_secret is not None
            await start_telegram_webhook(telegram, settings.telegram_webhook_url, settings.telegram_webhook_secret)
            await web.intake.handle_kept(TELEGRAM)
        elif telegram is not None:
            await start_telegram(telegram)
        await web.intake.handle_kept(WHATSAPP)
        await core.start_background()
        stop = _stop_event()  # SIGINT or SIGTERM: the web server stops (answering what it took), then the rest
        await web.server.serve(settings.serve_host, settings.serve_port, until=stop)
    finally:
        await web.intake.drain()
        await core.stop_background()
        if telegram is not None:
            await stop_telegram(telegram)
        await core.close()


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on the main thread / platform
            loop.add_signal_handler(sig, stop.set)
    return stop


def settle_start_up() -> None:
    """Once started: what was built so far (the content, the templates, the indexes, the libraries' modules) lives
    as long as the process, so it is moved out of the garbage collector's way (gc.freeze, after a collection so that
    no garbage is kept for good). A full collection walked it all, 30-40 ms with the interpreter held, and every
    update under way waited (the paced p99 of bench/throughput.py). The web server does the same while it serves."""
    gc.collect()
    gc.freeze()


async def serve_telegram(settings: Settings) -> None:
    """Telegram long polling. What a first question or date needs is built (Core.prepare, in worker threads) while
    the Telegram side is set up and greets the Bot API (getMe, the command menus: round trips of 0.1-0.3 s each
    from Indonesia), and done before the first update is handled."""
    core = await Core.build(settings, prepare=False)
    preparing = asyncio.create_task(core.prepare(), name="prepare")
    runtime = build_telegram(core)
    stop = _stop_event()
    try:
        await start_telegram(runtime, prepared=preparing)
        await core.start_background()
        settle_start_up()
        await stop.wait()
    finally:
        if not preparing.done():  # stopped while starting
            preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await preparing
        await core.stop_background()
        await stop_telegram(runtime)
        await core.close()


async def serve_console(
    settings: Settings,
    *,
    user: str,
    as_staff: bool,
    locale: str | None,
    lines: AsyncIterator[str],
    out: TextIO,
    interactive: bool,
    clock: Clock | None = None,
    poll_every: float = POLL_EVERY,
) -> None:
    """One console session: `user` chats in this terminal, on a database other sessions may use at the same
    time (bot/channels/console.py says which session prints which message); StartupError when `user`'s session
    already runs."""
    sessions = ConsoleSessions(settings.data_dir)
    with sessions.hold(user):
        async with sessions.opening():
            core = await Core.build(settings, clock=clock, console_staff=[user] if as_staff else [], prepare=False)
        chosen_locale = locale or choose_locale(os.environ.get("LANG", "").split(".")[0].replace("_", "-"))
        files_dir = settings.data_dir / "files"
        channel = ConsoleChannel(core.renderer, out, current_chat_id=user, files_dir=files_dir, sessions=sessions)
        core.delivery.register(channel, serves=channel.serves)
        clock = core.services.clock
        watching: asyncio.Task[None] | None = None
        try:
            show_banner(core.renderer, out, user_name=user, locale=chosen_locale, as_staff=as_staff)
            await introduce(core.database, core.services.staff, clock, user, chosen_locale)
            await take_held(core.database, user, clock)
            await core.sender.start(in_flight_of=(CONSOLE, user))
            await core.sender.drain()  # what waited for this user comes before what they type first
            watching = asyncio.create_task(
                watch_outbox(core.database, user, clock, core.sender.wake, poll_every), name="console-watch"
            )
            # Run once the prompt is out (run_console prints it before it first waits): the schedule, and what a
            # first question needs. A line typed meanwhile is answered; a question waits for the index under way.
            core.tasks.spawn(_after_the_prompt(core), name="console-prepare")
            await run_console(
                router=core.router,
                answers=core.answers,
                channel=channel,
                user_name=user,
                locale=chosen_locale,
                lines=lines,
                out=out,
                interactive=interactive,
            )
        finally:
            if watching is not None:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
            await core.tasks.wait()  # the schedule is started before it is stopped
            await core.stop_background(flush_outbox=True)  # a broadcast typed just before /keluar is still shown
            await core.close()


async def _after_the_prompt(core: Core) -> None:
    """What a question needs first (the one typed at once waits for it), then the schedule."""
    await core.prepare()
    await core.start_schedule()


def configure_logging(settings: Settings, *, console_mode: bool) -> None:
    """Telegram mode logs to stderr; console mode logs to a file so the chat stays readable."""
    secrets = [settings.telegram_bot_token] if settings.telegram_bot_token else []
    if console_mode:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logs.configure(settings.log_level, secrets=secrets, filename=settings.data_dir / "console.log")
    else:
        logs.configure(settings.log_level, secrets=secrets, stream=sys.stderr)
