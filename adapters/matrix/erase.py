"""Forgetting a member on Matrix: what the bot can take back of its conversations with them.

When the kernel sends :class:`~bot.intents.ForgetMember` (after ``forget`` deleted the
member's rows and the bot said so), the adapter, in each room that holds only the bot and the
member (their DM, and any earlier one still open):

* redacts the conversation: its own messages and reactions always, the member's too where its
  power level allows redacting others' events. The bot's newest message (the "everything is
  deleted" note, sent just before) stays, so the member can see that it happened;
* leaves the room and forgets it, so the homeserver drops it from the bot's account and a
  later DM is a new room (three join-and-forget rounds leave no room behind);
* drops the room's keys (:func:`drop_room_keys`): the megolm sessions for the room in the
  crypto store and in memory, so nothing the bot keeps can decrypt the conversation again.

What stays out of the bot's reach (the homeserver keeps the skeletons of redacted events, the
member's client and other homeservers keep their copies) is said in ``docs/privacy.md``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from nio import AsyncClient, RoomMessagesResponse, RoomRedactResponse
from nio.store.models import MegolmInboundSessions, OutgoingKeyRequests

from adapters.matrix.retry import RequestFailed, RetryPolicy

log = logging.getLogger(__name__)

# What a conversation consists of; state events (joins, the room's settings) stay.
CONVERSATION_TYPES = frozenset({"m.room.message", "m.room.encrypted", "m.reaction", "m.sticker"})
PAGE = 100


@dataclass(frozen=True)
class Said:
    event_id: str
    sender: str
    kind: str


async def conversation(client: AsyncClient, room_id: str, retry: RetryPolicy) -> list[Said]:
    """Every message and reaction in the room that is not redacted yet, newest first."""
    found: list[Said] = []
    start: str | None = None
    while True:
        response = await retry.call(
            f"read {room_id}",
            lambda s=start: client.room_messages(room_id, start=s, limit=PAGE),
        )
        assert isinstance(response, RoomMessagesResponse)
        for event in response.chunk:
            # Decrypted events carry the inner type and content in their source; the sender
            # and event id only as attributes.
            source = event.source
            if source.get("type") in CONVERSATION_TYPES and source.get("content"):
                found.append(Said(event.event_id, event.sender, source["type"]))
        if not response.chunk or not response.end or response.end == start:
            return found
        start = response.end


def to_redact(said: list[Said], own_user_id: str, member: str) -> list[Said]:
    """What to redact of ``said`` (newest first): the bot's and the member's messages and
    reactions, except the bot's newest message (the note that everything is deleted)."""
    note = next((s for s in said if s.sender == own_user_id and s.kind == "m.room.message"), None)
    return [s for s in said if s is not note and s.sender in (own_user_id, member)]


async def redact_conversation(
    client: AsyncClient, room_id: str, member: str, retry: RetryPolicy
) -> int:
    """Redact what :func:`to_redact` picks, all at once; returns how many were redacted. The
    member's events are redacted where the bot's power allows it; the homeserver decides (a
    client's view of power misses room version 12's creators)."""

    async def redact(event: Said) -> bool:
        transaction = str(uuid.uuid4())  # one id for every retry of this redaction
        try:
            response = await retry.call(
                f"redact {event.event_id}",
                lambda: client.room_redact(room_id, event.event_id, tx_id=transaction),
            )
        except RequestFailed as error:
            log.info("matrix: could not redact an event in %s: %s", room_id, error)
            return False
        return isinstance(response, RoomRedactResponse)

    said = await conversation(client, room_id, retry)
    done = await asyncio.gather(*(redact(e) for e in to_redact(said, client.user_id, member)))
    return sum(done)


def drop_room_keys(client: AsyncClient, room_id: str) -> None:
    """Forget every megolm session of ``room_id``, inbound and outbound, in memory and in the
    crypto store (its rows deleted; SQLite reuses their pages)."""
    olm = client.olm
    store = client.store
    if olm is None or store is None:
        return
    olm.outbound_group_sessions.pop(room_id, None)
    olm.inbound_group_store._entries.pop(room_id, None)  # nio offers no public removal
    client.encrypted_rooms.discard(room_id)
    with store.database.bind_ctx(store.models):
        MegolmInboundSessions.delete().where(MegolmInboundSessions.room_id == room_id).execute()
        OutgoingKeyRequests.delete().where(OutgoingKeyRequests.room_id == room_id).execute()
    store.delete_encrypted_room(room_id)
