"""Pair rooms on Matrix: made with their tag in the room's state, found again by it, closed.

**The tag on the room** (:mod:`bot.pair_spaces`). A pair room is created with a state event of
its own, ``org.tandem.pair`` (state key ``""``, content ``{"tag": …}``), in its initial state:
it is part of the room from its first moment, sent by the bot, and only the bot (power 100 for
state) could ever change it. :meth:`PairRooms.find` asks the homeserver for the bot's joined
rooms (``GET /joined_rooms``) and reads the state of each room it has not looked at yet in this
process (``GET /rooms/{id}/state``): after a restart nio knows the joined rooms (the first sync
is a full-state one) but keeps no custom state events, so the homeserver is asked. Rooms the
adapter's records explain (DMs, pair rooms recorded with their tag) are not asked about; a
room's tag is set once, when it is made, so each room is looked at once per process. A tag
counts only when the bot sent it: someone else's room claiming one is not the bot's.

**Members are invited after the room is made**, one request each, not in ``createRoom``: Synapse
checks the invite rate limit of a ``createRoom`` before making the room and refuses it outright
("Cannot invite so many users at once", a 400) when a fan-out has used it up, where a separate
invite is answered 429 with the time to wait (:mod:`.retry` waits it). A room found again is
finished the same way: whoever is neither joined nor invited is invited.

**Closing**: the adapter posts the farewell; the members ``removed`` are kicked (the bot holds
the power to), then the bot leaves and forgets the room.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nio import (
    AsyncClient,
    JoinedRoomsResponse,
    RoomCreateResponse,
    RoomGetStateResponse,
    RoomMessagesResponse,
)

from adapters.matrix.places import pair_room_options
from adapters.matrix.records import MatrixRecords
from adapters.matrix.retry import RetryPolicy

log = logging.getLogger(__name__)

#: The state event that carries a pair room's tag.
PAIR_STATE = "org.tandem.pair"
_PRESENT = ("join", "invite")


class PairRooms:
    def __init__(
        self,
        client: Callable[[], AsyncClient],
        retry: RetryPolicy,
        records: MatrixRecords,
        own_user_id: str,
        *,
        encryption: bool,
    ) -> None:
        self._client = client
        self._retry = retry
        self._records = records
        self._own = own_user_id
        self._encryption = encryption
        # Room id -> its tag (None: not a pair room of the bot's), for each room looked at.
        self._tags: dict[str, str | None] = {}

    async def create(self, name: str, members: list[str], tag: str | None) -> str:
        client = self._client()
        options = pair_room_options(name, self._encryption, tag)
        response = await self._retry.call("open a pair room", lambda: client.room_create(**options))
        assert isinstance(response, RoomCreateResponse)
        room_id = response.room_id
        self._tags[room_id] = tag
        await self._records.remember_room(room_id, _pair_record(members, tag))
        await self._invite(room_id, members)
        return room_id

    async def find(self, tag: str, thorough: bool) -> str | None:
        """The joined room carrying ``tag`` (every joined room is looked at, thorough or not)."""
        client = self._client()
        response = await self._retry.call("list the joined rooms", client.joined_rooms)
        assert isinstance(response, JoinedRoomsResponse)
        for room_id in response.rooms:
            if room_id not in self._tags:
                self._tags[room_id] = await self._tag_of(room_id)
            if self._tags[room_id] == tag:
                return room_id
        return None

    async def finish(self, room_id: str, members: list[str]) -> None:
        """A room found again: record it and invite whoever a crash kept from being invited."""
        state = await self._state(room_id)
        present = {
            event.get("state_key")
            for event in state
            if event.get("type") == "m.room.member"
            and event.get("content", {}).get("membership") in _PRESENT
        }
        await self._records.remember_room(room_id, _pair_record(members, self._tags.get(room_id)))
        await self._invite(room_id, [m for m in members if m not in present])

    async def bot_posted_in(self, room_id: str) -> bool:
        """Whether the bot sent a message in the room (its welcome is the first it sends)."""
        client = self._client()
        only_the_bots = {"senders": [self._own], "types": ["m.room.message", "m.room.encrypted"]}
        response = await self._retry.call(
            f"read {room_id}",
            lambda: client.room_messages(room_id, limit=1, message_filter=only_the_bots),
        )
        assert isinstance(response, RoomMessagesResponse)
        return bool(response.chunk)

    async def kick(self, room_id: str, members: list[str]) -> None:
        client = self._client()
        for user_id in members:
            await self._retry.call(
                f"remove {user_id} from {room_id}", lambda u=user_id: client.room_kick(room_id, u)
            )

    async def _invite(self, room_id: str, members: list[str]) -> None:
        client = self._client()
        for user_id in members:
            await self._retry.call(
                f"invite {user_id} to {room_id}", lambda u=user_id: client.room_invite(room_id, u)
            )

    async def _tag_of(self, room_id: str) -> str | None:
        record = await self._records.room(room_id) or {}
        if record.get("kind") == "dm":
            return None
        if record.get("kind") == "pair" and record.get("tag"):
            return str(record["tag"])
        for event in await self._state(room_id):
            if (
                event.get("type") == PAIR_STATE
                and event.get("state_key") == ""
                and event.get("sender") == self._own
            ):
                tag = event.get("content", {}).get("tag")
                return tag if isinstance(tag, str) else None
        return None

    async def _state(self, room_id: str) -> list[dict[str, Any]]:
        client = self._client()
        response = await self._retry.call(
            f"read the state of {room_id}", lambda: client.room_get_state(room_id)
        )
        assert isinstance(response, RoomGetStateResponse)
        return list(response.events)


def _pair_record(members: list[str], tag: str | None) -> dict[str, Any]:
    """The adapter's record of a pair room (``room:<id>``, see :mod:`.records`)."""
    record: dict[str, Any] = {"kind": "pair", "members": members}
    if tag is not None:
        record["tag"] = tag
    return record
