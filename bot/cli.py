"""The ``tandem`` command (also ``python -m bot``): run the bot, try it in a terminal, migrate.

    tandem run        run the adapters enabled in the config (the console when none is)
    tandem console    chat with the bot in this terminal on a local SQLite file
    tandem migrate    bring the database schema up to date and exit
    tandem db …       copy the database to PostgreSQL, back it up, restore it (bot/db_commands.py)
    tandem doctor     check the config, the database and each platform; say what to fix

``--log-format json`` (before the command; or ``bot.log_format``) writes one JSON object a line
instead of readable lines (``bot.logs``, docs/operations.md).

``--debug-logger NAME`` (before the command, repeatable) lets one library's logger write at
DEBUG; they are kept at WARNING otherwise, since they log members' data (``bot.logs``).

What stops the bot is said in one paragraph that names the cause and the fix (a config
error, a database out of reach, a platform that refuses the bot); ``--debug`` adds the
traceback. ``tandem run`` says which adapters it starts, and warns about a platform's secret
set for an adapter that is off.

Every command reads the config from ``--config``, ``$TANDEM_CONFIG`` or ``./tandem.toml``
(none is needed); secrets may come from the environment (see ``config.example.toml``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

from bot import doctor
from bot.adapter import StartRefused
from bot.app import App
from bot.config import (
    ConfigError,
    Settings,
    config_warnings,
    load_settings,
    resolve_config_path,
)
from bot.db_commands import add_db_commands, run_db
from bot.logs import configure_logging, configured_secrets
from store import DatabaseTooNew, DatabaseUnavailable, Store

log = logging.getLogger(__name__)
#: How a note of ``tandem run`` that is a warning begins.
WARNING = "warning: "

EXIT_UNEXPECTED = 1
EXIT_CONFIG = 2
EXIT_DATABASE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem: a peer-mentoring bot for Discord, Matrix and the console.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML config file (default: $TANDEM_CONFIG, else ./tandem.toml if present)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the whole traceback when something stops the bot (for a bug report)",
    )
    parser.add_argument(
        "--debug-logger",
        dest="debug_loggers",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "let a library's logger (e.g. sqlalchemy.engine, discord.http, nio) write at DEBUG; "
            "its records hold members' data (repeatable)"
        ),
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="readable lines (default) or one JSON object a line (default: bot.log_format)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="run the bot with the adapters enabled in the config (the console when none is)",
        description="Run the bot: every adapter enabled in the config, or the console if none.",
    )
    console = commands.add_parser(
        "console",
        help="chat with the bot in this terminal (no account or token needed)",
        description=(
            "Chat with the bot in this terminal. Type /join to start, /help for commands, "
            "/as NAME to speak as another member, /advance 2d to move time, /quit to stop."
        ),
    )
    console.add_argument("--db", type=Path, help="SQLite file to use (default: ./tandem.db)")
    console.add_argument("--as", dest="member", help="the member you speak as at first")
    console.add_argument("--locale", choices=["en", "de"], help="the bot's default language")
    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date and exit",
        description="Apply every pending schema migration to the configured database.",
    )
    migrate.add_argument("--db", type=Path, help="SQLite file to migrate instead of the config's")
    commands.add_parser(
        "doctor",
        help="check the config, the database and each enabled platform, and say what to fix",
        description=(
            "Check the config, the database (reachable, migrated, writable) and each enabled "
            "platform (the bot's login and its permissions where it posts), changing nothing; "
            "print what is wrong with the fix. Exit status 0 only when nothing failed."
        ),
    )
    add_db_commands(commands)
    return parser


def _settings(args: argparse.Namespace, command: str) -> Settings:
    overrides: dict[str, dict[str, Any]] = {}
    if getattr(args, "db", None) is not None:
        overrides["database"] = {"url": f"sqlite+aiosqlite:///{args.db}"}
    if getattr(args, "member", None):
        overrides["console"] = {"first_member": args.member}
    if getattr(args, "locale", None):
        overrides["bot"] = {"default_locale": args.locale}
    # Migrating connects to no platform, so it needs none of the adapters' secrets.
    secrets = command not in ("migrate", "db")
    return load_settings(resolve_config_path(args.config), adapter_secrets=secrets, **overrides)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        settings = _settings(args, command)
    except ConfigError as error:
        if command == "doctor":
            print(doctor.report(doctor.config_refused(error)))
            return EXIT_CONFIG
        if args.log_format == "json":
            configure_logging("INFO", log_format="json")
        _tell(args, str(error))
        return EXIT_CONFIG
    quiet = command in {"console", "doctor"} or "console" in settings.platform_adapters
    log_format = args.log_format = args.log_format or settings.bot.log_format
    configure_logging(
        "WARNING" if quiet else settings.bot.log_level,
        debug_loggers=[*settings.bot.debug_loggers, *args.debug_loggers],
        secrets=configured_secrets(settings),
        log_format=log_format,
    )
    try:
        return _run(command, settings, args)
    except KeyboardInterrupt:
        return 0
    except (DatabaseTooNew, DatabaseUnavailable) as error:
        return _stopped(args, error, EXIT_DATABASE)
    except StartRefused as error:
        return _stopped(args, error, EXIT_CONFIG)
    except Exception as error:
        if args.debug:
            raise
        _tell(
            args,
            f"stopped by an unexpected error ({type(error).__name__}: {error}). Run the same "
            "command with --debug to see where it happened, and include that in a report.",
        )
        return EXIT_UNEXPECTED


def _stopped(args: argparse.Namespace, error: Exception, code: int) -> int:
    if args.debug:
        traceback.print_exception(error)
    _tell(args, str(error))
    return code


def _tell(args: argparse.Namespace, text: str, level: int = logging.ERROR) -> None:
    """Say on stderr what the operator must know: a ``tandem: …`` line, or with JSON logs a
    record of ``bot.cli`` (a log collector reads stderr as one JSON object a line)."""
    if args.log_format == "json":
        log.log(level, text)
    else:
        print(f"tandem: {text}", file=sys.stderr)


def _run(command: str, settings: Settings, args: argparse.Namespace) -> int:
    if command == "migrate":
        before, after = asyncio.run(Store.migrate(settings.database.url))
        print(f"tandem: {migrated(before, after)}")
        return 0
    if command == "doctor":
        config = resolve_config_path(args.config)
        findings = asyncio.run(doctor.examine(settings, config, debug=args.debug))
        print(doctor.report(findings))
        return doctor.exit_status(findings)
    if command == "db":
        return run_db(args, settings)
    adapters = ["console"] if command == "console" else None
    if command == "run":
        for note in adapter_notes(settings, resolve_config_path(args.config)):
            warning = note.startswith(WARNING)
            if warning and args.log_format == "json":
                note = note.removeprefix(WARNING)
            _tell(args, note, logging.WARNING if warning else logging.INFO)
        if settings.platform_adapters == ["console"] and not sys.stdin.isatty():
            _tell(
                args,
                "nothing to run: no adapter is enabled, and without a terminal the console has "
                "no one to talk to. Enable Discord or Matrix in tandem.toml ([discord] or "
                "[matrix] enabled = true; docs/discord.md, docs/matrix.md), or start `tandem "
                "console` in a terminal to try the bot.",
            )
            return EXIT_CONFIG
    asyncio.run(App(settings, adapter_names=adapters).run())
    return 0


def migrated(before: str | None, after: str | None) -> str:
    """What ``tandem migrate`` did, in words."""
    if before == after:
        return f"the database schema is up to date (revision {after}); nothing to do"
    if before is None:
        return f"created the database schema (revision {after})"
    return f"the database schema went from revision {before} to {after}"


def adapter_notes(settings: Settings, config: Path | None) -> list[str]:
    """What ``tandem run`` starts, a warning for each secret of an adapter that is off, and one
    for a platform without an organizer channel or room (reports are kept, not posted)."""
    source = str(config) if config is not None else "no config file"
    enabled = [name for name in ("discord", "matrix", "console") if getattr(settings, name).enabled]
    if enabled:
        notes = [f"starting the adapters enabled in {source}: {', '.join(enabled)}"]
    else:
        notes = [
            f"no adapter is enabled ({source}): starting the console. To run on Discord or "
            "Matrix, set enabled = true in its section of tandem.toml (or "
            "TANDEM_DISCORD__ENABLED=true / TANDEM_MATRIX__ENABLED=true)."
        ]
    notes += [f"{WARNING}{warning}; {fix}" for warning, fix in config_warnings(settings, source)]
    return notes
