"""Pair spaces on Discord are opened once per marker, past Discord's 50 channels a category,
and closed without leaving a removed member in them, end to end through the loopback Discord.

The marker's tag is on the space (a thread's name, a channel's topic), so a space the bot made
and never recorded — it died in between, or lost its database — is found on Discord, not made
twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapters.discord.pair_spaces import thread_name
from bot.clock import FakeClock
from bot.intents import ClosePairSpace, OpenPairSpace
from bot.messages import msg
from bot.pair_spaces import MARKER_PREFIX, space_tag
from bot.places import Place
from tests.support.discord_loopback import Channel, Guild, LoopbackDiscord, User, payloads
from tests.support.discord_tandem import Tandem, ref, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(120)]

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
WELCOME = msg("help.lead")


def opening(room: Channel, marker: str | None, *members: User, key: str | None = None):
    # A message id that is not in the catalogs renders as itself: a plain name for a test space.
    return OpenPairSpace(
        target=Place.room("discord", str(room.id)),
        locale="en",
        community_id="discord",
        members=tuple(ref(member) for member in members),
        name=msg("Tandem: Ada & Bob"),
        welcome=WELCOME,
        marker=marker,
        idempotency_key=key,
    )


async def open_space(tandem: Tandem, room: Channel, marker: str | None, *members: User) -> str:
    delivery = await tandem.app.deliver(opening(room, marker, *members))
    assert delivery is not None
    assert delivery.place is not None
    assert delivery.place.channel_id is not None
    return delivery.place.channel_id


def pair_category(server: LoopbackDiscord, guild: Guild, name: str = "Tandems") -> Channel:
    return server.add_text_channel(
        guild, name, channel_type=payloads.CHANNEL_CATEGORY, announce=False
    )


def threads_world(server: LoopbackDiscord) -> tuple[Guild, Channel, User, User]:
    """A guild with a "tandems" channel for the pair threads, and Ada and Bob."""
    guild = server.add_guild()
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    return guild, tandems, server.add_member(guild, "ada"), server.add_member(guild, "bob")


def bot_texts(server: LoopbackDiscord, channel_id: str | int) -> list[str]:
    return [m.content for m in server.messages_in(int(channel_id)) if m.author_id == server.bot.id]


# -- threads ------------------------------------------------------------------------------------


async def test_the_same_marker_twice_opens_one_thread_with_one_welcome(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild, tandems, ada, bob = threads_world(server)
    async with running_tandem(server, guild, tmp_path / "t.db", pair_channel_id=tandems.id) as t:
        first = await open_space(t, tandems, "tandem:1", ada, bob)
        again = await open_space(t, tandems, "tandem:1", ada, bob)
        other = await open_space(t, tandems, "tandem:2", ada, bob)

        assert first == again != other
        assert len(server.threads_in(tandems)) == 2
        thread = server.channel(int(first))
        tag = space_tag("discord", "tandem:1")
        assert thread.name == f"Tandem: Ada & Bob · {tag}"
        assert bot_texts(server, first) == [t.text(WELCOME)]


async def test_a_thread_made_but_never_recorded_is_found_and_finished_not_made_again(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    ada, bob, cy = (server.add_member(guild, name) for name in ("ada", "bob", "cy"))
    # A bot made this thread for the pair and died before adding anyone or recording it.
    tag = space_tag("discord", "tandem:1")
    orphan = server.create_thread(tandems, thread_name("Tandem: Ada & Bob", tag), invitable=False)
    # Another pair's thread, and one whose name merely looks alike, are not it.
    server.create_thread(tandems, thread_name("Tandem: Cy & Dee", space_tag("discord", "x")))
    server.create_thread(tandems, "Tandem: Ada & Bob")
    async with running_tandem(server, guild, tmp_path / "t.db", pair_channel_id=tandems.id) as t:
        space = await open_space(t, tandems, "tandem:1", ada, bob)

    assert space == str(orphan.id)
    assert len(server.threads_in(tandems)) == 3
    assert sorted(orphan.member_ids) == sorted([server.bot.id, ada.id, bob.id])
    assert not server.can_view(cy, orphan)
    assert len(bot_texts(server, orphan.id)) == 1


async def test_after_a_crash_while_opening_an_archived_thread_is_found_too(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    """A try that died after making the thread leaves the record "opening"; the next one looks
    through the archived threads as well (a quiet thread archives itself after a week)."""
    server = loopback_discord
    guild, tandems, ada, bob = threads_world(server)
    database = tmp_path / "t.db"
    tag = space_tag("discord", "tandem:1")
    async with running_tandem(server, guild, database, pair_channel_id=tandems.id) as t:
        await t.app.store.adapter_state.put(
            "discord", "discord", MARKER_PREFIX + tag, {"opening": True}, now=t.app.clock.now()
        )
        # Older threads of the bot in the channel, archived too, come first in the pages.
        orphan = server.create_thread(tandems, thread_name("Tandem: Ada & Bob", tag))
        for number in range(3):
            server.create_thread(tandems, f"older {number}").archived = True
        orphan.archived = True
        before = len(server.requests_to("GET", "/guilds/{guild_id}/threads/active"))

        space = await open_space(t, tandems, "tandem:1", ada, bob)

        assert space == str(orphan.id)
        assert not orphan.archived
        assert sorted(orphan.member_ids) == sorted([server.bot.id, ada.id, bob.id])
        assert len(server.requests_to("GET", "/guilds/{guild_id}/threads/active")) == before + 1
        archived = "/channels/{channel_id}/users/@me/threads/archived/private"
        assert len(server.requests_to("GET", archived)) == 1
        assert len(server.threads_in(tandems)) == 4


async def test_closing_a_thread_takes_the_removed_member_out_before_archiving_it(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild, tandems, ada, bob = threads_world(server)
    async with running_tandem(server, guild, tmp_path / "t.db", pair_channel_id=tandems.id) as t:
        space = await open_space(t, tandems, "tandem:1", ada, bob)
        farewell = msg("discord.modal_title")
        await t.app.deliver(
            ClosePairSpace(
                target=Place(platform="discord", kind="pair_space", channel_id=space),
                locale="en",
                farewell=farewell,
                removed=(ref(ada),),
            )
        )

    thread = server.channel(int(space))
    assert sorted(thread.member_ids) == sorted([server.bot.id, bob.id])
    assert thread.archived
    assert thread.locked
    assert not server.can_view(ada, thread)
    assert bot_texts(server, space)[-1] == "Your answer"


async def test_rate_limited_thread_creation_waits_and_opens_each_space_once(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    people = [server.add_member(guild, f"p{n}") for n in range(8)]
    server.rate_limit("POST", "/channels/{channel_id}/threads", times=3, retry_after=0.05)
    server.rate_limit("PUT", "/channels/{channel_id}/thread-members/{user_id}", times=2)
    async with running_tandem(server, guild, tmp_path / "t.db", pair_channel_id=tandems.id) as t:
        for n in range(0, 8, 2):
            await open_space(t, tandems, f"tandem:{n}", people[n], people[n + 1])

    threads = server.threads_in(tandems)
    assert len(threads) == 4
    assert all(len(thread.member_ids) == 3 for thread in threads)
    created = server.requests_to("POST", "/channels/{channel_id}/threads")
    assert [r.status for r in created].count(429) == 3


# -- channels -----------------------------------------------------------------------------------


async def test_the_same_marker_twice_opens_one_channel_found_by_its_topic(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = pair_category(server, guild)
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    database = tmp_path / "t.db"
    settings = {"pair_space": "channel", "pair_category_id": category.id}
    async with running_tandem(server, guild, database, **settings) as t:
        first = await open_space(t, category, "tandem:1", ada, bob)
        again = await open_space(t, category, "tandem:1", ada, bob)
        tag = space_tag("discord", "tandem:1")
        topic = t.text(msg("pairspace.topic", tag=tag))
    # A new database (restored from before the round): the channel is found by its topic.
    database.unlink()
    async with running_tandem(server, guild, database, **settings) as t:
        restored = await open_space(t, category, "tandem:1", ada, bob)

    assert first == again == restored
    channel = server.channel(int(first))
    assert channel.topic == topic
    assert tag in channel.topic
    pair_channels = [c for c in server.channels_in(guild) if c.parent_id == category.id]
    assert [c.id for c in pair_channels] == [int(first)]
    assert len(bot_texts(server, first)) == 1


async def test_a_hundred_and_twenty_pair_channels_fill_three_categories(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = pair_category(server, guild)
    people = [server.add_member(guild, f"p{n}") for n in range(240)]
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_space="channel", pair_category_id=category.id
    ) as t:
        spaces = [
            await open_space(t, category, f"tandem:{n}", people[2 * n], people[2 * n + 1])
            for n in range(120)
        ]

    assert len(set(spaces)) == 120
    categories = {
        c.id: c.name for c in server.channels_in(guild) if c.type == payloads.CHANNEL_CATEGORY
    }
    assert sorted(categories.values()) == ["Tandems", "Tandems 2", "Tandems 3"]
    sizes = {
        name: sum(1 for c in server.channels_in(guild) if c.parent_id == category_id)
        for category_id, name in categories.items()
    }
    assert sizes == {"Tandems": 50, "Tandems 2": 50, "Tandems 3": 20}
    # Every pair sees its own channel and no other.
    for n, space in enumerate(spaces):
        channel = server.channel(int(space))
        assert server.can_view(people[2 * n], channel)
        assert not server.can_view(people[(2 * n + 2) % 240], channel)


async def test_closing_a_channel_drops_the_removed_members_overwrite_and_sweeps_it_later(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = pair_category(server, guild)
    ada, bob, cy, dee = (server.add_member(guild, name) for name in ("ada", "bob", "cy", "dee"))
    clock = FakeClock()
    async with running_tandem(
        server,
        guild,
        tmp_path / "t.db",
        clock=clock,
        pair_space="channel",
        pair_category_id=category.id,
        closed_pair_channel_days=7,
    ) as t:
        space = await open_space(t, category, "tandem:1", ada, bob)
        place = Place(platform="discord", kind="pair_space", channel_id=space)
        await t.app.deliver(ClosePairSpace(target=place, locale="en", removed=(ref(ada),)))

        channel = server.channel(int(space))
        assert ada.id not in channel.overwrites()
        allow, deny = channel.overwrites()[bob.id]
        assert (allow & VIEW_CHANNEL, deny & SEND_MESSAGES) == (VIEW_CHANNEL, SEND_MESSAGES)
        assert not server.can_view(ada, channel)
        assert server.can_view(bob, channel)

        # A week later the next pair channel opened sweeps it away.
        clock.advance(timedelta(days=6))
        await open_space(t, category, "tandem:2", cy, dee)
        assert not channel.deleted
        clock.advance(timedelta(days=1))
        await open_space(t, category, "tandem:3", cy, dee)
        assert channel.deleted


async def test_a_full_server_deletes_the_oldest_closed_pair_channel_to_make_room(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = pair_category(server, guild)
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_space="channel", pair_category_id=category.id
    ) as t:
        older = await open_space(t, category, "tandem:old", ada, bob)
        newer = await open_space(t, category, "tandem:new", ada, bob)
        for space in (older, newer):
            place = Place(platform="discord", kind="pair_space", channel_id=space)
            await t.app.deliver(ClosePairSpace(target=place, locale="en"))
        # The server fills up with other channels, up to Discord's 500.
        while len(server.channels_in(guild)) < 500:
            server.add_text_channel(guild, "other", announce=False)

        space = await open_space(t, category, "tandem:next", ada, bob)

    assert server.channel(int(older)).deleted
    assert not server.channel(int(newer)).deleted
    assert server.channel(int(space)).parent_id == category.id
    assert len(server.channels_in(guild)) == 500
