"""Due items through the app on a fake clock: late runs, quiet hours, cancellation by key, and
a crash at every point between claiming and marking done — each item reaches the member once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.due import LEASE, DueKind, DueRun, DueService, SimulatedCrash
from bot.intents import Intent, Say
from bot.messages import msg
from bot.places import MemberRef, Place
from store.due_items import CANCELLED, DONE, PENDING
from tests.conftest import AppFactory, Database, settings_for
from tests.test_member_commands import joined, status_of

PAUSE_OVER = (
    "Deine Pause ist vorbei – willkommen zurück! Bei der nächsten Vermittlungsrunde bist du "
    "wieder dabei."
)


def told(memory: MemoryAdapter, user: str, text: str) -> int:
    return sum(1 for r in memory.sent if r.place.user_id == user and r.text == text)


async def pause_item(app: App, user: str):
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return await app.store.due.get("memory", f"pause_end:{member.id}")


async def test_a_pause_that_ends_at_night_is_told_in_the_members_morning(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")  # lives in Vienna
    await memory.command(ana, "pause", "2026-01-08")  # ends at midnight, Vienna time
    clock.advance(datetime(2026, 1, 7, 23, 30, tzinfo=UTC) - clock.now())  # 00:30 in Vienna
    await app.run_due()
    assert told(memory, "ana", PAUSE_OVER) == 0
    held = await pause_item(app, "ana")
    assert (held.state, held.due_at) == (PENDING, datetime(2026, 1, 8, 7, 0, tzinfo=UTC))
    assert await status_of(app, "ana") == "paused"

    clock.advance(timedelta(hours=7, minutes=30))  # 08:00 in Vienna
    await app.run_due()
    assert told(memory, "ana", PAUSE_OVER) == 1
    assert await status_of(app, "ana") == "waiting"


async def test_quiet_hours_are_the_communitys_to_set(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app(
        "memory", program={"quiet_hours": {"start": "00:00", "end": "00:00"}}
    )  # none at all
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-08")
    clock.advance(datetime(2026, 1, 7, 23, 30, tzinfo=UTC) - clock.now())
    await app.run_due()
    assert told(memory, "ana", PAUSE_OVER) == 1


async def test_resuming_cancels_the_pause_end_by_its_key(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-08")
    await memory.command(ana, "resume")
    assert (await pause_item(app, "ana")).state == CANCELLED
    await memory.command(ana, "pause")  # a new pause without a date: nothing is booked
    clock.advance(timedelta(days=5))
    await app.run_due()
    assert told(memory, "ana", PAUSE_OVER) == 0
    assert await status_of(app, "ana") == "paused"


async def test_a_pause_end_that_fell_due_while_the_bot_was_down_runs_at_start(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-08")
    await app.stop()
    clock.advance(timedelta(days=20))  # down for three weeks; it is 10:00 in Vienna
    again = await make_app("memory")
    await again.run_due()
    back = again.adapters["memory"]
    assert isinstance(back, MemoryAdapter)
    assert told(back, "ana", PAUSE_OVER) == 1
    assert (await pause_item(again, "ana")).state == DONE


async def test_each_kind_decides_what_a_late_run_does(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """A reminder-like kind drops itself when it comes too late; the rest still runs."""
    app = await make_app("memory")
    await app.run_due()  # the app's own maintenance run, out of the way
    sent: list[str] = []

    async def remind(run: DueRun) -> list[Intent]:
        if run.lateness > timedelta(hours=1):
            return []  # the meeting has started: a reminder now would only confuse
        member = Place.dm(memory.member(run.item.key))
        return [Say(target=member, locale="en", text=msg("pause.ended"))]

    async def record(intent: object) -> None:
        sent.append(intent.target.user_id)  # type: ignore[attr-defined]

    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    service = DueService(
        app.store, clock, app.settings, [DueKind("remind", remind, urgent=True)], record
    )
    for key, due_in in (("on_time", timedelta(minutes=-5)), ("too_late", timedelta(hours=-3))):
        await app.store.due.schedule(
            community_id="memory",
            kind="remind",
            key=key,
            due_at=clock.now() + due_in,
            now=clock.now(),
        )
    assert await service.run_due() == 2
    assert sent == ["on_time"]
    assert (await app.store.due.get("memory", "too_late")).state == DONE


async def test_a_failing_kind_is_retried_later_and_given_up_after_five_attempts(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    await app.run_due()
    calls: list[datetime] = []

    async def broken(run: DueRun) -> list[Intent]:
        calls.append(run.now)
        raise RuntimeError("the platform is down")

    async def send(intent: object) -> None:
        raise AssertionError("nothing to send")

    service = DueService(app.store, clock, app.settings, [DueKind("broken", broken, True)], send)
    await app.store.due.schedule(
        community_id="memory", kind="broken", key="b", due_at=clock.now(), now=clock.now()
    )
    for _ in range(10):
        await service.run_due()
        clock.advance(timedelta(hours=1))
    assert len(calls) == 5
    assert (await app.store.due.get("memory", "b")).state == "failed"


CRASH_POINTS = ["claim", "claimed", "sent"]


def crash_at(point: str) -> Callable[[str], None]:
    def fault(reached: str) -> None:
        if reached == point:
            raise SimulatedCrash(point)

    return fault


async def always_remind(run: DueRun) -> list[Intent]:
    """A kind that sends whenever it runs (unlike the end of a pause, which sends only when it
    ends the pause): only the send ledger can keep a resend from reaching the member."""
    member = MemberRef(platform="memory", user_id=run.item.payload["user"])
    return [Say(target=Place.dm(member), locale="de", text=msg("pause.ended"))]


REMINDER = DueKind("test_reminder", always_remind)


@pytest.mark.parametrize("point", CRASH_POINTS)
@pytest.mark.parametrize("restart_as", ["the same instance", "another instance"])
async def test_a_crash_at_any_point_still_tells_the_member_exactly_once(
    make_app: AppFactory, clock: FakeClock, point: str, restart_as: str
) -> None:
    app = await make_app("memory")
    memory, _ = await joined(app, "ana")
    await app.run_due()  # the app's own maintenance run, out of the way
    app.due.kinds[REMINDER.name] = REMINDER
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    await app.store.due.schedule(
        community_id="memory",
        kind=REMINDER.name,
        key="reminder:1",
        member_id=member.id,
        payload={"user": "ana"},
        due_at=clock.now(),
        now=clock.now(),
    )
    app.due.fault = crash_at(point)
    with pytest.raises(SimulatedCrash):
        await app.due.run_due()
    # The process is gone: nothing of it runs again. A new one starts on the same database.
    bot = {"instance": "tandem-2"} if restart_as == "another instance" else {}
    again = await make_app("memory", bot=bot)
    again.due.kinds[REMINDER.name] = REMINDER
    back = again.adapters["memory"]
    assert isinstance(back, MemoryAdapter)

    def reminded() -> int:
        return told(memory, "ana", PAUSE_OVER) + told(back, "ana", PAUSE_OVER)

    await again.run_due()
    if point != "claim" and restart_as == "another instance":
        # The claim of the dead process holds until its lease runs out; then it is taken over
        # (and a resend after "sent" is dropped by the adapter's record of the first).
        assert reminded() == (1 if point == "sent" else 0)
        clock.advance(LEASE)
        await again.run_due()
    assert reminded() == 1
    item = await again.store.due.get("memory", "reminder:1")
    assert item is not None
    assert item.state == DONE


async def test_two_runs_at_once_tell_the_member_once(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-08")
    clock.advance(timedelta(days=4))
    await asyncio.gather(app.run_due(), app.due.run_due())
    assert told(memory, "ana", PAUSE_OVER) == 1


async def test_the_app_catches_up_by_itself_at_start(
    make_app: AppFactory, sqlite_db: Database, clock: FakeClock
) -> None:
    """With its scheduler on, a started bot runs what fell due while it was down, unasked,
    and holds one wake-up for what comes next."""
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-08")
    await app.stop()
    clock.advance(timedelta(days=20))
    again = App(
        settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"], run_scheduler=True
    )
    await again.start()
    try:
        await asyncio.wait_for(again.caught_up.wait(), timeout=10)
        back = again.adapters["memory"]
        assert isinstance(back, MemoryAdapter)
        assert told(back, "ana", PAUSE_OVER) == 1
        assert again.scheduler.job_count() == 1
    finally:
        await again.stop()
