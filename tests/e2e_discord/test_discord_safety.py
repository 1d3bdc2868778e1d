"""Block and report on Discord, end to end through the loopback Discord: a member picks whom to
block in the command's user option (Discord's own member picker), the answer is ephemeral, and
the blocked person hears nothing."""

from __future__ import annotations

import pytest

from bot.messages import msg, user_text
from store.blocks import Identity
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import AnswerPolicy, answer_until_done, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64


async def test_a_member_picks_whom_to_block_and_the_blocked_hears_nothing(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        for user in (ada, bob):
            await server.invoke_command(user, guild, "tandem", subcommand="join")
            await answer_until_done(tandem, user, AnswerPolicy())
        bob_saw = len(tandem.dm_messages(bob))

        blocking = await server.invoke_command(
            ada, guild, "tandem", subcommand="block", options={"member": bob}
        )
        answer = await server.wait_for_interaction_response(blocking)
        assert answer.data["flags"] & EPHEMERAL
        assert answer.data["content"] == tandem.text(msg("block.done", name=user_text("bob")))

        ada_record, bob_record = await tandem.member(ada), await tandem.member(bob)
        assert ada_record is not None
        assert bob_record is not None
        pairs = await tandem.app.store.blocks.blocked_pairs(
            "discord", [Identity.of(ada_record), Identity.of(bob_record)]
        )
        assert pairs == {(ada_record.id, bob_record.id)}
        assert len(tandem.dm_messages(bob)) == bob_saw
