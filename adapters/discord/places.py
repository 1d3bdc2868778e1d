"""Where messages go on Discord: DMs, guild channels, and private pair spaces.

* A DM :class:`~bot.places.Place` is sent through its channel id when known, else the DM
  channel is opened with the member (``POST /users/@me/channels``). A member whose DMs are
  closed, or who shares no server with the bot any more, raises :class:`DmClosed`; the adapter
  then tells them in the guild.
* A pair space is a private thread in ``discord.pair_channel_id`` (default: the community room
  the intent names) that only its members and the bot are added to, or, with
  ``discord.pair_space = "channel"``, a text channel in ``discord.pair_category_id`` that
  @everyone cannot see and each member and the bot can. What was opened is recorded in
  ``adapter_state`` (``pair_space:<id>``) so it can be closed after a restart.
* Manage Threads, Manage Channels and Manage Roles are *elevated* permissions: on a server that
  requires 2FA for moderation Discord refuses them (60003) unless the bot owner's account has
  2FA. That raises :class:`OwnerNeeds2FA`, for the adapter to tell the organizers.

Everything sent here has mentions disabled: member-written text never pings anyone.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.layout import clip
from bot.places import MemberRef, Place, PlaceKind

if TYPE_CHECKING:
    from bot.config import DiscordSettings

log = logging.getLogger(__name__)


def message_nonce(idempotency_key: str | None, chunk: int) -> str | None:
    """The nonce of one message of an intent sent with an idempotency key (see bot.due).

    Discord takes at most 25 characters (developers/resources/message.mdx, Create Message): a
    hash of the key and the chunk's number fits, and is the same on every resend.
    """
    if idempotency_key is None:
        return None
    return hashlib.blake2b(f"{idempotency_key}#{chunk}".encode(), digest_size=12).hexdigest()


NO_MENTIONS = discord.AllowedMentions.none()
#: Discord's "Cannot send messages to this user" (the member's DMs are closed or blocked).
CANNOT_DM = 50007
#: "Cannot send messages to this user due to having no mutual guilds": no DM can reach them
#: either (developers/topics/opcodes-and-status-codes.mdx).
NO_MUTUAL_GUILDS = 50278
#: "Two factor is required for this operation": an elevated permission on a server requiring
#: 2FA for moderation, while the bot owner's account has none (developers/topics/permissions.mdx).
TWO_FACTOR_REQUIRED = 60003
MAX_CHANNEL_NAME = 100
#: A week: the longest a quiet private thread stays open before Discord archives it.
THREAD_ARCHIVE_MINUTES = 10080
# Only what the bot itself holds may be granted (Discord refuses the rest): see docs/discord.md.
_MEMBER_CAN = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, attach_files=True
)


class DmClosed(Exception):
    """The member does not accept direct messages from the bot."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"cannot send a direct message to {user_id}")
        self.user_id = user_id


class OwnerNeeds2FA(Exception):
    """Discord refused an elevated permission because the bot owner's account lacks 2FA."""


class PlaceError(Exception):
    """A place cannot be used as configured (a missing channel, a wrong channel type)."""


def channel_name(text: str) -> str:
    """A text channel name as Discord stores it: lower case, dashes, no spaces."""
    slug = re.sub(r"[\s_]+", "-", text.strip().lower())
    slug = re.sub(r"[^\w-]", "", slug).strip("-")
    return clip(slug or "tandem", MAX_CHANNEL_NAME)


