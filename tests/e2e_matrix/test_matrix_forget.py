"""``forget`` on Matrix takes back what the bot can: the DM is redacted, left and forgotten, and
the bot keeps no key that could decrypt it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.i18n import Translator
from bot.messages import msg
from tests.support.synapse.bot import TandemBot, joined_member_with_a_profile, open_dm
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]

CONVERSATION = {"m.room.message", "m.room.encrypted", "m.reaction"}


def megolm_sessions(store: Path, room_id: str) -> int:
    """Room keys the bot's crypto store holds for ``room_id``."""
    count = 0
    for database in store.glob("*.db"):
        with sqlite3.connect(database) as connection:
            query = "SELECT count(*) FROM megolminboundsessions WHERE room_id = ?"
            count += connection.execute(query, (room_id,)).fetchone()[0]
    return count


async def test_forget_redacts_leaves_and_forgets_the_dm_and_drops_its_keys(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    app = await tandem_bot.start()
    done_text = Translator().render(msg("forget.done"), "en")
    store = tandem_bot.base_dir / "data" / "matrix"
    forgotten: list[str] = []

    for _ in range(3):  # join and forget, three times over
        await joined_member_with_a_profile(tandem_bot, alice.user_id, "to be forgotten")
        chat = await open_dm(alice, tandem_bot)
        await chat.exchange("!tandem forget")
        assert megolm_sessions(store, chat.room_id) > 0  # the bot could read her messages
        (done,) = await chat.exchange("1")
        assert done.body == done_text
        await alice.sync_until(
            lambda room=chat.room_id: tandem_bot.user_id not in alice.client.rooms[room].users,
            what="the bot to leave the DM",
        )
        forgotten.append(chat.room_id)

        # On the server the conversation is redacted, all but the note that it is deleted.
        events = await asyncio.to_thread(synapse.admin_room_messages, chat.room_id)
        said = [e for e in events if e["type"] in CONVERSATION]
        assert len(said) >= 4
        kept = [e["event_id"] for e in said if e["content"]]
        assert kept == [done.event_id]
        assert megolm_sessions(store, chat.room_id) == 0
        assert await app.store.members.find("test-community", "matrix", alice.user_id) is None

    rooms = await asyncio.to_thread(synapse.rooms_of, tandem_bot.adapter.client.access_token)
    assert not set(forgotten) & (rooms["join"] | rooms["leave"])
