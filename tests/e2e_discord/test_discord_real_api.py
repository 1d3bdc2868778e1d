"""What real Discord does that the first loopback did not, end to end: the bot's commands after it
was removed and invited back, one overwrite per member, servers requiring 2FA for moderation,
members the bot shares no server with, and forms whose field sits in a Label."""

from __future__ import annotations

import pytest

from bot.intents import ClosePairSpace, Say
from bot.messages import msg
from bot.places import Place, PlaceKind
from tests.support.discord_loopback import Channel, Guild, LoopbackDiscord, User, payloads
from tests.support.discord_tandem import (
    AnswerPolicy,
    answer_until_done,
    eventually,
    open_pair_space,
    ref,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

MODAL = 9
LABEL = 18
TEXT_INPUT = 4
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SYNC_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"
EDIT_CHANNEL_ROUTE = "/channels/{channel_id}"


def strict_server(server: LoopbackDiscord) -> tuple[Guild, Channel, User, User]:
    """A server requiring 2FA for moderation, a bot whose owner has none, a category, ada, bob."""
    server.owner_has_2fa = False
    guild = server.add_guild(mfa_level=1)
    category = server.add_text_channel(
        guild, "Tandems", channel_type=payloads.CHANNEL_CATEGORY, announce=False
    )
    return guild, category, server.add_member(guild, "ada"), server.add_member(guild, "bob")


async def test_commands_come_back_when_the_bot_is_invited_again(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        server.remove_bot(guild)
        assert server.registered_commands(guild) == {}

        server.invite_bot(guild)
        await server.wait_until(
            lambda: "tandem" in server.registered_commands(guild),
            description="the commands to be registered again",
        )

        command = await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await server.wait_for_interaction_response(command)
        await eventually(lambda: tandem.conversation(ada), description="ada's conversation")


async def test_commands_dropped_while_the_bot_was_down_are_registered_at_start_up(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db"):
        pass
    assert len(server.requests_to("PUT", SYNC_ROUTE)) == 1
    # Removed and invited back while the bot was down: the stored hash still matches.
    server.remove_bot(guild)
    server.invite_bot(guild)

    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        assert "tandem" in server.registered_commands(guild)
        command = await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await server.wait_for_interaction_response(command)
        await eventually(lambda: tandem.conversation(ada), description="ada's conversation")
    assert len(server.requests_to("PUT", SYNC_ROUTE)) == 2


async def test_a_restart_with_the_commands_in_place_registers_nothing(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    for _ in range(2):
        async with running_tandem(server, guild, tmp_path / "t.db"):
            pass
    # One look at what the server has, no second registration (Discord rate-limits them).
    assert len(server.requests_to("PUT", SYNC_ROUTE)) == 1
    assert len(server.requests_to("GET", SYNC_ROUTE)) == 1


async def test_closing_a_pair_channel_sends_each_members_overwrite_once(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = server.add_text_channel(
        guild, "Tandems", channel_type=payloads.CHANNEL_CATEGORY, announce=False
    )
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_space="channel", pair_category_id=category.id
    ) as tandem:
        # Members who join while the bot runs are in its cache as Members.
        ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
        await server.wait_until(
            lambda: (
                tandem.adapter.client.get_guild(guild.id)
                and tandem.adapter.client.get_guild(guild.id).get_member(bob.id)
            ),  # type: ignore[union-attr]
            description="the members in the bot's cache",
        )
        delivery = await open_pair_space(tandem, server.default_channel(guild).id, ada, bob)
        assert delivery is not None
        assert delivery.place is not None
        channel = server.channel(int(delivery.place.channel_id or 0))

        await tandem.app.deliver(ClosePairSpace(target=delivery.place, locale="en"))

    assert [r.status for r in server.requests_to("PATCH", EDIT_CHANNEL_ROUTE)] == [200]
    for member in (ada, bob):
        allow, deny = channel.overwrites()[member.id]
        assert allow & VIEW_CHANNEL
        assert deny & SEND_MESSAGES
    _, everyone_deny = channel.overwrites()[guild.id]
    assert everyone_deny & VIEW_CHANNEL


async def test_a_pair_channel_refused_for_want_of_2fa_tells_the_organizers(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild, category, ada, bob = strict_server(server)
    general = server.default_channel(guild)
    async with running_tandem(
        server,
        guild,
        tmp_path / "t.db",
        expect_errors=True,
        pair_space="channel",
        pair_category_id=category.id,
    ) as tandem:
        delivery = await open_pair_space(tandem, general.id, ada, bob, locale="de")

        assert delivery is not None
        assert delivery.place is None
        (notice,) = server.messages_in(general)
        assert notice.content == tandem.text(msg("discord.owner_needs_2fa"), "de")
        assert [c.name for c in server.channels_in(guild)] == ["general", "Tandems"]
    # The operator's log names the cause, once.
    assert ["60003" in r.getMessage() for r in tandem.errors.records] == [True]


async def test_a_pair_thread_without_2fa_is_still_archived_emptied_and_the_cause_logged(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild, _, ada, bob = strict_server(server)
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    async with running_tandem(
        server, guild, tmp_path / "t.db", expect_errors=True, pair_channel_id=tandems.id
    ) as tandem:
        # Private threads need no elevated permission to open: this works on such a server.
        delivery = await open_pair_space(tandem, tandems.id, ada, bob)
        assert delivery is not None
        assert delivery.place is not None
        assert delivery.place.kind == PlaceKind.PAIR_SPACE
        (thread,) = server.threads_in(tandems)

        assert {ada.id, bob.id} <= set(thread.member_ids)
        # Locking needs Manage Threads, refused without 2FA; archiving its own thread does not.
        await tandem.app.deliver(ClosePairSpace(target=delivery.place, locale="en"))

        assert thread.archived
        assert not thread.locked
        # Unlocked, the thread would open again at a member's next message: nobody stays in it
        # (the creator of a private thread may remove its members without Manage Threads).
        assert not {ada.id, bob.id} & set(thread.member_ids)
    assert ["60003" in r.getMessage() for r in tandem.errors.records] == [True]


async def test_a_person_sharing_no_server_with_the_bot_gets_the_closed_dm_notice(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    lobby = server.add_text_channel(guild, "lobby", announce=False)
    zoe = server.add_user("zoe")  # left every server the bot is in
    async with running_tandem(
        server, guild, tmp_path / "t.db", dm_fallback_channel_id=lobby.id
    ) as tandem:
        await tandem.app.deliver(Say(target=Place.dm(ref(zoe)), locale="en", text=msg("help.lead")))

        (notice,) = server.messages_in(lobby)
        assert notice.content == tandem.text(
            msg("discord.dm_closed_public", mention=f"<@{zoe.id}>")
        )
    dm = server.world.dm_channels.get(zoe.id)
    assert dm is None or server.messages_in(dm) == []


async def test_forms_put_their_field_inside_a_label(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, ada, AnswerPolicy())

    forms = [i.modal for i in server.world.interactions.values() if i.modal is not None]
    assert forms, "the join journey has free-text questions"
    for form in forms:
        for top in form["components"]:
            assert top["type"] == LABEL
            assert top["label"]
            assert top["component"]["type"] == TEXT_INPUT
            assert top["component"].get("label") is None
    assert server.deprecations == []
