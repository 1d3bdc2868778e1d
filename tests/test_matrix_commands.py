"""Commands on Matrix: the configured prefix, and organizer-only commands refused to others."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from adapters.matrix import MatrixAdapter
from bot.adapter import AdapterContext
from bot.clock import SystemClock
from bot.commands import CommandSpec
from bot.config import load_settings
from bot.events import CommandInvoked
from bot.i18n import Translator
from bot.messages import msg
from bot.places import MemberRef, Place
from bot.tasks import TaskSupervisor

SPECS = [
    CommandSpec("join", msg("command.join")),
    CommandSpec("round", msg("command.join"), organizer_only=True),
]


def adapter(**matrix: Any) -> MatrixAdapter:
    context = AdapterContext(
        settings=load_settings(None, matrix=matrix),
        store=SimpleNamespace(adapter_state=None),  # type: ignore[arg-type]
        translator=Translator(),
        clock=SystemClock(),
        tasks=TaskSupervisor(),
        commands=lambda: SPECS,
        request_stop=lambda: None,
    )
    return MatrixAdapter(context)


def command(name: str, organizer: bool) -> CommandInvoked:
    alice = MemberRef(platform="matrix", user_id="@alice:example.org")
    return CommandInvoked(
        community_id="matrix",
        member=alice,
        place=Place.dm(alice, channel_id="!dm:example.org"),
        name=name,
        organizer=organizer,
    )


def test_commands_are_spelled_with_the_configured_prefix() -> None:
    assert adapter().capabilities.command_format == "!tandem {name}"
    assert adapter(command_prefix="!mentor").capabilities.command_format == "!mentor {name}"


def test_organizer_only_commands_are_refused_to_members_who_are_not_organizers() -> None:
    matrix = adapter()
    assert matrix._organizers_only(command("round", organizer=False))
    assert not matrix._organizers_only(command("round", organizer=True))
    assert not matrix._organizers_only(command("join", organizer=False))