class Places:
    def __init__(self, client: discord.Client, settings: DiscordSettings) -> None:
        self.client = client
        self.settings = settings
        self._dm_channels: dict[str, int] = {}

    async def messageable(self, place: Place) -> discord.abc.Messageable:
        if place.kind == PlaceKind.DM:
            channel_id = int(place.channel_id) if place.channel_id else None
            if channel_id is None and place.user_id:
                channel_id = self._dm_channels.get(place.user_id)
            if channel_id is None:
                if not place.user_id:
                    raise PlaceError("a DM place needs a user id or a channel id")
                dm = await self.client.create_dm(discord.Object(id=int(place.user_id)))
                self._dm_channels[place.user_id] = dm.id
                return dm
            return self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        if not place.channel_id:
            raise PlaceError(f"a {place.kind} place needs a channel id")
        channel = self.client.get_channel(int(place.channel_id))
        if isinstance(channel, discord.abc.Messageable):
            return channel
        return self.client.get_partial_messageable(int(place.channel_id))

    def forget_dm_channel(self, user_id: str) -> None:
        self._dm_channels.pop(user_id, None)

    async def send(
        self,
        place: Place,
        content: str,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
        mention: discord.abc.Snowflake | None = None,
        nonce: str | None = None,
    ) -> discord.Message:
        """Post to a place; ``mention`` is the one user a bot-written notice may ping.

        With a ``nonce`` discord.py asks Discord to enforce it: a resend with the same nonce
        within a few minutes returns the first message instead of posting a second.
        """
        channel = await self.messageable(place)
        extra: dict[str, Any] = {}
        if nonce is not None:
            extra["nonce"] = nonce
        if view is not None:
            extra["view"] = view
        if file is not None:
            extra["file"] = file
        allowed = NO_MENTIONS
        if mention is not None:
            allowed = discord.AllowedMentions(
                everyone=False, roles=False, users=[mention], replied_user=False
            )
        try:
            return await channel.send(content, allowed_mentions=allowed, **extra)
        except discord.HTTPException as error:
            if place.kind == PlaceKind.DM and error.code in (CANNOT_DM, NO_MUTUAL_GUILDS):
                raise DmClosed(place.user_id or "?") from None
            raise

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel

    # -- pair spaces -----------------------------------------------------------------------

    async def open_pair_space(
        self, name: str, members: tuple[MemberRef, ...], community_room: Place
    ) -> tuple[int, dict[str, Any]]:
        """Create the space; its id and the record to keep about it."""
        user_ids = [int(member.user_id) for member in members]
        if self.settings.pair_space == "channel":
            with _elevated():
                return await self._open_channel(name, user_ids)
        parent_id = self.settings.pair_channel_id or (
            int(community_room.channel_id) if community_room.channel_id else None
        )
        if parent_id is None:
            raise PlaceError("set discord.pair_channel_id to open pair spaces as threads")
        parent = await self._channel(parent_id)
        if not isinstance(parent, discord.TextChannel):
            raise PlaceError(f"discord.pair_channel_id {parent_id} is not a text channel")
        thread = await parent.create_thread(
            name=clip(name, MAX_CHANNEL_NAME),
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
        for user_id in user_ids:
            await thread.add_user(discord.Object(id=user_id))
        return thread.id, {"mode": "thread", "members": [str(u) for u in user_ids]}

    async def _open_channel(self, name: str, user_ids: list[int]) -> tuple[int, dict[str, Any]]:
        category_id = self.settings.pair_category_id
        if category_id is None:
            raise PlaceError("set discord.pair_category_id to open pair spaces as channels")
        category = await self._channel(category_id)
        if not isinstance(category, discord.CategoryChannel):
            raise PlaceError(f"discord.pair_category_id {category_id} is not a category")
        guild = category.guild
        me = guild.me or discord.Object(id=self.client.user.id if self.client.user else 0)
        overwrites: dict[Any, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            me: _MEMBER_CAN,
        }
        for user_id in user_ids:
            overwrites[discord.Object(id=user_id)] = _MEMBER_CAN
        channel = await guild.create_text_channel(
            name=channel_name(name), category=category, overwrites=overwrites
        )
        return channel.id, {"mode": "channel", "members": [str(u) for u in user_ids]}

    async def close_pair_space(self, space_id: int, record: dict[str, Any] | None) -> None:
        """Archive a thread (locked), or make a channel read-only for its members."""
        channel = await self._channel(space_id)
        if isinstance(channel, discord.Thread):
            try:
                with _elevated():
                    await channel.edit(archived=True, locked=True)
            except OwnerNeeds2FA:
                # Locking needs Manage Threads; the bot may archive the thread it made without.
                await channel.edit(archived=True)
                raise
            return
        if isinstance(channel, discord.TextChannel):
            members = {int(user_id) for user_id in (record or {}).get("members", [])}
            # One overwrite per id: the cache may hold a member as a Member, and Discord keeps
            # only one overwrite per target (developers/resources/channel.mdx, Modify Channel).
            overwrites: dict[Any, discord.PermissionOverwrite] = {
                target: overwrite
                for target, overwrite in channel.overwrites.items()
                if target.id not in members
            }
            for user_id in sorted(members):
                overwrites[discord.Object(id=user_id, type=discord.Member)] = (
                    discord.PermissionOverwrite(
                        view_channel=True, send_messages=False, read_message_history=True
                    )
                )
            with _elevated():
                await channel.edit(overwrites=overwrites)
            return
        raise PlaceError(f"{space_id} is not a pair space")


@contextlib.contextmanager
def _elevated() -> Iterator[None]:
    """Turn Discord's 60003 into :class:`OwnerNeeds2FA` around a call using an elevated
    permission (Manage Threads, Manage Channels, Manage Roles)."""
    try:
        yield
    except discord.HTTPException as error:
        if error.code == TWO_FACTOR_REQUIRED:
            raise OwnerNeeds2FA(str(error)) from None
        raise
