"""Which rooms the bot treats as a member's DM, what it sends there, and how it leaves rooms.

A room is a member's DM only while it is private to them: invite-only, encrypted (encryption
on), opened by the bot or flagged direct by the member, with exactly the bot and the member.
Anything else gets nothing personal: the bot opens a real DM instead.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from nio import ReactionEvent, RoomCreateResponse, RoomPreset

from tests.support.join_player import record_intents
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    answering_in_a_dm,
    handled,
    joined_member_with_a_profile,
    open_community,
    open_dm,
)
from tests.support.synapse.fixtures import (
    DEFAULT_TIMEOUT,
    ENCRYPTION_STATE,
    MatrixTestUser,
    MatrixUserFactory,
)
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]

SECRET_HOPE = "a hope only the bot may know"


async def new_dm_from_the_bot(member: MatrixTestUser, bot: TandemBot, known: set[str]) -> str:
    """Wait for the bot's invite to a room ``member`` does not know yet and join it."""
    await member.sync_until(
        lambda: bool(set(member.client.invited_rooms) - known), what="an invite to a new DM"
    )
    (room_id,) = set(member.client.invited_rooms) - known
    await member.join(room_id)
    room = member.client.rooms[room_id]
    assert room.encrypted
    assert room.join_rule == "invite"
    state = await asyncio.wait_for(member.client.room_get_state(room_id), DEFAULT_TIMEOUT)
    (create,) = [event for event in state.events if event["type"] == "m.room.create"]
    assert create["sender"] == bot.user_id
    assert sorted(room.users) == sorted([member.user_id, bot.user_id])
    return room_id


async def test_a_room_someone_made_public_and_left_is_not_taken_for_the_members_dm(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    mallory = await matrix_user_factory("mallory")
    await open_community(organizer, tandem_bot, [alice, mallory])
    await tandem_bot.start()
    await joined_member_with_a_profile(tandem_bot, alice.user_id, SECRET_HOPE)

    # Mallory (a community member, so the bot accepts her invite) makes a public room with
    # Alice and the bot, then leaves: two people are left, but anyone may walk in and read.
    response = await asyncio.wait_for(
        mallory.client.room_create(
            preset=RoomPreset.public_chat,
            invite=[alice.user_id, tandem_bot.user_id],
            initial_state=[ENCRYPTION_STATE],
        ),
        DEFAULT_TIMEOUT,
    )
    assert isinstance(response, RoomCreateResponse)
    trap = response.room_id
    await alice.join(trap)
    await alice.wait_for_join(trap, tandem_bot.user_id)
    await asyncio.wait_for(mallory.client.room_leave(trap), DEFAULT_TIMEOUT)
    await alice.sync_until(
        lambda: mallory.user_id not in alice.client.rooms[trap].users, what="Mallory to leave"
    )
    known = set(alice.client.rooms)

    command = await alice.send_text(trap, "!tandem profile")
    await handled(tandem_bot, command)
    dm = await new_dm_from_the_bot(alice, tandem_bot, known)
    profile = await Conversation(alice, dm, tandem_bot.user_id).next()
    assert SECRET_HOPE in profile[0].body
    in_trap = Conversation(alice, trap, tandem_bot.user_id)
    await in_trap.quiet_for(0.3)
    assert all(SECRET_HOPE not in m.body for m in in_trap.bot_messages())
    assert await tandem_bot.adapter.records.dm_room(alice.user_id) == dm


async def test_files_go_only_into_an_encrypted_dm(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    await tandem_bot.start()
    await joined_member_with_a_profile(tandem_bot, alice.user_id, SECRET_HOPE)
    # Alice's own direct chat with the bot, but without encryption.
    plain = await alice.create_room(invite=[tandem_bot.user_id], is_direct=True, encrypted=False)
    await alice.wait_for_join(plain, tandem_bot.user_id)
    known = set(alice.client.rooms)

    command = await alice.send_text(plain, "!tandem mydata")
    await handled(tandem_bot, command)
    dm = await new_dm_from_the_bot(alice, tandem_bot, known)

    def files(room_id: str) -> list[dict]:
        return [
            event.source["content"]
            for rid, event in alice.timeline
            if rid == room_id and event.source.get("content", {}).get("msgtype") == "m.file"
        ]

    await alice.sync_until(lambda: len(files(dm)) == 2, what="both export files in the new DM")
    assert all("file" in content and "url" not in content for content in files(dm))
    await Conversation(alice, plain, tandem_bot.user_id).quiet_for(0.3)
    assert files(plain) == []


async def test_the_bots_reactions_in_an_encrypted_dm_are_encrypted(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    record_intents(await tandem_bot.start())
    chat = await open_dm(alice, tandem_bot)
    await chat.say("!tandem join")
    await chat.next(2)  # the greeting and the language question
    await chat.say("English")

    def reactions() -> list[ReactionEvent]:
        return [
            event
            for room_id, event in alice.timeline
            if room_id == chat.room_id
            and isinstance(event, ReactionEvent)
            and event.sender == tandem_bot.user_id
        ]

    # The consent question comes with the bot's ✅ and ❌ for one-click answers.
    await alice.sync_until(lambda: len(reactions()) >= 2, what="the bot's reactions")
    assert {event.key for event in reactions()} >= {"✅", "❌"}
    stored = await asyncio.to_thread(synapse.room_messages, chat.room_id, alice.access_token)
    by_bot = {event["event_id"]: event["type"] for event in stored}
    for reaction in reactions():
        assert by_bot[reaction.event_id] == "m.room.encrypted"


async def test_a_room_the_bot_leaves_is_forgotten(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    chat = await answering_in_a_dm(tandem_bot, alice)
    token = tandem_bot.adapter.client.access_token

    # Alice leaves her DM; the bot leaves it too, and forgets it.
    await asyncio.wait_for(alice.client.room_leave(chat.room_id), DEFAULT_TIMEOUT)
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while True:
        rooms = await asyncio.to_thread(synapse.rooms_of, token)
        if chat.room_id not in rooms["join"] | rooms["leave"]:
            break
        assert time.monotonic() < deadline, f"the bot did not leave and forget the DM: {rooms}"
        await asyncio.sleep(0.1)
    assert await tandem_bot.adapter.records.dm_room(alice.user_id) is None
