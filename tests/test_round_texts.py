"""What organizers read about a round: counted texts that agree with their numbers in English
and German, a plain word when nobody can be paired, and previews that expire and say whose they
are."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import ANA, CLEO, FOUR, PEER, onboard_all, spaces_of, to_organizers


@pytest.fixture
async def community(make_app: AppFactory) -> tuple[App, MemoryAdapter]:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga", "bea"}
    return app, memory


async def test_one_pair_and_one_sitting_out_are_counted_as_one_in_english_and_german(
    community: tuple[App, MemoryAdapter],
) -> None:
    app, memory = community
    await onboard_all(memory, {"ana": PEER, "ben": PEER, "eva": PEER})
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text == (
        "The round is on: I'm introducing 1 pair now – the one Olga previewed at 09:00 – in a "
        "private space of their own. 1 person sits out this time; I'm telling them kindly that "
        "they're first in line next round."
    )
    await app.run_due()

    # Two newcomers and the one who sat out: a German organizer reads the same counts.
    await onboard_all(memory, {"fay": PEER, "gus": PEER})
    bea = memory.member("bea", locale="de")
    await memory.admin(bea, "match", "preview", locale="de")
    ran = await memory.admin(bea, "match", "run", locale="de")
    assert ran[0].text.startswith("Die Runde läuft: Ich stelle jetzt 1 Paar einander vor – das ")
    assert "1 Person setzt diesmal aus; ich sage ihr freundlich" in ran[0].text


async def test_nobody_to_pair_is_said_plainly(community: tuple[App, MemoryAdapter]) -> None:
    app, memory = community
    olga = memory.member("olga")
    nobody = await memory.admin(olga, "match", "preview")
    assert nobody[0].text.startswith("Nobody is waiting to be matched right now")
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text == "Nobody was waiting to be matched, so I introduced nobody."

    # Two who share no language: no pair is possible, and the run says so.
    await onboard_all(memory, {"ana": ANA, "cleo": CLEO})
    preview = await memory.admin(olga, "match", "preview")
    assert preview[0].text.startswith(
        "No pair is possible this time: 2 members are waiting, but no two of them fit together"
    )
    assert "0 pairs" not in preview[0].text
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text.startswith("No pair was possible this time, so I introduced nobody. The 2 ")
    await app.run_due()
    assert spaces_of(memory) == {}


async def test_a_day_old_preview_is_not_run(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    await onboard_all(memory, FOUR)
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    clock.advance(timedelta(hours=25))
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text.startswith("The preview Olga made (2026-01-05 09:00) is too old to run")
    assert "/tandem-admin match preview" in ran[0].text
    await app.run_due()
    assert spaces_of(memory) == {}
    # A fresh preview runs.
    await memory.admin(olga, "match", "preview")
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text.startswith("The round is on: I'm introducing 2 pairs now")


async def test_a_preview_of_a_week_that_has_begun_is_not_run(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    _app, memory = community
    await onboard_all(memory, FOUR)
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")  # Monday 09:00: for this very week
    clock.advance(timedelta(hours=23))  # Tuesday: a round made now is for next Monday's week
    ran = await memory.admin(olga, "match", "run")
    assert "is too old to run" in ran[0].text


async def test_the_run_says_whose_preview_it_introduces(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    _app, memory = community
    await onboard_all(memory, FOUR)
    await memory.admin(memory.member("olga"), "match", "preview")
    clock.advance(timedelta(minutes=64))
    await memory.admin(memory.member("bea"), "match", "preview")
    ran = await memory.admin(memory.member("olga"), "match", "run")
    assert ran[0].text.startswith(
        "The round is on: I'm introducing 2 pairs now – the ones Bea previewed at 10:04 – "
    )


async def test_a_scheduled_preview_says_it_replaces_an_organizers(
    make_app: AppFactory, clock: FakeClock
) -> None:
    schedule = {"cadence_weeks": 1, "weekday": "mon", "time": "10:00"}
    app = await make_app("memory", program={"matching": schedule})
    memory = memory_of(app)
    memory.organizers = {"olga"}
    await onboard_all(memory, FOUR)
    await memory.admin(memory.member("olga"), "match", "preview")  # 09:00
    clock.advance(timedelta(hours=1))
    await app.run_due()
    posted = to_organizers(memory)
    assert posted[0].startswith("Match round preview for the week of")
    assert posted[1] == (
        "This scheduled preview replaces the one Olga made at 09:00, which had not been run: "
        "only the newest preview can be run."
    )
