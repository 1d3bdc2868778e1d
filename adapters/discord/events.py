"""Translation of discord.py models into neutral events and places.

Every function here takes discord.py objects and returns :mod:`bot.events` values; nothing
here talks to Discord or the store, so the tests build the models from payload dicts and check
the result. Identity: a member is ``MemberRef("discord", str(user.id), display name)``; the
community is the configured ``discord.community_id`` for every guild and for DMs (one bot, one
community); the locale is the one the member's Discord client reports on interactions. An
event's id is Discord's (the interaction's or the message's snowflake), which the kernel
records with the change the event causes.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.components import form_values
from bot.events import ChoicePicked, CommandInvoked, FormSubmitted, MemberLeft, TextReplied
from bot.places import MemberRef, Place, PlaceKind

PLATFORM = "discord"


def member_ref(user: discord.abc.User | discord.User | discord.Member) -> MemberRef:
    return MemberRef(platform=PLATFORM, user_id=str(user.id), display_name=user.display_name)


def interaction_place(interaction: discord.Interaction[Any]) -> Place:
    """Where an interaction happened: the member's DM, or a guild channel/thread."""
    member = member_ref(interaction.user)
    channel_id = str(interaction.channel_id) if interaction.channel_id is not None else None
    if interaction.guild_id is None:
        return Place.dm(member, channel_id=channel_id)
    return Place(platform=PLATFORM, kind=PlaceKind.ROOM, channel_id=channel_id)


def interaction_locale(interaction: discord.Interaction[Any]) -> str | None:
    locale = interaction.locale
    return None if locale is None else str(locale.value)


def _common(interaction: discord.Interaction[Any], community_id: str) -> dict[str, Any]:
    return {
        "event_id": str(interaction.id),
        "community_id": community_id,
        "member": member_ref(interaction.user),
        "place": interaction_place(interaction),
        "locale": interaction_locale(interaction),
    }


def command_invoked(
    interaction: discord.Interaction[Any],
    community_id: str,
    name: str,
    args: tuple[str, ...] = (),
    *,
    organizer: bool = False,
    organizer_command: bool = False,
) -> CommandInvoked:
    """``organizer`` is the adapter's server-side permission check, never the client's word;
    ``organizer_command``: it came from the ``/tandem-admin`` group."""
    return CommandInvoked(
        name=name,
        args=args,
        organizer=organizer,
        organizer_command=organizer_command,
        **_common(interaction, community_id),
    )


def choice_picked(
    interaction: discord.Interaction[Any],
    community_id: str,
    prompt_id: str,
    choice_ids: tuple[str, ...],
) -> ChoicePicked:
    return ChoicePicked(
        prompt_id=prompt_id, choice_ids=choice_ids, **_common(interaction, community_id)
    )


def form_submitted(
    interaction: discord.Interaction[Any], community_id: str, prompt_id: str
) -> FormSubmitted:
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    return FormSubmitted(
        prompt_id=prompt_id, values=form_values(data), **_common(interaction, community_id)
    )


def dm_text(message: discord.Message, community_id: str) -> TextReplied | None:
    """A member's direct message to the bot; None for anything the flows should not see."""
    if message.author.bot or message.guild is not None:
        return None
    if message.type not in (discord.MessageType.default, discord.MessageType.reply):
        return None
    if not message.content.strip():
        return None
    member = member_ref(message.author)
    return TextReplied(
        event_id=str(message.id),
        community_id=community_id,
        member=member,
        place=Place.dm(member, channel_id=str(message.channel.id)),
        text=message.content,
    )


def member_left(user: discord.abc.User | discord.User, community_id: str) -> MemberLeft | None:
    if user.bot:
        return None
    member = member_ref(user)
    return MemberLeft(community_id=community_id, member=member, place=Place.dm(member))
