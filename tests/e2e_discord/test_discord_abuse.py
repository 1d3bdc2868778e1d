"""Bad input and abuse on the loopback Discord: a member who writes faster than the rate limit
is told once to slow down; text a member wrote shows literally, never as markdown or a ping."""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import msg
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import AnswerPolicy, answer_until_done, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

MARKUP = "**x** <b>y</b> @everyone"


async def test_a_member_writing_too_fast_is_told_once_to_slow_down(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    slow = {"rate_limit": {"burst": 3, "per_second": 0.01}}
    async with running_tandem(server, guild, tmp_path / "t.db", bot_settings=slow) as tandem:
        dm = server.dm_channel_for(ada)
        for number in range(6):
            await server.send_user_message(ada, dm, f"hello {number}")
        replies = [(await server.wait_for_message(dm.id)).content for _ in range(4)]
        # Messages are handled concurrently, so in any order: three helps and one notice.
        lead = tandem.text(msg("router.no_conversation"))
        assert sum(reply.startswith(lead) for reply in replies) == 3
        assert replies.count(tandem.text(msg("rate.slow_down"))) == 1
        # The two events after the notice were dropped without another one.
        await asyncio.sleep(0.5)
        assert len(tandem.dm_messages(ada)) == 4


async def test_text_a_member_wrote_shows_literally_not_as_markdown(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        policy = AnswerPolicy()
        policy.texts["offer_text"] = MARKUP
        await answer_until_done(tandem, ada, policy)
        command = await server.invoke_command(ada, guild, "tandem", subcommand="profile")
        response = await server.wait_for_interaction_response(command)
        profile = response.data["content"]
        # Escaped for Discord's markdown: the member reads "**x** <b>y</b> @everyone" as typed,
        # and "@everyone" is broken so it does not even look like a mention.
        assert "\\*\\*x\\*\\* <b>y</b> @\u200beveryone" in profile
        record = await tandem.member(ada)
        assert record is not None
        stored = await tandem.app.store.members.profile(record.id)
        assert stored["offer_text"] == MARKUP
