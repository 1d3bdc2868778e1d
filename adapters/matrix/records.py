"""What the Matrix adapter remembers across restarts, kept in the store's adapter_state table.

The adapter writes no SQL; it keeps small JSON records through
:class:`store.adapter_state.AdapterStateRepository`, per (community, ``"matrix"``):

``sync``                 the last sync token whose events were all handled
``handled``              ids of the most recent events handled: a cheap filter in front of the
                         kernel, which records every event id with the step it caused and so
                         is what guarantees an event is applied once
``dm:<user id>``         the DM room the bot uses with a member (the bot's own record: it does
                         not rely on ``m.direct``)
``room:<room id>``       what a room is to the bot: ``{"kind": "dm", "user_id"}``,
                         ``{"kind": "pair", "members", "tag"}`` (the tag of a room opened with
                         a marker, :mod:`.pair_rooms`) or ``{"kind": "closed"}``
``pair_marker:<tag>``    the room opened for a marker (:mod:`bot.pair_spaces`)
``question:<event id>``  a question the bot sent: its prompt id, kind and option emojis, so a
                         reaction or a reply on it is tied to that exact question (pruned by
                         the maintenance job after its retention, see docs/privacy.md)
``question:prompt:<prompt id>``  the latest messages (event and room ids) that asked that
                         prompt, so a question the kernel retires can be edited; dropped once
                         it is (and pruned like the others if it never is)

Records about one member carry their user id, so forgetting the member deletes them too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from store.adapter_state import QUESTION_PREFIX, AdapterStateRepository

PLATFORM = "matrix"
HANDLED_KEPT = 500
# The same prompt asked again (help, a wrong answer) is several messages; the latest are edited.
ASKED_KEPT = 3


@dataclass(frozen=True)
class QuestionRecord:
    event_id: str
    room_id: str
    prompt_id: str
    kind: str
    emojis: list[str | None]


class MatrixRecords:
    def __init__(self, state: AdapterStateRepository, community_id: str, clock: Clock) -> None:
        self._state = state
        self._community = community_id
        self._clock = clock
        self._rooms: dict[str, dict[str, Any] | None] = {}
        self._handled: deque[str] = deque(maxlen=HANDLED_KEPT)
        self._handled_set: set[str] = set()

    async def _get(self, key: str) -> Any | None:
        return await self._state.get(self._community, PLATFORM, key)

    async def _put(self, key: str, value: Any, user_id: str | None = None) -> None:
        await self._state.put(
            self._community,
            PLATFORM,
            key,
            value,
            now=self._clock.now(),
            platform_user_id=user_id,
        )

    # -- sync progress --------------------------------------------------------------------

    async def sync_token(self) -> str | None:
        value = await self._get("sync")
        return value.get("next_batch") if isinstance(value, dict) else None

    async def save_sync_token(self, token: str) -> None:
        await self._put("sync", {"next_batch": token})

    async def load_handled(self) -> None:
        value = await self._get("handled") or []
        self._handled.clear()
        self._handled.extend(value[-HANDLED_KEPT:])
        self._handled_set = set(self._handled)

    def was_handled(self, event_id: str) -> bool:
        return event_id in self._handled_set

    async def mark_handled(self, event_id: str) -> None:
        if len(self._handled) == self._handled.maxlen:
            self._handled_set.discard(self._handled[0])
        self._handled.append(event_id)
        self._handled_set.add(event_id)
        await self._put("handled", list(self._handled))

    # -- rooms ----------------------------------------------------------------------------

    async def dm_room(self, user_id: str) -> str | None:
        value = await self._get(f"dm:{user_id}")
        return value.get("room_id") if isinstance(value, dict) else None

    async def remember_dm(self, user_id: str, room_id: str) -> None:
        await self._put(f"dm:{user_id}", {"room_id": room_id}, user_id)
        await self.remember_room(room_id, {"kind": "dm", "user_id": user_id}, user_id)

    async def forget_dm(self, user_id: str, room_id: str) -> None:
        if await self.dm_room(user_id) == room_id:
            await self._state.delete(self._community, PLATFORM, f"dm:{user_id}")
        await self.remember_room(room_id, {"kind": "closed"})

    def drop_cached(self, user_id: str) -> None:
        """Forget the cached room records naming a member (after the store deleted them)."""
        for room_id, value in list(self._rooms.items()):
            if value and (value.get("user_id") == user_id or user_id in value.get("members", [])):
                del self._rooms[room_id]

    async def room(self, room_id: str) -> dict[str, Any] | None:
        if room_id not in self._rooms:
            self._rooms[room_id] = await self._get(f"room:{room_id}")
        return self._rooms[room_id]

    async def drop_room(self, room_id: str) -> None:
        """Keep nothing about the room (a forgotten member's DM), not even that it was closed."""
        self._rooms.pop(room_id, None)
        await self._state.delete(self._community, PLATFORM, f"room:{room_id}")

    async def remember_room(
        self, room_id: str, value: dict[str, Any], user_id: str | None = None
    ) -> None:
        self._rooms[room_id] = value
        await self._put(f"room:{room_id}", value, user_id)

    # -- questions ------------------------------------------------------------------------

    async def remember_question(self, record: QuestionRecord, user_id: str | None) -> None:
        await self._put(
            f"{QUESTION_PREFIX}{record.event_id}",
            {
                "room_id": record.room_id,
                "prompt_id": record.prompt_id,
                "kind": record.kind,
                "emojis": record.emojis,
            },
            user_id,
        )

    async def remember_asked(
        self, record: QuestionRecord, user_id: str | None, *, repeated: bool = False
    ) -> None:
        """``repeated``: the message asked the question again after an answer that was not
        understood (perhaps in a shorter form than the first time)."""
        key = f"{QUESTION_PREFIX}prompt:{record.prompt_id}"
        asked = [entry for entry in await self._get(key) or [] if entry[0] != record.event_id]
        asked = [*asked, [record.event_id, record.room_id, repeated]][-ASKED_KEPT:]
        await self._put(key, asked, user_id)

    async def take_asked(self, prompt_id: str) -> list[tuple[str, str, bool]]:
        """(event id, room id, repeated) of each message that asked ``prompt_id``; forgotten
        after. Records of older releases have no third field: they were not repeats."""
        key = f"{QUESTION_PREFIX}prompt:{prompt_id}"
        asked = await self._get(key) or []
        if asked:
            await self._state.delete(self._community, PLATFORM, key)
        return [(str(entry[0]), str(entry[1]), bool(entry[2:3] and entry[2])) for entry in asked]

    async def question(self, event_id: str) -> QuestionRecord | None:
        value = await self._get(f"{QUESTION_PREFIX}{event_id}")
        if not isinstance(value, dict):
            return None
        return QuestionRecord(
            event_id=event_id,
            room_id=value["room_id"],
            prompt_id=value["prompt_id"],
            kind=value["kind"],
            emojis=list(value.get("emojis") or []),
        )
