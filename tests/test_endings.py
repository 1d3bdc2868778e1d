"""How a tandem ends on the memory adapter: ``rematch``, ``block`` of the partner, ``leave``,
leaving the community, ``forget``; what the partner is told (kindly, never why), that they are
first in line, that the pair space closes, and that the two are never matched again."""

from __future__ import annotations

import pytest

from bot.intents import ClosePairSpace, Say
from bot.places import PlaceKind
from tests.conftest import AppFactory
from tests.support.rounds import (
    BEN,
    closed_spaces,
    onboard,
    said_in,
    status,
)
from tests.support.tandem_pair import Pair, pair_in_a_tandem


@pytest.fixture
async def pair(make_app: AppFactory) -> Pair:
    return await pair_in_a_tandem(await make_app("memory"))


async def never_matched_again(pair: Pair) -> None:
    preview = await pair.memory.admin(pair.olga, "match", "preview")
    assert preview[0].text.startswith("No pair is possible this time: 2 members are waiting")
    assert "Ana ↔ Ben" not in preview[0].text


async def first_in_line(pair: Pair, who: str) -> bool:
    member = await pair.app.store.members.find("memory", "memory", who)
    assert member is not None
    return member.first_in_line_at is not None


async def test_rematch_ends_the_tandem_kindly_and_the_two_never_meet_again(pair: Pair) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    await memory.command(pair.ana, "rematch")
    assert memory.last_ask(pair.ana).question.id == "rematch.ask"
    kept = await memory.pick(pair.ana, "keep")
    assert "Okay, euer Tandem geht weiter. 🙂" in [r.text for r in kept]
    assert (await pair.tandem()).state == "active"

    await memory.command(pair.ana, "rematch")
    done = await memory.pick(pair.ana, "end")
    assert done[-1].text.startswith("Erledigt: Dein Tandem mit Ben ist beendet")
    # The agreement she had put on hold for this is not taken up again: the tandem is over.
    assert await app.store.conversations.suspended_for((await pair.record(pair.ana)).id) is None
    await app.run_due()
    told = memory.received(pair.ben)[ben_seen:]
    assert [r.text for r in told] == [
        "Ana has decided to end your tandem. That happens, and it's nobody's fault — thank you "
        "for the time you shared! You're first in line in the next match round."
    ]
    assert said_in(memory, pair.space)[-1].startswith("This tandem has ended, so this space")
    assert closed_spaces(memory) == [pair.space]
    tandem = await pair.tandem()
    assert (tandem.state, tandem.end_reason) == ("ended", "rematch")
    assert await status(app.store, "ana") == await status(app.store, "ben") == "waiting"
    assert await first_in_line(pair, "ben")
    await never_matched_again(pair)


async def test_blocking_the_partner_ends_the_tandem_and_the_partner_hears_no_reason(
    pair: Pair,
) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    blocked = await memory.command(pair.ana, "block")  # no name: her tandem partner
    assert blocked[0].text.startswith("Erledigt: Dein Tandem mit Ben ist beendet, und ich bringe")
    await app.run_due()
    assert pair.said_to(pair.ben, ben_seen) == ["ending.partner_ended"]
    assert "block" not in " ".join(memory.texts(pair.ben)[ben_seen:]).casefold()
    # Recorded as a rematch: Ben's own data (mydata) shows nothing else.
    assert (await pair.tandem()).end_reason == "rematch"
    assert closed_spaces(memory) == [pair.space]

    # Ben forgets (the tandem rows go with him) and joins again: the block still holds.
    await memory.command(pair.ben, "forget")
    await memory.pick(pair.ben, "forget")
    await onboard(memory, "ben", BEN)
    assert await app.store.tandems.latest_for((await pair.record(pair.ana)).id) is None
    await never_matched_again(pair)


async def test_when_a_partner_leaves_the_other_is_told_kindly_and_is_first_in_line(
    pair: Pair,
) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    await memory.command(pair.ana, "leave")
    await memory.pick(pair.ana, "leave")
    await app.run_due()
    told = [r.text for r in memory.received(pair.ben)[ben_seen:]]
    assert told == [
        "Your tandem has ended: Ana is no longer taking part in the program. Thank you for the "
        "time you shared! You're first in line in the next match round."
    ]
    assert await status(app.store, "ana") == "left"
    assert await status(app.store, "ben") == "waiting"
    assert await first_in_line(pair, "ben")
    space = memory.world.spaces[pair.space]
    assert space.closed
    assert space.removed == ["ana"]


async def test_when_a_partner_leaves_the_server_the_other_is_told_and_first_in_line(
    pair: Pair,
) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    await memory.leave(pair.ana)
    await app.run_due()
    assert pair.said_to(pair.ben, ben_seen) == ["ending.partner_left"]
    assert (await pair.tandem()).end_reason == "left"
    assert await first_in_line(pair, "ben")
    assert memory.world.spaces[pair.space].removed == ["ana"]


async def test_forget_closes_the_pair_space_for_the_partner_before_deleting(pair: Pair) -> None:
    memory, app = pair.memory, pair.app
    ben_seen = len(memory.received(pair.ben))
    await memory.command(pair.ana, "forget")
    before = len(memory.sent)
    await memory.pick(pair.ana, "forget")
    order = [
        ("farewell" if isinstance(r.intent, ClosePairSpace) else r.intent.text.id)
        for r in memory.sent[before:]
        if isinstance(r.intent, ClosePairSpace | Say)
    ]
    # The farewell in the space comes first, in Ana's German and then, with the closing, in
    # Ben's English, while Ana is still known; then her confirmation.
    assert order == ["ending.space_farewell", "farewell", "forget.done"]
    farewell = [r for r in memory.sent[before:] if isinstance(r.intent, ClosePairSpace)]
    assert farewell[0].place.kind == PlaceKind.PAIR_SPACE
    assert farewell[0].text.startswith("This tandem has ended, so this space closes now.")
    space = memory.world.spaces[pair.space]
    assert space.closed
    assert space.removed == ["ana"]
    assert await app.store.members.find("memory", "memory", "ana") is None
    await app.run_due()
    # Ben hears that the tandem ended, without Ana's name or any detail.
    assert pair.said_to(pair.ben, ben_seen) == ["ending.partner_gone"]
    assert "Ana" not in memory.texts(pair.ben)[-1]
    assert await status(app.store, "ben") == "waiting"
    assert await first_in_line(pair, "ben")
