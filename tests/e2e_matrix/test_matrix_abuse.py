"""Bad input on a real Synapse: a 30,000-character command in the community room gets one short
answer (it used to come back quoted in full, split over five messages, for the room to read)."""

from __future__ import annotations

import pytest

from tests.support.synapse.bot import Conversation, TandemBot, open_community
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


async def test_a_30000_character_command_in_the_community_room_gets_one_short_reply(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    community = await open_community(organizer, tandem_bot, [alice])
    await tandem_bot.start()
    await alice.wait_for_join(community, tandem_bot.user_id)
    room = Conversation(alice, community, tandem_bot.user_id)

    (reply,) = await room.exchange(f"{tandem_bot.prefix} " + "spam" * 7500)

    assert reply.body.startswith("I don't know the command \"" + "spam" * 9 + "spa…")
    # The help that follows lists every member command; the 30,000 characters are not in it.
    assert len(reply.body) < 1500
    assert "!tandem join" in reply.body
    assert await room.quiet_for(2.0) == []
