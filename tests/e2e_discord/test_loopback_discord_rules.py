"""Rules of real Discord the loopback Discord enforces, each pinned on raw requests or a bare
discord.py client (the adapter's own tests for them are in ``test_discord_real_api.py``):

* GUILD_CREATE carries only the bot without the presences intent; members come on request;
* one permission overwrite per role or member;
* removing the bot from a server drops its commands there, and inviting it back does not bring
  them back;
* elevated permissions on a server requiring 2FA need an owner with 2FA (60003);
* no DM reaches someone who shares no server with the bot (50278);
* an empty message is refused with 50006;
* adding a thread member needs the right to send messages in the thread; the creator of a
  private thread may remove members without Manage Threads, but not from an archived thread;
* a category holds at most 50 channels, a guild 500 (threads not counted), a topic 1024
  characters;
* active threads are listed for the whole guild, archived private ones the bot joined per
  channel, newest first and in pages;
* a message nonce is at most 25 characters, and an enforced one returns the first message
  sent with it instead of creating a second (within the loopback's two minutes);
* deprecated, answered, but noted: a follow-up straight after a deferral, and text inputs outside
  a Label or with their own label.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest

from tests.support.discord_loopback import LoopbackDiscord, running_client
from tests.support.discord_loopback.state import (
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    SEND_MESSAGES_IN_THREADS,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(10)]

EPHEMERAL = 64


def bare_client(*, presences: bool) -> discord.Client:
    intents = discord.Intents.default()
    intents.members = True
    intents.presences = presences
    return discord.Client(intents=intents, guild_ready_timeout=0.05, chunk_guilds_at_startup=False)


async def test_guild_create_carries_only_the_bot_without_the_presences_intent(
    loopback_discord: LoopbackDiscord,
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    client = bare_client(presences=False)
    async with running_client(client, server):
        cached = client.get_guild(guild.id)
        assert cached is not None
        assert [m.id for m in cached.members] == [server.bot.id]
        assert cached.member_count == 3  # the owner, the bot, ada
        # Asked for (gateway op 8), the members arrive.
        members = await cached.chunk()
        assert {m.id for m in members} == {guild.owner_id, server.bot.id, ada.id}


async def test_guild_create_carries_every_member_with_the_presences_intent(
    loopback_discord: LoopbackDiscord,
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    server.add_member(guild, "ada")
    client = bare_client(presences=True)
    async with running_client(client, server):
        cached = client.get_guild(guild.id)
        assert cached is not None
        assert len(cached.members) == 3


async def test_two_overwrites_for_one_member_are_refused(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    channel = server.add_text_channel(guild, "pair", announce=False)
    server.expect_violations()
    twice = [
        {"id": str(ada.id), "type": 1, "allow": str(1 << 10), "deny": "0"},
        {"id": str(ada.id), "type": 1, "allow": "0", "deny": str(1 << 11)},
    ]
    async with raw_http.patch(
        f"v10/channels/{channel.id}", json={"permission_overwrites": twice}
    ) as response:
        error = await response.json()
    assert response.status == 400
    assert error["code"] == 50035
    assert "permission_overwrites" in error["errors"]
    assert [p.path for p in server.violations[0].problems] == ["permission_overwrites.1.id"]
    assert channel.overwrites() == {}


async def test_removing_the_bot_drops_its_commands_and_inviting_it_back_does_not_restore_them(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    route = f"v10/applications/{server.application_id}/guilds/{guild.id}/commands"
    async with raw_http.put(route, json=[{"name": "tandem", "description": "Tandem"}]) as response:
        assert response.status == 200
    joined: list[int] = []
    removed: list[int] = []
    client = bare_client(presences=False)

    @client.event
    async def on_guild_join(joined_guild: discord.Guild) -> None:
        joined.append(joined_guild.id)

    @client.event
    async def on_guild_remove(removed_guild: discord.Guild) -> None:
        removed.append(removed_guild.id)

    async with running_client(client, server):
        server.remove_bot(guild)
        await server.wait_until(lambda: removed, description="GUILD_DELETE")
        assert server.registered_commands(guild) == {}
        assert client.get_guild(guild.id) is None

        server.invite_bot(guild)
        await server.wait_until(lambda: joined, description="GUILD_CREATE of a join")
        assert server.registered_commands(guild) == {}
    assert joined == removed == [guild.id]


async def test_elevated_permissions_need_an_owner_with_2fa_on_a_server_requiring_it(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    strict = server.add_guild("Strict", mfa_level=1)
    relaxed = server.add_guild("Relaxed")
    server.owner_has_2fa = False
    body = {"name": "pair-ada-bob", "type": 0}
    async with raw_http.post(f"v10/guilds/{strict.id}/channels", json=body) as response:
        error = await response.json()
    assert response.status == 403
    assert (error["code"], error["message"]) == (60003, "Two factor is required for this operation")
    assert server.violations == []  # the owner's account, not the bot's request
    async with raw_http.post(f"v10/guilds/{relaxed.id}/channels", json=body) as response:
        assert response.status < 300
    server.owner_has_2fa = True
    async with raw_http.post(f"v10/guilds/{strict.id}/channels", json=body) as response:
        assert response.status < 300


async def test_a_dm_to_someone_sharing_no_server_with_the_bot_is_refused(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    server.add_guild()
    zoe = server.add_user("zoe")
    async with raw_http.post("v10/users/@me/channels", json={"recipient_id": str(zoe.id)}) as r:
        dm = await r.json()
    async with raw_http.post(f"v10/channels/{dm['id']}/messages", json={"content": "hi"}) as r:
        error = await r.json()
    assert r.status == 403
    assert error["code"] == 50278
    assert server.violations == []
    assert server.messages_in(int(dm["id"])) == []


async def test_an_empty_message_is_refused_with_its_own_code(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    channel = server.default_channel(guild)
    server.expect_violations()
    async with raw_http.post(f"v10/channels/{channel.id}/messages", json={"content": ""}) as r:
        error = await r.json()
    assert r.status == 400
    assert (error["code"], error["message"]) == (50006, "Cannot send an empty message")
    assert [v.code for v in server.violations] == [50006]
    assert server.messages_in(channel) == []


async def test_adding_a_thread_member_needs_the_right_to_send_there(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild(
        bot_permissions=DEFAULT_BOT_PERMISSIONS & ~SEND_MESSAGES_IN_THREADS,
        everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS & ~SEND_MESSAGES_IN_THREADS,
    )
    ada = server.add_member(guild, "ada")
    parent = server.default_channel(guild)
    server.expect_violations()
    body = {"name": "ada-and-bob", "type": 12, "invitable": False}
    async with raw_http.post(f"v10/channels/{parent.id}/threads", json=body) as r:
        thread = await r.json()
    async with raw_http.put(f"v10/channels/{thread['id']}/thread-members/{ada.id}") as r:
        error = await r.json()
    assert r.status == 403
    assert error["code"] == 50013
    assert server.channel(int(thread["id"])).member_ids == [server.bot.id]


async def _command_interaction(server: LoopbackDiscord, raw_http: aiohttp.ClientSession) -> int:
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    route = f"v10/applications/{server.application_id}/commands"
    async with raw_http.put(route, json=[{"name": "intro", "description": "Intro"}]) as r:
        assert r.status == 200
    return await server.invoke_command(ada, guild, "intro")


async def test_a_follow_up_straight_after_a_deferral_edits_the_thinking_message(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    interaction_id = await _command_interaction(server, raw_http)
    interaction = server.interaction(interaction_id)
    callback = f"v10/interactions/{interaction_id}/{interaction.token}/callback?with_response=1"
    async with raw_http.post(callback, json={"type": 5, "data": {"flags": EPHEMERAL}}) as r:
        assert r.status == 200
    server.expect_violations()
    hook = f"v10/webhooks/{server.application_id}/{interaction.token}?wait=true"
    async with raw_http.post(hook, json={"content": "Done.", "flags": 0}) as r:
        assert r.status == 200
        edited = await r.json()

    assert edited["id"] == str(interaction.original_message_id)
    (message,) = server.world.messages[interaction.channel_id]
    assert message.content == "Done."
    assert message.ephemeral  # the deferral's choice stays
    assert len(server.deprecations) == 1
    assert "edit the original response" in server.deprecations[0]


def _modal(components: list[dict[str, Any]]) -> dict[str, Any]:
    return {"custom_id": "intro", "title": "Introduce yourself", "components": components}


async def test_a_text_input_in_a_label_is_what_discord_asks_for(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    interaction_id = await _command_interaction(server, raw_http)
    token = server.interaction(interaction_id).token
    labelled = {
        "type": 18,
        "label": "Your goal",
        "component": {"type": 4, "custom_id": "goal", "style": 1},
    }
    callback = f"v10/interactions/{interaction_id}/{token}/callback?with_response=1"
    async with raw_http.post(callback, json={"type": 9, "data": _modal([labelled])}) as r:
        assert r.status == 200
    assert server.deprecations == []


async def test_a_text_input_in_an_action_row_is_accepted_but_deprecated(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    interaction_id = await _command_interaction(server, raw_http)
    token = server.interaction(interaction_id).token
    row = {
        "type": 1,
        "components": [{"type": 4, "custom_id": "goal", "style": 1, "label": "Your goal"}],
    }
    server.expect_violations()
    callback = f"v10/interactions/{interaction_id}/{token}/callback?with_response=1"
    async with raw_http.post(callback, json={"type": 9, "data": _modal([row])}) as r:
        assert r.status == 200
    assert len(server.deprecations) == 2
    assert "action row" in server.deprecations[0]
    assert "own label" in server.deprecations[1]


async def test_an_enforced_nonce_returns_the_first_message_instead_of_a_second(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    channel = server.default_channel(guild)
    body = {"content": "Reminder", "nonce": "due-1-1767603600-0", "enforce_nonce": True}
    ids = []
    for _ in range(2):
        async with raw_http.post(f"v10/channels/{channel.id}/messages", json=body) as response:
            assert response.status == 200
            ids.append((await response.json())["id"])
    assert ids[0] == ids[1]
    assert [m.content for m in server.messages_in(channel)] == ["Reminder"]
    # Without enforce_nonce, or after the window, the same nonce makes a new message.
    async with raw_http.post(
        f"v10/channels/{channel.id}/messages", json={**body, "enforce_nonce": False}
    ) as response:
        assert response.status == 200
    server.clock.advance(121)
    async with raw_http.post(f"v10/channels/{channel.id}/messages", json=body) as response:
        assert response.status == 200
    assert len(server.messages_in(channel)) == 3


async def test_a_nonce_longer_than_25_characters_is_refused(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    channel = server.default_channel(guild)
    server.expect_violations()
    body = {"content": "Reminder", "nonce": "n" * 26}
    async with raw_http.post(f"v10/channels/{channel.id}/messages", json=body) as response:
        error = await response.json()
    assert response.status == 400
    assert "nonce" in error["errors"]
    assert server.messages_in(channel) == []


async def test_a_category_holds_fifty_channels_and_a_guild_five_hundred(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = server.add_text_channel(guild, "Tandems", channel_type=4, announce=False)
    for number in range(50):
        server.add_text_channel(guild, f"pair-{number}", parent_id=category.id, announce=False)
    server.expect_violations()
    route = f"v10/guilds/{guild.id}/channels"

    async with raw_http.post(route, json={"name": "one-more", "parent_id": str(category.id)}) as r:
        full = await r.json()
    async with raw_http.post(route, json={"name": "topic", "topic": "x" * 1025}) as r:
        long_topic = await r.json()
    # A thread does not count; channels up to 500 do.
    general = server.default_channel(guild)
    server.create_thread(general, "a thread")
    while len(server.channels_in(guild)) - 1 < 499:
        server.add_text_channel(guild, "filler", announce=False)
    async with raw_http.post(route, json={"name": "the-500th"}) as r:
        assert r.status == 201
    async with raw_http.post(route, json={"name": "the-501st"}) as r:
        too_many = await r.json()
        status = r.status

    assert full["code"] == 50035
    assert full["errors"]["parent_id"]["_errors"] == [
        {
            "code": "CHANNEL_PARENT_MAX_CHANNELS",
            "message": "Maximum number of channels in category reached (50)",
        }
    ]
    assert long_topic["errors"]["topic"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert (status, too_many["code"]) == (400, 30013)
    assert len([c for c in server.channels_in(guild) if not c.is_thread]) == 500


async def test_the_creator_of_a_private_thread_removes_members_while_it_is_not_archived(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild(bot_permissions=DEFAULT_EVERYONE_PERMISSIONS)  # no Manage Threads
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    general = server.default_channel(guild)
    own = server.create_thread(general, "own")  # the bot made it
    other = server.create_thread(general, "other", owner_id=ada.id)
    for thread in (own, other):
        server.add_thread_member(thread, bob.id)
    server.add_thread_member(other, server.bot.id)  # in it, but not its creator
    server.expect_violations()

    async with raw_http.delete(f"v10/channels/{own.id}/thread-members/{bob.id}") as r:
        assert r.status == 204
    async with raw_http.delete(f"v10/channels/{other.id}/thread-members/{bob.id}") as r:
        assert (r.status, (await r.json())["code"]) == (403, 50013)
    server.add_thread_member(own, bob.id)
    own.archived = True
    async with raw_http.delete(f"v10/channels/{own.id}/thread-members/{bob.id}") as r:
        assert (r.status, (await r.json())["code"]) == (400, 50083)
    assert bob.id in own.member_ids
    assert bob.id in other.member_ids


async def test_threads_are_listed_active_per_guild_and_archived_per_channel_in_pages(
    loopback_discord: LoopbackDiscord, raw_http: aiohttp.ClientSession
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    general = server.default_channel(guild)
    active = server.create_thread(general, "active")
    archived = [server.create_thread(general, f"archived {n}") for n in range(3)]
    for thread in archived:
        thread.archived = True
    # A private thread the bot is not in (and may not manage) is listed nowhere.
    hidden_guild = server.add_guild(
        "No Manage Threads", bot_permissions=DEFAULT_EVERYONE_PERMISSIONS
    )
    server.add_member(hidden_guild, ada)
    server.create_thread(server.default_channel(hidden_guild), "theirs", owner_id=ada.id)

    async with raw_http.get(f"v10/guilds/{guild.id}/threads/active") as r:
        listed = await r.json()
    async with raw_http.get(f"v10/guilds/{hidden_guild.id}/threads/active") as r:
        none_listed = await r.json()
    route = f"v10/channels/{general.id}/users/@me/threads/archived/private"
    async with raw_http.get(route, params={"limit": "2"}) as r:
        first = await r.json()
    before = first["threads"][-1]["id"]
    async with raw_http.get(route, params={"limit": "2", "before": before}) as r:
        second = await r.json()

    assert [t["id"] for t in listed["threads"]] == [str(active.id)]
    assert [m["id"] for m in listed["members"]] == [str(active.id)]
    assert none_listed["threads"] == []
    newest_first = [str(t.id) for t in reversed(archived)]
    assert [t["id"] for t in first["threads"]] == newest_first[:2]
    assert first["has_more"] is True
    assert [t["id"] for t in second["threads"]] == newest_first[2:]
    assert second["has_more"] is False
    assert all(t["thread_metadata"]["archived"] for t in first["threads"] + second["threads"])
