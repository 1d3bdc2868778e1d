"""Only the configured Discord servers are the community, end to end through the loopback Discord.

The bot may sit in servers that are not in ``discord.guild_ids`` (invited by someone, or served
before). Nothing from there counts: a member there cannot join, that server's owner is no
organizer, leaving it marks nobody as left; commands there get a short note instead.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import msg
from tests.support.discord_loopback import Guild, LoopbackDiscord
from tests.support.discord_tandem import eventually, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64
SYNC_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"


def commands_left_over(server: LoopbackDiscord, source: Guild, target: Guild) -> None:
    """``target`` still has the commands the bot registered when it served that server too."""
    server.world.commands[target.id] = list(server.world.commands[source.id])


async def gateway_delivered(server: LoopbackDiscord) -> None:
    """Every event queued so far has reached the bot, and it had a moment to act on it."""
    await server.wait_until(
        lambda: all(s.sent_upto == len(s.backlog) for s in server.gateway.sessions.values()),
        description="the gateway backlog to be sent",
    )
    await asyncio.sleep(0.3)


@pytest.mark.parametrize(("command", "locale"), [("join", "en-US"), ("help", "de")])
async def test_a_member_of_another_server_gets_a_note_and_cannot_join(
    loopback_discord: LoopbackDiscord, tmp_path, command: str, locale: str
) -> None:
    server = loopback_discord
    guild = server.add_guild("Mentoring")
    elsewhere = server.add_guild("Gaming")
    eve = server.add_member(elsewhere, "eve")
    eve.locale = locale
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        commands_left_over(server, guild, elsewhere)

        invoked = await server.invoke_command(eve, elsewhere, "tandem", subcommand=command)
        response = await server.wait_for_interaction_response(invoked)

        assert response.data["flags"] & EPHEMERAL
        expected = tandem.text(msg("discord.other_community"), locale.split("-")[0])
        assert response.data["content"] == expected
        assert await tandem.member(eve) is None
        assert tandem.dm_messages(eve) == []


async def test_the_owner_of_another_server_is_no_organizer_here(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    olga = server.add_user("olga")
    guild = server.add_guild("Mentoring")
    elsewhere = server.add_guild("Gaming", owner=olga)
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        commands_left_over(server, guild, elsewhere)
        syncs_before = len(server.requests_to("PUT", SYNC_ROUTE))

        command = await server.invoke_command(olga, elsewhere, "tandem-admin", subcommand="sync")
        response = await server.wait_for_interaction_response(command)

        assert response.data["flags"] & EPHEMERAL
        assert response.data["content"] == tandem.text(msg("discord.other_community"))
        assert len(server.requests_to("PUT", SYNC_ROUTE)) == syncs_before
        assert await tandem.member(olga) is None


async def test_leaving_another_server_marks_nobody_as_left(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild("Mentoring")
    elsewhere = server.add_guild("Gaming")
    ada = server.add_member(guild, "ada")
    server.add_member(elsewhere, ada)
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        started = await eventually(lambda: tandem.conversation(ada))

        await server.remove_member(elsewhere, ada)
        await gateway_delivered(server)

        record = await tandem.member(ada)
        assert record is not None
        assert record.status != "left"
        still = await tandem.conversation(ada)
        assert still is not None
        assert still.id == started.id

        # Leaving the community's own server still counts.
        await server.remove_member(guild, ada)

        async def left() -> bool:
            now = await tandem.member(ada)
            return now is not None and now.status == "left"

        await eventually(left, description="ada to be marked as left")
