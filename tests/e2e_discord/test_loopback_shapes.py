"""The loopback Discord answers in the shapes Discord's OpenAPI description documents.

Each test drives a bare discord.py 2.7 bot through one kind of exchange Tandem's adapter makes
and asserts what real Discord answers there (the schema named in each test), on the recorded
answer and, where discord.py exposes it, on the object discord.py built from it. Beyond these,
the ``loopback_discord`` fixture holds every answer of every end-to-end test against the rules
in ``tests/support/discord_loopback/shapes.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord import app_commands, ui
from discord.ext import commands

from tests.support.discord_loopback import LoopbackDiscord, payloads, running_client, shapes
from tests.support.discord_loopback.transport import RequestRecord

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(15)]


def _bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    return commands.Bot(
        command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05
    )


def _answers(server: LoopbackDiscord, method: str, route: str) -> list[Any]:
    return [r.response_body for r in server.requests_to(method, route) if not r.injected]


def _callback(server: LoopbackDiscord, interaction_id: int) -> RequestRecord:
    (record,) = [
        r
        for r in server.requests_to("POST", "/interactions/{interaction_id}/{token}/callback")
        if r.path.split("/")[4] == str(interaction_id)
    ]
    return record


async def test_users_carry_flags_and_the_bot_its_account_settings(
    loopback_discord: LoopbackDiscord,
):
    """UserResponse requires flags and primary_guild; UserPIIResponse (``/users/@me``) adds
    mfa_enabled and locale; PrivateApplicationResponse names its counts and scopes."""
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    bot = _bot()
    async with running_client(bot, server):
        fetched = await bot.fetch_user(ada.id)
    (me,) = _answers(server, "GET", "/users/@me")
    assert (me["flags"], me["mfa_enabled"], me["locale"]) == (0, False, "en-US")
    (user,) = _answers(server, "GET", "/users/{user_id}")
    assert (user["flags"], user["primary_guild"]) == (0, None)
    assert fetched.name == "ada"
    (application,) = _answers(server, "GET", "/oauth2/applications/@me")
    assert application["approximate_guild_count"] == 1
    # The privileged intents the portal switched on, as an app in under 100 servers has them:
    # GATEWAY_PRESENCE_LIMITED, GATEWAY_GUILD_MEMBERS_LIMITED, GATEWAY_MESSAGE_CONTENT_LIMITED.
    limited = (1 << 13) | (1 << 15) | (1 << 19)
    assert (application["flags"], application["flags_new"]) == (limited, str(limited))
    assert application["eligible_oauth2_scopes"] == ["bot", "applications.commands"]
    assert "summary" not in application  # gone from the Application Structure
    assert application["bot"]["flags"] == 0


class Survey(ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(ui.Button(label="Yes", emoji="✅", custom_id="survey:yes"))
        self.add_item(ui.Button(label="No", emoji="❌", custom_id="survey:no"))
        self.add_item(
            ui.Select(
                custom_id="survey:topics",
                options=[discord.SelectOption(label=t, value=t) for t in ("a", "b")],
            )
        )


async def test_components_come_back_numbered_in_their_response_shape(
    loopback_discord: LoopbackDiscord,
):
    """Discord numbers every component (developers/components/reference.mdx); buttons answer
    as ButtonComponentResponse (a unicode emoji has no id), selects as
    StringSelectComponentResponse (no ``required``, which belongs to modals)."""
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    channel_id = server.default_channel(guild).id
    bot = _bot()
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Would you mentor again?", view=Survey())
        message = await server.wait_for_message(channel_id)
        clicked = await server.click_button(ada, message, "survey:no")
    buttons, select = sent.components
    assert isinstance(buttons, discord.ActionRow)
    assert isinstance(select, discord.ActionRow)
    assert [buttons.id, *(c.id for c in buttons.children)] == [1, 2, 3]
    assert [select.id, *(c.id for c in select.children)] == [4, 5]
    (answer,) = _answers(server, "POST", "/channels/{channel_id}/messages")
    yes = answer["components"][0]["components"][0]
    assert yes["emoji"] == {"name": "✅"}
    chooser = answer["components"][1]["components"][0]
    assert "required" not in chooser
    assert (chooser["min_values"], chooser["max_values"]) == (1, 1)
    # The click names the component by its number, as Discord's interaction data does.
    assert server.interaction(clicked).data["id"] == 3


async def test_rest_messages_leave_guild_and_member_to_the_gateway(
    loopback_discord: LoopbackDiscord,
):
    """MessageResponse has no guild_id or member: those are extra fields of the gateway's
    MESSAGE_CREATE (developers/events/gateway-events.mdx, Message Create)."""
    server = loopback_discord
    guild = server.add_guild()
    channel_id = server.default_channel(guild).id
    bot = _bot()
    heard: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        heard.append(message)

    bot.add_listener(on_message)
    async with running_client(bot, server):
        channel = bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Welcome to the round!")
        await server.wait_until(lambda: heard, description="MESSAGE_CREATE")
    (answer,) = _answers(server, "POST", "/channels/{channel_id}/messages")
    assert "guild_id" not in answer
    assert "member" not in answer
    assert answer["embeds"] == []
    # discord.py places both by the channel they came from.
    assert sent.guild is not None
    assert sent.guild.id == guild.id
    assert heard[0].guild is not None
    assert isinstance(heard[0].author, discord.Member)


async def test_callbacks_carry_a_resource_only_when_they_make_a_message(
    loopback_discord: LoopbackDiscord,
):
    """InteractionCallbackResponse: ``resource`` only for CHANNEL_MESSAGE_WITH_SOURCE (4) and
    UPDATE_MESSAGE (7); ``response_message_*`` only when a message was made, never null
    (developers/interactions/receiving-and-responding.mdx, Interaction Callback Object)."""
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    channel_id = server.default_channel(guild).id
    bot = _bot()

    @bot.tree.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Hello!", view=Survey())

    @bot.tree.command(name="slow", description="Think first")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Done thinking.")

    @bot.tree.command(name="form", description="Open a form")
    async def form(interaction: discord.Interaction) -> None:
        modal = ui.Modal(title="Your goal", custom_id="goal")
        modal.add_item(ui.Label(text="Goal", component=ui.TextInput(custom_id="goal:text")))
        await interaction.response.send_modal(modal)

    async def on_interaction(interaction: discord.Interaction) -> None:
        custom_id = (interaction.data or {}).get("custom_id")
        if custom_id == "survey:yes":
            await interaction.response.edit_message(content="Thanks!", view=None)
        elif custom_id == "survey:no":
            await interaction.response.defer()

    bot.add_listener(on_interaction)
    async with running_client(bot, server):
        await bot.tree.sync()
        said = await server.invoke_command(ada, guild, "hello")
        await server.wait_for_interaction_response(said)
        message = await server.wait_for_message(channel_id, predicate=lambda m: m.content)
        deferred = await server.invoke_command(ada, guild, "slow")
        await server.wait_for_message(predicate=lambda m: m.content == "Done thinking.")
        opened = await server.invoke_command(ada, guild, "form")
        await server.wait_for_interaction_response(opened)
        ignored = await server.click_button(ada, message, "survey:no")
        await server.wait_for_interaction_response(ignored)
        updated = await server.click_button(ada, message, "survey:yes")
        await server.wait_for_interaction_response(updated)
        await asyncio.sleep(0)  # let discord.py finish reading the last answer

    def answer(interaction_id: int) -> dict[str, Any]:
        body = _callback(server, interaction_id).response_body
        assert isinstance(body, dict)
        assert None not in body["interaction"].values()
        return body

    made = answer(said)
    assert made["resource"]["type"] == 4
    assert made["interaction"]["response_message_id"] == made["resource"]["message"]["id"]
    thinking = answer(deferred)
    assert "resource" not in thinking
    assert thinking["interaction"]["response_message_loading"] is True
    assert "resource" not in answer(opened)
    assert "response_message_id" not in answer(opened)["interaction"]
    assert "resource" not in answer(ignored)
    edited = answer(updated)
    assert edited["resource"]["type"] == 7
    assert edited["resource"]["message"]["content"] == "Thanks!"


async def test_creating_threads_and_channels_answers_201_and_keeps_the_archive_duration(
    loopback_discord: LoopbackDiscord,
):
    """create_thread and create_guild_channel answer 201 Created; the thread keeps the
    auto_archive_duration it was asked for (developers/resources/channel.mdx)."""
    server = loopback_discord
    guild = server.add_guild()
    bot = _bot()
    async with running_client(bot, server):
        channel = bot.get_channel(server.default_channel(guild).id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="ada-and-bob",
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=10080,
        )
        shortened = await thread.edit(auto_archive_duration=4320)
        created = await channel.guild.create_text_channel("pairs")
    assert thread.auto_archive_duration == 10080
    assert shortened.auto_archive_duration == 4320
    assert server.channel(thread.id).auto_archive_duration == 4320
    assert [r.status for r in server.requests_to("POST", "/channels/{channel_id}/threads")] == [201]
    assert [r.status for r in server.requests_to("POST", "/guilds/{guild_id}/channels")] == [201]
    assert created.name == "pairs"


async def test_an_archive_duration_discord_does_not_offer_is_refused(
    loopback_discord: LoopbackDiscord,
):
    """auto_archive_duration can be set to 60, 1440, 4320 or 10080 (channel.mdx)."""
    server = loopback_discord
    guild = server.add_guild()
    server.expect_violations()
    bot = _bot()
    async with running_client(bot, server):
        channel = bot.get_channel(server.default_channel(guild).id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.create_thread(name="odd", auto_archive_duration=1234)  # type: ignore[arg-type]
    assert refused.value.status == 400
    assert [p.path for v in server.violations for p in v.problems] == ["auto_archive_duration"]
    assert server.threads_in(server.default_channel(guild)) == []


async def test_registered_commands_answer_with_string_permissions_and_install_contexts(
    loopback_discord: LoopbackDiscord,
):
    """ApplicationCommandResponse: default_member_permissions is a string bit set or null,
    integration_types a list (developers/interactions/application-commands.mdx)."""
    server = loopback_discord
    guild = server.add_guild()
    bot = _bot()
    admin = app_commands.Group(
        name="tandem-admin",
        description="Organizer tools",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @admin.command(name="status", description="Show the round")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    bot.tree.add_command(admin, guild=discord.Object(guild.id))
    async with running_client(bot, server):
        (synced,) = await bot.tree.sync(guild=discord.Object(guild.id))
    ((answer,),) = _answers(
        server, "PUT", "/applications/{application_id}/guilds/{guild_id}/commands"
    )
    assert answer["default_member_permissions"] == str(1 << 5)
    assert answer["integration_types"] == [payloads.GUILD_INSTALL]
    assert None not in (answer.get("integration_types"), answer.get("dm_permission"))
    assert synced.default_member_permissions == discord.Permissions(manage_guild=True)


def _message(**changes: Any) -> dict[str, Any]:
    author = payloads.user(1, "Tandem", bot=True)
    row = {"type": 1, "id": 1, "components": [{"type": 2, "id": 2, "style": 1, "label": "Go"}]}
    return {**payloads.message(3, 4, author, content="hi", components=[row]), **changes}


_THREADS = ("POST", "/channels/{channel_id}/threads")
_MESSAGES = ("POST", "/channels/{channel_id}/messages")
_CALLBACK = ("POST", "/interactions/{interaction_id}/{token}/callback")
_COMMANDS = ("PUT", "/applications/{application_id}/commands")


@pytest.mark.parametrize(
    ("route", "status", "body", "problem"),
    [
        pytest.param(
            ("GET", "/users/@me"),
            200,
            payloads.user(1, "Tandem", bot=True),
            "(body): UserPIIResponse requires 'mfa_enabled'",
            id="current-user-without-mfa",
        ),
        pytest.param(
            ("GET", "/users/{user_id}"),
            200,
            {k: v for k, v in payloads.user(1, "ada").items() if k != "flags"},
            "(body): UserResponse requires 'flags'",
            id="user-without-flags",
        ),
        pytest.param(_THREADS, 200, None, "Discord answers 201 here", id="thread-with-200"),
        pytest.param(
            _MESSAGES,
            200,
            _message(guild_id="5"),
            "(body): MessageResponse has no field 'guild_id'",
            id="gateway-field-in-rest",
        ),
        pytest.param(
            _MESSAGES,
            200,
            _message(components=[{"type": 1, "components": []}]),
            "components[0]: ActionRowComponentResponse requires 'id'",
            id="row-without-id",
        ),
        pytest.param(
            _MESSAGES,
            200,
            _message(
                components=[
                    {
                        "type": 1,
                        "id": 1,
                        "components": [
                            {"type": 2, "id": 2, "style": 1, "emoji": {"id": None, "name": "✅"}}
                        ],
                    }
                ]
            ),
            "components[0].components[0].emoji: ComponentEmojiResponse.id must be string, got None",
            id="emoji-with-null-id",
        ),
        pytest.param(
            _CALLBACK,
            200,
            {"interaction": {"id": "1", "type": 2}, "resource": {"type": 5}},
            "resource: type 5 has no documented callback resource shape",
            id="resource-for-a-deferral",
        ),
        pytest.param(
            _CALLBACK,
            200,
            {"interaction": {"id": "1", "type": 2, "response_message_id": None}},
            "interaction: InteractionResponse.response_message_id must be string, got None",
            id="null-response-message-id",
        ),
        pytest.param(
            _COMMANDS,
            200,
            [
                {
                    **payloads.application_command(1, 2, {"name": "x"}, guild_id=None),
                    "default_member_permissions": 32,
                }
            ],
            "[0]: ApplicationCommandResponse.default_member_permissions must be string or null,"
            " got 32",
            id="integer-permissions",
        ),
    ],
)
def test_the_shape_rules_name_what_discord_would_not_answer(
    route: tuple[str, str], status: int, body: Any, problem: str
):
    method, template = route
    record = RequestRecord(method, template, template, status, response_body=body)
    assert problem in shapes.answer_problems(record)
