"""Connecting, commands and platform faults, end to end through the loopback Discord:
intents and command registration, organizer permissions, rate limits and server errors, a
gateway reconnect, a slow answer deferred in time, and a member leaving the guild."""

from __future__ import annotations

import asyncio

import pytest

from bot.messages import msg
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_loopback.gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
)
from tests.support.discord_tandem import (
    AnswerPolicy,
    answer_join,
    eventually,
    question_message,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64
DEFERRED_CHANNEL_MESSAGE = 5
SYNC_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"
MESSAGES_ROUTE = "/channels/{channel_id}/messages"


async def test_the_bot_connects_with_the_intents_it_needs_and_registers_its_commands(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        identify = await server.wait_for_identify()
        commands = server.registered_commands(guild)
        member_commands = [o["name"] for o in commands["tandem"]["options"]]
        organizer = commands["tandem-admin"]
        expected = [spec.name for spec in tandem.app.router.commands() if not spec.organizer_only]

    assert identify.has_intent(INTENT_GUILDS)
    assert identify.has_intent(INTENT_GUILD_MEMBERS)
    assert identify.has_intent(INTENT_DIRECT_MESSAGES)
    assert not identify.has_intent(INTENT_MESSAGE_CONTENT)
    assert not identify.has_intent(INTENT_GUILD_MESSAGES)
    assert member_commands == expected
    assert {"join", "help", "cancel", "back"} <= set(member_commands)
    assert int(organizer["default_member_permissions"]) == 1 << 5  # Manage Server
    assert server.registered_commands(None) == {}  # nothing global
    assert len(server.requests_to("PUT", SYNC_ROUTE)) == 1


async def test_organizer_commands_are_checked_on_the_server_side(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    owner = server.add_user("olga")
    guild = server.add_guild(owner=owner)
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        refused = await server.invoke_command(ada, guild, "tandem-admin", subcommand="sync")
        answer = await server.wait_for_interaction_response(refused)
        assert answer.data["flags"] & EPHEMERAL
        assert answer.data["content"] == tandem.text(msg("discord.organizer_only"))
        assert len(server.requests_to("PUT", SYNC_ROUTE)) == 1

        allowed = await server.invoke_command(owner, guild, "tandem-admin", subcommand="sync")
        await server.wait_for_interaction_response(allowed)
        answer_message = await server.wait_for_message(
            predicate=lambda m: m.interaction_id == allowed
        )
        assert answer_message.content == tandem.text(msg("discord.commands_synced"))
        assert answer_message.ephemeral
        assert len(server.requests_to("PUT", SYNC_ROUTE)) == 2
    # The deferred "thinking" message was edited into the answer, not followed up (deprecated).
    kinds = [(r.kind, r.type) for r in server.interaction(allowed).responses]
    assert kinds == [("callback", DEFERRED_CHANNEL_MESSAGE), ("edit_original", None)]
    assert server.deprecations == []


async def test_rate_limits_and_server_errors_are_retried_as_discord_says(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        server.rate_limit("POST", MESSAGES_ROUTE, times=1, retry_after=0.05)
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        conversation = await eventually(lambda: tandem.conversation(ada))
        prompt = f"{conversation.id}.{conversation.step_seq}"
        await eventually(lambda: question_message(tandem, ada, prompt), timeout=10)

        server.fail_next("POST", MESSAGES_ROUTE, status=502)
        await answer_join(tandem, ada, AnswerPolicy())
        await answer_join(tandem, ada, AnswerPolicy())

    statuses = [r.status for r in server.requests_to("POST", MESSAGES_ROUTE)]
    assert 429 in statuses
    assert 502 in statuses
    assert statuses[-1] == 200
    # Each refused send came again and got through: nothing was lost or sent twice.
    texts = [m.content for m in tandem.dm_messages(ada)]
    assert len(texts) == len(set(texts))


async def test_after_a_gateway_reconnect_the_session_resumes_and_clicks_still_work(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await eventually(lambda: tandem.conversation(ada))

        await server.disconnect_gateway()
        await server.wait_for_resume()

        step = await answer_join(tandem, ada, AnswerPolicy())
        assert step.step_id == "language"
    assert len(server.gateway.identifies) == 1  # resumed, not a new session


async def test_a_slow_answer_is_deferred_within_three_seconds_and_sent_after(
    loopback_discord: LoopbackDiscord, tmp_path, monkeypatch
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        tandem.adapter.acknowledge_after_seconds = 0.05  # type: ignore[misc]
        handle = tandem.app.router.handle

        async def slow_handle(event):
            await asyncio.sleep(0.3)  # a slow database, say
            return await handle(event)

        monkeypatch.setattr(tandem.app.router, "handle", slow_handle)

        command = await server.invoke_command(ada, guild, "tandem", subcommand="help")
        response = await server.wait_for_interaction_response(command)
        assert response.type == DEFERRED_CHANNEL_MESSAGE
        assert response.data["flags"] & EPHEMERAL

        edited = await eventually(
            lambda: [r for r in server.interaction(command).responses if r.kind == "edit_original"]
        )
        assert edited[0].data["content"].startswith(tandem.text(msg("help.lead"))[:20])


async def test_a_member_leaving_the_guild_ends_their_conversation(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await eventually(lambda: tandem.conversation(ada))

        await server.remove_member(guild, ada)

        async def left() -> bool:
            record = await tandem.member(ada)
            return record is not None and record.status == "left"

        await eventually(left, description="the member to be marked as left")
        assert await tandem.conversation(ada) is None
