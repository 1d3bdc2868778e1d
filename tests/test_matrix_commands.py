"""Commands on Matrix: the configured prefix, and the organizer group typed after it (who may
run an organizer command is the router's decision: tests/test_authority.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from adapters.matrix import MatrixAdapter
from bot.adapter import AdapterContext
from bot.clock import SystemClock
from bot.commands import CommandSpec, split_group
from bot.config import load_settings
from bot.i18n import Translator
from bot.messages import msg
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
        run_due=lambda: asyncio.sleep(0, 0),
    )
    return MatrixAdapter(context)


def test_commands_are_spelled_with_the_configured_prefix() -> None:
    assert adapter().capabilities.command_format == "!tandem {name}"
    assert adapter(command_prefix="!mentor").capabilities.command_format == "!mentor {name}"


def test_organizer_commands_are_spelled_in_the_admin_group_after_the_prefix() -> None:
    assert adapter().capabilities.organizer_format == "!tandem admin {name}"
    assert adapter(command_prefix="!mentor").capabilities.organizer_format == "!mentor admin {name}"


def test_a_typed_admin_command_is_split_off_its_group() -> None:
    assert split_group("admin", ("status",)) == ("status", (), True)
    assert split_group("ADMIN", ("Status", "x")) == ("status", ("x",), True)
    assert split_group("admin", ()) == ("help", (), True)
    assert split_group("status", ()) == ("status", (), False)
