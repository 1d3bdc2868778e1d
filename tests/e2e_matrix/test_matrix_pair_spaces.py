"""Pair rooms on a real Synapse are opened once per marker: the marker's tag is a state event
of the room, so a room the bot made and never recorded (it died in between, or lost its
records) is found among its joined rooms, not made twice; closing takes a removed member out;
a homeserver's rate limits make the bot wait, not fail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.matrix.pair_rooms import PAIR_STATE
from bot.due import SimulatedCrash
from bot.intents import ClosePairSpace
from bot.messages import organizer_text
from bot.pair_spaces import MARKER_PREFIX, space_tag
from bot.places import MemberRef
from tests.support.synapse.bot import TandemBot, open_community, open_pair_room, until_in
from tests.support.synapse.fixtures import MatrixTestUser, MatrixUserFactory, new_matrix_user
from tests.support.synapse.homeserver import Homeserver, synapse_missing_reason

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]

WELCOME = "Welcome, you two!"


async def bot_rooms_with_tag(synapse: Homeserver, bot: TandemBot, tag: str) -> list[str]:
    """The rooms the bot is in whose org.tandem.pair state carries ``tag``, as Synapse has it."""
    token = bot.adapter.client.access_token
    joined = (await asyncio.to_thread(synapse.rooms_of, token))["join"]
    found = []
    for room_id in sorted(joined):
        state = await asyncio.to_thread(
            synapse.request, "GET", f"/_matrix/client/v3/rooms/{room_id}/state", access_token=token
        )
        if any(e["type"] == PAIR_STATE and e["content"].get("tag") == tag for e in state):
            found.append(room_id)
    return found


async def community_of_two(
    bot: TandemBot, users: MatrixUserFactory
) -> tuple[MatrixTestUser, MatrixTestUser, str]:
    """Alice and Bob in a community room an organizer made, the bot invited (not started)."""
    organizer = await users("organizer")
    alice, bob = await users("alice"), await users("bob")
    return alice, bob, await open_community(organizer, bot, [alice, bob])


async def test_the_same_marker_twice_opens_one_room_with_its_tag_and_one_welcome(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, community = await community_of_two(tandem_bot, matrix_user_factory)
    app = await tandem_bot.start()

    first = await open_pair_room(app, community, alice, bob, welcome=WELCOME, marker="tandem:1")
    again = await open_pair_room(app, community, alice, bob, welcome=WELCOME, marker="tandem:1")

    assert first == again
    room_id = first.channel_id
    assert room_id is not None
    tag = space_tag("test-community", "tandem:1")
    assert await bot_rooms_with_tag(synapse, tandem_bot, tag) == [room_id]
    for member in (alice, bob):
        await member.join(room_id)
    welcome = await alice.wait_for_message(room_id, sender=tandem_bot.user_id)
    assert welcome.body == WELCOME
    await asyncio.sleep(0.5)
    await alice.sync()
    assert [m.body for m in alice.messages(room_id) if m.sender == tandem_bot.user_id] == [WELCOME]


async def test_a_crash_after_synapse_made_the_room_finds_it_and_invites_the_pair(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, community = await community_of_two(tandem_bot, matrix_user_factory)
    app = await tandem_bot.start()
    rooms = tandem_bot.adapter.pair_rooms

    async def die_before_inviting(room_id: str, members: list[str]) -> None:
        raise SimulatedCrash("after the room was made, before anyone was invited")

    rooms._invite = die_before_inviting
    with pytest.raises(SimulatedCrash):
        await open_pair_room(app, community, alice, bob, welcome=WELCOME, marker="tandem:1")
    tag = space_tag("test-community", "tandem:1")
    (made,) = await bot_rooms_with_tag(synapse, tandem_bot, tag)

    app = await tandem_bot.restart()
    space = await open_pair_room(app, community, alice, bob, welcome=WELCOME, marker="tandem:1")

    assert space.channel_id == made
    assert await bot_rooms_with_tag(synapse, tandem_bot, tag) == [made]
    for member in (alice, bob):
        await member.wait_for_invite(made)
        await member.join(made)
    welcome = await bob.wait_for_message(made, sender=tandem_bot.user_id)
    assert welcome.body == WELCOME


async def test_a_room_the_bot_has_no_record_of_is_found_by_its_state(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, community = await community_of_two(tandem_bot, matrix_user_factory)
    app = await tandem_bot.start()
    first = await open_pair_room(app, community, alice, bob, marker="tandem:2")
    assert first.channel_id is not None
    # The records are lost (a database restored from an older backup, say).
    tag = space_tag("test-community", "tandem:2")
    records = app.store.adapter_state
    await records.delete("test-community", "matrix", MARKER_PREFIX + tag)
    await records.delete("test-community", "matrix", f"room:{first.channel_id}")

    app = await tandem_bot.restart()
    again = await open_pair_room(app, community, alice, bob, marker="tandem:2")

    assert again == first
    assert await bot_rooms_with_tag(synapse, tandem_bot, tag) == [first.channel_id]


async def test_closing_takes_both_partners_out_after_the_farewell(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, community = await community_of_two(tandem_bot, matrix_user_factory)
    app = await tandem_bot.start()
    space = await open_pair_room(app, community, alice, bob, marker="tandem:3")
    room_id = space.channel_id
    assert room_id is not None
    for member in (alice, bob):
        await member.join(room_id)
    await tandem_bot.adapter.loop.wait_for(
        lambda: {alice.user_id, bob.user_id} <= set(tandem_bot.adapter.client.rooms[room_id].users),
        10,
    )

    farewell = "This tandem has ended."
    await app.deliver(
        ClosePairSpace(
            target=space,
            locale="en",
            farewell=organizer_text({"en": farewell}),
            removed=(MemberRef(platform="matrix", user_id=alice.user_id),),
        )
    )

    await bob.wait_for_message(room_id, body=farewell)
    # Nobody stays: Bob could otherwise go on writing to Alice (after a block too), with the
    # bot gone and nobody to stop it.
    for member in (alice, bob):
        await until_in(synapse, member.access_token, room_id, "leave")


# -- a homeserver that rate-limits -------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """A Synapse whose room creation and invites are rate-limited as a busy server's would be
    (a burst of two, then two a second), so that a handful of pair rooms meets 429s."""
    reason = synapse_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    strict = {"per_second": 2, "burst_count": 2}
    homeserver = Homeserver(
        tmp_path_factory.mktemp("strict-synapse"),
        extra_config={
            "rc_room_creation": strict,
            "rc_invites": {"per_room": strict, "per_user": strict, "per_issuer": strict},
        },
    )
    homeserver.start()
    try:
        yield homeserver
    finally:
        homeserver.stop()


async def test_a_rate_limited_homeserver_makes_the_bot_wait_not_fail(
    strict_synapse: Homeserver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = TandemBot(strict_synapse, tmp_path / "tandem")
    await asyncio.to_thread(bot.register)
    members = [await new_matrix_user(strict_synapse, tmp_path / "nio", f"m{n}") for n in range(2)]
    try:
        organizer = members[0]
        community = await open_community(organizer, bot, members[1:])
        app = await bot.start()
        caplog.set_level(logging.INFO, logger="adapters.matrix.retry")
        spaces = [
            await open_pair_room(app, community, *members, marker=f"tandem:{n}") for n in range(6)
        ]
        assert len({space.channel_id for space in spaces}) == 6
        waits = [r for r in caplog.records if "rate-limited" in r.getMessage()]
        assert waits, "the homeserver answered 429 and the bot waited"
        for space in spaces:
            assert space.channel_id is not None
            await members[1].wait_for_invite(space.channel_id)
    finally:
        await bot.stop()
        for member in members:
            await member.close()
