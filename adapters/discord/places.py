"""Where messages go on Discord: DMs and guild channels (pair spaces: :mod:`.pair_spaces`).

* A DM :class:`~bot.places.Place` is sent through its channel id when known, else the DM
  channel is opened with the member (``POST /users/@me/channels``). A member whose DMs are
  closed, or who shares no server with the bot any more, raises :class:`DmClosed`; the adapter
  then tells them in the guild.
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
from bot.places import Place, PlaceKind

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
        if place.kind == PlaceKind.ORGANIZERS:
            if self.settings.organizer_channel_id is None:
                raise PlaceError("set discord.organizer_channel_id to post to the organizers")
            place = Place.room(place.platform, str(self.settings.organizer_channel_id))
        if place.kind == PlaceKind.CELEBRATION:
            if self.settings.celebration_channel_id is None:
                raise PlaceError("set discord.celebration_channel_id to post shout-outs")
            place = Place.room(place.platform, str(self.settings.celebration_channel_id))
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


@contextlib.contextmanager
def elevated() -> Iterator[None]:
    """Turn Discord's 60003 into :class:`OwnerNeeds2FA` around a call using an elevated
    permission (Manage Threads, Manage Channels, Manage Roles)."""
    try:
        yield
    except discord.HTTPException as error:
        if error.code == TWO_FACTOR_REQUIRED:
            raise OwnerNeeds2FA(str(error)) from None
        raise
