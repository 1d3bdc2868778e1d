"""Pytest fixtures and matrix-nio helpers for end-to-end tests against a real Synapse.

Import them into a ``conftest.py``::

    from tests.support.synapse.fixtures import (  # noqa: F401
        matrix_user_factory, pytest_runtest_makereport, synapse,
    )

``synapse`` is session-scoped and synchronous: one homeserver per test session, tests kept apart
by unique user names. When ``.synapse-venv`` is missing the tests are skipped locally, but FAIL
when ``CI`` is true or ``TANDEM_REQUIRE_E2E=1``, so a broken install step never passes as skipped
(:mod:`tests.support.required`).

``matrix_user_factory`` gives an async factory of ``MatrixTestUser``: a fresh user with a logged-in
``nio.AsyncClient`` (E2EE on, per-user store, keys uploaded, one initial sync done), closed at
teardown. Its helpers sync with timeouts and remember every timeline event they saw.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    Event,
    JoinError,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from tests.support.required import E2E, service_missing
from tests.support.synapse.homeserver import (
    Homeserver,
    HomeserverError,
    synapse_missing_reason,
    tail,
    unique_localpart,
)

#: Default limit for every wait on the homeserver, in seconds.
DEFAULT_TIMEOUT = 15.0

#: The room state that makes a room end-to-end encrypted, as Element does for DMs.
ENCRYPTION_STATE: dict[str, Any] = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}

MessageEvent = RoomMessageText | RoomMessageNotice

_running: Homeserver | None = None


def _edited(event: Event) -> str | None:
    """The event ``event`` edits, if it is an edit."""
    relation = event.source.get("content", {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.replace" else None


def client_config() -> AsyncClientConfig:
    """nio config for test clients: no silent 429/connection retry loops, E2EE, saved tokens."""
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=2,
        encryption_enabled=True,
        store_sync_tokens=True,
    )


# -- the homeserver ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """One Synapse for the whole session; its files (and logs) stay in pytest's basetemp.

    Set ``TANDEM_SYNAPSE_DIR`` to put them in a directory of your choice (e.g. a CI artifact).
    """
    global _running
    reason = synapse_missing_reason()
    if reason is not None:
        service_missing(reason, E2E)
    chosen = os.environ.get("TANDEM_SYNAPSE_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix="synapse-", dir=chosen))
    else:
        base = tmp_path_factory.mktemp("synapse")
    homeserver = Homeserver(base)
    try:
        homeserver.start()
    except HomeserverError as exc:
        pytest.fail(f"Synapse did not start: {exc}", pytrace=False)
    _running = homeserver
    try:
        yield homeserver
    finally:
        _running = None
        homeserver.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the Synapse log tail to the report of a failed test that used the homeserver."""
    report = yield
    homeserver = _running
    if report.failed and homeserver is not None and "synapse" in getattr(item, "fixturenames", ()):
        report.sections.append(
            (f"synapse log tail ({homeserver.log_path})", tail(homeserver.log_path, 80))
        )
    return report


# -- nio clients -------------------------------------------------------------------------------


