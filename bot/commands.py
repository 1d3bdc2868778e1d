"""The commands a member can run, and how each platform spells them.

Flows declare the command that starts them; the kernel adds the controls every conversation
knows (``help``, ``cancel``, ``back``). Adapters register these (Discord as slash
subcommands); messages name a command the way the member's platform spells it.
"""

from __future__ import annotations

from collections.abc import Mapping
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


class CommandSpelling:
    """``spell("discord", "join")`` → ``/tandem join``, from each adapter's capabilities."""

    def __init__(self, formats: Mapping[str, str]) -> None:
        self._formats = dict(formats)

    def spell(self, platform: str, name: str) -> str:
        return self._formats.get(platform, "{name}").format(name=name)
