"""`python -m bot …`: run the bot (console or Telegram), or one of the command-line tools in bot/cli/."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The command line, and each subcommand's own parser (to report a mistake with that subcommand's usage)."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="delegasi: the delegation desk bot")
    commands = parser.add_subparsers(dest="command")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        """A subcommand whose summary is both its line in the list and the description atop its --help."""
        return commands.add_parser(name, help=summary, description=summary)

    run = command("run", "run the bot (the default): Telegram with a token, else the console")
    for target in (parser, run):
        target.add_argument("--console", action="store_true", help="use the console even if a token is set")
        target.add_argument("--as-staff", action="store_true", help="console: act as host staff")
        target.add_argument("--user", default="tamu", help="console: which local user you are (default: tamu)")
        target.add_argument("--lang", choices=["id", "en"], help="console: language (default: from $LANG)")
    command("serve", "the web server: WhatsApp by webhook (needs the WHATSAPP_ settings), Telegram too")
    backup = command("backup", "write a consistent copy of the database, safe while the bot runs")
    backup.add_argument("path", type=Path)
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    ask = command("ask", "answer questions from the knowledge base (no QUESTION: one per stdin line)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=["id", "en"], help="answer language (default: guessed from the question)")
    ask.add_argument("question", nargs="*")
    export = command("export", "write the visits and participants of a period as .xlsx or CSVs")
    export.add_argument(
        "first", nargs="?", help="first day (1/12/2026) or a month (2026-12); default: this month and next"
    )
    export.add_argument(
        "last", nargs="?", help="last day, or a month for its last day (default: the end of FIRST's month, or FIRST)"
    )
    export.add_argument("--format", dest="fmt", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--lang", choices=["id", "en"], default="id", help="language of sheet names and headers")
    export.add_argument(
        "-o",
        "--output",
        default=".",
        help="the file to write, or a directory (one that exists, or any path ending in /) to write it into "
        "under its usual name (default: the current directory)",
    )
    export.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    report = command("report", "the month in numbers: a PNG chart and a text summary")
    report.add_argument("month", nargs="?", default="", help='2026-12, 12/2026 or "Desember 2026" (default: now)')
    report.add_argument("--lang", choices=["id", "en"], default="id")
    report.add_argument("-o", "--output-dir", type=Path, default=Path("."), help="directory to write into")
    report.add_argument("--force", action="store_true", help="overwrite the chart and the summary if they exist")
    faq = command("faq", "the staff answers saved as bot answers (/faq): export them for review")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True)
    faq_summary = "write the saved answers as content/knowledge YAML files, one per entry, for a reviewer"
    faq_export = faq_commands.add_parser("export", help=faq_summary, description=faq_summary)
    faq_export.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=Path("faq-export"),
        help="directory to write into (default: ./faq-export/)",
    )
    faq_export.add_argument("--force", action="store_true", help="overwrite files that exist")
    faq_export.add_argument("--include-retired", action="store_true", help="also the answers retired from the bot")
    return parser, dict(commands.choices)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line; a word no subcommand takes is reported with that subcommand's usage (argparse
    itself blames the top-level parser, whose usage does not show the subcommand's arguments)."""
    parser, subcommands = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        (subcommands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "backup":
        from bot.cli.backup import run_backup

        return run_backup(settings, args.path, force=args.force)
    if args.command == "export":
        from bot.cli.records import run_export

        return run_export(settings, args.first, args.last, args.fmt, args.output, locale=args.lang, force=args.force)
    if args.command == "report":
        from bot.cli.records import run_report

        return run_report(settings, args.month, args.output_dir, locale=args.lang, force=args.force)
    if args.command == "faq":
        from bot.cli.faq import run_faq_export

        return run_faq_export(settings, args.output_dir, force=args.force, include_retired=args.include_retired)
    if args.command == "ask":
        from bot.cli.ask import run_ask

        return run_ask(settings, args.question, as_json=args.json, language=args.lang)
    return _run(settings, args)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.startup import StartupError, only_process
    from storage.db import DatabaseUnavailable

    try:
        with only_process(settings.data_dir, shared=_console(settings, args)):
            return _serve(settings, args)
    except (StartupError, DatabaseUnavailable) as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2


def _console(settings: Settings, args: argparse.Namespace) -> bool:
    """Whether this run is a console session: several may share the data directory, one user each."""
    return args.command != "serve" and (args.console or settings.telegram_bot_token is None)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio  # here, as every import that only running the bot needs: `--help` and the tools go without

    from bot.app import configure_logging, serve_console, serve_telegram, serve_web

    if args.command == "serve":
        if settings.whatsapp is None and settings.telegram_webhook_url is None:
            print("cannot start: serve needs WhatsApp or Telegram's webhook configured (.env.example)", file=sys.stderr)
            return 2
        configure_logging(settings, console_mode=False)
        asyncio.run(serve_web(settings))
        return 0
    from bot.channels.console import stdin_lines

    console = _console(settings, args)
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
