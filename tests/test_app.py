"""App wiring: adapters are checked at start-up and background failures are reported."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import ClassVar

import pytest

from bot.adapter import ADAPTERS, Adapter, AdapterIncomplete, EventSink, renders
from bot.app import App
from bot.capabilities import TEXT_ONLY, Capabilities
from bot.clock import FakeClock
from bot.intents import Delivery, Say
from bot.tasks import TaskSupervisor
from tests.conftest import Database, settings_for


class SayOnlyAdapter(Adapter):
    platform = "half"
    capabilities: ClassVar[Capabilities] = TEXT_ONLY

    async def start(self, sink: EventSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    @renders(Say)
    async def render_say(self, intent: Say) -> Delivery:
        return Delivery()


async def test_an_adapter_that_cannot_render_every_intent_is_refused_at_start(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ADAPTERS, "half", f"{__name__}:SayOnlyAdapter")
    app = App(settings_for(sqlite_db.url), adapter_names=["half"])
    with pytest.raises(AdapterIncomplete, match="cannot render Ask, OpenPairSpace"):
        await app.start()
    await app.stop()


async def test_an_unknown_adapter_name_is_refused(sqlite_db: Database) -> None:
    app = App(settings_for(sqlite_db.url), adapter_names=["telegraph"])
    with pytest.raises(AdapterIncomplete, match="no adapter called 'telegraph'"):
        await app.start()


async def test_a_failing_background_task_is_logged_with_where_it_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = TaskSupervisor()

    async def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR):
        task = supervisor.spawn(broken(), name="broken-job")
        await asyncio.wait([task])
        await asyncio.sleep(0)
    assert "background task broken-job failed; started at:" in caplog.text
    assert "test_app.py" in caplog.text
    assert supervisor.running == []


async def test_stop_cancels_running_background_tasks() -> None:
    supervisor = TaskSupervisor()
    task = supervisor.spawn(asyncio.sleep(3600), name="sleeper")
    assert supervisor.running == ["sleeper"]
    await supervisor.cancel_all()
    assert task.cancelled()


async def test_maintenance_catches_up_at_start_and_stops_cleanly(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    first = App(
        settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"], run_scheduler=False
    )
    await first.start()
    member = await first.store.members.ensure("memory", "memory", "gone", now=clock.now())
    await first.store.members.update(member.id, now=clock.now(), status="left", left_at=clock.now())
    await first.stop()

    clock.advance(timedelta(days=31))  # the retention period passed while the bot was down
    with caplog.at_level(logging.WARNING):
        second = App(settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"])
        await second.start()
        for _ in range(250):  # the catch-up run is scheduled at start; give it up to 5 s
            if await second.store.members.find("memory", "memory", "gone") is None:
                break
            await asyncio.sleep(0.02)
        purged = await second.store.members.find("memory", "memory", "gone") is None
        await second.stop()
    assert purged
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_stop_asked_for_while_an_adapter_starts_ends_the_start_and_closes_the_store(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (a supervisor's stop) or Ctrl-C while a platform is out of reach: the bot stops
    at once instead of after the platform's retries (minutes on an unreachable homeserver)."""
    from adapters.memory import MemoryAdapter

    entered, stopped = asyncio.Event(), []

    async def out_of_reach(_self: MemoryAdapter, _sink: EventSink) -> None:
        entered.set()
        await asyncio.Event().wait()  # a login that does not answer

    async def stop(_self: MemoryAdapter) -> None:
        stopped.append(True)

    monkeypatch.setattr(MemoryAdapter, "start", out_of_reach)
    monkeypatch.setattr(MemoryAdapter, "stop", stop)
    app = App(settings_for(sqlite_db.url), adapter_names=["memory"], run_scheduler=False)
    running = asyncio.ensure_future(app.run())
    await entered.wait()
    app.request_stop()  # what the SIGTERM and SIGINT handlers do
    done, _ = await asyncio.wait({running}, timeout=30)
    assert done == {running}, "the bot went on starting after it was asked to stop"
    running.result()
    assert stopped == [True]
    assert app.started_store is None
