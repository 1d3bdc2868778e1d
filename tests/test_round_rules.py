"""Who a round may pair, and what organizers read about it: nobody with a tandem that has not
ended is matched again (in the proposal and in the run's own transaction), and a member asked
about a new introduction is asked about the right one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from store.members import MemberRecord
from store.rounds import MembersChanged, PairToIntroduce
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import ANA, BEN, FOUR, onboard_all, status


@pytest.fixture
async def community(make_app: AppFactory) -> tuple[App, MemoryAdapter]:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    return app, memory


async def record(app: App, user: str) -> MemberRecord:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return member


async def introduce(app: App, memory: MemoryAdapter, clock: FakeClock) -> None:
    """A round, and the days until each is asked about the first call."""
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    clock.advance(timedelta(days=3))
    await app.run_due()


# Eva teaches Ana presenting and learns time management from her: she fits Ana (and not Ben,
# who offers and needs what she does).
EVA = replace(ANA, offers=("presenting",), needs=("time",))


async def test_nobody_with_a_current_tandem_is_matched_whatever_their_status(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    await onboard_all(memory, FOUR)
    await introduce(app, memory, clock)
    # Ana's status says "waiting" while her introduction to Ben goes on (as a pause and resume
    # during an introduction could leave it); Eva fits only Ana or Ben.
    ana = await record(app, "ana")
    await app.store.members.update(ana.id, now=app.clock.now(), status="waiting")
    await onboard_all(memory, {"eva": EVA})

    preview = await memory.admin(memory.member("olga"), "match", "preview")
    assert "Ana ↔ Eva" not in preview[0].text
    assert "Eva ↔ Ana" not in preview[0].text

    # Even a run given the pair (as a race with the preview could) refuses to make it.
    eva = await record(app, "eva")
    stored = await app.store.rounds.save_preview(
        community_id="memory",
        started_by="organizer",
        seed=1,
        week_start=date(2026, 1, 5),
        fingerprint="x",
        proposal={"pairs": [], "sit_out": [], "sit_out_reasons": {}},
        pairs=1,
        sit_outs=0,
        now=app.clock.now(),
    )
    with pytest.raises(MembersChanged):
        await app.store.rounds.run(
            stored.id,
            pairs=[PairToIntroduce(ana.id, eva.id, 1, {})],
            sit_out=[],
            now=app.clock.now(),
            book=lambda _tandem, _member: [],
        )
    assert await status(app.store, "eva") == "waiting"
    current = await app.store.tandems.current_for(ana.id)
    assert current is not None
    assert eva.id not in current.members


async def test_a_question_left_from_an_ended_introduction_does_not_stand_for_the_new_one(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    await onboard_all(memory, {"ana": ANA, "ben": BEN})
    await introduce(app, memory, clock)
    ana = await record(app, "ana")
    first = await app.store.tandems.current_for(ana.id)
    assert first is not None
    # The introduction ends without its notice (as an ending elsewhere might): Ana's question
    # about Ben is still open.
    await app.store.tandems.end(first.id, state="ended", reason="left", now=app.clock.now())
    assert memory.last_ask(memory.member("ana")).question.params["partner"].text == "Ben"
    await onboard_all(memory, {"eva": EVA})
    await app.store.members.update(
        (await record(app, "ben")).id, now=app.clock.now(), status="paused"
    )
    await introduce(app, memory, clock)

    asked = memory.last_ask(memory.member("ana")).question
    assert (asked.id, asked.params["partner"].text) == ("first_call.ask", "Eva")
    said = await memory.pick(memory.member("ana"), "yes")
    assert said[-1].text.startswith("Danke! Ich sage dir Bescheid, sobald Eva")
    second = await app.store.tandems.current_for(ana.id)
    assert second is not None
    assert second.id != first.id
    assert second.answer_of(ana.id) == "yes"
