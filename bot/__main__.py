"""`python -m bot …`: run the bot (console or Telegram), or one of the command-line tools in bot/cli/."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="delegasi: the delegation desk bot")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the bot (the default): Telegram with a token, else the console")
    for target in (parser, run):
        target.add_argument("--console", action="store_true", help="use the console even if a token is set")
        target.add_argument("--as-staff", action="store_true", help="console: act as host staff")
        target.add_argument("--user", default="tamu", help="console: which local user you are (default: tamu)")
        target.add_argument("--lang", choices=["id", "en"], help="console: language (default: from $LANG)")
    commands.add_parser(
        "serve", help="the web server: WhatsApp by webhook (needs the WHATSAPP_ settings), Telegram too"
    )
    backup = commands.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("path", type=Path)
    ask = commands.add_parser("ask", help="answer questions from the knowledge base (no QUESTION: one per stdin line)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=["id", "en"], help="answer language (default: guessed from the question)")
    ask.add_argument("question", nargs="*")
    export = commands.add_parser("export", help="write the visits and participants of a period as .xlsx or CSVs")
    export.add_argument(
        "first", nargs="?", help="first day (1/12/2026) or a month (2026-12); default: this month and next"
    )
    export.add_argument("last", nargs="?", help="last day (default: the end of FIRST's month, or FIRST itself)")
    export.add_argument("--format", dest="fmt", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--lang", choices=["id", "en"], default="id", help="language of sheet names and headers")
    export.add_argument("-o", "--output", type=Path, default=Path("."), help="file to write, or a directory")
    report = commands.add_parser("report", help="the month in numbers: a PNG chart and a text summary")
    report.add_argument("month", nargs="?", default="", help='2026-12, 12/2026 or "Desember 2026" (default: now)')
    report.add_argument("--lang", choices=["id", "en"], default="id")
    report.add_argument("-o", "--output-dir", type=Path, default=Path("."), help="directory to write into")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "backup":
        from bot.cli.backup import run_backup

        return run_backup(settings, args.path)
    if args.command == "export":
        from bot.cli.records import run_export

        return run_export(settings, args.first, args.last, args.fmt, args.output, locale=args.lang)
    if args.command == "report":
        from bot.cli.records import run_report

        return run_report(settings, args.month, args.output_dir, locale=args.lang)
    if args.command == "ask":
        from bot.cli.ask import run_ask

        return run_ask(settings, args.question, as_json=args.json, language=args.lang)
    return _run(settings, args)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.startup import StartupError, only_process
    from storage.db import DatabaseUnavailable

    try:
        with only_process(settings.data_dir):
            return _serve(settings, args)
    except (StartupError, DatabaseUnavailable) as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import configure_logging, serve_console, serve_telegram, serve_web

    if args.command == "serve":
        if settings.whatsapp is None and settings.telegram_webhook_url is None:
            print("cannot start: serve needs WhatsApp or Telegram's webhook configured (.env.example)", file=sys.stderr)
            return 2
        configure_logging(settings, console_mode=False)
        asyncio.run(serve_web(settings))
        return 0
    from bot.channels.console import stdin_lines

    console = args.console or settings.telegram_bot_token is None
    configure_logging(settings, console_mode=console)
    if not console:
        asyncio.run(serve_telegram(settings))
        return 0
    user = args.user.strip() or "tamu"
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_console(
                settings,
                user=user,
                as_staff=args.as_staff,
                locale=args.lang,
                lines=stdin_lines(),
                out=sys.stdout,
                interactive=sys.stdin.isatty(),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
