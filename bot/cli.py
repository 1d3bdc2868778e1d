"""The ``tandem`` command (also ``python -m bot``): run the bot, try it in a terminal, migrate.

    tandem run        run the adapters enabled in the config (the console when none is)
    tandem console    chat with the bot in this terminal on a local SQLite file
    tandem migrate    bring the database schema up to date and exit

``--debug-logger NAME`` (before the command, repeatable) lets one library's logger write at
DEBUG; they are kept at WARNING otherwise, since they log members' data (``bot.logs``).

Every command reads the config from ``--config``, ``$TANDEM_CONFIG`` or ``./tandem.toml``
(none is needed); secrets may come from the environment (see ``config.example.toml``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.adapter import StartRefused
from bot.app import App
from bot.config import ConfigError, Settings, load_settings, resolve_config_path
from bot.logs import configure_logging, configured_secrets
from store import DatabaseTooNew, Store

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
    secrets = command != "migrate"
    return load_settings(resolve_config_path(args.config), adapter_secrets=secrets, **overrides)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        settings = _settings(args, command)
    except ConfigError as error:
        print(f"tandem: {error}", file=sys.stderr)
        return EXIT_CONFIG
    quiet = command == "console" or "console" in settings.platform_adapters
    configure_logging(
        "WARNING" if quiet else settings.bot.log_level,
        debug_loggers=[*settings.bot.debug_loggers, *args.debug_loggers],
        secrets=configured_secrets(settings),
    )
    try:
        if command == "migrate":
            asyncio.run(_migrate(settings))
            print("tandem: the database schema is up to date")
            return 0
        adapters = ["console"] if command == "console" else None
        asyncio.run(App(settings, adapter_names=adapters).run())
    except DatabaseTooNew as error:
        print(f"tandem: {error}", file=sys.stderr)
        return EXIT_DATABASE
    except StartRefused as error:
        print(f"tandem: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0


async def _migrate(settings: Settings) -> None:
    store = await Store.open(settings.database.url)
    await store.close()
