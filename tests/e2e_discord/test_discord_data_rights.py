"""Data rights on Discord, end to end through the loopback Discord: after ``forget`` nothing in
the database names the member, not even the record of a pair space they share with someone,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import Database
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import (
    PREFERRED,
    TEXTS,
    AnswerPolicy,
    answer_until_done,
    open_pair_space,
    running_tandem,
)
from tests.test_data_rights import everything_in_the_database

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(90)]

MARKER = "Quallenaquarien-7f3k"


async def test_forget_leaves_no_trace_even_in_a_shared_pair_space_record(
    loopback_discord: LoopbackDiscord, any_app_db: Database
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(server, guild, any_app_db.url, pair_channel_id=tandems.id) as tandem:
        for user, text in ((ada, MARKER), (bob, "Bob's own answers")):
            await server.invoke_command(user, guild, "tandem", subcommand="join")
            await answer_until_done(tandem, user, AnswerPolicy(texts={**TEXTS, "offer_text": text}))
        delivery = await open_pair_space(tandem, server.default_channel(guild).id, ada, bob)
        assert delivery is not None
        assert delivery.place is not None
        before = await everything_in_the_database(tandem.app)
        assert str(ada.id) in before
        assert MARKER in before

        await server.invoke_command(ada, guild, "tandem", subcommand="forget")
        forgetting = AnswerPolicy(preferred={**PREFERRED, "confirm": "forget"})
        await answer_until_done(tandem, ada, forgetting)

        assert await tandem.member(ada) is None
        remaining = await everything_in_the_database(tandem.app)
        assert str(ada.id) not in remaining
        assert MARKER not in remaining
        # The pair space's record stays for Bob, who is still in it.
        record = await tandem.app.store.adapter_state.get(
            "discord", "discord", f"pair_space:{delivery.place.channel_id}"
        )
        assert record == {"mode": "thread", "members": [str(bob.id)]}
        assert await tandem.member(bob) is not None
