"""Block and report on a real Synapse: a member names whom to block with a mention (a pill shows
the display name; the bot takes the user it links to) or a typed user id."""

from __future__ import annotations

import asyncio

import pytest
from nio import RoomSendResponse

from bot.messages import msg
from store.blocks import Identity
from tests.support.synapse.bot import (
    TandemBot,
    handled,
    joined_member_with_a_profile,
    open_community,
    open_dm,
)
from tests.support.synapse.fixtures import DEFAULT_TIMEOUT, MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


async def test_a_member_blocks_someone_by_mentioning_them(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob", displayname="Bob")
    await open_community(organizer, tandem_bot, [alice, bob])
    app = await tandem_bot.start()
    for member in (alice, bob):
        await joined_member_with_a_profile(tandem_bot, member.user_id, "Honest feedback")
    chat = await open_dm(alice, tandem_bot)

    # What Element sends for "!tandem block " followed by a pill of Bob.
    content = {
        "msgtype": "m.text",
        "body": "!tandem block Bob",
        "format": "org.matrix.custom.html",
        "formatted_body": f'!tandem block <a href="https://matrix.to/#/{bob.user_id}">Bob</a>',
        "m.mentions": {"user_ids": [bob.user_id]},
    }
    sent = await asyncio.wait_for(
        alice.client.room_send(
            chat.room_id, "m.room.message", content, ignore_unverified_devices=True
        ),
        DEFAULT_TIMEOUT,
    )
    assert isinstance(sent, RoomSendResponse)
    await handled(tandem_bot, sent.event_id)
    (answer,) = await chat.next()
    assert answer.body == app.translator.render(msg("block.done_someone"), "en")

    records = [
        await app.store.members.find("test-community", "matrix", who.user_id)
        for who in (alice, bob)
    ]
    people = [Identity.of(record) for record in records if record is not None]
    assert len(await app.store.blocks.blocked_pairs("test-community", people)) == 1
