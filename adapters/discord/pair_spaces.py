"""Private pair spaces on Discord: made with their tag on them, found again by it, closed.

A pair space is a private thread in ``discord.pair_channel_id`` (default: the community room
the intent names) that only its members and the bot are added to, or, with
``discord.pair_space = "channel"``, a text channel in ``discord.pair_category_id`` that
@everyone cannot see and each member and the bot can.

**Found again by its tag** (:mod:`bot.pair_spaces`). The tag of the marker is *on* the space:
at the end of a thread's name (``"Tandem: Ada & Bob · k3f9a2c1bx"``) or in a channel's topic.
:meth:`DiscordPairSpaces.find` looks for it where Discord lists spaces: the guild's active
threads (``GET /guilds/{id}/threads/active``, private ones included) and, when an earlier try
may have died after making the space, the private archived threads the bot joined in the parent
channel (``GET /channels/{id}/users/@me/threads/archived/private``, paged); for channels, the
guild's channels with their topics (``GET /guilds/{id}/channels``, one request). A thread found
again is finished: unarchived if it was, and the members added (adding is idempotent).

**More than 50 pairs in channel mode.** A category holds at most 50 channels and a guild 500
(developers/resources/channel.mdx; opcodes-and-status-codes.mdx, 30013). When the configured
category is full, the channel goes to an overflow category named after it ("Tandems 2",
"Tandems 3", …), made when none has room. Closed pair channels are deleted after
``discord.closed_pair_channel_days`` (swept whenever a channel is opened or closed), and at
once, oldest first, when the guild has no room left for a new one.

**Closing** posts nothing itself (the adapter posts the farewell first): a thread loses the
members ``removed`` (Discord lets the creator of a private thread remove members without
Manage Threads) and is archived and locked; a channel keeps a read-only overwrite for the
members who stay and none for the others (forgotten, left, removed), then waits for its sweep.

Manage Threads, Manage Channels and Manage Roles are *elevated* permissions: on a server that
requires 2FA for moderation Discord refuses them (60003) unless the bot owner's account has
2FA; :func:`~adapters.discord.places.elevated` turns that into ``OwnerNeeds2FA``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.layout import clip
from adapters.discord.places import (
    MAX_CHANNEL_NAME,
    THREAD_ARCHIVE_MINUTES,
    OwnerNeeds2FA,
    PlaceError,
    channel_name,
    elevated,
)
from bot.places import MemberRef, Place

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import DiscordSettings
    from store.adapter_state import AdapterStateRepository

log = logging.getLogger(__name__)

#: "each parent category can contain up to 50 channels" (developers/resources/channel.mdx,
#: Channel Object, ``parent_id``).
CHANNELS_PER_CATEGORY = 50
#: "Maximum number of guild channels reached (500)", 30013
#: (developers/topics/opcodes-and-status-codes.mdx); categories count, threads do not.
CHANNELS_PER_GUILD = 500
GUILD_CHANNELS_FULL = 30013
INVALID_FORM_BODY = 50035
UNKNOWN_CHANNEL = 10003
UNKNOWN_MEMBER = 10007
#: Discord's words for a full category (an Invalid Form Body on ``parent_id`` with no error
#: code of its own: discord/discord-api-docs pull request 1289).
CATEGORY_FULL_TEXT = "Maximum number of channels in category"
#: How many closed channels one sweep deletes (each is a request): the rest wait for the next.
SWEEP_BATCH = 10
#: ``adapter_state`` prefix of a closed pair channel waiting to be deleted.
CLOSED_PREFIX = "closed_pair_channel:"
#: Archived threads asked for per page (Discord's limit for thread lists).
THREAD_PAGE = 100
_CATEGORY = discord.ChannelType.category.value
_TEXT = discord.ChannelType.text.value

# Only what the bot itself holds may be granted (Discord refuses the rest): see docs/discord.md.
_MEMBER_CAN = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, attach_files=True
)
_MEMBER_READS = discord.PermissionOverwrite(
    view_channel=True, send_messages=False, read_message_history=True
)


def thread_name(name: str, tag: str | None) -> str:
    """The name of a pair thread: the flow's name, then the tag it is found by."""
    if tag is None:
        return clip(name, MAX_CHANNEL_NAME)
    suffix = tag_suffix(tag)
    return clip(name, MAX_CHANNEL_NAME - len(suffix)) + suffix


def tag_suffix(tag: str) -> str:
    return f" · {tag}"


