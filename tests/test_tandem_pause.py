"""``pause`` and ``resume`` in a tandem, on the memory adapter: the tandem pauses (the partner is
told neutrally) and ``resume`` returns to it, not to the pool; a dated pause ends by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from tests.conftest import AppFactory
from tests.support.rounds import status
from tests.support.tandem_pair import Pair, pair_in_a_tandem


@pytest.fixture
async def pair(make_app: AppFactory) -> Pair:
    return await pair_in_a_tandem(await make_app("memory"))


async def test_pause_pauses_the_tandem_and_resume_returns_to_it(pair: Pair) -> None:
    memory, app = pair.memory, pair.app
    await memory.command(pair.ana, "pause")
    assert memory.last_ask(pair.ana).question.id == "pause.ask_until"
    paused = await memory.submit(pair.ana, "offen")
    to_ana = [r.text for r in paused if r.place.user_id == "ana"]
    assert [t for t in to_ana if t.startswith("Dein Tandem mit Ben ist pausiert.")]
    assert [r.text for r in paused if r.place.user_id == "ben"] == [
        "Ana has paused your tandem for a while. Nothing you need to do — I'll tell you when it "
        "goes on."
    ]
    tandem = await pair.tandem()
    assert tandem.state == "paused"
    assert tandem.paused_by == (await pair.record(pair.ana)).id
    # Both stay in their tandem: nobody is matched meanwhile.
    assert await status(app.store, "ana") == await status(app.store, "ben") == "in_tandem"
    preview = await memory.admin(pair.olga, "match", "preview")
    assert preview[0].text.startswith("Nobody is waiting to be matched right now")

    # Ben cannot end Ana's pause, but is told how to end the tandem if he'd rather not wait.
    refused = await memory.command(pair.ben, "resume")
    assert refused[0].text.startswith("Ana has paused your tandem for now")
    assert (await pair.tandem()).state == "paused"
    # Nor pause it himself: he is told so before being asked until when.
    again = await memory.command(pair.ben, "pause")
    assert again[0].text.startswith("Ana has paused your tandem for now")
    assert memory.last_ask(pair.ben).question.id != "pause.ask_until"

    back = await memory.command(pair.ana, "resume")
    assert [r.place.user_id for r in back][:2] == ["ana", "ben"]
    assert back[0].text.startswith("Willkommen zurück! Dein Tandem mit Ben geht weiter")
    assert back[1].text == "Ana is back: your tandem goes on. 🎉"
    assert (await pair.tandem()).state == "active"
    assert await status(app.store, "ana") == "in_tandem"


async def test_a_dated_pause_of_the_tandem_ends_by_itself(pair: Pair, clock: FakeClock) -> None:
    memory, app = pair.memory, pair.app
    day = (clock.now() + timedelta(days=10)).date()
    paused = await memory.command(pair.ana, "pause", day.isoformat())
    to_ana = " ".join(r.text for r in paused if r.place.user_id == "ana")
    assert "pausiert; dann geht es von selbst weiter" in to_ana
    (told,) = [r.text for r in paused if r.place.user_id == "ben"]
    assert told.startswith("Ana has paused your tandem until ")
    clock.advance(timedelta(days=5))
    await app.run_due()
    assert (await pair.tandem()).state == "paused"
    clock.advance(timedelta(days=6))
    await app.run_due()
    assert (await pair.tandem()).state == "active"
    assert memory.texts(pair.ben)[-1] == (
        "Your tandem's pause is over: you and Ana can pick up where you left off. 🎉"
    )
    assert memory.texts(pair.ana)[-1].startswith("Die Pause eures Tandems ist vorbei")


async def test_a_pause_ends_with_the_tandem_and_is_not_resumed_later(
    pair: Pair, clock: FakeClock
) -> None:
    memory, app = pair.memory, pair.app
    day = (clock.now() + timedelta(days=3)).date()
    await memory.command(pair.ana, "pause", day.isoformat())
    await memory.command(pair.ben, "rematch")
    await memory.pick(pair.ben, "end")
    await app.run_due()
    clock.advance(timedelta(days=4))
    await app.run_due()
    tandem = await pair.tandem()
    assert (tandem.state, tandem.end_reason) == ("ended", "rematch")
    assert not [t for t in memory.texts(pair.ana) if "Pause eures Tandems ist vorbei" in t]


async def test_during_an_introduction_there_is_no_tandem_to_pause(make_app: AppFactory) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"), active=False)
    said = await pair.memory.command(pair.ana, "pause")
    assert said[0].text.startswith("Du und Ben wurdet gerade erst einander vorgestellt")
    assert (await pair.tandem()).state == "introduced"
    assert await status(pair.app.store, "ana") == "in_tandem"