@dataclass
class MatrixTestUser:
    """A user on the test homeserver with a logged-in, E2EE-enabled nio client.

    ``timeline`` keeps every timeline event seen by ``sync`` (room id, event), decrypted where
    the keys arrived, so a wait never misses an event consumed by an earlier sync.
    """

    homeserver: Homeserver
    user_id: str
    password: str
    store_dir: Path
    client: AsyncClient
    timeline: list[tuple[str, Event]] = field(default_factory=list)
    #: Events that arrived before their megolm key and were decrypted by a later sync.
    late_decryptions: int = 0
    _undecrypted: list[int] = field(default_factory=list)

    @property
    def access_token(self) -> str:
        return self.client.access_token

    @property
    def device_id(self) -> str:
        return self.client.device_id

    async def sync(self, timeout_ms: int = 0, *, full_state: bool = False) -> SyncResponse:
        """One sync, then what ``sync_forever`` does: to-device sends, key upload/query/claim."""
        client = self.client
        limit = timeout_ms / 1000 + DEFAULT_TIMEOUT
        response = await asyncio.wait_for(
            client.sync(timeout=timeout_ms, full_state=full_state), timeout=limit
        )
        if not isinstance(response, SyncResponse):
            raise AssertionError(f"{self.user_id}: sync failed: {response}")
        await asyncio.wait_for(client.send_to_device_messages(), timeout=DEFAULT_TIMEOUT)
        if client.should_upload_keys:
            await asyncio.wait_for(client.keys_upload(), timeout=DEFAULT_TIMEOUT)
        if client.should_query_keys:
            await asyncio.wait_for(client.keys_query(), timeout=DEFAULT_TIMEOUT)
        if client.should_claim_keys:
            await asyncio.wait_for(
                client.keys_claim(client.get_users_for_key_claiming()), timeout=DEFAULT_TIMEOUT
            )
        self._record(response)
        return response

    def _record(self, response: SyncResponse) -> None:
        # Keys for earlier events may have arrived in this sync's to-device messages.
        still: list[int] = []
        for index in self._undecrypted:
            room_id, event = self.timeline[index]
            assert isinstance(event, MegolmEvent)
            try:
                self.timeline[index] = (room_id, self.client.decrypt_event(event))
                self.late_decryptions += 1
            except EncryptionError:
                still.append(index)
        self._undecrypted = still
        # nio has already decrypted what it could of this sync's timeline. A room the user was
        # just taken out of (kicked) comes as left, with what was said up to then.
        rooms = [*response.rooms.join.items(), *response.rooms.leave.items()]
        for room_id, info in rooms:
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    event.room_id = room_id  # nio sets it only for joined rooms
                    self._undecrypted.append(len(self.timeline))
                self.timeline.append((room_id, event))

    async def sync_until(
        self,
        condition: Callable[[], bool],
        *,
        within: float = DEFAULT_TIMEOUT,
        what: str = "condition",
    ) -> None:
        """Long-poll sync until ``condition()`` holds; ``AssertionError`` after ``within`` s."""
        deadline = time.monotonic() + within
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.user_id}: timed out after {within} s waiting for {what}"
                )
            await self.sync(timeout_ms=int(min(remaining, 1.0) * 1000))

    def messages(self, room_id: str) -> list[MessageEvent]:
        """Decrypted text and notice messages seen so far in ``room_id``, oldest first; edits
        are not among them (a client shows an edit in place of the message it replaces)."""
        return [
            event
            for rid, event in self.timeline
            if rid == room_id
            and isinstance(event, RoomMessageText | RoomMessageNotice)
            and _edited(event) is None
        ]

    def edits(self, room_id: str, event_id: str) -> list[MessageEvent]:
        """The edits (``m.replace``) of ``event_id`` seen so far, oldest first."""
        return [
            event
            for rid, event in self.timeline
            if rid == room_id
            and isinstance(event, RoomMessageText | RoomMessageNotice)
            and _edited(event) == event_id
        ]

    def undecrypted(self, room_id: str) -> list[MegolmEvent]:
        """Encrypted events in ``room_id`` this client could not decrypt (yet)."""
        return [
            event
            for rid, event in self.timeline
            if rid == room_id and isinstance(event, MegolmEvent)
        ]

    async def wait_for_message(
        self,
        room_id: str,
        *,
        body: str | None = None,
        sender: str | None = None,
        within: float = DEFAULT_TIMEOUT,
    ) -> MessageEvent:
        """The first decrypted message in ``room_id`` matching ``body``/``sender``."""

        def find() -> MessageEvent | None:
            for event in self.messages(room_id):
                if (body is None or event.body == body) and (
                    sender is None or event.sender == sender
                ):
                    return event
            return None

        try:
            await self.sync_until(
                lambda: find() is not None,
                within=within,
                what=f"message body={body!r} sender={sender!r} in {room_id}",
            )
        except AssertionError as exc:
            undecrypted = self.undecrypted(room_id)
            raise AssertionError(
                f"{exc}; seen messages: {[m.body for m in self.messages(room_id)]}; "
                f"undecryptable events: {len(undecrypted)}"
            ) from None
        found = find()
        assert found is not None
        return found

    async def wait_for_invite(self, room_id: str, *, within: float = DEFAULT_TIMEOUT) -> None:
        """Sync until this user sees an invite to ``room_id``."""
        await self.sync_until(
            lambda: room_id in self.client.invited_rooms,
            within=within,
            what=f"an invite to {room_id}",
        )

    def is_joined(self, room_id: str, user_id: str) -> bool:
        """Whether this client's view of ``room_id`` has ``user_id`` as a joined member."""
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users and user_id not in room.invited_users

    async def wait_for_join(
        self, room_id: str, user_id: str, *, within: float = DEFAULT_TIMEOUT
    ) -> None:
        """Sync until this client sees ``user_id`` joined to ``room_id``."""
        await self.sync_until(
            lambda: self.is_joined(room_id, user_id),
            within=within,
            what=f"{user_id} joined to {room_id}",
        )

    async def join(self, room_id: str, *, within: float = DEFAULT_TIMEOUT) -> None:
        """Accept an invite (waiting for it first) and sync until the room is joined."""
        await self.wait_for_invite(room_id, within=within)
        response = await asyncio.wait_for(self.client.join(room_id), timeout=within)
        if isinstance(response, JoinError):
            raise AssertionError(f"{self.user_id} could not join {room_id}: {response}")
        await self.sync_until(
            lambda: room_id in self.client.rooms and self.is_joined(room_id, self.user_id),
            within=within,
            what=f"own join to {room_id}",
        )

    async def create_room(
        self,
        *,
        invite: tuple[str, ...] | list[str] = (),
        is_direct: bool = False,
        encrypted: bool = True,
        name: str | None = None,
        within: float = DEFAULT_TIMEOUT,
    ) -> str:
        """A private, invite-only room (``private_chat`` preset), seen in a sync before returning.

        ``is_direct`` uses the ``trusted_private_chat`` preset like a client's DM.
        """
        preset = RoomPreset.trusted_private_chat if is_direct else RoomPreset.private_chat
        response = await asyncio.wait_for(
            self.client.room_create(
                name=name,
                is_direct=is_direct,
                preset=preset,
                invite=list(invite),
                initial_state=[ENCRYPTION_STATE] if encrypted else [],
            ),
            timeout=within,
        )
        if not isinstance(response, RoomCreateResponse):
            raise AssertionError(f"{self.user_id} could not create a room: {response}")
        room_id = response.room_id
        await self.sync_until(
            lambda: room_id in self.client.rooms, within=within, what=f"own room {room_id}"
        )
        return room_id

    async def send_text(
        self,
        room_id: str,
        body: str,
        *,
        msgtype: str = "m.text",
        within: float = DEFAULT_TIMEOUT,
    ) -> str:
        """Send a message (encrypted if the room is), trusting unverified devices; the event id."""
        response = await asyncio.wait_for(
            self.client.room_send(
                room_id,
                "m.room.message",
                {"msgtype": msgtype, "body": body},
                ignore_unverified_devices=True,
            ),
            timeout=within,
        )
        if not isinstance(response, RoomSendResponse):
            raise AssertionError(f"{self.user_id} could not send to {room_id}: {response}")
        return response.event_id

    async def close(self) -> None:
        await self.client.close()


