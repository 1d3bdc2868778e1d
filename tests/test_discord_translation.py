"""Discord payloads → neutral events, on real discord.py models built from payload dicts.

The payloads come from the loopback Discord's factories (one place for Discord's shapes), the
models from a client's ``ConnectionState`` without any network.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest

from adapters.discord import events
from adapters.discord.commands import is_organizer
from adapters.discord.components import answered_view, form_values
from bot.events import ChoicePicked, CommandInvoked, FormSubmitted, MemberLeft, TextReplied
from bot.places import MemberRef, Place, PlaceKind
from tests.support.discord_loopback import payloads

BOT_ID = 5
GUILD_ID = 20
CHANNEL_ID = 30
DM_ID = 40
ADA = payloads.user(11, "ada", global_name="Ada L.")
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def client() -> discord.Client:
    client = discord.Client(intents=discord.Intents.none())
    connection = client._connection
    connection.user = discord.ClientUser(
        state=connection, data=payloads.user(BOT_ID, "Tandem", bot=True)
    )
    return client


@pytest.fixture
def state(client: discord.Client) -> Any:
    return client._connection


def cache_guild(state: Any, *, role_ids: tuple[int, ...] = ()) -> None:
    """The guild as GUILD_CREATE put it in the cache (the bot runs with the guilds intent)."""
    roles = [payloads.role(GUILD_ID, "@everyone", permissions=0)]
    roles += [payloads.role(role_id, f"role {role_id}", permissions=0) for role_id in role_ids]
    state._add_guild_from_data(
        payloads.guild(
            GUILD_ID,
            "Guild",
            1,
            roles=roles,
            members=[],
            channels=[_guild_channel()],
            threads=[],
            member_count=0,
        )
    )


def _guild_channel() -> dict[str, Any]:
    return payloads.text_channel(CHANNEL_ID, GUILD_ID, "general")


def _dm_channel() -> dict[str, Any]:
    return payloads.dm_channel(DM_ID, ADA)


def command(state: Any, *, locale: str = "de", permissions: int = 0, roles: tuple[int, ...] = ()):
    data = payloads.command_interaction(
        interaction_id=1,
        token="token",
        application_id=BOT_ID,
        command={"id": "9", "name": "tandem"},
        options=[{"type": 1, "name": "join", "options": []}],
        channel=_guild_channel(),
        user_payload=ADA,
        guild_id=GUILD_ID,
        member_payload=payloads.member(ADA, role_ids=roles, permissions=permissions),
        locale=locale,
    )
    return discord.Interaction(data=data, state=state)


def question_message(components: list[dict[str, Any]]) -> dict[str, Any]:
    bot = payloads.user(BOT_ID, "Tandem", bot=True)
    return payloads.message(50, DM_ID, bot, content="Which language?", components=components)


BUTTONS = [
    {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "Deutsch", "custom_id": "tandem:c:7.1:de"},
            {"type": 2, "style": 1, "label": "English", "custom_id": "tandem:c:7.1:en"},
        ],
    }
]


def click(state: Any, custom_id: str, *, values: list[str] | None = None, components=BUTTONS):
    data = payloads.component_interaction(
        interaction_id=2,
        token="token",
        application_id=BOT_ID,
        custom_id=custom_id,
        component_type=2 if values is None else 3,
        message_payload=question_message(components),
        channel=_dm_channel(),
        user_payload=ADA,
        values=values,
        locale="en-GB",
    )
    return discord.Interaction(data=data, state=state)


def test_a_slash_command_in_a_guild_names_the_member_the_channel_and_the_locale(state):
    event = events.command_invoked(command(state), "discord", "join", organizer=False)

    assert isinstance(event, CommandInvoked)
    assert event.name == "join"
    assert event.community_id == "discord"
    assert event.member == MemberRef(platform="discord", user_id="11", display_name="Ada L.")
    assert event.place == Place(platform="discord", kind=PlaceKind.ROOM, channel_id="30")
    assert event.locale == "de"


def test_a_button_click_in_the_dm_is_a_choice_of_the_persisted_prompt(state):
    event = events.choice_picked(click(state, "tandem:c:7.1:en"), "discord", "7.1", ("en",))

    assert isinstance(event, ChoicePicked)
    assert event.prompt_id == "7.1"
    assert event.choice_ids == ("en",)
    assert event.place == Place.dm(event.member, channel_id="40")
    assert event.locale == "en-GB"


def test_a_submitted_form_carries_its_fields_by_id(state):
    components = payloads.submitted_modal_components(
        [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "label": "Name"}]}],
        {"answer": "Ada"},
    )
    data = payloads.modal_submit_interaction(
        interaction_id=3,
        token="token",
        application_id=BOT_ID,
        custom_id="tandem:m:7.2",
        components=components,
        channel=_dm_channel(),
        user_payload=ADA,
    )
    event = events.form_submitted(discord.Interaction(data=data, state=state), "discord", "7.2")

    assert isinstance(event, FormSubmitted)
    assert event.values == {"answer": "Ada"}
    assert event.prompt_id == "7.2"


def test_form_values_are_read_from_labels_as_well_as_action_rows():
    data = {
        "components": [
            {"type": 18, "id": 1, "component": {"type": 4, "custom_id": "goal", "value": "Talk"}},
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "Ada"}]},
        ]
    }

    assert form_values(data) == {"goal": "Talk", "answer": "Ada"}


def _message(client: discord.Client, author: dict[str, Any], *, guild: bool = False, content="hi"):
    state: Any = client._connection
    channel: Any
    if guild:
        cache_guild(state)
        channel = state._get_guild(GUILD_ID).get_channel(CHANNEL_ID)
    else:
        channel = client.get_partial_messageable(DM_ID, type=discord.ChannelType.private)
    # What on_message receives: MESSAGE_CREATE, which names the guild.
    data = payloads.gateway_message(
        payloads.message(60, channel.id, author, content=content),
        guild_id=GUILD_ID if guild else None,
        member_payload=None,
    )
    return discord.Message(state=state, channel=channel, data=data)


def test_a_direct_message_is_a_free_text_reply_kept_verbatim(client):
    event = events.dm_text(_message(client, ADA, content="Hello @everyone <@&1>"), "discord")

    assert isinstance(event, TextReplied)
    assert event.text == "Hello @everyone <@&1>"
    assert event.prompt_id is None
    assert event.place.kind == PlaceKind.DM
    assert event.place.channel_id == str(DM_ID)


def test_guild_chatter_bots_and_empty_messages_do_not_reach_the_flows(client):
    bot = payloads.user(99, "other-bot", bot=True)

    assert events.dm_text(_message(client, bot), "discord") is None
    assert events.dm_text(_message(client, ADA, content="   "), "discord") is None
    assert events.dm_text(_message(client, ADA, guild=True), "discord") is None


def test_a_member_leaving_the_guild_is_a_member_left_event(state):
    user = discord.User(state=state, data=ADA)

    event = events.member_left(user, "discord")

    assert isinstance(event, MemberLeft)
    assert event.member.user_id == "11"
    other_bot = discord.User(state=state, data=payloads.user(99, "b", bot=True))
    assert events.member_left(other_bot, "discord") is None


def test_organizer_commands_need_manage_server_on_the_server_side(state):
    assert not is_organizer(command(state, permissions=0), [], [GUILD_ID])
    assert is_organizer(command(state, permissions=MANAGE_GUILD), [], [GUILD_ID])
    assert is_organizer(command(state, permissions=ADMINISTRATOR), [777], [GUILD_ID])


def test_configured_organizer_roles_narrow_who_may_use_organizer_commands(state):
    cache_guild(state, role_ids=(777,))
    assert not is_organizer(command(state, permissions=MANAGE_GUILD), [777], [GUILD_ID])
    assert is_organizer(command(state, permissions=MANAGE_GUILD, roles=(777,)), [777], [GUILD_ID])


def test_an_administrator_of_a_server_outside_the_community_is_no_organizer(state):
    assert not is_organizer(command(state, permissions=ADMINISTRATOR), [], [GUILD_ID + 1])


async def test_an_answered_question_keeps_its_buttons_disabled_with_the_pick_highlighted(state):
    interaction = click(state, "tandem:c:7.1:en")
    assert interaction.message is not None

    view = answered_view(interaction.message, ["en"])

    rows = view.to_components()
    buttons = rows[0]["components"]
    assert [b["disabled"] for b in buttons] == [True, True]
    assert [b["style"] for b in buttons] == [
        discord.ButtonStyle.secondary.value,
        discord.ButtonStyle.success.value,
    ]
    assert view.is_finished()  # never held in discord.py's dispatch store


async def test_an_answered_select_shows_what_was_picked(state):
    select = [
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "tandem:s:7.4",
                    "min_values": 1,
                    "max_values": 3,
                    "options": [
                        {"label": "Monday", "value": "mon"},
                        {"label": "Tuesday", "value": "tue"},
                        {"label": "Wednesday", "value": "wed"},
                    ],
                }
            ],
        }
    ]
    interaction = click(state, "tandem:s:7.4", values=["mon", "wed"], components=select)
    assert interaction.message is not None

    menu = answered_view(interaction.message, ["mon", "wed"]).to_components()[0]["components"][0]

    assert menu["disabled"] is True
    assert [o.get("default", False) for o in menu["options"]] == [True, False, True]
