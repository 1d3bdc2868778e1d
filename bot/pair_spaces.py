"""Pair spaces opened once per marker, whatever crashes in between.

Creating a thread, a channel or a room is not idempotent on any platform, and a match round
opens hundreds of them. An :class:`~bot.intents.OpenPairSpace` with a ``marker`` is opened
through :meth:`SpaceLedger.open`, which every adapter uses the same way:

1. the adapter's record of the marker (``pair_marker:<tag>`` in ``adapter_state``) names the
   space: it is returned, nothing is made;
2. otherwise the platform is searched for a space carrying the marker's :func:`space_tag`
   (each adapter puts the tag *on* the space it makes: a Discord thread's name or channel's
   topic, a state event of a Matrix room); found, it is recorded and returned;
3. otherwise the record says "opening" (committed) before the space is made, and names the
   space once it is.

A crash between the platform making the space and the record naming it leaves "opening": the
next try searches the platform *thoroughly* (archived Discord threads too), so the space is
found rather than made twice. With no record at all (a database restored from an older
backup) the ordinary search still finds spaces the platform lists as current.

The welcome an adapter posts in a new space is recorded too (:meth:`SpaceLedger.welcome`), so a
space opened again gets no second one; for a space found on the platform the adapter asks the
platform whether the bot already wrote there.

Two tries for one marker in one process wait for each other. Two processes never open the same
marker at the same time as long as one due item opens it (the item's claim sees to that).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.intents import OpenPairSpace
from bot.places import Place, PlaceKind
from store.adapter_state import AdapterStateRepository

#: ``adapter_state`` key prefix of the record of one marker.
MARKER_PREFIX = "pair_marker:"
#: Base32 characters of a tag: 50 bits, so that thousands of spaces never share one.
TAG_LENGTH = 10

#: ``(tag, thorough) -> space id or None``: look for a space the platform holds with this tag.
Find = Callable[[str, bool], Awaitable[str | None]]
#: ``(tag) -> space id``: make the space, with the tag on it (``None``: opened without marker).
Create = Callable[[str | None], Awaitable[str]]


def space_tag(community_id: str, marker: str) -> str:
    """The short, stable tag an adapter puts on the space it makes for ``marker``: lower-case
    letters and digits only, so it fits a Discord channel topic or thread name as it is."""
    digest = hashlib.blake2b(f"{community_id}\n{marker}".encode(), digest_size=8).digest()
    return base64.b32encode(digest).decode().lower()[:TAG_LENGTH]


@dataclass(frozen=True)
class OpenedSpace:
    space_id: str
    #: ``None`` for a space opened without a marker (nothing recorded).
    tag: str | None
    #: Made by this call (False: recorded earlier, or found on the platform).
    created: bool
    #: Found on the platform, not in the record: the adapter should finish it (add members a
    #: crash may have kept from being added).
    found: bool
    #: Its welcome was posted and recorded earlier.
    welcomed: bool


class SpaceLedger:
    """One adapter's records of the spaces it opened by marker (one community, one platform)."""

    def __init__(
        self, records: AdapterStateRepository, community_id: str, platform: str, clock: Clock
    ) -> None:
        self._records = records
        self._community = community_id
        self._platform = platform
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    def tag(self, marker: str) -> str:
        return space_tag(self._community, marker)

    async def open(self, marker: str | None, *, find: Find, create: Create) -> OpenedSpace:
        """The space for ``marker``: recorded, found on the platform, or made now. Without a
        marker a new space is made every time, and nothing is recorded."""
        if marker is None:
            return OpenedSpace(await create(None), None, True, False, False)
        tag = self.tag(marker)
        lock = self._locks.setdefault(tag, asyncio.Lock())
        try:
            async with lock:
                return await self._open(tag, find, create)
        finally:
            if not lock.locked() and self._locks.get(tag) is lock:
                del self._locks[tag]

    async def open_intent(
        self,
        intent: OpenPairSpace,
        *,
        find: Find,
        create: Create,
        finish: Callable[[str], Awaitable[object]] | None = None,
        post_welcome: Callable[[Place], Awaitable[object]],
        posted_before: Callable[[str], Awaitable[bool]] | None = None,
    ) -> tuple[OpenedSpace, Place]:
        """What every adapter does for an :class:`OpenPairSpace`: open the space (:meth:`open`),
        ``finish`` one found on the platform, and post the welcome once (:meth:`welcome`)."""
        opened = await self.open(intent.marker, find=find, create=create)
        if opened.found and finish is not None:
            await finish(opened.space_id)
        place = Place(
            platform=self._platform, kind=PlaceKind.PAIR_SPACE, channel_id=opened.space_id
        )
        if intent.welcome is not None:
            before = None if posted_before is None else lambda: posted_before(opened.space_id)
            await self.welcome(opened, lambda: post_welcome(place), posted_before=before)
        return opened, place

    async def _open(self, tag: str, find: Find, create: Create) -> OpenedSpace:
        record = await self._get(tag)
        if record is not None and record.get("space"):
            return OpenedSpace(
                str(record["space"]), tag, False, False, bool(record.get("welcomed"))
            )
        # "opening": an earlier try may have made the space and died before naming it.
        found = await find(tag, record is not None)
        if found is not None:
            await self._put(tag, {"space": found})
            return OpenedSpace(found, tag, False, True, False)
        await self._put(tag, {"opening": True})
        space_id = await create(tag)
        await self._put(tag, {"space": space_id})
        return OpenedSpace(space_id, tag, True, False, False)

    async def welcome(
        self,
        opened: OpenedSpace,
        post: Callable[[], Awaitable[object]],
        *,
        posted_before: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """Post the welcome of a space unless it was posted before, and record that it was.

        For a space found on the platform (not in the record) ``posted_before`` asks the
        platform whether the bot already wrote there: the welcome is the first thing it writes.
        """
        if opened.welcomed:
            return
        if not (opened.found and posted_before is not None and await posted_before()):
            await post()
        if opened.tag is not None:
            await self._put(opened.tag, {"space": opened.space_id, "welcomed": True})

    async def _get(self, tag: str) -> dict[str, Any] | None:
        value = await self._records.get(self._community, self._platform, MARKER_PREFIX + tag)
        return value if isinstance(value, dict) else None

    async def _put(self, tag: str, value: dict[str, Any]) -> None:
        await self._records.put(
            self._community, self._platform, MARKER_PREFIX + tag, value, now=self._clock.now()
        )
