"""A Discord the project owns, on 127.0.0.1, for end-to-end tests of the Discord adapter.

A real, unmodified discord.py client talks real HTTP and a real websocket to an aiohttp server
that plays Discord: the gateway (HELLO, heartbeats, IDENTIFY, READY, GUILD_CREATE, RESUME and
dispatches) and the REST routes a Tandem bot uses. The server keeps the state a test asserts on
(guilds, channels, threads and their members, messages, interaction responses, registered
commands), enforces Discord's limits (answering HTTP 400/403/404 like Discord and recording each
refusal in ``server.violations``), and lets a test act as people (run a slash command, click,
choose, submit a modal, write a message, leave the guild).

Typical test::

    from tests.support.discord_loopback import running_client

    async def test_join_is_confirmed_privately(loopback_discord):
        server = loopback_discord
        guild = server.add_guild()
        ada = server.add_member(guild, "ada")
        bot = make_bot(guild_ready_timeout=0.05)          # your discord.py client
        async with running_client(bot, server):
            await bot.tree.sync(guild=discord.Object(guild.id))
            interaction_id = await server.invoke_command(ada, guild, "tandem", subcommand="join")
            response = await server.wait_for_interaction_response(interaction_id)
        assert response.type == 4 and response.data["flags"] & 64

Modules: ``server`` (LoopbackDiscord, world building, faults), ``driver`` (people's actions and
``wait_for_*``), ``gateway``, ``rest``, ``interactions`` (callbacks and follow-ups), ``limits``,
``state``, ``payloads`` (every payload factory), ``components`` (how sent components are kept:
numbered, in their response shape), ``shapes`` (the documented shape of every REST answer,
checked by the fixture), ``transport``, ``errors``, ``client`` (``running_client``),
``fixtures`` (the ``loopback_discord`` pytest fixture).
See docs/testing-discord.md.
"""

from __future__ import annotations

from tests.support.discord_loopback import payloads
from tests.support.discord_loopback.client import running_client
from tests.support.discord_loopback.driver import LoopbackUsageError
from tests.support.discord_loopback.errors import Problem, Violation
from tests.support.discord_loopback.gateway import IdentifyRecord
from tests.support.discord_loopback.server import LoopbackDiscord
from tests.support.discord_loopback.state import (
    Channel,
    Guild,
    Interaction,
    InteractionResponse,
    Message,
    User,
)

__all__ = [
    "Channel",
    "Guild",
    "IdentifyRecord",
    "Interaction",
    "InteractionResponse",
    "LoopbackDiscord",
    "LoopbackUsageError",
    "Message",
    "Problem",
    "User",
    "Violation",
    "payloads",
    "running_client",
]
