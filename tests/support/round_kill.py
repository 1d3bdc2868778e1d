"""A bot process introducing a match round's pairs, killed outright at any point of the fan-out.

The test process makes the round (:func:`make_round`: members stored with profiles that all
fit, previewed and run as ``match run`` does, which books one ``introduce_pair`` item per
pair), then runs this module as the bot, once or several times on the same database::

    python -m tests.support.round_kill DB NOW [KILL_AT]

It starts the app with a clock standing at ``NOW`` (ISO), runs everything due and stops. With
``KILL_AT`` (``<point>:<n>``) the process sends itself SIGKILL right after the ``n``-th:

``made``      pair space the platform made (the adapter has not recorded it yet);
``opened``    pair space the adapter returned (the tandem has not recorded it yet);
``recorded``  space a tandem recorded (no intro said yet);
``intro``     intro posted in a pair space (no DM sent yet);
``dm``        pair intro DM sent (the partner's not yet);
``asked``     first-call question sent.

The platform outlives every bot process: the memory platform kept on disk (``TANDEM_TEST_WORLD``,
a file) or the loopback Discord of the test process (``TANDEM_TEST_LOOPBACK``, JSON as in
:mod:`tests.support.due_crash`, plus the ``discord`` settings of the pair spaces).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.memory import MemoryAdapter
from adapters.memory.platform import MemoryPlatform
from bot.app import App
from bot.config import Settings
from bot.intents import Ask, Delivery, IntentBase, OpenPairSpace, Say
from bot.places import PlaceKind
from flows.rounds import make_preview, run_preview
from store import Store
from tests.support.due_crash import ROOT, start_crash_app

#: What every member answered: all can meet all, so the round pairs everyone.
PROFILE = {
    "language": "en",
    "languages": ["en"],
    "availability": ["mon_evening", "tue_evening"],
    "format": "video",
}
TIMEZONE = "Europe/Berlin"


async def make_round(
    database: Path,
    community_id: str,
    platform: str,
    user_ids: list[str],
    now: datetime,
    settings: Settings,
) -> int:
    """Store ``user_ids`` as waiting members with fitting profiles, then preview and run a
    round as an organizer would; returns how many pairs it introduces."""
    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    try:
        program = settings.program_for(community_id)
        for index, user_id in enumerate(user_ids):
            member = await store.members.ensure(
                community_id, platform, user_id, now=now, display_name=f"Member {index}"
            )
            await store.members.record_consent(member, program.privacy_notice_version, now=now)
            # Half offer what the other half needs: every pair helps both ways.
            offers, needs = (["agile"], ["data"]) if index % 2 else (["data"], ["agile"])
            answers = {**PROFILE, "offers": offers, "needs": needs, "timezone": TIMEZONE}
            await store.members.save_profile(
                member, answers, now=now, status="waiting", timezone=TIMEZONE, locale="en"
            )
        preview = await make_preview(store, program, community_id, now=now, started_by="organizer")
        await run_preview(store, program, community_id, now=now, match="match")
        return len(preview.proposal.pairs)
    finally:
        await store.close()


# -- the bot process --------------------------------------------------------------------------


class Killer:
    """Counts the fan-out's steps and SIGKILLs the process after the chosen one."""

    def __init__(self, point: str | None) -> None:
        self.point, _, n = (point or "").partition(":")
        self.at = int(n or 0)
        self.counts: dict[str, int] = {}

    def reached(self, point: str) -> None:
        self.counts[point] = self.counts.get(point, 0) + 1
        if point == self.point and self.counts[point] == self.at:
            os.kill(os.getpid(), signal.SIGKILL)

    def after(self, point: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def call_then_count(*args: Any, **kwargs: Any) -> Any:
            result = await call(*args, **kwargs)
            self.reached(point)
            return result

        return call_then_count


def step_of(intent: IntentBase) -> str | None:
    """Which step of the fan-out an intent the adapter sent is."""
    if isinstance(intent, OpenPairSpace):
        return "opened"
    if isinstance(intent, Say) and intent.target.kind == PlaceKind.PAIR_SPACE:
        return "intro" if intent.text.id.startswith("intro.") else None
    if isinstance(intent, Say) and intent.text.id == "intro.dm":
        return "dm"
    if isinstance(intent, Ask) and intent.question.id == "first_call.ask":
        return "asked"
    return None


def watch(app: App, killer: Killer) -> None:
    adapter = next(iter(app.adapters.values()))
    if isinstance(adapter, MemoryAdapter):
        adapter.world.open_space = _counted(killer, "made", adapter.world.open_space)  # type: ignore[method-assign]
    else:
        spaces = adapter.pair_spaces  # type: ignore[attr-defined]
        spaces.create = killer.after("made", spaces.create)
    app.store.tandems.record_space = killer.after("recorded", app.store.tandems.record_space)  # type: ignore[method-assign]
    send = adapter.send

    async def send_and_count(intent: IntentBase) -> Delivery:
        delivery = await send(intent)
        step = step_of(intent)
        if step is not None:
            killer.reached(step)
        return delivery

    adapter.send = send_and_count  # type: ignore[method-assign]


def _counted(killer: Killer, point: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def call_then_count(*args: Any, **kwargs: Any) -> Any:
        result = call(*args, **kwargs)
        killer.reached(point)
        return result

    return call_then_count


async def main(database: Path, now: datetime, kill_at: str | None) -> None:
    sections: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{database}"},
        # The first-call question asked at once, so the fan-out killed here includes it.
        "program": {"matching": {"first_call_ask_days": 0}},
    }
    app, loopback = await start_crash_app(sections, now)
    if loopback is None:
        memory = app.adapters["memory"]
        assert isinstance(memory, MemoryAdapter)
        memory.world = MemoryPlatform.on_disk(Path(os.environ["TANDEM_TEST_WORLD"]))
    watch(app, Killer(kill_at))
    await app.run_due()
    await app.stop()


async def run_round_bot(
    database: Path,
    now: datetime,
    kill_at: str | None,
    *,
    world: Path | None = None,
    loopback: dict[str, Any] | None = None,
) -> int:
    """Run this module as a process (see the module's docstring); its exit code (-9: killed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if world is not None:
        env["TANDEM_TEST_WORLD"] = str(world)
    if loopback is not None:
        env["TANDEM_TEST_LOOPBACK"] = json.dumps(loopback)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.round_kill",
        str(database),
        now.isoformat(),
        *([kill_at] if kill_at else []),
        cwd=ROOT,
        env=env,
    )
    return await asyncio.wait_for(process.wait(), timeout=240)


if __name__ == "__main__":
    asyncio.run(
        main(
            Path(sys.argv[1]),
            datetime.fromisoformat(sys.argv[2]),
            sys.argv[3] if len(sys.argv) > 3 else None,
        )
    )