def overflow_number(category_name: str, base_name: str) -> int | None:
    """2 for "Tandems 2" when the configured category is "Tandems"; None for any other name."""
    match = re.fullmatch(re.escape(base_name) + r" (\d+)", category_name)
    return int(match.group(1)) if match and int(match.group(1)) >= 2 else None


@dataclass
class Where:
    """Where one pair space goes, worked out once per open: the guild, and the parent thread
    channel or the configured category; ``listing`` is the guild's channels, fetched at most
    once per open (to find the space and to choose its category)."""

    guild: discord.Guild
    parent: discord.TextChannel | None = None
    category: discord.CategoryChannel | None = None
    listing: list[dict[str, Any]] | None = None
    tags: dict[str, int] = field(default_factory=dict)


class DiscordPairSpaces:
    def __init__(
        self,
        client: discord.Client,
        settings: DiscordSettings,
        records: AdapterStateRepository,
        community_id: str,
        clock: Clock,
        topic: Callable[[str], str],
    ) -> None:
        self.client = client
        self.settings = settings
        self._records = records
        self._community = community_id
        self._clock = clock
        # The channel topic that carries a tag, in the bot's default language.
        self._topic = topic

    @property
    def channel_mode(self) -> bool:
        return self.settings.pair_space == "channel"

    def record(self, members: list[str]) -> dict[str, Any]:
        """The adapter's record of a pair space (``pair_space:<id>``): who is in the pair, so
        that closing knows whom to keep reading (the store scrubs a forgotten member from it)."""
        return {"mode": "channel" if self.channel_mode else "thread", "members": members}

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel

    async def where(self, community_room: Place) -> Where:
        if self.channel_mode:
            category_id = self.settings.pair_category_id
            if category_id is None:
                raise PlaceError("set discord.pair_category_id to open pair spaces as channels")
            category = await self._channel(category_id)
            if not isinstance(category, discord.CategoryChannel):
                raise PlaceError(f"discord.pair_category_id {category_id} is not a category")
            return Where(category.guild, category=category)
        parent_id = self.settings.pair_channel_id or (
            int(community_room.channel_id) if community_room.channel_id else None
        )
        if parent_id is None:
            raise PlaceError("set discord.pair_channel_id to open pair spaces as threads")
        parent = await self._channel(parent_id)
        if not isinstance(parent, discord.TextChannel):
            raise PlaceError(f"discord.pair_channel_id {parent_id} is not a text channel")
        return Where(parent.guild, parent=parent)

    # -- finding a space by its tag -----------------------------------------------------------

    async def find(self, where: Where, tag: str, thorough: bool) -> str | None:
        if self.channel_mode:
            for channel in await self._listing(where, fresh=True):
                if channel["type"] == _TEXT and tag in (channel.get("topic") or ""):
                    return str(channel["id"])
            return None
        assert where.parent is not None
        suffix = tag_suffix(tag)
        active = await self.client.http.get_active_threads(where.guild.id)
        for thread in active["threads"]:
            if _in(thread, where.parent.id) and thread["name"].endswith(suffix):
                return str(thread["id"])
        if not thorough:
            return None
        # Quiet threads archive themselves after a week: one made before a long outage is there.
        before: str | None = None
        while True:
            page = await self.client.http.get_joined_private_archived_threads(
                where.parent.id, before, limit=THREAD_PAGE
            )
            for thread in page["threads"]:
                if _in(thread, where.parent.id) and thread["name"].endswith(suffix):
                    return str(thread["id"])
            if not page.get("has_more") or not page["threads"]:
                return None
            before = str(page["threads"][-1]["id"])

    async def finish(self, space_id: str, members: tuple[MemberRef, ...]) -> None:
        """A space found again: a thread is unarchived and every member added (a crash may
        have come between making it and adding them). A channel was made whole, overwrites
        and all, in one request."""
        if self.channel_mode:
            return
        # Asked afresh: the cache may not know it was archived meanwhile.
        thread = await self.client.fetch_channel(int(space_id))
        if isinstance(thread, discord.Thread) and thread.archived:
            if thread.locked:
                log.warning("discord: pair thread %s was found locked; left as it is", space_id)
                return
            await thread.edit(archived=False)
        for member in members:
            await self.client.http.add_user_to_thread(int(space_id), int(member.user_id))

    async def bot_posted_in(self, space_id: str) -> bool:
        """Whether the bot wrote in the space (its welcome is the first thing it writes)."""
        bot_id = str(self.client.user.id) if self.client.user else ""
        recent = await self.client.http.logs_from(int(space_id), 50)
        return any(message["author"]["id"] == bot_id for message in recent)

    # -- making a space ----------------------------------------------------------------------

    async def create(
        self, where: Where, name: str, members: tuple[MemberRef, ...], tag: str | None
    ) -> str:
        user_ids = [int(member.user_id) for member in members]
        if self.channel_mode:
            with elevated():
                return await self._create_channel(where, name, user_ids, tag)
        assert where.parent is not None
        thread = await where.parent.create_thread(
            name=thread_name(name, tag),
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
        for user_id in user_ids:
            await thread.add_user(discord.Object(id=user_id))
        return str(thread.id)

    async def _create_channel(
        self, where: Where, name: str, user_ids: list[int], tag: str | None
    ) -> str:
        guild = where.guild
        me = guild.me or discord.Object(id=self.client.user.id if self.client.user else 0)
        overwrites: dict[Any, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            me: _MEMBER_CAN,
        }
        for user_id in user_ids:
            overwrites[discord.Object(id=user_id, type=discord.Member)] = _MEMBER_CAN
        topic = None if tag is None else self._topic(tag)
        await self.sweep()
        for attempt in range(3):
            category = await self._category_with_room(where)
            try:
                channel = await guild.create_text_channel(
                    name=channel_name(name), category=category, overwrites=overwrites, topic=topic
                )
            except discord.HTTPException as error:
                if attempt < 2 and _category_full(error):
                    where.listing = None  # someone filled it meanwhile: count again
                    continue
                if attempt < 2 and error.code == GUILD_CHANNELS_FULL:
                    await self.sweep(make_room=1)
                    where.listing = None
                    continue
                raise
            if where.listing is not None:
                where.listing.append(
                    {"id": str(channel.id), "type": _TEXT, "parent_id": str(category.id)}
                )
            return str(channel.id)
        raise PlaceError("no category with room for a pair channel")  # pragma: no cover

    async def _listing(self, where: Where, *, fresh: bool = False) -> list[dict[str, Any]]:
        if where.listing is None or fresh:
            where.listing = list(await self.client.http.get_all_guild_channels(where.guild.id))
        return where.listing

    async def _category_with_room(self, where: Where) -> discord.abc.Snowflake:
        """The configured category, or the first overflow category with room (made if none)."""
        base = where.category
        assert base is not None
        listing = await self._listing(where)
        children = Counter(str(c.get("parent_id")) for c in listing if c["type"] != _CATEGORY)
        overflow = sorted(
            (number, int(c["id"]))
            for c in listing
            if c["type"] == _CATEGORY
            and (number := overflow_number(c.get("name") or "", base.name)) is not None
        )
        with_room = [
            category_id
            for category_id in [base.id, *(category_id for _, category_id in overflow)]
            if children[str(category_id)] < CHANNELS_PER_CATEGORY
        ]
        # The channel, and a new category for it when none has room: of the guild's 500.
        needed = 1 if with_room else 2
        if len(listing) + needed > CHANNELS_PER_GUILD:
            swept = await self.sweep(make_room=len(listing) + needed - CHANNELS_PER_GUILD)
            if not swept:
                raise PlaceError(
                    "the server has Discord's 500 channels and no closed pair channel to delete;"
                    ' delete channels or use pair_space = "thread"'
                )
            where.listing = [c for c in listing if str(c["id"]) not in swept]
            return await self._category_with_room(where)
        if with_room:
            return discord.Object(id=with_room[0], type=discord.CategoryChannel)
        number = overflow[-1][0] + 1 if overflow else 2
        made = await where.guild.create_category(f"{base.name} {number}")
        log.info(
            "discord: category %s is full; opened %r for more pair channels", base.id, made.name
        )
        listing.append(
            {"id": str(made.id), "type": _CATEGORY, "name": made.name, "parent_id": None}
        )
        return made

    # -- closing ----------------------------------------------------------------------------

    async def close(
        self, space_id: int, record: dict[str, Any] | None, removed: tuple[MemberRef, ...]
    ) -> None:
        """Archive a thread (locked, so nobody can write in it again) without the ``removed``
        (without anyone, when the bot may not lock it), or make a channel read-only for the
        members who stay and closed to everyone else."""
        channel = await self._channel(space_id)
        gone = {int(member.user_id) for member in removed}
        if isinstance(channel, discord.Thread):
            for user_id in sorted(gone):
                await _ignoring(
                    UNKNOWN_MEMBER, self.client.http.remove_user_from_thread(space_id, user_id)
                )
            try:
                with elevated():
                    await channel.edit(archived=True, locked=True)
            except OwnerNeeds2FA:
                # Locking needs Manage Threads. Archived but unlocked, a thread opens again as
                # soon as a member writes in it, so nobody may stay: the bot, which made the
                # private thread, may take its members out without that permission (Remove
                # Thread Member: "or the creator of the thread if it is a PRIVATE_THREAD",
                # developers/resources/channel.mdx), then archive it.
                staying = {int(u) for u in (record or {}).get("members", [])} - gone
                for user_id in sorted(staying):
                    await _ignoring(
                        UNKNOWN_MEMBER, self.client.http.remove_user_from_thread(space_id, user_id)
                    )
                await channel.edit(archived=True)
                raise
            return
        if isinstance(channel, discord.TextChannel):
            with elevated():
                await channel.edit(overwrites=self._closed_overwrites(channel, record, gone))
            await self._records.put(
                self._community,
                "discord",
                f"{CLOSED_PREFIX}{space_id}",
                {"closed_at": self._clock.now().isoformat()},
                now=self._clock.now(),
            )
            await self.sweep()
            return
        raise PlaceError(f"{space_id} is not a pair space")

    def _closed_overwrites(
        self, channel: discord.TextChannel, record: dict[str, Any] | None, gone: set[int]
    ) -> dict[Any, discord.PermissionOverwrite]:
        bot_id = self.client.user.id if self.client.user else 0
        on_channel = {
            target.id
            for target in channel.overwrites
            if not _is_role(target) and target.id != bot_id
        }
        # The record names who is in the pair (a member forgotten first is already out of it);
        # without one, the channel's own overwrites do.
        named = {int(u) for u in record.get("members", [])} if record else on_channel
        staying = (named & on_channel) - gone
        # One overwrite per id: the cache may hold a member as a Member, and Discord keeps
        # only one overwrite per target (developers/resources/channel.mdx, Modify Channel).
        overwrites: dict[Any, discord.PermissionOverwrite] = {
            target: overwrite
            for target, overwrite in channel.overwrites.items()
            if _is_role(target) or target.id == bot_id
        }
        for user_id in sorted(staying):
            overwrites[discord.Object(id=user_id, type=discord.Member)] = _MEMBER_READS
        return overwrites

    async def sweep(self, *, make_room: int = 0) -> set[str]:
        """Delete closed pair channels kept long enough (a batch at a time); with
        ``make_room``, at least that many, oldest first, kept long enough or not. Returns the
        ids of the channels deleted."""
        entries = await self._records.with_prefix(self._community, "discord", CLOSED_PREFIX)
        keep = timedelta(days=self.settings.closed_pair_channel_days)
        now = self._clock.now()
        by_age = sorted(entries, key=lambda entry: _closed_at(entry[1]))
        due = [key for key, value in by_age if _closed_at(value) + keep <= now][:SWEEP_BATCH]
        if len(due) < make_room:
            extra = [key for key, _ in by_age if key not in due][: make_room - len(due)]
            if extra:
                log.warning(
                    "discord: the server has no room for another pair channel; deleting %d "
                    "closed one(s) before their time",
                    len(extra),
                )
            due += extra
        deleted: set[str] = set()
        for key in due:
            channel_id = key.removeprefix(CLOSED_PREFIX)
            with elevated():
                await _ignoring(UNKNOWN_CHANNEL, self.client.http.delete_channel(int(channel_id)))
            await self._records.delete(self._community, "discord", key)
            deleted.add(channel_id)
            log.info("discord: deleted closed pair channel %s", channel_id)
        return deleted


def _in(thread: dict[str, Any], parent_id: int) -> bool:
    return str(thread.get("parent_id")) == str(parent_id)


def _is_role(target: Any) -> bool:
    if isinstance(target, discord.Role):
        return True
    return isinstance(target, discord.Object) and target.type is discord.Role


def _category_full(error: discord.HTTPException) -> bool:
    return error.code == INVALID_FORM_BODY and CATEGORY_FULL_TEXT in error.text


def _closed_at(value: Any) -> datetime:
    return datetime.fromisoformat(value["closed_at"])


async def _ignoring(code: int, request: Awaitable[Any]) -> None:
    """Run a request whose only failure that matters not is ``code`` (already gone)."""
    try:
        await request
    except discord.HTTPException as error:
        if error.code != code:
            raise
