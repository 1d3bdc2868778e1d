"""Running the Tandem bot (the real :class:`bot.app.App` with the Matrix adapter) on the test
homeserver, and reading what members see of it.

``TandemBot`` owns one bot account, one database file and one data directory; ``start()``,
``stop()`` and ``restart()`` build a fresh ``App`` on the same files, exactly like a restarted
process. ``Conversation`` follows one member's room with the bot and hands out each new bot
message in order, so a test reads like the transcript a member sees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import pytest
from nio import ReactionEvent, RoomMessageNotice, RoomSendResponse
from nio.api import Api
from nio.crypto.attachments import decrypt_attachment

from bot.app import App
from bot.clock import Clock
from bot.config import load_settings
from bot.intents import Ask, IntentBase, OpenPairSpace, Say
from bot.messages import organizer_text
from bot.places import MemberRef, Place
from tests.support.join_player import Player, last_ask
from tests.support.synapse.fixtures import DEFAULT_TIMEOUT, MatrixTestUser, MessageEvent
from tests.support.synapse.homeserver import Homeserver, unique_localpart


@dataclass
class TandemBot:
    homeserver: Homeserver
    base_dir: Path
    matrix: dict[str, Any] = field(default_factory=dict)
    # The [program] section (e.g. a raised privacy_notice_version before a restart).
    program: dict[str, Any] = field(default_factory=dict)
    # More of the [bot] section (e.g. the rate limit off for a long machine-typed transcript).
    bot_settings: dict[str, Any] = field(default_factory=dict)
    # The [health] section (the health endpoint, bot/health.py).
    health: dict[str, Any] = field(default_factory=dict)
    user_id: str = ""
    password: str = ""
    app: App | None = None
    # Off where a test runs the due items itself (see bot.due).
    run_scheduler: bool = True
    # The bot's clock (default: the system's); a test fixing the day passes a FakeClock.
    clock: Clock | None = None

    def register(self) -> None:
        self.user_id, self.password, _ = self.homeserver.register_user(
            unique_localpart("tandem"), displayname="Tandem"
        )

    def settings_overrides(self) -> dict[str, Any]:
        return {
            "database": {"url": f"sqlite+aiosqlite:///{self.base_dir}/tandem.db"},
            "bot": {"data_dir": str(self.base_dir / "data"), **self.bot_settings},
            "matrix": {
                "enabled": True,
                "homeserver": self.homeserver.url,
                "user_id": self.user_id,
                "password": self.password,
                "community_id": "test-community",
                # Short long-polls keep stop() quick; retries stay fast but bounded.
                "sync_timeout_seconds": 5,
                "retry_max_delay_seconds": 2,
                **self.matrix,
            },
            "program": self.program,
            "health": self.health,
        }

    async def start(self) -> App:
        if not self.user_id:
            await asyncio.to_thread(self.register)
        settings = load_settings(None, **self.settings_overrides())
        self.app = App(
            settings, clock=self.clock, adapter_names=["matrix"], run_scheduler=self.run_scheduler
        )
        await asyncio.wait_for(self.app.start(), timeout=DEFAULT_TIMEOUT * 2)
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await asyncio.wait_for(self.app.stop(), timeout=DEFAULT_TIMEOUT)
            self.app = None

    async def restart(self) -> App:
        await self.stop()
        return await self.start()

    @property
    def prefix(self) -> str:
        return str(self.matrix.get("command_prefix", "!tandem"))

    @property
    def adapter(self) -> Any:
        assert self.app is not None, "the bot is not running"
        return self.app.adapters["matrix"]


async def active_step(bot: TandemBot, user_id: str) -> tuple[str, int] | None:
    """Where the member's running conversation stands in the bot's store: (step, step_seq)."""
    app = bot.app
    assert app is not None
    member = await app.store.members.find("test-community", "matrix", user_id)
    assert member is not None
    active = await app.store.conversations.active_for(member.id)
    return None if active is None else (active.step_id, active.step_seq)


@dataclass
class Conversation:
    """One member's view of a room with the bot: each bot message handed out once, in order."""

    member: MatrixTestUser
    room_id: str
    bot_user_id: str
    read: int = 0

    def bot_messages(self) -> list[MessageEvent]:
        return [m for m in self.member.messages(self.room_id) if m.sender == self.bot_user_id]

    async def next(self, count: int = 1, within: float = DEFAULT_TIMEOUT) -> list[MessageEvent]:
        """The next ``count`` bot messages the member sees (decrypted)."""
        wanted = self.read + count
        await self.member.sync_until(
            lambda: len(self.bot_messages()) >= wanted,
            within=within,
            what=f"{count} more message(s) from the bot in {self.room_id}",
        )
        messages = self.bot_messages()[self.read : wanted]
        self.read = wanted
        for message in messages:
            assert isinstance(message, RoomMessageNotice), f"not a notice: {message}"
        return messages

    def bot_reactions(self, event_id: str) -> list[str]:
        """The keys of the reactions the bot put on ``event_id`` (the one-click answers under
        a question), as far as the member has synced."""
        return [
            event.key
            for room_id, event in self.member.timeline
            if room_id == self.room_id
            and isinstance(event, ReactionEvent)
            and event.sender == self.bot_user_id
            and event.reacts_to == event_id
        ]

    async def say(self, text: str, within: float = DEFAULT_TIMEOUT) -> str:
        return await self.member.send_text(self.room_id, text, within=within)

    async def exchange(self, text: str, count: int = 1) -> list[MessageEvent]:
        """Send ``text`` and return the bot's next ``count`` messages."""
        await self.say(text)
        return await self.next(count)

    async def quiet_for(self, seconds: float) -> list[MessageEvent]:
        """Sync for ``seconds`` and return bot messages that arrived unasked (should be none)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.member.sync(timeout_ms=int(max(0.05, deadline - time.monotonic()) * 1000))
        return self.bot_messages()[self.read :]


async def open_community(
    organizer: MatrixTestUser, bot: TandemBot, members: list[MatrixTestUser]
) -> str:
    """A community room made by ``organizer`` (power 100) with ``members`` joined and the bot
    invited; configures the bot (not yet started) to use it."""
    if not bot.user_id:
        await asyncio.to_thread(bot.register)
    room_id = await organizer.create_room(
        invite=[bot.user_id, *(m.user_id for m in members)], name="Mentoring community"
    )
    for member in members:
        await member.join(room_id)
    bot.matrix["community_room"] = room_id
    return room_id


async def open_pair_room(
    app: App,
    community: str,
    *members: MatrixTestUser,
    welcome: str | None = None,
    marker: str | None = None,
) -> Place:
    """Ask the bot for a pair room named "Tandem: Alice & Bob" for ``members`` (with the pair
    space ``marker``, if given); its place."""
    delivery = await app.deliver(
        OpenPairSpace(
            target=Place.room("matrix", community),
            locale="en",
            community_id="test-community",
            members=tuple(MemberRef(platform="matrix", user_id=m.user_id) for m in members),
            name=organizer_text({"en": "Tandem: Alice & Bob"}),
            welcome=None if welcome is None else organizer_text({"en": welcome}),
            marker=marker,
        )
    )
    assert delivery is not None
    assert delivery.place is not None
    assert delivery.place.channel_id is not None
    return delivery.place


async def open_dm(member: MatrixTestUser, bot: TandemBot) -> Conversation:
    """The member opens an encrypted DM with the bot, as Element does, and waits for it."""
    room_id = await member.create_room(invite=[bot.user_id], is_direct=True)
    await member.wait_for_join(room_id, bot.user_id)
    return Conversation(member, room_id, bot.user_id)


async def joined_member_with_a_profile(bot: TandemBot, user_id: str, hope: str) -> None:
    """A member who joined earlier (on another device, say): consent to the current notice, a
    saved profile whose expectations are ``hope``, and no DM with the bot yet."""
    app = bot.app
    assert app is not None
    now = app.clock.now()
    member = await app.store.members.ensure("test-community", "matrix", user_id, now=now)
    notice = app.settings.program_for("test-community").privacy_notice_version
    await app.store.members.record_consent(member, notice, now=now)
    await app.store.members.save_profile(member, {"expectations": hope}, now=now, status="waiting")


async def handled(bot: TandemBot, event_id: str, within: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the bot has handled the member's event ``event_id``."""
    deadline = time.monotonic() + within
    while not bot.adapter.records.was_handled(event_id):
        if time.monotonic() > deadline:
            raise AssertionError(f"the bot did not handle {event_id} within {within} s")
        await asyncio.sleep(0.02)


