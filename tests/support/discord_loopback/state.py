"""What the loopback Discord remembers, in a shape a test can inspect.

:class:`World` holds users, guilds (roles, members), channels (text, DM, threads with their
member lists), messages per channel, interactions with the responses they got, and the
registered application commands. It also answers Discord's permission question ("can this user
see that channel?"). It knows nothing about HTTP or the gateway; handlers mutate it and call
``changed()`` so that waiters in the driver wake up.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.discord_loopback import payloads
from tests.support.discord_loopback.errors import (
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    DiscordError,
)
from tests.support.discord_loopback.limits import FLAG_EPHEMERAL

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits the fake evaluates.
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

#: What @everyone may do in a fresh guild.
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
#: What the bot's own (managed) role grants by default: enough to build pair spaces.
DEFAULT_BOT_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS | MANAGE_CHANNELS | MANAGE_ROLES | MANAGE_THREADS
)

OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1


class ShiftableClock:
    """``time.monotonic`` plus an offset a test can push forward (deadlines, token expiry)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Snowflakes:
    """Increasing Discord-like ids (timestamp in the high bits, so created_at is plausible)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._counter) & 0x3FFFFF)


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    dms_closed: bool = False
    #: The language of the person's Discord client, sent with their interactions.
    locale: str = "en-US"

    def payload(self) -> JSON:
        return payloads.user(self.id, self.name, bot=self.bot)


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, JSON] = field(default_factory=dict)
    #: user id -> role ids (the @everyone role is implicit)
    members: dict[int, list[int]] = field(default_factory=dict)
    joined_at: dict[int, str] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    #: 1: the server requires 2FA for moderation (elevated permissions need an owner with 2FA).
    mfa_level: int = 0
    #: The bot's managed role, given back when it is invited again.
    bot_role_id: int | None = None

    @property
    def everyone_role_id(self) -> int:
        return self.id


@dataclass
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    #: Normalised as Discord returns them: {"id": str, "type": int, "allow": str, "deny": str}
    permission_overwrites: list[JSON] = field(default_factory=list)
    recipient_id: int | None = None
    owner_id: int | None = None
    #: Thread members in the order they joined.
    member_ids: list[int] = field(default_factory=list)
    archived: bool = False
    #: When the thread was last archived or unarchived (``thread_metadata.archive_timestamp``).
    archived_at: str | None = None
    locked: bool = False
    invitable: bool = True
    #: Minutes of inactivity before a thread archives itself (threads only).
    auto_archive_duration: int = payloads.DEFAULT_AUTO_ARCHIVE_MINUTES
    message_count: int = 0
    last_message_id: int | None = None
    created_at: str = field(default_factory=payloads.timestamp)
    deleted: bool = False

    @property
    def is_thread(self) -> bool:
        return self.type in payloads.THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == payloads.CHANNEL_DM

    def overwrites(self) -> dict[int, tuple[int, int]]:
        """``{target id: (allow, deny)}`` as ints, the easy shape to assert on."""
        return {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in self.permission_overwrites}


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    allowed_mentions: JSON | None = None
    flags: int = 0
    guild_id: int | None = None
    interaction_id: int | None = None
    webhook_id: int | None = None
    message_type: int = 0
    # Create Message's nonce, with the server time it was sent (for enforce_nonce).
    nonce: str | None = None
    sent_at: float = 0.0
    created_at: str = field(default_factory=payloads.timestamp)
    edited_at: str | None = None
    deleted: bool = False
    #: Every previous version of (content, components), oldest first.
    history: list[tuple[str, list[JSON]]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    def walk_components(self) -> list[JSON]:
        found: list[JSON] = []

        def visit(items: list[JSON]) -> None:
            for item in items:
                found.append(item)
                visit(item.get("components") or [])
                if item.get("component"):
                    visit([item["component"]])
                if item.get("accessory"):
                    visit([item["accessory"]])

        visit(self.components)
        return found

    def component(self, custom_id: str) -> JSON | None:
        return next((c for c in self.walk_components() if c.get("custom_id") == custom_id), None)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.walk_components() if c.get("custom_id")]


@dataclass
class InteractionResponse:
    """One answer the bot gave: a callback (``type`` 4-9) or a webhook follow-up/edit."""

    kind: str  # "callback", "followup", "edit_original", "edit_message", "delete_original"
    type: int | None
    data: JSON
    message_id: int | None = None


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    data: JSON
    created_at: float
    message_id: int | None = None
    #: For a modal submit: the interaction whose response opened the modal.
    opened_by: int | None = None
    responses: list[InteractionResponse] = field(default_factory=list)
    original_message_id: int | None = None

    @property
    def callback(self) -> InteractionResponse | None:
        return next((r for r in self.responses if r.kind == "callback"), None)

    @property
    def modal(self) -> JSON | None:
        callback = self.callback
        return callback.data if callback is not None and callback.type == 9 else None


@dataclass
class RegisteredCommand:
    guild_id: int | None
    payload: JSON

    @property
    def name(self) -> str:
        return self.payload["name"]


class World:
    """All the fake's state plus the lookups that raise Discord-like 404s."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.next_id = Snowflakes()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, list[Message]] = {}
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.commands: dict[int | None, list[RegisteredCommand]] = {}
        self.dm_channels: dict[int, int] = {}
        #: The bot's user id (the other end of every DM channel); set by the server.
        self.bot_id: int | None = None
        self.attachment_bytes: dict[int, bytes] = {}
        self._changed = asyncio.Event()

    # -- change notification -------------------------------------------------
    def changed(self) -> None:
        """Wake every ``wait_until``; call after each mutation."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def next_change(self) -> None:
        await self._changed.wait()

    # -- lookups -------------------------------------------------------------
    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise DiscordError(404, UNKNOWN_USER, "Unknown User", violation=False) from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise DiscordError(404, UNKNOWN_GUILD, "Unknown Guild", violation=False) from None

    def channel(self, channel_id: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None or channel.deleted:
            raise DiscordError(404, UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def message(self, channel_id: int, message_id: int) -> Message:
        for message in self.messages.get(channel_id, []):
            if message.id == message_id:
                return message
        raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")

    def find_message(self, message_id: int) -> Message:
        for messages in self.messages.values():
            for message in messages:
                if message.id == message_id:
                    return message
        raise KeyError(f"no message {message_id}")

    def member_roles(self, guild: Guild, user_id: int) -> list[int]:
        try:
            return guild.members[user_id]
        except KeyError:
            raise DiscordError(404, UNKNOWN_MEMBER, "Unknown Member", violation=False) from None

    # -- payloads ------------------------------------------------------------
    def member_payload(
        self, guild: Guild, user_id: int, *, with_permissions: int | None = None
    ) -> JSON:
        return payloads.member(
            self.user(user_id).payload(),
            role_ids=self.member_roles(guild, user_id),
            joined_at=guild.joined_at.get(user_id),
            permissions=with_permissions,
        )

    def channel_payload(self, channel: Channel, *, for_user: int | None = None) -> JSON:
        if channel.is_dm:
            assert channel.recipient_id is not None
            return payloads.dm_channel(
                channel.id,
                self.user(channel.recipient_id).payload(),
                last_message_id=channel.last_message_id,
            )
        assert channel.guild_id is not None
        if channel.is_thread:
            assert channel.parent_id is not None
            assert channel.owner_id is not None
            me = None
            if for_user is not None and for_user in channel.member_ids:
                me = payloads.thread_member(channel.id, for_user)
            return payloads.thread(
                channel.id,
                channel.guild_id,
                channel.parent_id,
                channel.owner_id,
                channel.name,
                thread_type=channel.type,
                message_count=channel.message_count,
                member_count=len(channel.member_ids),
                archived=channel.archived,
                locked=channel.locked,
                invitable=channel.invitable,
                auto_archive_duration=channel.auto_archive_duration,
                created_at=channel.created_at,
                archived_at=channel.archived_at,
                last_message_id=channel.last_message_id,
                me=me,
            )
        return payloads.text_channel(
            channel.id,
            channel.guild_id,
            channel.name,
            position=channel.position,
            parent_id=channel.parent_id,
            topic=channel.topic,
            permission_overwrites=channel.permission_overwrites,
            last_message_id=channel.last_message_id,
            channel_type=channel.type,
        )

    def message_payload(self, message: Message, *, application_id: int | None = None) -> JSON:
        """The message as REST answers it (``MessageResponse``)."""
        return payloads.message(
            message.id,
            message.channel_id,
            self.user(message.author_id).payload(),
            content=message.content,
            embeds=message.embeds,
            components=message.components,
            attachments=message.attachments,
            flags=message.flags,
            message_type=message.message_type,
            created_at=message.created_at,
            edited_at=message.edited_at,
            webhook_id=message.webhook_id,
            application_id=application_id if message.webhook_id is not None else None,
        )

    def gateway_message_payload(
        self, message: Message, *, application_id: int | None = None
    ) -> JSON:
        """MESSAGE_CREATE/UPDATE: the REST message plus ``guild_id`` and the author's member."""
        member_payload = None
        if message.guild_id is not None and message.webhook_id is None:
            guild = self.guilds[message.guild_id]
            if message.author_id in guild.members:
                member_payload = self.member_payload(guild, message.author_id)
                member_payload.pop("user")
        return payloads.gateway_message(
            self.message_payload(message, application_id=application_id),
            guild_id=message.guild_id,
            member_payload=member_payload,
        )

    def guild_payload(self, guild: Guild, *, visible_member_ids: list[int]) -> JSON:
        channels = [self.channels[c] for c in guild.channel_ids if not self.channels[c].deleted]
        payload = payloads.guild(
            guild.id,
            guild.name,
            guild.owner_id,
            roles=list(guild.roles.values()),
            members=[self.member_payload(guild, u) for u in visible_member_ids],
            channels=[self.channel_payload(c) for c in channels if not c.is_thread],
            threads=[self.channel_payload(c) for c in channels if c.is_thread and not c.archived],
            member_count=len(guild.members),
        )
        payload["mfa_level"] = guild.mfa_level
        return payload

    def shares_a_guild(self, user_id: int, other_id: int) -> bool:
        return any(
            user_id in guild.members and other_id in guild.members for guild in self.guilds.values()
        )

    # -- permissions ---------------------------------------------------------
    def guild_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        role_ids = [guild.everyone_role_id, *guild.members.get(user_id, [])]
        permissions = 0
        for role_id in role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                permissions |= int(role["permissions"])
        return ALL_PERMISSIONS if permissions & ADMINISTRATOR else permissions

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """Discord's algorithm: guild permissions, then @everyone, role and member overwrites."""
        if channel.is_dm:
            # Both ends of a DM see it: the member and the bot.
            participants = (channel.recipient_id, self.bot_id, None)
            return VIEW_CHANNEL | SEND_MESSAGES if user_id in participants else 0
        assert channel.guild_id is not None
        guild = self.guilds[channel.guild_id]
        if user_id not in guild.members:
            return 0
        if channel.is_thread:
            assert channel.parent_id is not None
            parent_permissions = self.permissions_in(self.channels[channel.parent_id], user_id)
            private = channel.type == payloads.CHANNEL_PRIVATE_THREAD
            if (
                private
                and user_id not in channel.member_ids
                and not parent_permissions & MANAGE_THREADS
            ):
                return 0
            return parent_permissions
        permissions = self.guild_permissions(guild, user_id)
        if permissions & ADMINISTRATOR or permissions == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        overwrites = channel.overwrites()
        member_roles = set(guild.members[user_id])
        allow, deny = overwrites.get(guild.everyone_role_id, (0, 0))
        permissions = (permissions & ~deny) | allow
        role_allow = role_deny = 0
        for target, (o_allow, o_deny) in overwrites.items():
            if target in member_roles:
                role_allow |= o_allow
                role_deny |= o_deny
        permissions = (permissions & ~role_deny) | role_allow
        allow, deny = overwrites.get(user_id, (0, 0))
        permissions = (permissions & ~deny) | allow
        if not permissions & VIEW_CHANNEL:
            return 0
        return permissions

    def guild_channels(self, guild: Guild) -> list[Channel]:
        """The guild's channels as Discord counts them against its limits: no threads."""
        channels = (self.channels[c] for c in guild.channel_ids)
        return [c for c in channels if not c.deleted and not c.is_thread]

    def can_view(self, user_id: int, channel: Channel) -> bool:
        return bool(self.permissions_in(channel, user_id) & VIEW_CHANNEL)
