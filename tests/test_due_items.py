"""Due items through the app on a fake clock: late runs, quiet hours, cancellation by key, and
a crash at every point between claiming and marking done — each item reaches the member once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.due import LEASE, DueKind, DueRun, DueService, SimulatedCrash
from bot.intents import Intent, Say
from bot.messages import msg
from bot.places import Place
from store.due_items import CANCELLED, DONE, PENDING
from tests.conftest import AppFactory, Database, settings_for
from tests.support.due_crash import REMINDER, crash_at
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
    # Back at once (a match round that morning counts her in), told in her morning.
    assert await status_of(app, "ana") == "waiting"
    assert told(memory, "ana", PAUSE_OVER) == 0
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    held = await app.store.due.get("memory", f"pause_over:{member.id}")
    assert held is not None
    assert (held.state, held.due_at) == (PENDING, datetime(2026, 1, 8, 7, 0, tzinfo=UTC))

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
    await memory.command(ana, "pause", "open-ended")  # a pause without a date: nothing is booked
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


@pytest.mark.parametrize("point", CRASH_POINTS)
async def test_a_crash_at_any_point_still_tells_the_member_exactly_once(
    make_app: AppFactory, clock: FakeClock, point: str
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
        payload={"user": "ana", "locale": "de"},
        due_at=clock.now(),
        now=clock.now(),
    )
    app.due.fault = crash_at(point)
    with pytest.raises(SimulatedCrash):
        await app.due.run_due()
    # The process is gone: nothing of it runs again. A new one starts on the same database.
    again = await make_app("memory")
    again.due.kinds[REMINDER.name] = REMINDER
    back = again.adapters["memory"]
    assert isinstance(back, MemoryAdapter)

    def reminded() -> int:
        return told(memory, "ana", PAUSE_OVER) + told(back, "ana", PAUSE_OVER)

    await again.run_due()
    if point != "claim":
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
    """Two runs at the same moment (in one process here; tests/test_due_two_processes.py has
    two processes) claim each item once, even for a kind that sends whenever it runs."""
    app = await make_app("memory")
    memory, _ = await joined(app, "ana")
    await app.run_due()
    app.due.kinds[REMINDER.name] = REMINDER
    for number in range(20):
        await app.store.due.schedule(
            community_id="memory",
            kind=REMINDER.name,
            key=f"reminder:{number}",
            payload={"user": "ana", "locale": "de"},
            due_at=clock.now(),
            now=clock.now(),
        )
    await asyncio.gather(app.run_due(), app.due.run_due())
    assert told(memory, "ana", PAUSE_OVER) == 20


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


async def test_a_platform_that_fails_for_one_purged_member_is_asked_again_for_that_one(
    make_app: AppFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each purged member's "forget on the platform" notice is a due item of its own: one that
    fails is retried, the others are delivered, and none outlives its delivery."""
    app = await make_app("memory", program={"retention_days_after_leaving": 1})
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    for user in ("ana", "ben"):
        await joined(app, user)
        await memory.leave(memory.member(user))
    await app.run_due()
    clock.advance(timedelta(days=2))
    render = memory.render_forget_member
    failures = {"ana"}

    async def flaky(intent):  # type: ignore[no-untyped-def]
        if intent.target.user_id in failures:
            failures.discard(intent.target.user_id)
            raise ConnectionError("the platform answered 502")
        return await render(intent)

    monkeypatch.setattr(memory, "render_forget_member", flaky)
    await app.run_due()
    assert [place.user_id for place in memory.forgotten] == ["ben"]
    clock.advance(timedelta(minutes=3))  # the retry's back-off
    await app.run_due()
    assert sorted(place.user_id for place in memory.forgotten) == ["ana", "ben"]
    left = [row["key"] for row in await app.store.dump_table("due_items")]
    assert left == ["maintenance", "quiet_watch"]  # the bot-wide recurring items only


async def test_lateness_counts_from_the_time_scheduled_not_from_a_hold(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """An item held for the night runs in the morning knowing how late it is: a reminder for a
    meeting that has started by then can drop itself."""
    app = await make_app("memory")
    await joined(app, "ana")  # Vienna
    await app.run_due()
    seen: list[timedelta] = []

    async def note_lateness(run: DueRun) -> list[Intent]:
        seen.append(run.lateness)
        return []

    app.due.kinds["note"] = DueKind("note", note_lateness)
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    clock.advance(datetime(2026, 1, 7, 22, 0, tzinfo=UTC) - clock.now())  # 23:00 in Vienna
    await app.store.due.schedule(
        community_id="memory",
        kind="note",
        key="note:1",
        member_id=member.id,
        due_at=clock.now(),
        now=clock.now(),
    )
    await app.run_due()
    assert seen == []  # held for the night
    clock.advance(timedelta(hours=9))  # 08:00 in Vienna
    await app.run_due()
    assert seen == [timedelta(hours=9)]


async def test_the_wake_up_chain_survives_a_database_that_fails_for_a_moment(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app("memory")
    app.scheduler.start()
    calls = 0

    async def failing_once() -> None:
        nonlocal calls
        calls += 1
        raise OSError("database is locked")

    monkeypatch.setattr(app.due, "next_wake", failing_once)
    await app._wake()
    assert calls == 1
    assert app.scheduler.job_count() == 1  # looks again in a minute
    assert app.caught_up.is_set()


async def test_stopping_ends_a_long_catch_up_after_the_batch_under_way(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    await app.run_due()
    ran = 0
    stopping: list[asyncio.Task[None]] = []

    async def slow(run: DueRun) -> list[Intent]:
        nonlocal ran
        ran += 1
        if ran == 1:  # SIGTERM arrives while the first batch runs
            stopping.append(asyncio.get_running_loop().create_task(app.stop()))
        await asyncio.sleep(0)
        return []

    app.due.kinds["slow"] = DueKind("slow", slow, urgent=True)
    app.due.batch = 10
    for number in range(100):
        await app.store.due.schedule(
            community_id="memory",
            kind="slow",
            key=f"s{number}",
            due_at=clock.now(),
            now=clock.now(),
        )
    await app.run_due()
    await stopping[0]
    assert ran == 10  # the first batch, then it stopped
