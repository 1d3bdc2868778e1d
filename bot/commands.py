"""The commands a member can run, and who may run them.

Flows and actions declare the command that starts them; the kernel adds the controls every
conversation knows (``help``, ``cancel``, ``back``). Adapters register these (Discord as slash
subcommands); messages name a command the way the member's platform spells it
(:class:`bot.capabilities.Platforms`).

A command is either a member command or an organizer command (``organizer_only``). Organizer
commands form one group on every platform, spelled with the group's word: ``/tandem-admin
status`` on Discord, ``!tandem admin status`` on Matrix, ``/admin status`` in the console. The
adapter says whether the person is an organizer (:attr:`bot.events.CommandInvoked.organizer`);
the router alone decides whether the command may run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Msg, msg


@dataclass(frozen=True)
class CommandArgument:
    """One optional argument (``pause 2026-12-24``, ``match run``); a Discord string option.

    ``choices`` (English words, like command names) are offered as a pick list where the
    platform has one (Discord); elsewhere the word is typed after the command.
    ``names_member``: the argument names a person of the community, and arrives as their
    platform user id whatever the platform offers to pick them: a Discord user option, a Matrix
    user id typed or a mention (pill), a console name.
    """

    name: str
    description: Msg
    choices: tuple[str, ...] = ()
    names_member: bool = False


#: The word that opens the organizer group on text platforms (``!tandem admin status``).
ORGANIZER_WORD = "admin"


def split_group(name: str, args: tuple[str, ...]) -> tuple[str, tuple[str, ...], bool]:
    """``("admin", ("status",))`` → ``("status", (), True)``: a typed command, its group taken
    off. ``admin`` alone asks for help in the organizer group."""
    if name.casefold() != ORGANIZER_WORD:
        return name, args, False
    if not args:
        return "help", (), True
    return args[0].casefold(), args[1:], True


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
