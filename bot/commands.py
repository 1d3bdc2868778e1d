"""The commands a member can run.

Flows and actions declare the command that starts them; the kernel adds the controls every
conversation knows (``help``, ``cancel``, ``back``). Adapters register these (Discord as slash
subcommands); messages name a command the way the member's platform spells it
(:class:`bot.capabilities.Platforms`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Msg, msg


@dataclass(frozen=True)
class CommandArgument:
    """One optional free-text argument (``pause 2026-12-24``); a Discord string option."""

    name: str
    description: Msg


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: Msg
    organizer_only: bool = False
    argument: CommandArgument | None = None


BUILTIN_COMMANDS = (
    CommandSpec("help", msg("command.help")),
    CommandSpec("cancel", msg("command.cancel")),
    CommandSpec("back", msg("command.back")),
)
