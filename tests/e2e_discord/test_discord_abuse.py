"""Bad input and abuse on the loopback Discord: a member who writes faster than the rate limit
is told once to slow down; text a member wrote shows literally, never as markdown or a ping."""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import msg
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import AnswerPolicy, answer_until_done, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64
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


async def test_each_slash_command_over_the_limit_is_answered_privately_not_lost(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    """A Discord interaction must be answered: one dropped by the limit is told so, privately,
    instead of a false "answered in your DM"."""
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    slow = {"rate_limit": {"burst": 2, "per_second": 0.01}}
    async with running_tandem(server, guild, tmp_path / "t.db", bot_settings=slow) as tandem:
        commands = [
            await server.invoke_command(ada, guild, "tandem", subcommand="help") for _ in range(4)
        ]
        responses = [await server.wait_for_interaction_response(c) for c in commands]
        contents = sorted(response.data["content"] for response in responses)
        notice = tandem.text(msg("rate.slow_down"))
        assert contents.count(notice) == 2
        assert all(response.data["flags"] & EPHEMERAL for response in responses)
        assert tandem.text(msg("conversation.answered_in_dm")) not in contents
