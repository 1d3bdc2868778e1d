"""The loopback Discord itself, exercised by a bare discord.py ``commands.Bot``.

These tests pin what the fake does for a real, unmodified discord.py 2.7 client: the handshake,
command sync, interactions and their responses, DMs, private threads and channels, components,
modals, rate limits, reconnects — and that it refuses what Discord refuses. The project's own
adapter gets its end-to-end tests on top of this fake later.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands, ui
from discord.ext import commands

from tests.support.discord_loopback import (
    Guild,
    LoopbackDiscord,
    User,
    payloads,
    running_client,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(10)]

EPHEMERAL = 64


@dataclass
class BotUnderTest:
    """A bare bot plus every error discord.py would otherwise only log (pitfall 8)."""

    bot: commands.Bot
    errors: list[BaseException] = field(default_factory=list)
    seen_messages: list[discord.Message] = field(default_factory=list)
    removed_members: list[int] = field(default_factory=list)


def make_bot(*, members: bool = True, message_content: bool = True) -> BotUnderTest:
    intents = discord.Intents.default()
    intents.members = members
    intents.message_content = message_content
    bot = commands.Bot(
        command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05
    )
    harness = BotUnderTest(bot)

    async def on_app_command_error(interaction: discord.Interaction, error: Exception) -> None:
        harness.errors.append(error)

    async def on_error(event: str, *args: Any, **kwargs: Any) -> None:
        harness.errors.append(sys.exc_info()[1] or RuntimeError(event))

    async def on_message(message: discord.Message) -> None:
        harness.seen_messages.append(message)

    async def on_member_remove(member: discord.Member) -> None:
        harness.removed_members.append(member.id)

    bot.tree.on_error = on_app_command_error
    bot.on_error = on_error
    bot.add_listener(on_message)
    bot.add_listener(on_member_remove)
    return harness


@pytest.fixture
def view_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Errors raised in any view or dynamic item callback (discord.py only logs them)."""
    errors: list[BaseException] = []

    async def collect(
        self: ui.View, interaction: discord.Interaction, error: Exception, item: ui.Item
    ) -> None:
        errors.append(error)

    monkeypatch.setattr(ui.View, "on_error", collect)
    monkeypatch.setattr(
        ui.Modal, "on_error", lambda self, interaction, error: _append(errors, error)
    )
    return errors


async def _append(errors: list[BaseException], error: BaseException) -> None:
    errors.append(error)


@dataclass
class Scene:
    server: LoopbackDiscord
    guild: Guild
    ada: User
    bob: User


@pytest.fixture
def scene(loopback_discord: LoopbackDiscord) -> Scene:
    guild = loopback_discord.add_guild("Tandem test guild")
    ada = loopback_discord.add_member(guild, "ada")
    bob = loopback_discord.add_member(guild, "bob")
    return Scene(loopback_discord, guild, ada, bob)


@pytest.fixture
async def harness(scene: Scene, view_errors: list[BaseException]) -> AsyncIterator[BotUnderTest]:
    bot = make_bot()
    yield bot
    assert bot.errors == [], f"errors in the bot: {bot.errors!r}"
    assert view_errors == [], f"errors in views: {view_errors!r}"


