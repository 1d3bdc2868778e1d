"""What ``tandem doctor`` checks on Discord: the token, the privileged intent, and the bot's
permissions in each configured server and channel. REST only (no gateway session), nothing
changed, so it runs beside a running bot.

* **The token**: discord.py's login, ``GET /users/@me`` (401: refused) and
  ``GET /oauth2/applications/@me``.
* **The Server Members intent**, from the application's flags: ``GATEWAY_GUILD_MEMBERS``
  (``1 << 14``, for apps in 100 or more servers, after Discord's review) or
  ``GATEWAY_GUILD_MEMBERS_LIMITED`` (``1 << 15``, under 100 servers: the switch on the
  portal's Bot page) (discord-api-docs ``developers/resources/application.mdx``, Application
  Flags). Without it Discord closes the bot's gateway (4014).
* **Each server of** ``discord.guild_ids``: ``GET /guilds/{id}`` (403 or 404: the bot is not
  there), the bot's member (``GET /guilds/{id}/members/{bot}``) and the server's channels
  (``GET /guilds/{id}/channels``). The bot's permissions in each configured channel are what
  discord.py computes from those (``permissions_for``): @everyone's and the bot's roles, then
  the channel's overwrites for @everyone, for its roles and for itself
  (``developers/topics/permissions.mdx``, Permission Overwrites). A missing permission is
  named with what the bot does with it and whether its role lacks it or an overwrite of the
  channel takes it away.

What each channel needs is :data:`NEEDS` (docs/discord.md, "Invite it with the right
permissions", says the same to people); the invite URL in a fix asks for all of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord

from adapters.discord.client import (
    MEMBERS_INTENT_FIX,
    TOKEN_FIX,
    TOKEN_REFUSED,
    UNREACHABLE_FIX,
    gateway_intents,
    unreachable,
    without_voice,
)
from bot.config import DiscordSettings, Settings
from bot.doctor import Finding, fail, ok, warn

SUBJECT = "discord"
#: How long all of Discord's checks may take before the doctor gives up on them.
PATIENCE_SECONDS = 30.0

#: Permission names as Discord's apps show them, and what the bot does with each.
NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "create_private_threads": "Create Private Threads",
    "manage_threads": "Manage Threads",
    "read_message_history": "Read Message History",
    "attach_files": "Attach Files",
    "manage_channels": "Manage Channels",
    "manage_roles": "Manage Roles",
}

#: Where a channel's own permission settings name a permission otherwise.
CHANNEL_NAMES = {"manage_roles": "Manage Permissions", "manage_channels": "Manage Channel"}


@dataclass(frozen=True)
class Need:
    """What the bot must be allowed in the channel a config key names."""

    key: str
    category: bool
    #: (discord.py's permission name, what the bot does with it there)
    permissions: tuple[tuple[str, str], ...]


_SEE = ("view_channel", "see the channel")
_POST = ("send_messages", "post there")
_HISTORY = ("read_message_history", "keep working in its own threads and channels")
_FILES = ("attach_files", "send calendar invitations (.ics) and charts")

PAIR_THREADS = Need(
    "pair_channel_id",
    False,
    (
        _SEE,
        ("create_private_threads", "open a pair space as a private thread"),
        ("send_messages_in_threads", "write in pair threads and add the pair to them"),
        ("manage_threads", "lock and archive a pair thread when the tandem ends"),
        _HISTORY,
        _FILES,
    ),
)
PAIR_CHANNELS = Need(
    "pair_category_id",
    True,
    (
        _SEE,
        _POST,
        ("manage_channels", "create and delete the private pair channels"),
        ("manage_roles", "set who may see a pair channel"),
        _HISTORY,
        _FILES,
    ),
)
ORGANIZERS = Need("organizer_channel_id", False, (_SEE, _POST))
CELEBRATION = Need("celebration_channel_id", False, (_SEE, _POST))
DM_FALLBACK = Need("dm_fallback_channel_id", False, (_SEE, _POST))


def needs(settings: DiscordSettings) -> list[Need]:
    """What the configured channels need, for the configured kind of pair space."""
    pair = PAIR_CHANNELS if settings.pair_space == "channel" else PAIR_THREADS
    return [pair, ORGANIZERS, CELEBRATION, DM_FALLBACK]


def invite_permissions(settings: DiscordSettings) -> int:
    """Every permission the bot needs anywhere: what its invite URL asks for."""
    wanted = discord.Permissions.none()
    for need in needs(settings):
        for name, _why in need.permissions:
            setattr(wanted, name, True)
    return wanted.value


def invite_url(application_id: int, settings: DiscordSettings) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={invite_permissions(settings)}"
    )


async def diagnose(settings: Settings) -> list[Finding]:
    discord_settings = settings.discord
    if discord_settings.token is None:
        return [fail(SUBJECT, "discord.token is not set", "set TANDEM_DISCORD__TOKEN")]
    # REST only: the intents are never sent, but discord.py warns without the guilds one.
    without_voice()
    client = discord.Client(intents=gateway_intents())
    try:
        async with asyncio.timeout(PATIENCE_SECONDS):
            return await _diagnose(client, discord_settings)
    except TimeoutError:
        silent = f"Discord did not answer within {PATIENCE_SECONDS:.0f} s"
        return [fail(SUBJECT, silent, UNREACHABLE_FIX)]
    finally:
        await client.close()


async def _diagnose(client: discord.Client, settings: DiscordSettings) -> list[Finding]:
    assert settings.token is not None
    try:
        await client.login(settings.token.get_secret_value())
    except discord.LoginFailure:
        return [fail(SUBJECT, f"{TOKEN_REFUSED} (401 Unauthorized)", TOKEN_FIX)]
    except (OSError, aiohttp.ClientError) as error:
        return [fail(SUBJECT, unreachable(error), UNREACHABLE_FIX)]
    user, application = client.user, client.application
    if user is None or application is None:  # discord.py sets both when it logs in
        raise RuntimeError("discord.py logged in without a user or an application")
    found = [ok(SUBJECT, f"logged in as {user} (id {user.id})")]
    flags = application.flags
    if flags.gateway_guild_members or flags.gateway_guild_members_limited:
        found.append(ok(SUBJECT, "the Server Members intent is on"))
    else:
        found.append(
            fail(
                SUBJECT,
                "the Server Members intent is off: Discord refuses the bot's connection",
                MEMBERS_INTENT_FIX,
            )
        )
    channels: dict[int, tuple[Any, discord.Member]] = {}
    invite = invite_url(application.id, settings)
    try:
        for guild_id in settings.guild_ids:
            found += await _guild(client, user.id, invite, guild_id, channels)
    except discord.HTTPException as error:
        said = f"{error.status} {error.text}".strip()
        trouble = f"Discord answered {said} when asked about the servers"
        return [*found, fail(SUBJECT, trouble, "try again later (https://discordstatus.com)")]
    except (OSError, aiohttp.ClientError) as error:
        return [*found, fail(SUBJECT, unreachable(error), UNREACHABLE_FIX)]
    for need in needs(settings):
        found += _channel(settings, need, channels)
    return found


async def _guild(
    client: discord.Client,
    bot_id: int,
    invite: str,
    guild_id: int,
    channels: dict[int, tuple[Any, discord.Member]],
) -> list[Finding]:
    """The server: is the bot on it; its channels (with the bot as a member) into ``channels``."""
    try:
        guild = await client.fetch_guild(guild_id)
        me = await guild.fetch_member(bot_id)
        listed = await guild.fetch_channels()
    except (discord.Forbidden, discord.NotFound):
        return [
            fail(
                SUBJECT,
                f"the bot is not on the server {guild_id} (discord.guild_ids)",
                f"invite it there with {invite}, or correct discord.guild_ids (Developer Mode "
                "on, right-click the server, Copy ID)",
            )
        ]
    for channel in listed:
        channels[channel.id] = (channel, me)
    return [ok(SUBJECT, f"on the server {guild.name} ({guild_id})")]


def _channel(
    settings: DiscordSettings, need: Need, channels: dict[int, tuple[Any, discord.Member]]
) -> list[Finding]:
    channel_id = getattr(settings, need.key)
    key = f"discord.{need.key}"
    if channel_id is None:
        if need is PAIR_THREADS or need is PAIR_CHANNELS:
            where = "a text channel" if need is PAIR_THREADS else "a category"
            return [
                warn(
                    SUBJECT,
                    f"{key} is not set: match rounds cannot open pair spaces",
                    f"set {key} to {where} of the community (docs/discord.md)",
                )
            ]
        return []  # optional; ``tandem run`` warns about the organizer channel itself
    if channel_id not in channels:
        return [
            fail(
                SUBJECT,
                f"{key} {channel_id} is no channel of the servers in discord.guild_ids",
                "copy the channel's id again (Developer Mode on, right-click it, Copy ID)",
            )
        ]
    channel, me = channels[channel_id]
    wanted = discord.CategoryChannel if need.category else discord.TextChannel
    if not isinstance(channel, wanted):
        kind = "a category" if need.category else "a text channel"
        wrong = f"{key} {channel_id} ({channel.name}) is not {kind}"
        return [fail(SUBJECT, wrong, f"set {key} to the id of {kind}")]
    name = channel.name if need.category else f"#{channel.name}"
    found = _permissions(key, name, channel, me, need.permissions)
    return found + _who_else_sees(key, name, need, channel)


def _permissions(
    key: str, name: str, channel: Any, me: discord.Member, wanted: Sequence[tuple[str, str]]
) -> list[Finding]:
    held = channel.permissions_for(me)
    server_wide = me.guild_permissions
    role = "@" + me.top_role.name.removeprefix("@")
    edit = "Edit Category" if isinstance(channel, discord.CategoryChannel) else "Edit Channel"
    found = []
    for flag, why in wanted:
        if getattr(held, flag):
            continue
        permission = NAMES[flag]
        there = CHANNEL_NAMES.get(flag, permission)
        if getattr(server_wide, flag):
            fix = (
                f"an overwrite in {name} takes it away: allow {there} for the bot's role {role} "
                f"there ({edit}, Permissions), or remove the overwrite that denies it"
            )
        else:
            fix = (
                f"give the bot's role {role} {permission} (Server Settings, Roles), or allow "
                f"{there} for {role} in {name} ({edit}, Permissions)"
            )
        found.append(fail(SUBJECT, f"the bot lacks {permission} in {name} ({key}): {why}", fix))
    if not found:
        found.append(ok(SUBJECT, f"the bot has what it needs in {name} ({key})"))
    return found


def _who_else_sees(key: str, name: str, need: Need, channel: Any) -> list[Finding]:
    """Who besides the bot may read the channel, where that matters. A private pair thread
    takes its permissions from its channel: members who cannot see the channel (or send
    messages in its threads) cannot use their own pair thread. Members' reports go to the
    organizer channel: there, @everyone must not read."""
    everyone = channel.permissions_for(channel.guild.default_role)
    if need is PAIR_THREADS and not (everyone.view_channel and everyone.send_messages_in_threads):
        return [
            warn(
                SUBJECT,
                f"@everyone may not see {name} ({key}) or send messages in its "
                "threads: members without another role that may cannot use their pair threads",
                f"allow View Channel and Send Messages in Threads for @everyone in {name}",
            )
        ]
    if need is ORGANIZERS and everyone.view_channel:
        return [
            warn(
                SUBJECT,
                f"@everyone may read {name} ({key}), where members' reports are posted",
                f"deny View Channel for @everyone in {name} and allow it for the "
                "organizers' role and the bot",
            )
        ]
    return []
