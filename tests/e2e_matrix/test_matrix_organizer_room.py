"""What the bot tells the organizers (a scheduled round's preview) reaches the room of
``matrix.organizer_room`` on a real Synapse, and only that room."""

from __future__ import annotations

import pytest

from bot.intents import Say
from bot.messages import msg
from bot.places import Place
from tests.support.synapse.bot import TandemBot, open_community
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]


async def test_a_notice_to_the_organizers_reaches_their_room(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    community = await open_community(organizer, tandem_bot, [])
    await tandem_bot.start()
    await organizer.wait_for_join(community, tandem_bot.user_id)
    # The organizers' room: the bot joins on the invite of someone in the community, and is
    # then told (after a restart) that it is the organizer room.
    room = await organizer.create_room(invite=[tandem_bot.user_id], name="Organizers")
    await organizer.wait_for_join(room, tandem_bot.user_id)
    tandem_bot.matrix["organizer_room"] = room
    app = await tandem_bot.restart()

    preview = msg("match.preview.nobody")
    await app.deliver(Say(target=Place.organizers("matrix"), locale="en", text=preview))
    expected = app.translator.render(preview, "en")
    seen = await organizer.wait_for_message(room, body=expected, sender=tandem_bot.user_id)
    assert seen.body.startswith("Nobody is waiting to be matched right now")
    assert [
        event for event in organizer.messages(community) if event.sender == tandem_bot.user_id
    ] == []
