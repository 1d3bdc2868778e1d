"""A crash at any point of introducing a pair, and the retry after it: the pair still gets
exactly one space, one intro in each of its languages, one DM each and one first-call question
each (memory adapter; the process-kill test of many pairs is tests/e2e_discord's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.due import LEASE, SimulatedCrash
from bot.intents import Ask, Delivery, IntentBase
from tests.conftest import AppFactory, memory_of
from tests.support.due_crash import crash_at
from tests.support.rounds import ANA, BEN, onboard_all, said_in, spaces_of

# What introducing Ana (German) and Ben (English) sends, in order: the space, the intro in
# German and in English, a DM to each, then each one's first-call question.
SENDS = ["space", "intro de", "intro en", "dm ana", "dm ben", "question", "question"]


def crash_after_sends(memory: MemoryAdapter, count: int) -> None:
    """The process dies right after the platform took the ``count``-th message (it exists on
    the platform, the bot never learns it went through)."""
    send: Callable[[IntentBase], Awaitable[Delivery]] = memory.send
    sent = 0

    async def send_then_crash(intent: IntentBase) -> Delivery:
        nonlocal sent
        delivery = await send(intent)
        sent += 1
        if sent == count:
            memory.send = send  # type: ignore[method-assign]  # the restarted bot's adapter
            raise SimulatedCrash(f"after send {count}")
        return delivery

    memory.send = send_then_crash  # type: ignore[method-assign]


async def round_run(make_app: AppFactory) -> tuple[App, MemoryAdapter]:
    # The first-call question asked at once, so a crash at every send of the fan-out covers it.
    app = await make_app("memory", program={"matching": {"first_call_ask_days": 0}})
    memory = memory_of(app)
    memory.organizers = {"olga"}
    await onboard_all(memory, {"ana": ANA, "ben": BEN})
    await app.run_due()  # the app's own maintenance, out of the way
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    return app, memory


async def recover(app: App, clock: FakeClock) -> None:
    """The crashed claim's lease runs out; the next run takes the item over and finishes."""
    app.due.fault = None
    clock.advance(LEASE + timedelta(seconds=1))
    await app.run_due()


async def assert_introduced_once(app: App, memory: MemoryAdapter) -> None:
    assert list(spaces_of(memory).values()) == [{"ana", "ben"}]
    (space,) = spaces_of(memory)
    intros = said_in(memory, space)
    assert [text.split(" ")[1] for text in intros] == ["Willkommen,", "Welcome,"]
    for name, good_news in (("ana", "🎉 Gute Nachrichten"), ("ben", "🎉 Good news")):
        member = memory.member(name)
        assert sum(text.startswith(good_news) for text in memory.texts(member)) == 1
        questions = [r for r in memory.received(member) if isinstance(r.intent, Ask)]
        assert [q.intent.question.id for q in questions][-1:] == ["first_call.ask"]
        assert sum(q.intent.question.id == "first_call.ask" for q in questions) == 1
        record = await app.store.members.find("memory", "memory", name)
        assert record is not None
        tandem = await app.store.tandems.current_for(record.id)
        assert tandem is not None
        assert tandem.state == "introduced"
        assert tandem.space == {"platform": "memory", "kind": "pair_space", "channel_id": space}


@pytest.mark.parametrize("count", range(1, len(SENDS) + 1), ids=SENDS)
async def test_a_crash_after_any_send_of_an_introduction_sends_nothing_twice(
    make_app: AppFactory, clock: FakeClock, count: int
) -> None:
    app, memory = await round_run(make_app)
    crash_after_sends(memory, count)
    with pytest.raises(SimulatedCrash):
        await app.run_due()
    await recover(app, clock)
    await assert_introduced_once(app, memory)


@pytest.mark.parametrize("point", ["claim", "claimed", "sent"])
async def test_a_crash_around_running_the_introduction_sends_nothing_twice(
    make_app: AppFactory, clock: FakeClock, point: str
) -> None:
    app, memory = await round_run(make_app)
    app.due.fault = crash_at(point)
    with pytest.raises(SimulatedCrash):
        await app.run_due()
    await recover(app, clock)
    await assert_introduced_once(app, memory)


async def test_a_crash_after_the_space_is_recorded_opens_no_second_one(
    make_app: AppFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, memory = await round_run(make_app)
    record_space = app.store.tandems.record_space

    async def record_then_crash(*args: object, **kwargs: object) -> object:
        await record_space(*args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(app.store.tandems, "record_space", record_space)
        raise SimulatedCrash("after recording the space")

    monkeypatch.setattr(app.store.tandems, "record_space", record_then_crash)
    with pytest.raises(SimulatedCrash):
        await app.run_due()
    await recover(app, clock)
    await assert_introduced_once(app, memory)
