"""The Synapse harness works with real matrix-nio clients: encrypted DMs, private rooms, restarts.

These tests prove the test infrastructure (tests/support/synapse) before the bot's Matrix adapter
is tested with it; they assert what a person using a Matrix client would see.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from nio import JoinError, RoomMessageNotice, RoomMessageText

from tests.support.synapse.fixtures import MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = pytest.mark.e2e_matrix


async def test_encrypted_dm_is_read_by_the_other_person_and_stored_encrypted(
    synapse: Homeserver, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")

    room_id = await alice.create_room(invite=[bob.user_id], is_direct=True)
    assert alice.client.rooms[room_id].encrypted
    await bob.join(room_id)
    assert bob.client.rooms[room_id].encrypted
    await alice.wait_for_join(room_id, bob.user_id)

    text = "Hello Bob, I am your mentor for this tandem."
    started = time.monotonic()
    event_id = await alice.send_text(room_id, text, msgtype="m.notice")
    received = await bob.wait_for_message(room_id, body=text, within=10)
    round_trip = time.monotonic() - started
    print(f"encrypted message round trip (send + first sync that shows it): {round_trip:.3f} s")

    # Bob sees Alice's notice, in clear text, as the event Alice sent.
    assert isinstance(received, RoomMessageNotice)
    assert received.sender == alice.user_id
    assert received.event_id == event_id
    assert received.decrypted
    assert bob.undecrypted(room_id) == []

    # And Bob can answer; Alice reads the reply.
    reply = await bob.send_text(room_id, "Hi Alice, nice to meet you!")
    answer = await alice.wait_for_message(room_id, sender=bob.user_id, within=10)
    assert isinstance(answer, RoomMessageText)
    assert answer.event_id == reply
    assert answer.body == "Hi Alice, nice to meet you!"

    # The homeserver only ever holds ciphertext: the raw event, as a member fetches it without
    # decrypting, and as the server admin sees it.
    raw = {event["event_id"]: event for event in synapse.room_messages(room_id, alice.access_token)}
    stored = raw[event_id]
    assert stored["type"] == "m.room.encrypted"
    assert stored["content"]["algorithm"] == "m.megolm.v1.aes-sha2"
    assert "body" not in stored["content"]
    assert text not in json.dumps(stored)
    admin_view = {e["event_id"]: e for e in synapse.admin_room_messages(room_id)}
    assert admin_view[event_id]["type"] == "m.room.encrypted"
    assert not any(e["type"] == "m.room.message" for e in admin_view.values()), (
        "a plaintext message reached the homeserver"
    )


async def test_private_invite_only_room_with_three_people(
    synapse: Homeserver, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    carol = await matrix_user_factory("carol")
    outsider = await matrix_user_factory("dave")

    room_id = await alice.create_room(invite=[bob.user_id, carol.user_id], name="Tandem #1")
    await bob.join(room_id)
    await carol.join(room_id)
    for member in (bob, carol):
        await alice.wait_for_join(room_id, member.user_id)
    await bob.wait_for_join(room_id, carol.user_id)
    await carol.wait_for_join(room_id, bob.user_id)

    room = alice.client.rooms[room_id]
    assert room.encrypted
    assert room.join_rule == "invite"
    assert room.name == "Tandem #1"
    assert sorted(room.users) == sorted([alice.user_id, bob.user_id, carol.user_id])

    # Someone who was not invited cannot get in.
    refused = await asyncio.wait_for(outsider.client.join(room_id), timeout=10)
    assert isinstance(refused, JoinError)
    assert refused.status_code == "M_FORBIDDEN"

    people = (alice, bob, carol)
    for speaker in people:
        await speaker.send_text(room_id, f"Hello from {speaker.user_id}")
    for reader in people:
        for speaker in people:
            if speaker is reader:
                continue
            message = await reader.wait_for_message(
                room_id, body=f"Hello from {speaker.user_id}", within=10
            )
            assert message.sender == speaker.user_id
            assert isinstance(message, RoomMessageText)
        assert reader.undecrypted(room_id) == []


async def test_sync_continues_after_the_homeserver_restarts(
    synapse: Homeserver, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    room_id = await alice.create_room(invite=[bob.user_id], is_direct=True)
    await bob.join(room_id)
    await alice.wait_for_join(room_id, bob.user_id)
    await bob.send_text(room_id, "before the restart")
    await alice.wait_for_message(room_id, body="before the restart", within=10)
    token_before = alice.client.next_batch

    # Alice is in the middle of a long-poll sync when the homeserver goes away.
    in_flight = asyncio.create_task(alice.sync(timeout_ms=30_000))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await asyncio.to_thread(synapse.restart)
    print(f"homeserver restart took {time.monotonic() - started:.2f} s")
    assert synapse.running
    # The interrupted request fails or returns; either way it must not hang.
    try:
        await asyncio.wait_for(in_flight, timeout=15)
        outcome = "returned"
    except Exception as exc:  # the connection drop surfaces as an aiohttp/nio error
        outcome = f"raised {type(exc).__name__}"
    print(f"the sync in flight during the restart {outcome}")
    assert in_flight.done()

    # The conversation goes on after the restart, from where Alice's sync left off.
    await bob.send_text(room_id, "after the restart")
    message = await alice.wait_for_message(room_id, body="after the restart", within=15)
    assert message.sender == bob.user_id
    assert isinstance(message, RoomMessageText)
    assert alice.client.next_batch != token_before
    bodies = [m.body for m in alice.messages(room_id)]
    assert bodies.count("before the restart") == 1, f"old message replayed: {bodies}"
    assert alice.undecrypted(room_id) == []
