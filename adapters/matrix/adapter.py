"""The Matrix adapter: matrix-nio under the hood, the neutral model on top.

``MatrixAdapter(context)`` is what the app builds for ``matrix.enabled``. ``start`` logs in on
the bot's persistent device (:mod:`.session`), resolves the community room, does the first
sync and starts the sync loop and its worker (:mod:`.sync`); ``stop`` finishes the event in
hand and closes the client.

Inbound, per queued item (one at a time, in order):

* a text message or reaction (:mod:`.translate`) becomes a :class:`~bot.events.CommandInvoked`
  (``!tandem join``, anywhere the bot is), or a :class:`~bot.events.TextReplied` when written in
  the member's DM, when it is a reply to one of the bot's questions, or when it is a reaction
  on a question that picks an option. A reply or a reaction carries the prompt id of the exact
  question it is on, so one on an old question is refused by the kernel as stale;
* a member leaving the community room becomes :class:`~bot.events.MemberLeft`;
* an invite is accepted or rejected (:mod:`.places`).

Outbound, every message is an ``m.notice`` built by :mod:`.content`: text plain, questions as a
numbered list in HTML and plain text. A question whose options all have an emoji also gets the
bot's own reactions with those emojis, so a member can answer with one click. A question the
kernel retires is edited (``m.replace``) to its text and how it ended. Sends are retried
with bounds (:mod:`.retry`) under one transaction id, so a retry never posts twice; in an
encrypted room a relation (an edit, a reply) stays in the clear beside the ciphertext, as the
spec asks and Element expects.

Neutral events carry the Matrix event id as their id: the kernel records it with the step it
causes, so an event redelivered after a crash is never applied twice. The adapter's own
``handled`` record is only a cheap filter in front of that.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from nio import (
    AsyncClient,
    JoinResponse,
    RoomCreateResponse,
    RoomLeaveResponse,
    RoomResolveAliasResponse,
    RoomSendResponse,
    UploadResponse,
)
from nio.api import Api

from adapters.matrix import content as build
from adapters.matrix.doctor import diagnose
from adapters.matrix.erase import drop_room_keys, redact_conversation
from adapters.matrix.pair_rooms import PairRooms
from adapters.matrix.places import (
    dm_room_options,
    is_organizer,
    joined,
    may_invite_bot,
    present,
    private_to,
)
from adapters.matrix.records import MatrixRecords, QuestionRecord
from adapters.matrix.retry import RequestFailed, RetryPolicy
from adapters.matrix.session import open_client
from adapters.matrix.sync import BatchDone, Invite, Item, LeftRoom, RoomEvent, SyncLoop
from adapters.matrix.translate import (
    Incoming,
    MalformedEvent,
    membership_change,
    named_member,
    reaction_choice,
    read_message,
)
from bot.adapter import Adapter, AdapterContext, EventSink, renders
from bot.capabilities import TEXT_ONLY, Capabilities
from bot.commands import ORGANIZER_WORD, split_group
from bot.config import Settings
from bot.doctor import Finding
from bot.events import CommandInvoked, EventBase, MemberLeft, TextReplied
from bot.intents import (
    Ask,
    AttachFile,
    ClosePairSpace,
    Delivery,
    ForgetMember,
    IntentBase,
    OpenPairSpace,
    RetireQuestion,
    Say,
)
from bot.messages import msg
from bot.places import MemberRef, Place, PlaceKind
from bot.render import split_text

log = logging.getLogger(__name__)

PLATFORM = "matrix"
# Encrypted events must stay under 64 KiB; plain and HTML bodies both count, and base64 grows.
MAX_MESSAGE_LENGTH = 12000
ROOM_WAIT_SECONDS = 15.0
STOP_GRACE_SECONDS = 5.0
REMEMBERED_EVENTS = 1000


def link_to_place(place: Place, name: str) -> str:
    """A place a message points to, as Matrix clients link to it: the name and the room's
    matrix.to link (the spec's "matrix.to navigation", the room id percent-encoded)."""
    if place.platform == PLATFORM and place.channel_id and place.kind == PlaceKind.PAIR_SPACE:
        return f"{name} – https://matrix.to/#/{quote(place.channel_id, safe='')}"
    return name


class MatrixAdapter(Adapter):
    platform = PLATFORM
    capabilities: ClassVar[Capabilities] = TEXT_ONLY.model_copy(
        update={
            "max_message_length": MAX_MESSAGE_LENGTH,
            # A user id: @localpart:server (the spec's localpart characters, lower-cased; a
            # server name, an optional port); at most 255 characters in all.
            "member_id": r"(?=.{3,255}$)@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(:[0-9]{1,5})?",
            "member_hint": "block.how.matrix",
        }
    )

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.settings = context.settings.matrix
        # A pair room a message points to: its name and a matrix.to link, which clients open.
        self.translator = context.translator.linking(link_to_place)
        # Instance attribute: the app spells commands with the configured prefix.
        self.capabilities = type(self).capabilities.model_copy(
            update={
                "command_format": f"{self.settings.command_prefix} {{name}}",
                "organizer_format": f"{self.settings.command_prefix} {ORGANIZER_WORD} {{name}}",
            }
        )
        self.community_id = self.settings.community_id
        self.records = MatrixRecords(context.store.adapter_state, self.community_id, context.clock)
        self.retry = RetryPolicy(
            attempts=self.settings.retry_attempts,
            max_delay=self.settings.retry_max_delay_seconds,
            rate_limit_patience=self.settings.rate_limit_patience_seconds,
            on_retry=lambda: context.metrics.send_retried(self.platform),
        )
        self.client: AsyncClient | None = None
        self.pair_rooms = PairRooms(
            self._live_client,
            self.retry,
            self.records,
            self.own_user_id,
            encryption=self.settings.encryption,
        )
        self.loop: SyncLoop | None = None
        self.community_room_id: str | None = None
        # The configured rooms by key (organizer_room, celebration_room), aliases resolved.
        self._configured_rooms: dict[str, str] = {}
        self._community_creators: frozenset[str] = frozenset()
        self._sink: EventSink | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        # Neutral event id -> (room id, Matrix event id), to answer in a room as a reply.
        self._origins: OrderedDict[str, tuple[str, str]] = OrderedDict()

    @classmethod
    async def diagnose(cls, settings: Settings) -> list[Finding]:
        return await diagnose(settings)

    # -- lifetime -------------------------------------------------------------------------

    @property
    def own_user_id(self) -> str:
        return self.settings.user_id

    @property
    def connected(self) -> bool:
        """Started and the last sync with the homeserver succeeded."""
        return self.loop is not None and bool(self._tasks) and self.loop.healthy

    def _live_client(self) -> AsyncClient:
        assert self.client is not None, "the Matrix adapter is not started"
        return self.client

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        self.client = await open_client(self.context.settings, self.retry)
        self.loop = SyncLoop(
            self.client,
            self._handle_item,
            timeout_seconds=self.settings.sync_timeout_seconds,
            timeline_limit=self.settings.timeline_limit,
            retry=self.retry,
            after_keys=self._apply_trust_policy,
            log_in_again=self._log_in_again,
        )
        try:
            await self.records.load_handled()
            await self._resolve_community_room()
            await self.loop.first_sync(await self.records.sync_token())
            await self._join_community_room()
        except BaseException:
            await self.client.close()
            raise
        spawn = self.context.tasks.spawn
        self._tasks = [
            spawn(self.loop.work(), name="matrix-worker"),
            spawn(self.loop.run(), name="matrix-sync"),
        ]

    async def stop(self) -> None:
        if self.loop is not None and self._tasks:
            self._tasks[1].cancel()  # stop syncing first, then let the worker finish its item
            await self.loop.finish_current(STOP_GRACE_SECONDS)
            for task in self._tasks:
                task.cancel()
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
            self._tasks = []
        if self.client is not None:
            await self.client.close()
        self._sink = None

    async def _log_in_again(self) -> AsyncClient:
        """A new client on a new device, after the old one's token was revoked."""
        old = self.client
        self.client = await open_client(self.context.settings, self.retry)
        if old is not None:
            await old.close()
        return self.client

    async def _resolve_community_room(self) -> None:
        configured = self.settings.community_room
        if not configured:
            return
        self.community_room_id = await self._room_id(configured)

    async def _configured_room(self, key: str, purpose: str) -> str:
        """The room of ``matrix.<key>`` (``organizer_room``, ``celebration_room``); an alias is
        resolved once."""
        configured = getattr(self.settings, key)
        if not configured:
            raise RequestFailed(f"set matrix.{key} to post {purpose}")
        if key not in self._configured_rooms:
            self._configured_rooms[key] = await self._room_id(configured)
        return self._configured_rooms[key]

    async def _room_id(self, configured: str) -> str:
        """A configured room: its id as given, or the room an alias ("#…") points to."""
        if not configured.startswith("#"):
            return configured
        assert self.client is not None
        client = self.client
        response = await self.retry.call(
            f"resolve {configured}", lambda: client.room_resolve_alias(configured)
        )
        assert isinstance(response, RoomResolveAliasResponse)
        return response.room_id

    async def _join_community_room(self) -> None:
        room_id = self.community_room_id
        if room_id is None or self.client is None or room_id in self.client.rooms:
            return
        client = self.client
        try:
            await self.retry.call(f"join {room_id}", lambda: client.join(room_id))
        except RequestFailed as error:
            log.warning(
                "matrix: not in the community room %s and cannot join it (%s); invite the bot "
                "there so it can check organizers' power levels and members' invites",
                room_id,
                error,
            )

    def _apply_trust_policy(self) -> None:
        """``trust_all_devices``: mark every device seen as verified (trust on first use)."""
        client = self.client
        if self.settings.trust != "trust_all_devices" or client is None or client.olm is None:
            return
        for user_id in client.device_store.users:
            for device in client.device_store.active_user_devices(user_id):
                if not device.verified and not device.blacklisted:
                    client.verify_device(device)

    # -- inbound --------------------------------------------------------------------------

    async def _handle_item(self, item: Item) -> None:
        if isinstance(item, BatchDone):
            await self.records.save_sync_token(item.token)
        elif isinstance(item, RoomEvent):
            await self._room_event(item.room_id, item.event)
        elif isinstance(item, Invite):
            await self._invited(item)
        elif isinstance(item, LeftRoom):
            await self._bot_left(item.room_id)

    async def _room_event(self, room_id: str, event: Any) -> None:
        change = membership_change(event)
        if change is not None:
            await self._membership(room_id, *change)
            return
        try:
            incoming = read_message(
                event, room_id, own_user_id=self.own_user_id, prefix=self.settings.command_prefix
            )
        except MalformedEvent as problem:
            log.warning("matrix: skipped a malformed event in %s: %s", room_id, problem)
            return
        if incoming is None or self.records.was_handled(incoming.event_id):
            return
        neutral = await self.to_neutral(incoming)
        if neutral is None:
            return
        self._remember_origin(neutral.event_id, room_id, incoming.event_id)
        if self._sink is not None:
            await self._sink(neutral)
        await self.records.mark_handled(incoming.event_id)

    def _names_member(self, command: str) -> bool:
        """Whether the kernel's command takes a person as its argument (``block``)."""
        return any(
            spec.name == command and spec.argument is not None and spec.argument.names_member
            for spec in self.context.commands()
        )

    async def to_neutral(self, incoming: Incoming) -> EventBase | None:
        """The neutral event for what a member did, or None when it is not for the bot."""
        assert self.client is not None
        room = self.client.rooms.get(incoming.room_id)
        name = room.user_name(incoming.sender) if room is not None else None
        member = MemberRef(platform=PLATFORM, user_id=incoming.sender, display_name=name)
        place = await self._place_of(incoming.room_id, member)
        common: dict[str, Any] = {
            "event_id": incoming.event_id,
            "community_id": self.community_id,
            "member": member,
            "place": place,
        }
        if incoming.kind == "command":
            # ``!tandem admin status``: the organizer group; the kernel decides who may.
            name, args, organizer_command = split_group(incoming.command, incoming.args)
            if self._names_member(name):
                args = named_member(args, incoming.mentions)
            return CommandInvoked(
                name=name,
                args=args,
                organizer=await self.is_organizer(incoming.sender),
                organizer_command=organizer_command,
                **common,
            )
        question = None
        if incoming.relates_to is not None:
            question = await self.records.question(incoming.relates_to)
            if question is not None and question.room_id != incoming.room_id:
                question = None
        if incoming.kind == "reaction":
            if question is None or question.kind != "one":
                return None
            choice = reaction_choice(incoming.text, question.emojis)
            if choice is None:
                return None
            return TextReplied(text=choice, prompt_id=question.prompt_id, **common)
        if place.kind != PlaceKind.DM and question is None:
            return None  # room chatter is not for the bot
        return TextReplied(
            text=incoming.text,
            prompt_id=question.prompt_id if question else None,
            **common,
        )

    async def _place_of(self, room_id: str, member: MemberRef) -> Place:
        if room_id == self.community_room_id:
            return Place.room(PLATFORM, room_id)
        if await self._private_dm(room_id, member.user_id):
            return Place.dm(member, channel_id=room_id)
        record = await self.records.room(room_id)
        if record is not None and record.get("kind") == "pair":
            return Place(platform=PLATFORM, kind=PlaceKind.PAIR_SPACE, channel_id=room_id)
        return Place.room(PLATFORM, room_id)

    async def _private_dm(self, room_id: str | None, user_id: str) -> bool:
        """Whether ``room_id`` is ``user_id``'s DM: the bot opened it for them or they invited
        the bot to it as a direct chat (the record says so), and it is private to them now."""
        if not room_id or self.client is None:
            return False
        record = await self.records.room(room_id)
        if record is None or record.get("kind") != "dm" or record.get("user_id") != user_id:
            return False
        room = self.client.rooms.get(room_id)
        return private_to(room, self.own_user_id, user_id, encryption=self.settings.encryption)

    async def is_organizer(self, user_id: str) -> bool:
        community = None
        if self.client is not None and self.community_room_id is not None:
            community = self.client.rooms.get(self.community_room_id)
        if community is not None and not self._community_creators:
            await self._load_community_creators()
        return is_organizer(self.settings, community, user_id, self._community_creators)

    async def _load_community_creators(self) -> None:
        """Who created the community room (they outrank power levels from room version 12)."""
        room_id = self.community_room_id
        if room_id is None or self.client is None or room_id not in self.client.rooms:
            return
        client = self.client
        try:
            response = await self.retry.call(
                "read the community room's state", lambda: client.room_get_state(room_id)
            )
        except RequestFailed as error:
            log.warning("matrix: cannot read who created the community room: %s", error)
            return
        for event in getattr(response, "events", []):
            if event.get("type") == "m.room.create" and event.get("state_key") == "":
                content = event.get("content") or {}
                creators = [event.get("sender"), content.get("creator")]
                creators += list(content.get("additional_creators") or [])
                self._community_creators = frozenset(str(c) for c in creators if c)

    async def _membership(self, room_id: str, user_id: str, before: str | None, after: str) -> None:
        if user_id == self.own_user_id or after not in {"leave", "ban"}:
            return
        if room_id == self.community_room_id and before == "join":
            member = MemberRef(platform=PLATFORM, user_id=user_id)
            if self._sink is not None:
                await self._sink(
                    MemberLeft(
                        community_id=self.community_id,
                        member=member,
                        place=Place.room(PLATFORM, room_id),
                    )
                )
            return
        record = await self.records.room(room_id)
        if record and record.get("kind") == "dm" and record.get("user_id") == user_id:
            log.info("matrix: a member left their DM %s; the bot leaves it too", room_id)
            await self.records.forget_dm(user_id, room_id)
            await self._leave(room_id)

    async def _invited(self, invite: Invite) -> None:
        assert self.client is not None
        client = self.client
        community = self.client.rooms.get(self.community_room_id or "")
        if not may_invite_bot(
            self.settings, self.community_room_id, community, invite.room_id, invite.inviter
        ):
            log.info("matrix: rejecting an invite from %s (not in the community)", invite.inviter)
            await self._leave(invite.room_id, reason=msg("matrix.invite_declined"))
            return
        response = await self.retry.call(
            f"join {invite.room_id}", lambda: client.join(invite.room_id)
        )
        assert isinstance(response, JoinResponse)
        if invite.is_direct and invite.room_id != self.community_room_id:
            await self.records.remember_dm(invite.inviter, invite.room_id)
        log.info("matrix: joined %s on an invite", invite.room_id)

    async def _bot_left(self, room_id: str) -> None:
        record = await self.records.room(room_id)
        if record is None or record.get("kind") == "closed":
            return
        if record.get("kind") == "dm":
            await self.records.forget_dm(record["user_id"], room_id)
        else:
            await self.records.remember_room(room_id, {"kind": "closed"})

    async def _leave(self, room_id: str, reason: Any = None) -> None:
        """Leave (or reject the invite to) a room, then forget it; failures are only logged."""
        assert self.client is not None
        client = self.client
        body: dict[str, Any] = {}
        if reason is not None:
            body["reason"] = self.translator.render(
                reason, self.context.settings.bot.default_locale
            )
        method, path = Api.room_leave(client.access_token, room_id)[:2]
        try:
            await self.retry.call(
                f"leave {room_id}",
                lambda: client._send(RoomLeaveResponse, method, path, json.dumps(body)),
            )
            await self.retry.call(f"forget {room_id}", lambda: client.room_forget(room_id))
        except RequestFailed as error:
            log.warning("matrix: could not leave %s: %s", room_id, error)

    def _remember_origin(self, neutral_id: str, room_id: str, event_id: str) -> None:
        self._origins[neutral_id] = (room_id, event_id)
        while len(self._origins) > REMEMBERED_EVENTS:
            self._origins.popitem(last=False)

    # -- outbound -------------------------------------------------------------------------

    async def _wait_for_room(self, room_id: str, members: Sequence[str] = ()) -> None:
        """Wait until a sync shows the room (with ``members`` joined or invited): an encrypted
        message sent earlier would not be encrypted for them."""
        assert self.client is not None
        assert self.loop is not None
        client = self.client

        def ready() -> bool:
            room = client.rooms.get(room_id)
            return room is not None and all(present(room, member) for member in members)

        if not await self.loop.wait_for(ready, ROOM_WAIT_SECONDS):
            raise RequestFailed(f"room {room_id} did not show up in a sync")

    async def _room_for(self, place: Place) -> str:
        """The room to post to; a DM addressed by user only is found or opened."""
        assert self.client is not None
        if place.kind == PlaceKind.ORGANIZERS:
            return await self._configured_room("organizer_room", "to the organizers")
        if place.kind == PlaceKind.CELEBRATION:
            return await self._configured_room("celebration_room", "shout-outs")
        if place.kind != PlaceKind.DM:
            if place.channel_id is None:
                raise RequestFailed(f"no room for {place}")
            return place.channel_id
        user_id = place.user_id
        if place.channel_id is not None and user_id is None:
            return place.channel_id
        assert user_id is not None
        for candidate in (place.channel_id, await self.records.dm_room(user_id)):
            # Private things go only to a room private to the bot and the member.
            if candidate is not None and await self._private_dm(candidate, user_id):
                return candidate
        return await self._open_dm(user_id)

    async def _open_dm(self, user_id: str) -> str:
        assert self.client is not None
        client = self.client
        options = dm_room_options(user_id, self.settings.encryption)
        response = await self.retry.call(
            f"open a DM with {user_id}", lambda: client.room_create(**options)
        )
        assert isinstance(response, RoomCreateResponse)
        await self.records.remember_dm(user_id, response.room_id)
        await self._wait_for_room(response.room_id, [user_id])
        log.info("matrix: opened DM %s", response.room_id)
        return response.room_id

    async def _send(
        self,
        room_id: str,
        content: dict[str, Any],
        kind: str = "m.room.message",
        *,
        transaction: str | None = None,
    ) -> str:
        """Send one event. The transaction id is the same on every retry, and for an intent
        with an idempotency key (bot.due) the same after a restart: the homeserver answers a
        repeat with the first event instead of posting a second."""
        assert self.client is not None
        client = self.client
        if room_id not in client.rooms:
            await self._wait_for_room(room_id)
        transaction = transaction or str(uuid.uuid4())
        room = client.rooms[room_id]
        # Relations (reactions, edits, replies) are encrypted too, as Element does; nio's
        # room_send would leave reactions in the clear and hide other relations.
        if "m.relates_to" in content and room.encrypted and client.olm:
            send = functools.partial(self._send_relation, room_id, kind, content, transaction)
        else:
            send = functools.partial(
                client.room_send,
                room_id,
                kind,
                content,
                tx_id=transaction,
                ignore_unverified_devices=True,
            )
        response = await self.retry.call(f"send to {room_id}", send)
        assert isinstance(response, RoomSendResponse)
        return response.event_id

    async def _send_relation(
        self, room_id: str, kind: str, content: dict[str, Any], transaction: str
    ) -> Any:
        """Encrypt ``content`` but keep its ``m.relates_to`` in the clear: servers aggregate
        edits and reactions by it, and Element reads a relation only there. nio's room_send
        never encrypts reactions at all (Element does)."""
        assert self.client is not None
        client = self.client
        if not client.rooms[room_id].members_synced:
            await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
        if client.olm is not None and client.olm.should_share_group_session(room_id):
            await client.share_group_session(room_id, ignore_unverified_devices=True)
        encrypted_kind, encrypted = client.encrypt(room_id, kind, content)
        encrypted["m.relates_to"] = content["m.relates_to"]
        method, path, data = Api.room_send(
            client.access_token, room_id, encrypted_kind, encrypted, transaction
        )
        return await client._send(RoomSendResponse, method, path, data, (room_id,))

    def _reply_target(self, intent: Say | Ask, room_id: str) -> str | None:
        origin = self._origins.get(intent.in_reply_to or "")
        if origin is None or origin[0] != room_id or intent.target.kind == PlaceKind.DM:
            return None
        return origin[1]

    @renders(Say)
    async def render_say(self, intent: Say) -> Delivery:
        room_id = await self._room_for(intent.target)
        text = self.translator.render(intent.text, intent.locale)
        reply_to = self._reply_target(intent, room_id)
        event_id = None
        parts = split_text(text, self.capabilities.max_message_length)
        for index, part in enumerate(parts):
            message = build.notice(part)
            if reply_to is not None:
                message = build.as_reply(message, reply_to)
            transaction = _transaction(intent, str(index))
            event_id = await self._send(room_id, message, transaction=transaction)
        return Delivery(message_id=event_id)

    @renders(Ask)
    async def render_ask(self, intent: Ask) -> Delivery:
        room_id = await self._room_for(intent.target)
        message = build.question(intent, self.translator)
        reply_to = self._reply_target(intent, room_id)
        if reply_to is not None:
            message = build.as_reply(message, reply_to)
        event_id = await self._send(room_id, message, transaction=_transaction(intent, "ask"))
        emojis = [option.emoji for option in intent.options]
        asked = QuestionRecord(event_id, room_id, intent.prompt_id, intent.kind, emojis)
        await self.records.remember_question(asked, intent.target.user_id)
        await self.records.remember_asked(asked, intent.target.user_id, repeated=intent.repeated)
        if intent.kind == "one" and emojis and all(emojis):
            for number, emoji in enumerate(emojis):
                assert emoji is not None
                await self._send(
                    room_id,
                    build.reaction(event_id, emoji),
                    "m.reaction",
                    transaction=_transaction(intent, f"reaction.{number}"),
                )
        return Delivery(message_id=event_id)

    @renders(RetireQuestion)
    async def render_retire_question(self, intent: RetireQuestion) -> Delivery:
        """Edit each message that asked the question into its text and how it ended.

        An edit rather than redacting the option reactions: one event, and the member sees in
        place what they answered (as Discord's highlighted pick shows it). A reaction on the
        edited question still reaches the kernel, which answers that it is over.
        """
        event_id = None
        for question_id, room_id, repeated in await self.records.take_asked(intent.prompt_id):
            # A repeat may have asked a shorter form: it keeps only how the question ended.
            content = build.retired_question(intent, self.translator, with_question=not repeated)
            event_id = await self._send(room_id, build.edit(question_id, content))
        return Delivery(message_id=event_id)

    @renders(OpenPairSpace)
    async def render_open_pair_space(self, intent: OpenPairSpace) -> Delivery:
        members = [member.user_id for member in intent.members]
        name = self.translator.render(intent.name, intent.locale)
        rooms = self.pair_rooms
        sent: list[str] = []

        async def create(tag: str | None) -> str:
            return await rooms.create(name, members, tag)

        async def finish(room_id: str) -> None:
            await rooms.finish(room_id, members)

        async def post_welcome(place: Place) -> None:
            assert intent.welcome is not None
            assert place.channel_id is not None
            room_id = place.channel_id
            await self._wait_for_room(room_id, members)
            text = self.translator.render(intent.welcome, intent.locale)
            transaction = _transaction(intent, "welcome")
            sent.append(await self._send(room_id, build.notice(text), transaction=transaction))

        opened, place = await self.space_ledger.open_intent(
            intent,
            find=rooms.find,
            create=create,
            finish=finish,
            post_welcome=post_welcome,
            posted_before=rooms.bot_posted_in,
        )
        how = "opened" if opened.created else "found again"
        log.info("matrix: %s pair room %s for %d members", how, opened.space_id, len(members))
        return Delivery(message_id=sent[0] if sent else None, place=place)

    @renders(ClosePairSpace)
    async def render_close_pair_space(self, intent: ClosePairSpace) -> Delivery:
        room_id = intent.target.channel_id
        if room_id is None:
            return Delivery()
        event_id = None
        assert self.client is not None
        here = joined(self.client.rooms.get(room_id), self.own_user_id)
        if intent.farewell is not None and here:
            text = self.translator.render(intent.farewell, intent.locale)
            farewell = _transaction(intent, "farewell")
            event_id = await self._send(room_id, build.notice(text), transaction=farewell)
        if here:
            # Nobody stays in a closed pair room: the bot leaves it, so a partner left behind
            # could go on writing to the other (after a block too) with nobody to stop it.
            room = self.client.rooms.get(room_id)
            present = set(room.users) | set(getattr(room, "invited_users", {})) if room else set()
            everyone = present | {member.user_id for member in intent.removed}
            await self.pair_rooms.kick(room_id, sorted(everyone - {self.own_user_id}))
        await self.records.remember_room(room_id, {"kind": "closed"})
        await self._leave(room_id)
        return Delivery(message_id=event_id)

    @renders(ForgetMember)
    async def render_forget_member(self, intent: ForgetMember) -> Delivery:
        """Take back what the bot can of its conversations with a forgotten member
        (:mod:`.erase`): in every room of just the two of them, redact, leave, forget, and drop
        the room's keys. A room anyone else is in is never touched."""
        user_id = intent.target.user_id
        if user_id is None or self.client is None:
            return Delivery()
        client = self.client
        ours = {self.own_user_id, user_id}
        candidates = {intent.target.channel_id} | {
            room_id for room_id, room in client.rooms.items() if user_id in room.users
        }
        for room_id in sorted(r for r in candidates if r is not None):
            room = client.rooms.get(room_id)
            if room is None or not set(room.users) <= ours:
                continue
            try:
                count = await redact_conversation(client, room_id, user_id, self.retry)
            except RequestFailed as error:
                log.warning("matrix: could not read %s to redact it: %s", room_id, error)
                count = 0
            await self.records.drop_room(room_id)
            await self._leave(room_id)
            drop_room_keys(client, room_id)
            log.info("matrix: forgot a member's DM %s (%d events redacted)", room_id, count)
        # The store has deleted or scrubbed the records naming them; the cached copies go too.
        self.records.drop_cached(user_id)
        return Delivery()

    @renders(AttachFile)
    async def render_attach_file(self, intent: AttachFile) -> Delivery:
        assert self.client is not None
        client = self.client
        room_id = await self._room_for(intent.target)
        if intent.caption is not None:
            await self._send(
                room_id,
                build.notice(self.translator.render(intent.caption, intent.locale)),
                transaction=_transaction(intent, "caption"),
            )
        if room_id not in client.rooms:
            await self._wait_for_room(room_id)
        encrypt = client.rooms[room_id].encrypted

        async def upload() -> Any:
            response, keys = await client.upload(
                lambda *_: intent.content,
                content_type=intent.mime_type,
                filename=intent.filename,
                encrypt=encrypt,
                filesize=len(intent.content),
            )
            if isinstance(response, UploadResponse):
                response.decryption_keys = keys  # type: ignore[attr-defined]
            return response

        response = await self.retry.call(f"upload {intent.filename}", upload)
        keys = getattr(response, "decryption_keys", None)
        location = (
            {"file": {**keys, "url": response.content_uri}}
            if encrypt and keys
            else {"url": response.content_uri}
        )
        message = build.file_message(
            intent.filename, intent.mime_type, len(intent.content), location
        )
        file_id = await self._send(room_id, message, transaction=_transaction(intent, "file"))
        return Delivery(message_id=file_id)


def _transaction(intent: IntentBase, part: str) -> str | None:
    """The transaction id of one event an intent sends, when the intent has an idempotency key
    (what the bot sends on its own schedule): the same after a restart, so Synapse answers a
    resend with the first event. ``None`` lets ``_send`` choose a fresh one."""
    if intent.idempotency_key is None:
        return None
    return f"tandem.{intent.idempotency_key}.{part}"
