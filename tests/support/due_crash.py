"""A bot process that runs what is due and can be killed outright, for the kill tests.

``python -m tests.support.due_crash DB DELIVERED NOW [KILL_AT]`` starts the app on the SQLite
file ``DB`` with a clock standing at ``NOW`` (ISO), runs every due item (with the kind
``test_reminder``: one message to the member named in its payload) and stops. With ``KILL_AT``
(``claim``, ``claimed`` or ``sent``, see :class:`bot.due.DueService`) the process sends itself
SIGKILL at that point: no clean-up runs.

By default it runs the memory adapter, which first appends every message it renders to
``DELIVERED`` and syncs it to disk, as a platform would keep it. With ``TANDEM_TEST_LOOPBACK``
set (JSON: ``api_url``, ``gateway_url``, ``token``, ``guild_id``) it runs the Discord adapter
against the test's loopback Discord, which keeps what was sent itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import yarl

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.config import load_settings
from bot.due import DueKind, DueRun, SimulatedCrash
from bot.intents import Delivery, Intent, IntentBase, Say
from bot.messages import msg
from bot.places import MemberRef, Place


async def remind(run: DueRun) -> list[Intent]:
    """Sends whenever it runs (unlike the end of a pause, which sends only when it ends the
    pause): only the platform's or the adapter's record of the key can stop a second copy.
    The payload names the member (``user``, and ``platform``/``locale`` unless memory/en)."""
    payload = run.item.payload
    member = MemberRef(platform=payload.get("platform", "memory"), user_id=payload["user"])
    locale = payload.get("locale", "en")
    return [Say(target=Place.dm(member), locale=locale, text=msg("pause.ended"))]


REMINDER = DueKind("test_reminder", remind, urgent=True)


def crash_at(point: str) -> Callable[[str], None]:
    """A fault for :attr:`bot.due.DueService.fault` that raises at ``point`` (in-process)."""

    def fault(reached: str) -> None:
        if reached == point:
            raise SimulatedCrash(point)

    return fault


def kill_at(point: str) -> Callable[[str], None]:
    """The same, killing the whole process outright (SIGKILL)."""

    def fault(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return fault


def keep_what_memory_renders(app: App, delivered: Path) -> None:
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    render = memory._render

    def render_and_keep(intent: IntentBase, text: str, **extra: Any) -> Delivery:
        with delivered.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"user": intent.target.user_id, "text": text}) + "\n")
            file.flush()
            os.fsync(file.fileno())
        return render(intent, text, **extra)

    memory._render = render_and_keep  # type: ignore[method-assign]


def point_discord_at(loopback: dict[str, Any]) -> dict[str, Any]:
    """discord.py talks to the loopback Discord (as the loopback's ``patch_discord`` does)."""
    discord.http.Route.BASE = loopback["api_url"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(loopback["gateway_url"])
    return {
        "enabled": True,
        "token": loopback["token"],
        "guild_ids": [loopback["guild_id"]],
        "guild_ready_timeout": 0.05,
    }


async def start_crash_app(
    sections: dict[str, Any], now: datetime
) -> tuple[App, dict[str, Any] | None]:
    """The bot of one process of a crash test, and the loopback Discord it speaks to: the one
    the test gave (``TANDEM_TEST_LOOPBACK``, its ``discord`` settings over the defaults), else
    None and the memory adapter. No scheduler, and no place index warm-up: it reads no place,
    and starts many times."""
    given = os.environ.get("TANDEM_TEST_LOOPBACK")
    loopback = json.loads(given) if given else None
    if loopback is not None:
        discord = {**point_discord_at(loopback), **loopback.get("discord", {})}
        sections = {**sections, "discord": discord}
    app = App(
        load_settings(None, **sections),
        clock=FakeClock(now),
        adapter_names=["discord" if loopback is not None else "memory"],
        run_scheduler=False,
        warm_up=False,
    )
    await app.start()
    return app, loopback


async def main(database: Path, delivered: Path, now: datetime, point: str | None) -> None:
    sections: dict[str, Any] = {"database": {"url": f"sqlite+aiosqlite:///{database}"}}
    app, loopback = await start_crash_app(sections, now)
    if loopback is None:
        keep_what_memory_renders(app, delivered)
    app.due.kinds[REMINDER.name] = REMINDER
    if point is not None:
        app.due.fault = kill_at(point)
    await app.run_due()
    await app.stop()


ROOT = Path(__file__).resolve().parents[2]


async def run_bot(
    database: Path,
    delivered: Path,
    now: datetime,
    kill: str | None,
    loopback: dict[str, Any] | None = None,
) -> int:
    """Run this module as a process (see the module's docstring); its exit code (-9: killed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if loopback is not None:
        env["TANDEM_TEST_LOOPBACK"] = json.dumps(loopback)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.due_crash",
        str(database),
        str(delivered),
        now.isoformat(),
        *([kill] if kill else []),
        cwd=ROOT,
        env=env,
    )
    return await asyncio.wait_for(process.wait(), timeout=60)


if __name__ == "__main__":
    point = sys.argv[4] if len(sys.argv) > 4 else None
    asyncio.run(
        main(Path(sys.argv[1]), Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), point)
    )