def tandem_group(
    on_join: Callable[[discord.Interaction, str], Awaitable[None]],
) -> app_commands.Group:
    group = app_commands.Group(name="tandem", description="Peer-mentoring tandems")

    @group.command(name="join", description="Join the next match round")
    @app_commands.describe(goal="What you want to learn")
    async def join(interaction: discord.Interaction, goal: str) -> None:
        await on_join(interaction, goal)

    @group.command(name="leave", description="Leave your tandem")
    async def leave(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("bye", ephemeral=True)

    return group


# -- handshake and commands ----------------------------------------------------------------


async def test_bot_identifies_with_its_token_and_intents_and_sees_the_guild(
    scene: Scene, harness: BotUnderTest
):
    server, bot = scene.server, harness.bot
    started = time.monotonic()
    async with running_client(bot, server):
        identify = await server.wait_for_identify()
        guild = bot.get_guild(scene.guild.id)
        assert guild is not None
        assert guild.name == "Tandem test guild"
        assert {m.name for m in guild.members} >= {"ada", "bob", "Tandem"}
        assert guild.member_count == len(guild.members) == 4
        assert guild.default_role.id == guild.id
        assert [c.name for c in guild.text_channels] == ["general"]
        assert bot.user is not None
        assert bot.user.id == server.bot.id
        assert bot.application_id == server.application_id
    assert identify.token == server.token
    assert identify.intents == bot.intents.value
    assert identify.has_intent(discord.Intents(members=True).value)
    assert time.monotonic() - started < 2.0


async def test_a_member_leaving_reaches_the_bot(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    async with running_client(bot, server):
        await server.remove_member(scene.guild, scene.bob)
        await server.wait_until(lambda: harness.removed_members, description="on_member_remove")
        guild = bot.get_guild(scene.guild.id)
        assert guild is not None
        assert guild.get_member(scene.bob.id) is None
    assert harness.removed_members == [scene.bob.id]


async def test_guild_command_sync_is_recorded_with_subcommands(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot

    async def on_join(interaction: discord.Interaction, goal: str) -> None:
        await interaction.response.send_message(goal)

    guild_object = discord.Object(scene.guild.id)
    bot.tree.add_command(tandem_group(on_join), guild=guild_object)
    async with running_client(bot, server):
        synced = await bot.tree.sync(guild=guild_object)
    registered = server.registered_commands(scene.guild)
    assert [c.name for c in synced] == ["tandem"] == list(registered)
    subcommands = {o["name"]: o for o in registered["tandem"]["options"]}
    assert set(subcommands) == {"join", "leave"}
    assert subcommands["join"]["type"] == 1
    goal = subcommands["join"]["options"][0]
    assert (goal["type"], goal["name"], goal["required"]) == (3, "goal", True)
    assert goal["description"] == "What you want to learn"
    assert server.registered_commands() == {}  # nothing global


async def test_slash_command_gets_an_ephemeral_answer(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    heard: list[tuple[int, str]] = []

    async def on_join(interaction: discord.Interaction, goal: str) -> None:
        heard.append((interaction.user.id, goal))
        await interaction.response.send_message(f"Welcome! Goal noted: {goal}", ephemeral=True)

    bot.tree.add_command(tandem_group(on_join))
    async with running_client(bot, server):
        await bot.tree.sync()
        interaction_id = await server.invoke_command(
            scene.ada, scene.guild, "tandem", subcommand="join", options={"goal": "public speaking"}
        )
        response = await server.wait_for_interaction_response(interaction_id)
        message = await server.wait_for_message(server.default_channel(scene.guild).id)
    assert heard == [(scene.ada.id, "public speaking")]
    assert response.type == 4
    assert response.data["content"] == "Welcome! Goal noted: public speaking"
    assert response.data["flags"] & EPHEMERAL
    assert message.ephemeral
    assert message.interaction_id == interaction_id
    # Ephemeral answers are never broadcast as MESSAGE_CREATE.
    assert all(m.id != message.id for m in harness.seen_messages)


async def test_deferred_answer_is_finished_by_editing_the_original(
    scene: Scene, harness: BotUnderTest
):
    server, bot = scene.server, harness.bot

    @bot.tree.command(name="matches", description="Looks up your match")
    async def matches(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Your match is Bob.")

    async with running_client(bot, server):
        await bot.tree.sync()
        interaction_id = await server.invoke_command(scene.ada, scene.guild, "matches")
        message = await server.wait_for_message(
            predicate=lambda m: m.interaction_id == interaction_id
        )
        await server.wait_until(lambda: harness.seen_messages, description="MESSAGE_CREATE")
    interaction = server.interaction(interaction_id)
    assert [(r.kind, r.type) for r in interaction.responses] == [
        ("callback", 5),
        ("edit_original", None),
    ]
    assert message.content == "Your match is Bob."
    assert not message.ephemeral
    assert [m.content for m in harness.seen_messages] == ["Your match is Bob."]


async def test_files_are_sent_as_multipart_and_kept(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    channel_id = server.default_channel(scene.guild).id
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send(
            "Your certificate", file=discord.File(io.BytesIO(b"%PDF-1.7"), "cert.pdf")
        )
    [stored] = server.messages_in(channel_id)
    assert stored.content == "Your certificate"
    assert [(a["filename"], a["size"]) for a in stored.attachments] == [("cert.pdf", 8)]
    assert sent.attachments[0].filename == "cert.pdf"
    assert server.world.attachment_bytes[int(stored.attachments[0]["id"])] == b"%PDF-1.7"


# -- DMs, threads, private channels ------------------------------------------------------


async def test_bot_can_dm_a_member_and_learns_when_dms_are_closed(
    scene: Scene, harness: BotUnderTest
):
    server, bot = scene.server, harness.bot
    server.close_dms(scene.bob)
    async with running_client(bot, server):
        ada = await bot.fetch_user(scene.ada.id)
        sent = await ada.send("Hello Ada, your tandem starts Monday.")
        bob = await bot.fetch_user(scene.bob.id)
        with pytest.raises(discord.Forbidden) as refused:
            await bob.send("Hello Bob")
    dm = server.dm_channel_for(scene.ada)
    assert [m.content for m in server.messages_in(dm)] == ["Hello Ada, your tandem starts Monday."]
    assert sent.channel.id == dm.id
    assert refused.value.code == 50007
    assert server.messages_in(server.dm_channel_for(scene.bob)) == []
    assert server.violations == []  # closed DMs are the member's choice, not a bot error


async def test_private_thread_holds_both_members(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    carol = server.add_member(scene.guild, "carol")
    async with running_client(bot, server):
        channel = bot.get_channel(server.default_channel(scene.guild).id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="ada-and-bob", type=discord.ChannelType.private_thread, invitable=False
        )
        await thread.add_user(discord.Object(scene.ada.id))
        await thread.add_user(discord.Object(scene.bob.id))
        await thread.send("Meet your tandem partner!")
        await server.wait_until(lambda: bot.get_channel(thread.id), description="THREAD_CREATE")
    stored = server.channel(thread.id)
    assert stored.type == payloads.CHANNEL_PRIVATE_THREAD
    assert stored.member_ids == [server.bot.id, scene.ada.id, scene.bob.id]
    assert stored.invitable is False
    assert server.can_view(scene.ada, stored)
    assert server.can_view(scene.bob, stored)
    assert not server.can_view(carol, stored)
    assert [m.content for m in server.messages_in(stored)] == ["Meet your tandem partner!"]


async def test_private_channel_is_built_from_permission_overwrites(
    scene: Scene, harness: BotUnderTest
):
    server, bot = scene.server, harness.bot
    carol = server.add_member(scene.guild, "carol")
    async with running_client(bot, server):
        guild = bot.get_guild(scene.guild.id)
        assert guild is not None
        ada, bob = guild.get_member(scene.ada.id), guild.get_member(scene.bob.id)
        assert ada is not None
        assert bob is not None
        private = discord.PermissionOverwrite(view_channel=True, send_messages=True)
        created = await guild.create_text_channel(
            "pair-ada-bob",
            overwrites={
                guild.default_role: discord.PermissionOverwrite(view_channel=False),
                ada: private,
                bob: private,
                guild.me: private,
            },
        )
        await created.send("This space is just for you two.")
        await server.wait_until(lambda: bot.get_channel(created.id), description="CHANNEL_CREATE")
    channel = server.channel(created.id)
    view_and_send = (1 << 10) | (1 << 11)
    assert channel.overwrites() == {
        scene.guild.id: (0, 1 << 10),
        scene.ada.id: (view_and_send, 0),
        scene.bob.id: (view_and_send, 0),
        server.bot.id: (view_and_send, 0),
    }
    assert [server.can_view(u, channel) for u in (scene.ada, scene.bob, carol)] == [
        True,
        True,
        False,
    ]
    assert [m.content for m in server.messages_in(channel)] == ["This space is just for you two."]


async def test_posting_where_the_bot_cannot_see_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    hidden = server.add_text_channel(
        scene.guild,
        "staff-only",
        overwrites=[payloads.overwrite(scene.guild.id, 0, allow=0, deny=1 << 10)],
    )
    server.expect_violations()
    async with running_client(bot, server):
        with pytest.raises(discord.Forbidden) as refused:
            await bot.http.send_message(
                hidden.id, params=discord.http.handle_message_parameters(content="hi")
            )
    assert refused.value.code == 50001
    assert [(v.status, v.code) for v in server.violations] == [(403, 50001)]
    assert server.messages_in(hidden) == []


# -- components and modals --------------------------------------------------------------


class JoinRoundButton(ui.DynamicItem[ui.Button], template=r"tandem:join:(?P<round_id>\d+)"):
    def __init__(self, round_id: int) -> None:
        super().__init__(ui.Button(label="Join", custom_id=f"tandem:join:{round_id}"))
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item, match: re.Match[str]
    ):
        return cls(int(match["round_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"{interaction.user.name} joined round {self.round_id}"
        )


class TopicSelectView(ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @ui.select(
        custom_id="tandem:topics",
        placeholder="Pick topics",
        min_values=1,
        max_values=2,
        options=[
            discord.SelectOption(label=t, value=t.lower()) for t in ("Career", "Coding", "Writing")
        ],
    )
    async def topics(self, interaction: discord.Interaction, select: ui.Select) -> None:
        await interaction.response.send_message(
            f"Topics: {', '.join(select.values)}", ephemeral=True
        )


async def test_button_and_select_round_trip(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    bot.add_dynamic_items(JoinRoundButton)
    channel_id = server.default_channel(scene.guild).id
    async with running_client(bot, server):
        bot.add_view(TopicSelectView())
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        buttons = ui.View(timeout=None)
        buttons.add_item(JoinRoundButton(7))
        await channel.send("Round 7 is open", view=buttons)
        await channel.send("What do you want to talk about?", view=TopicSelectView())
        round_message = await server.wait_for_message(
            channel_id, predicate=lambda m: "Round 7" in m.content
        )
        topics_message = await server.wait_for_message(channel_id)

        click = await server.click_button(scene.ada, round_message, "tandem:join:7")
        clicked = await server.wait_for_interaction_response(click)
        choice = await server.choose(
            scene.bob, topics_message, "tandem:topics", ["career", "writing"]
        )
        chosen = await server.wait_for_interaction_response(choice)
    assert clicked.type == 7
    assert round_message.content == "ada joined round 7"
    assert round_message.history[0][0] == "Round 7 is open"
    assert chosen.type == 4
    assert chosen.data["content"] == "Topics: career, writing"
    assert chosen.data["flags"] & EPHEMERAL


class IntroModal(ui.Modal, title="Introduce yourself"):
    # Text inputs inside Labels, as Discord asks (developers/components/reference.mdx).
    goal: ui.Label = ui.Label(
        text="Your goal", component=ui.TextInput(custom_id="intro:goal", max_length=200)
    )
    background: ui.Label = ui.Label(
        text="Background",
        component=ui.TextInput(
            custom_id="intro:background", style=discord.TextStyle.paragraph, required=False
        ),
    )

    def __init__(self, answers: list[tuple[str, str]]) -> None:
        super().__init__(custom_id="tandem:intro", timeout=60)
        self.answers = answers

    async def on_submit(self, interaction: discord.Interaction) -> None:
        goal, background = self.goal.component, self.background.component
        assert isinstance(goal, ui.TextInput)
        assert isinstance(background, ui.TextInput)
        self.answers.append((goal.value, background.value))
        await interaction.response.send_message("Thanks, saved.", ephemeral=True)


async def test_modal_round_trip(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    answers: list[tuple[str, str]] = []

    @bot.tree.command(name="intro", description="Introduce yourself")
    async def intro(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(IntroModal(answers))

    async with running_client(bot, server):
        await bot.tree.sync()
        opened = await server.invoke_command(scene.ada, scene.guild, "intro")
        shown = await server.wait_for_interaction_response(opened)
        submitted = await server.submit_modal(
            scene.ada, "tandem:intro", {"intro:goal": "Negotiate my salary"}
        )
        thanked = await server.wait_for_interaction_response(submitted)
    assert shown.type == 9
    assert shown.data["title"] == "Introduce yourself"
    assert answers == [("Negotiate my salary", "")]
    assert thanked.type == 4
    assert thanked.data["content"] == "Thanks, saved."
    assert server.interaction(submitted).opened_by == opened


# -- rate limits, failures, limits ---------------------------------------------------------


async def test_rate_limited_send_is_retried_after_retry_after(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    route = "/channels/{channel_id}/messages"
    channel_id = server.default_channel(scene.guild).id
    server.rate_limit("POST", route, retry_after=0.2)
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        await channel.send("Reminder: your check-in is due")
        waited = time.monotonic() - started
    assert [r.status for r in server.requests_to("POST", route)] == [429, 200]
    assert waited >= 0.2
    assert [m.content for m in server.messages_in(channel_id)] == ["Reminder: your check-in is due"]


async def test_server_error_is_retried(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    route = "/channels/{channel_id}/messages"
    channel_id = server.default_channel(scene.guild).id
    server.fail_next("POST", route, status=500)
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("after a hiccup")
    assert [r.status for r in server.requests_to("POST", route)] == [500, 200]
    assert len(server.messages_in(channel_id)) == 1


async def test_message_over_2000_characters_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    channel_id = server.default_channel(scene.guild).id
    server.expect_violations()
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send("x" * 2001)
    assert refused.value.status == 400
    assert refused.value.code == 50035
    assert "Must be 2000 or fewer in length" in refused.value.text
    assert len(server.violations) == 1
    assert server.violations[0].problems[0].path == "content"
    assert server.messages_in(channel_id) == []


async def test_invalid_command_registration_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    server.expect_violations()
    bad = [
        {"name": "Tandem Join", "description": "has a space and capitals", "type": 1},
        {"name": "tandem", "description": "d" * 101, "type": 1},
        {
            "name": "many",
            "description": "too many options",
            "type": 1,
            "options": [{"name": f"o{i}", "description": "x", "type": 3} for i in range(26)],
        },
    ]
    async with running_client(bot, server):
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.bulk_upsert_global_commands(server.application_id, bad)
    assert refused.value.code == 50035
    paths = {p.path for p in server.violations[0].problems}
    assert paths == {"0.name", "1.description", "2.options"}
    assert server.registered_commands() == {}


async def test_interaction_answered_twice_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    outcomes: list[str] = []

    async def answer(interaction: discord.Interaction, text: str) -> None:
        try:
            await interaction.response.send_message(text)
            outcomes.append("answered")
        except discord.HTTPException as error:
            outcomes.append(f"refused {error.status} {error.code}")

    @bot.tree.command(name="ping", description="Answered by two handlers at once")
    async def ping(interaction: discord.Interaction) -> None:
        await answer(interaction, "pong from the command")

    @bot.listen("on_interaction")
    async def also_answer(interaction: discord.Interaction) -> None:
        # A second handler racing the command: a classic double-acknowledge bug.
        await answer(interaction, "pong from a listener")

    server.expect_violations()
    async with running_client(bot, server):
        await bot.tree.sync()
        interaction_id = await server.invoke_command(scene.ada, scene.guild, "ping")
        await server.wait_until(lambda: len(outcomes) == 2, description="both handlers")
    assert sorted(outcomes) == ["answered", "refused 400 40060"]
    assert [r.kind for r in server.interaction(interaction_id).responses] == ["callback"]
    assert [(v.status, v.code, v.message) for v in server.violations] == [
        (400, 40060, "Interaction has already been acknowledged.")
    ]


async def test_late_answer_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    gate = asyncio.Event()
    outcome: list[BaseException] = []

    @bot.tree.command(name="slow", description="Thinks too long before answering")
    async def slow(interaction: discord.Interaction) -> None:
        await gate.wait()
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as error:
            outcome.append(error)

    server.expect_violations()
    async with running_client(bot, server):
        await bot.tree.sync()
        interaction_id = await server.invoke_command(scene.ada, scene.guild, "slow")
        server.clock.advance(3.5)
        gate.set()
        await server.wait_until(lambda: outcome, description="the late answer")
    assert outcome[0].code == 10062  # type: ignore[attr-defined]
    assert server.interaction(interaction_id).responses == []
    assert [(v.status, v.code) for v in server.violations] == [(404, 10062)]


async def test_follow_up_after_fifteen_minutes_is_refused(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    gate = asyncio.Event()
    outcome: list[BaseException] = []

    @bot.tree.command(name="report", description="Defers, then follows up")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send("first part", ephemeral=True)
        await gate.wait()
        try:
            await interaction.followup.send("much later")
        except discord.HTTPException as error:
            outcome.append(error)

    server.expect_violations()
    async with running_client(bot, server):
        await bot.tree.sync()
        interaction_id = await server.invoke_command(scene.ada, scene.guild, "report")
        await server.wait_until(lambda: len(server.interaction(interaction_id).responses) == 2)
        server.clock.advance(15 * 60 + 1)
        gate.set()
        await server.wait_until(lambda: outcome, description="the expired follow-up")
    kinds = [(r.kind, r.type) for r in server.interaction(interaction_id).responses]
    assert kinds == [("callback", 5), ("followup", None)]
    assert [(v.status, v.code) for v in server.violations] == [(401, 50027)]


# -- gateway reconnect -------------------------------------------------------------------


async def test_reconnect_resumes_and_events_still_arrive(scene: Scene, harness: BotUnderTest):
    server, bot = scene.server, harness.bot
    channel = server.default_channel(scene.guild)
    async with running_client(bot, server):
        await server.send_user_message(scene.ada, channel, "before the reconnect")
        await server.wait_until(
            lambda: len(harness.seen_messages) == 1, description="first message"
        )
        await server.disconnect_gateway()
        # Sent while the client is reconnecting: must be replayed on RESUME.
        await server.send_user_message(scene.bob, channel, "during the reconnect")
        await server.wait_for_resume()
        await server.send_user_message(scene.ada, channel, "after the reconnect")
        await server.wait_until(
            lambda: len(harness.seen_messages) == 3, description="all three messages"
        )
    assert [m.content for m in harness.seen_messages] == [
        "before the reconnect",
        "during the reconnect",
        "after the reconnect",
    ]
    assert len(server.gateway.identifies) == 1
    assert len(server.gateway.resumes) == 1


async def test_without_message_content_intent_guild_text_arrives_blank(
    scene: Scene, view_errors: list
):
    server = scene.server
    harness = make_bot(message_content=False)
    channel = server.default_channel(scene.guild)
    async with running_client(harness.bot, server):
        await server.send_user_message(scene.ada, channel, "can you read this?")
        await server.send_user_message(scene.ada, channel, f"<@{server.bot.id}> and this?")
        await server.wait_until(lambda: len(harness.seen_messages) == 2, description="two messages")
    assert [m.content for m in harness.seen_messages] == ["", f"<@{server.bot.id}> and this?"]
    assert harness.errors == []


# -- the limits matrix, sent byte-exact by a plain HTTP client -------------------------------


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}


def _row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _select(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": 3, "custom_id": "pick", "options": options, **extra}


def _option(index: int, *, label: str | None = None, value: str | None = None) -> dict[str, Any]:
    return {"label": label or f"Option {index}", "value": value or f"v{index}"}


def _text_input(index: int, *, label: str = "Answer", **extra: Any) -> dict[str, Any]:
    return _row({"type": 4, "custom_id": f"answer-{index}", "style": 1, "label": label, **extra})


def _modal(
    *, title: str = "Introduce yourself", inputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"custom_id": "intro", "title": title, "components": inputs or [_text_input(0)]}


REFUSED_MESSAGES = [
    pytest.param({"content": "x" * 2001}, "content", id="content-over-2000"),
    pytest.param({"embeds": [{"title": "t"}] * 11}, "embeds", id="eleven-embeds"),
    pytest.param(
        {"components": [_row(_button("c" * 101))]},
        "components.0.components.0.custom_id",
        id="custom-id-over-100",
    ),
    pytest.param(
        {"components": [_row(_button(f"b{i}")) for i in range(6)]}, "components", id="six-rows"
    ),
    pytest.param(
        {"components": [_row(*[_button(f"b{i}") for i in range(6)])]},
        "components.0.components",
        id="six-buttons-in-a-row",
    ),
    pytest.param(
        {"components": [_row(_select([_option(i) for i in range(26)]))]},
        "components.0.components.0.options",
        id="select-with-26-options",
    ),
    pytest.param(
        {"components": [_row(_select([_option(0, label="l" * 101)]))]},
        "components.0.components.0.options.0.label",
        id="option-label-over-100",
    ),
    pytest.param(
        {"components": [_row(_select([_option(0, value="v" * 101)]))]},
        "components.0.components.0.options.0.value",
        id="option-value-over-100",
    ),
    pytest.param(
        {"components": [_row(_select([_option(i) for i in range(3)], min_values=3, max_values=2))]},
        "components.0.components.0.min_values",
        id="select-min-above-max",
    ),
    pytest.param(
        {"components": [_row(_select([_option(i) for i in range(25)], max_values=26))]},
        "components.0.components.0.max_values",
        id="select-max-over-25",
    ),
    pytest.param(
        {"components": [_row(_button("same"), _button("same"))]},
        "components.0.components.1.custom_id",
        id="duplicate-custom-id",
    ),
]

REFUSED_MODALS = [
    pytest.param(_modal(title="t" * 46), "data.title", id="title-over-45"),
    pytest.param(
        _modal(inputs=[_text_input(i) for i in range(6)]), "data.components", id="six-inputs"
    ),
    pytest.param(
        _modal(inputs=[_text_input(0, label="l" * 46)]),
        "data.components.0.components.0.label",
        id="input-label-over-45",
    ),
    pytest.param(
        _modal(inputs=[_text_input(0, max_length=4001)]),
        "data.components.0.components.0.max_length",
        id="input-max-length-over-4000",
    ),
]


def _error_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for key, value in tree.items():
        if key == "_errors":
            paths.add(prefix)
        else:
            paths |= _error_paths(value, f"{prefix}.{key}" if prefix else key)
    return paths


@pytest.mark.parametrize(("body", "path"), REFUSED_MESSAGES)
async def test_message_beyond_discord_limits_is_refused(
    scene: Scene, raw_http: aiohttp.ClientSession, body: dict[str, Any], path: str
):
    server = scene.server
    channel = server.default_channel(scene.guild)
    server.expect_violations()
    async with raw_http.post(f"v10/channels/{channel.id}/messages", json=body) as response:
        error = await response.json()
    assert response.status == 400
    assert (error["code"], error["message"]) == (50035, "Invalid Form Body")
    assert path in _error_paths(error["errors"])
    assert len(server.violations) == 1
    assert path in {p.path for p in server.violations[0].problems}
    assert server.messages_in(channel) == []


async def test_message_at_discord_limits_is_accepted(scene: Scene, raw_http: aiohttp.ClientSession):
    server = scene.server
    channel = server.default_channel(scene.guild)
    rows = [_row(*[_button(f"r{r}b{b}") for b in range(5)]) for r in range(4)]
    rows.append(_row(_select([_option(i) for i in range(25)], min_values=0, max_values=25)))
    body = {"content": "x" * 2000, "embeds": [{"title": "t"}] * 10, "components": rows}
    async with raw_http.post(f"v10/channels/{channel.id}/messages", json=body) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
    [stored] = server.messages_in(channel)
    assert len(stored.content) == 2000
    assert len(stored.custom_ids()) == 21
    assert server.violations == []


async def _registered_intro_interaction(scene: Scene, raw_http: aiohttp.ClientSession) -> int:
    server = scene.server
    command = {"name": "intro", "description": "Introduce yourself", "type": 1}
    route = f"v10/applications/{server.application_id}/commands"
    async with raw_http.put(route, json=[command]) as response:
        assert response.status == 200
    return await server.invoke_command(scene.ada, scene.guild, "intro")


@pytest.mark.parametrize(("modal", "path"), REFUSED_MODALS)
async def test_modal_beyond_discord_limits_is_refused(
    scene: Scene, raw_http: aiohttp.ClientSession, modal: dict[str, Any], path: str
):
    server = scene.server
    interaction_id = await _registered_intro_interaction(scene, raw_http)
    token = server.interaction(interaction_id).token
    server.expect_violations()
    callback = f"v10/interactions/{interaction_id}/{token}/callback?with_response=1"
    async with raw_http.post(callback, json={"type": 9, "data": modal}) as response:
        error = await response.json()
    assert response.status == 400
    assert path in _error_paths(error["errors"])
    assert [p.path for p in server.violations[0].problems] == [path]
    # A refused answer does not acknowledge: a valid modal is still accepted afterwards.
    async with raw_http.post(callback, json={"type": 9, "data": _modal()}) as response:
        assert response.status == 200
        body = await response.json()
    # A modal makes no message, so the answer names the interaction and carries no resource.
    assert body["interaction"]["id"] == str(interaction_id)
    assert "resource" not in body
    accepted = server.interaction(interaction_id).modal
    assert accepted is not None
    assert (accepted["custom_id"], accepted["title"]) == ("intro", "Introduce yourself")
