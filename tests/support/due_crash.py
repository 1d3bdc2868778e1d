"""A bot process that runs what is due and can be killed outright, for the kill tests.

``python -m tests.support.due_crash DB DELIVERED NOW [KILL_AT]`` starts the app on the SQLite
file ``DB`` with the memory adapter and a clock standing at ``NOW`` (ISO), runs every due item
(with the kind ``test_reminder``: one message to the member named in its payload) and stops.
Every message the adapter renders is first appended to ``DELIVERED`` and synced to disk, as a
platform would have it. With ``KILL_AT`` (``claim``, ``claimed`` or ``sent``, see
:class:`bot.due.DueService`) the process sends itself SIGKILL at that point: no clean-up runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.config import load_settings
from bot.due import DueKind, DueRun
from bot.intents import Delivery, Intent, IntentBase, Say
from bot.messages import msg
from bot.places import MemberRef, Place


async def remind(run: DueRun) -> list[Intent]:
    member = MemberRef(platform="memory", user_id=run.item.payload["user"])
    return [Say(target=Place.dm(member), locale="en", text=msg("pause.ended"))]


REMINDER = DueKind("test_reminder", remind, urgent=True)


def kill_at(point: str) -> Any:
    def fault(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return fault


async def main(database: Path, delivered: Path, now: datetime, point: str | None) -> None:
    settings = load_settings(None, database={"url": f"sqlite+aiosqlite:///{database}"})
    app = App(settings, clock=FakeClock(now), adapter_names=["memory"], run_scheduler=False)
    await app.start()
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
    app.due.kinds[REMINDER.name] = REMINDER
    if point is not None:
        app.due.fault = kill_at(point)
    await app.run_due()
    await app.stop()


if __name__ == "__main__":
    point = sys.argv[4] if len(sys.argv) > 4 else None
    asyncio.run(
        main(Path(sys.argv[1]), Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), point)
    )
