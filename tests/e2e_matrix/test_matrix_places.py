"""Pair rooms on Matrix: private, encrypted, exactly the pair and the bot; left when closed."""

from __future__ import annotations

import asyncio

import pytest
from nio import JoinError

from bot.intents import ClosePairSpace
from bot.messages import organizer_text
from bot.places import PlaceKind
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    open_community,
    open_pair_room,
    until_in,
)
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]


async def test_a_pair_room_has_exactly_the_pair_and_the_bot_and_is_left_when_closed(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    carol = await matrix_user_factory("carol")
    community = await open_community(organizer, tandem_bot, [alice, bob, carol])
    app = await tandem_bot.start()

    space = await open_pair_room(
        app, community, alice, bob, welcome="Welcome, you two! This room is just for you."
    )
    assert space.kind == PlaceKind.PAIR_SPACE
    room_id = space.channel_id
    assert room_id is not None

    for member in (alice, bob):
        await member.join(room_id)
    for member in (alice, bob):
        welcome = await member.wait_for_message(room_id, sender=tandem_bot.user_id)
        assert welcome.body == "Welcome, you two! This room is just for you."
        assert welcome.decrypted
    await alice.wait_for_join(room_id, bob.user_id)
    room = alice.client.rooms[room_id]
    assert sorted(room.users) == sorted([tandem_bot.user_id, alice.user_id, bob.user_id])
    assert room.invited_users == {}
    assert room.encrypted
    assert room.join_rule == "invite"
    assert room.name == "Tandem: Alice & Bob"
    # The bot created the room, so it holds full power (100, or creator rank in room v12+).
    state = await asyncio.wait_for(alice.client.room_get_state(room_id), 10)
    (create,) = [e for e in state.events if e["type"] == "m.room.create"]
    assert create["sender"] == tandem_bot.user_id
    if room.room_version.isdigit() and int(room.room_version) < 12:
        assert room.power_levels.get_user_level(tandem_bot.user_id) == 100
    assert room.power_levels.get_user_level(alice.user_id) == 0
    assert not room.power_levels.can_user_invite(alice.user_id)

    # Someone else from the community cannot get in.
    refused = await asyncio.wait_for(carol.client.join(room_id), timeout=10)
    assert isinstance(refused, JoinError)

    # The pair talk in private; the bot reads along but it is not its business.
    await bob.send_text(room_id, "Hi Alice!")
    await alice.wait_for_message(room_id, body="Hi Alice!")
    chat = Conversation(alice, room_id, tandem_bot.user_id, read=1)
    assert await chat.quiet_for(0.5) == []

    await app.deliver(
        ClosePairSpace(
            target=space,
            locale="en",
            farewell=organizer_text({"en": "This tandem has ended. Thank you both!"}),
        )
    )
    (farewell,) = await chat.next()
    assert farewell.body == "This tandem has ended. Thank you both!"
    # Nobody stays in a closed pair room (the bot kicks both; as the room's creator it holds
    # the power to): neither can go on writing to the other there, with nobody to see it.
    for member in (alice, bob):
        await until_in(synapse, member.client.access_token, room_id, "leave")
    await until_in(synapse, tandem_bot.adapter.client.access_token, room_id, None)
    assert await tandem_bot.adapter.records.room(room_id) == {"kind": "closed"}
    # Left and forgotten: not even among the bot's left rooms.
    rooms = await asyncio.to_thread(synapse.rooms_of, tandem_bot.adapter.client.access_token)
    assert room_id not in rooms["join"] | rooms["leave"]


async def test_organizers_are_told_by_power_level_or_by_the_config(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    community = await open_community(organizer, tandem_bot, [alice, bob])
    tandem_bot.matrix["admin_user_ids"] = [bob.user_id]
    await tandem_bot.start()
    await alice.wait_for_join(community, tandem_bot.user_id)

    adapter = tandem_bot.adapter
    await adapter.loop.wait_for(lambda: community in adapter.client.rooms, 10)
    assert await adapter.is_organizer(
        organizer.user_id
    )  # the room's creator (power 100 / creator rank)
    assert await adapter.is_organizer(bob.user_id)  # listed in matrix.admin_user_ids
    assert not await adapter.is_organizer(alice.user_id)  # power level 0