async def open_client(
    homeserver: Homeserver,
    user_id: str,
    password: str,
    store_dir: Path,
    *,
    device_id: str | None = None,
    device_name: str = "tandem-test",
    within: float = DEFAULT_TIMEOUT,
) -> AsyncClient:
    """A nio client logged in with a password, keys uploaded (no sync yet).

    Pass the ``device_id`` of an earlier client with the same ``store_dir`` to reopen that device
    (its olm account and saved sync token are loaded from the store).
    """
    await asyncio.to_thread(store_dir.mkdir, parents=True, exist_ok=True)
    client = AsyncClient(
        homeserver.url,
        user_id,
        device_id=device_id,
        store_path=str(store_dir),
        config=client_config(),
    )
    try:
        response = await asyncio.wait_for(
            client.login(password, device_name=device_name), timeout=within
        )
        if not isinstance(response, LoginResponse):
            raise AssertionError(f"login of {user_id} failed: {response}")
        if client.should_upload_keys:
            await asyncio.wait_for(client.keys_upload(), timeout=within)
    except BaseException:
        await client.close()
        raise
    return client


async def new_matrix_user(
    homeserver: Homeserver,
    store_root: Path,
    prefix: str = "user",
    *,
    displayname: str | None = None,
) -> MatrixTestUser:
    """Register a fresh user, log a nio client in, upload keys and do one initial sync."""
    localpart = unique_localpart(prefix)
    user_id, password, _token = await asyncio.to_thread(
        homeserver.register_user, localpart, None, False, displayname=displayname
    )
    store_dir = store_root / localpart
    client = await open_client(homeserver, user_id, password, store_dir)
    user = MatrixTestUser(
        homeserver=homeserver,
        user_id=user_id,
        password=password,
        store_dir=store_dir,
        client=client,
    )
    try:
        await user.sync(timeout_ms=0, full_state=True)
    except BaseException:
        await user.close()
        raise
    return user


MatrixUserFactory = Callable[..., Awaitable[MatrixTestUser]]


@pytest.fixture
async def matrix_user_factory(
    synapse: Homeserver, tmp_path: Path
) -> AsyncIterator[MatrixUserFactory]:
    """``await factory(prefix="user", displayname=None) -> MatrixTestUser``; closed at teardown."""
    users: list[MatrixTestUser] = []

    async def factory(prefix: str = "user", *, displayname: str | None = None) -> MatrixTestUser:
        user = await new_matrix_user(synapse, tmp_path / "nio", prefix, displayname=displayname)
        users.append(user)
        return user

    yield factory
    for user in users:
        await user.close()


__all__ = [
    "DEFAULT_TIMEOUT",
    "ENCRYPTION_STATE",
    "MatrixTestUser",
    "MatrixUserFactory",
    "MessageEvent",
    "client_config",
    "matrix_user_factory",
    "new_matrix_user",
    "open_client",
    "pytest_runtest_makereport",
    "synapse",
]
