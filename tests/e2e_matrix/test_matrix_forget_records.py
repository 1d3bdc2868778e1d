"""forget on Matrix, against a real Synapse: afterwards no record of the bot names the member,
not the DM, not the questions, not the pair room they share with someone."""

from __future__ import annotations

import pytest

from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    open_community,
    open_dm,
    open_pair_room,
)
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.test_data_rights import everything_in_the_database

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]


async def until_bot_says(chat: Conversation, beginning: str) -> None:
    """Read the bot's messages up to the one that begins with ``beginning``."""
    for _ in range(10):
        (message,) = await chat.next()
        if message.body.startswith(beginning):
            return
    raise AssertionError(f"the bot never said {beginning!r}")


async def test_forget_reaches_the_pair_room_record_and_every_other_record(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    community = await open_community(organizer, tandem_bot, [alice, bob])
    app = await tandem_bot.start()
    chat = await open_dm(alice, tandem_bot)
    await chat.exchange(f"{tandem_bot.prefix} join")  # the first question: the member exists
    room_id = (await open_pair_room(app, community, alice, bob)).channel_id
    assert alice.user_id in await everything_in_the_database(app)

    await chat.say(f"{tandem_bot.prefix} forget")
    await until_bot_says(chat, "Do you want me to delete all your data")
    await chat.say("1")
    await until_bot_says(chat, "Done. I've deleted everything")

    assert await app.store.members.find("test-community", "matrix", alice.user_id) is None
    assert alice.user_id not in await everything_in_the_database(app)
    pair = await app.store.adapter_state.get("test-community", "matrix", f"room:{room_id}")
    assert pair == {"kind": "pair", "members": [bob.user_id]}