async def answering_in_a_dm(bot: TandemBot, member: MatrixTestUser) -> Conversation:
    """Start the bot, let ``member`` open a DM with it and check it answers there."""
    await bot.start()
    chat = await open_dm(member, bot)
    (answer,) = await chat.exchange(f"{bot.prefix} help")
    assert f"{bot.prefix} join" in answer.body
    return chat


async def send_reaction(
    member: MatrixTestUser, room_id: str, event_id: str, key: str, *, encrypted: bool = True
) -> str:
    """React to ``event_id``. Element encrypts reactions in encrypted rooms (nio would not), so
    by default the reaction is encrypted here too, keeping ``m.relates_to`` in the clear."""
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
    client = member.client
    event_type = "m.reaction"
    if encrypted and client.rooms[room_id].encrypted:
        if client.olm.should_share_group_session(room_id):
            await client.share_group_session(room_id, ignore_unverified_devices=True)
        event_type, content = client.encrypt(room_id, "m.reaction", content)
    method, path, data = Api.room_send(client.access_token, room_id, event_type, content, uuid4())
    response = await asyncio.wait_for(
        client._send(RoomSendResponse, method, path, data, (room_id,)), DEFAULT_TIMEOUT
    )
    assert isinstance(response, RoomSendResponse), response
    return response.event_id


@pytest.fixture
async def tandem_bot(synapse: Homeserver, tmp_path: Path) -> AsyncIterator[TandemBot]:
    """A registered, not yet started bot on the session's homeserver; stopped at teardown."""
    bot = TandemBot(synapse, tmp_path / "tandem")
    await asyncio.to_thread(bot.register)
    yield bot
    await bot.stop()


async def settle(
    bot: TandemBot,
    chat: Conversation,
    sent_event_id: str,
    intents: list[IntentBase],
    within: float = DEFAULT_TIMEOUT,
) -> list[MessageEvent]:
    """Wait until the bot has handled the member's event, then until the member has seen every
    message the bot sent into this DM; return those new messages."""
    deadline = time.monotonic() + within
    await handled(bot, sent_event_id, within)
    expected = sum(
        1
        for intent in intents
        if isinstance(intent, Say | Ask)
        and (
            intent.target.channel_id == chat.room_id or intent.target.user_id == chat.member.user_id
        )
    )
    if expected <= chat.read:
        return []
    return await chat.next(expected - chat.read, within=max(1.0, deadline - time.monotonic()))


async def play_join(
    bot: TandemBot,
    chat: Conversation,
    player: Player,
    intents: list[IntentBase],
    *,
    max_steps: int = 60,
) -> list[MessageEvent]:
    """Run ``!tandem join`` to its end in ``chat``, answering as ``player`` decides; returns
    every bot message the member saw."""
    seen = await settle(bot, chat, await chat.say(f"{bot.prefix} join"), intents)
    before = 0
    repeats = 0
    previous: str | None = None
    for _ in range(max_steps):
        ask = last_ask(intents, before)
        if ask is None:
            return seen
        repeats = repeats + 1 if ask.prompt_id == previous else 0
        assert repeats < 2, f"the bot keeps asking {ask.question.id}: {[m.body for m in seen[-3:]]}"
        previous = ask.prompt_id
        how, what = player.answer(ask)
        before = len(intents)
        if how == "reaction":
            question_event = chat.bot_messages()[-1].event_id
            sent = await send_reaction(chat.member, chat.room_id, question_event, what)
        else:
            sent = await chat.say(what)
        seen += await settle(bot, chat, sent, intents)
    raise AssertionError(f"the join conversation did not end within {max_steps} answers")


async def until_in(synapse: Homeserver, token: str, room_id: str, kind: str | None) -> None:
    """Wait until the user of ``token`` has the room among ``kind`` (None: nowhere, forgotten)."""
    for _ in range(100):
        rooms = await asyncio.to_thread(synapse.rooms_of, token)
        where = {name for name, ids in rooms.items() if room_id in ids}
        if where == ({kind} if kind else set()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{room_id} is in {where}, not in {kind}")


async def downloaded_file(
    member: MatrixTestUser, room_id: str, msgtype: str, filename: str
) -> bytes:
    """The one file (``m.file``, ``m.image``) named ``filename`` sent to ``room_id``, as
    ``member`` downloads it from the homeserver and decrypts it (in an encrypted room)."""

    def files() -> list[dict[str, Any]]:
        return [
            event.source["content"]
            for rid, event in member.timeline
            if rid == room_id
            and event.source.get("content", {}).get("msgtype") == msgtype
            and event.source["content"].get("body") == filename
        ]

    await member.sync_until(lambda: len(files()) == 1, what=f"{filename} in {room_id}")
    (sent,) = files()
    encrypted = sent.get("file")
    mxc = encrypted["url"] if encrypted else sent["url"]
    server_name, media_id = mxc.removeprefix("mxc://").split("/")
    url = f"{member.client.homeserver}/_matrix/client/v1/media/download/{server_name}/{media_id}"
    headers = {"Authorization": f"Bearer {member.access_token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        assert response.status == 200
        content = await response.read()
    if not encrypted:
        return content
    return decrypt_attachment(
        content, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"]
    )
