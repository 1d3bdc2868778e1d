"""The sync loop: long-poll the homeserver, keep the crypto keys in order, queue what arrived.

Two tasks cooperate:

* :meth:`SyncLoop.run` syncs forever. After each response it does what ``sync_forever`` would
  (send to-device messages, upload/query/claim keys), then queues the response's invites, the
  timeline events of joined rooms, the rooms the bot left and finally a :class:`BatchDone`
  carrying the response's ``next_batch`` token. A failed sync (connection refused, a timeout,
  the homeserver restarting, an error response) is logged and retried with a growing delay; the
  loop only ends when the adapter stops it. A revoked token (``M_UNKNOWN_TOKEN``: logged out
  from elsewhere) makes the adapter log in again on a new device, and syncing goes on from
  the same token with the new client.
* :meth:`SyncLoop.work` takes the queue one item at a time and hands it to the adapter. When it
  reaches a :class:`BatchDone` every event before it has been handled, and only then is the
  token saved. A restart therefore resumes exactly after the last fully handled batch; an event
  of a batch cut short by a crash comes again, and the kernel, which stored its id with the step
  it caused, does not apply it twice (the adapter's ``handled`` record filters most before).

Because handling runs apart from syncing, a handler may wait for the loop (e.g. for a room it
just created to appear) without deadlocking it.

The first sync of a start asks for the full state (matrix-nio keeps room state in memory
only). Without a saved token it is a fresh start: its timeline is history and is skipped, so a
new bot never answers old messages. With a token, its timeline is what arrived while the bot
was down, and is handled once.

Events that arrive before their room key cannot be decrypted yet; they are retried after each
sync for :data:`UNDECRYPTED_PATIENCE` seconds (and the key is requested once), then dropped
with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nio import (
    AsyncClient,
    EncryptionError,
    InviteMemberEvent,
    MegolmEvent,
    SyncError,
    SyncResponse,
)

from adapters.matrix.retry import Backoff, RetryPolicy

log = logging.getLogger(__name__)

UNDECRYPTED_PATIENCE = 60.0
KEY_REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class RoomEvent:
    room_id: str
    event: Any


@dataclass(frozen=True)
class Invite:
    room_id: str
    inviter: str
    is_direct: bool


@dataclass(frozen=True)
class LeftRoom:
    room_id: str


@dataclass(frozen=True)
class BatchDone:
    token: str


Item = RoomEvent | Invite | LeftRoom | BatchDone


@dataclass
class _Undecrypted:
    room_id: str
    event: MegolmEvent
    since: float = field(default_factory=time.monotonic)


class SyncLoop:
    def __init__(
        self,
        client: AsyncClient,
        handle: Callable[[Item], Awaitable[None]],
        *,
        timeout_seconds: float,
        timeline_limit: int,
        retry: RetryPolicy,
        after_keys: Callable[[], None] | None = None,
        log_in_again: Callable[[], Awaitable[AsyncClient]] | None = None,
    ) -> None:
        self.client = client
        self._log_in_again = log_in_again
        self._handle = handle
        self._timeout_ms = int(timeout_seconds * 1000)
        self._request_limit = timeout_seconds + client.config.request_timeout
        self._filter = {"room": {"timeline": {"limit": timeline_limit}}}
        self._retry = retry
        self._after_keys = after_keys
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self._synced = asyncio.Condition()
        self._undecrypted: list[_Undecrypted] = []
        self._busy = asyncio.Event()
        self._busy.set()
        self.syncs = 0
        # Whether the last sync succeeded (the adapter's ``connected``, for /ready).
        self.healthy = False

    # -- syncing --------------------------------------------------------------------------

    async def first_sync(self, token: str | None) -> None:
        """Catch up from ``token`` (or, without one, learn the state and skip history)."""

        async def request() -> Any:
            return await asyncio.wait_for(
                self.client.sync(timeout=0, since=token, full_state=True, sync_filter=self._filter),
                timeout=self._request_limit,
            )

        response = await self._retry.call("first sync", request)
        self.healthy = True
        await self._maintain_keys()
        if token is None:
            log.info(
                "matrix: fresh start; skipping the history of %d rooms", len(response.rooms.join)
            )
        else:
            self._warn_if_limited(response)
        await self._dispatch(response, with_timeline=token is not None)

    async def run(self) -> None:
        """Sync until cancelled; every failure is logged and retried with backoff."""
        backoff = Backoff(base=0.5, cap=self._retry.max_delay)
        while True:
            try:
                response = await asyncio.wait_for(
                    self.client.sync(timeout=self._timeout_ms, sync_filter=self._filter),
                    timeout=self._request_limit,
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure must not end the loop
                self.healthy = False
                delay = backoff.next_delay()
                log.warning(
                    "matrix: sync failed (%s: %s); retrying in %.1f s",
                    type(error).__name__,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            if self._logged_out(response):
                try:
                    await self._recover_login()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    delay = backoff.next_delay()
                    log.error("matrix: logged out and cannot log in again (%s); retrying", error)
                    await asyncio.sleep(delay)
                continue
            if not isinstance(response, SyncResponse):
                self.healthy = False
                delay = backoff.next_delay()
                if isinstance(response, SyncError) and response.status_code == "M_LIMIT_EXCEEDED":
                    delay = max(delay, (response.retry_after_ms or 0) / 1000)
                log.warning("matrix: sync answered %s; retrying in %.1f s", response, delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            self.healthy = True
            try:
                await self._maintain_keys()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matrix: key maintenance failed; trying again after the next sync")
            await self._dispatch(response, with_timeline=True)

    def _logged_out(self, response: Any) -> bool:
        return (
            self._log_in_again is not None
            and isinstance(response, SyncError)
            and response.status_code == "M_UNKNOWN_TOKEN"
        )

    async def _recover_login(self) -> None:
        """The token was revoked (logged out elsewhere): the homeserver deleted the device and
        its keys. Continue from the same sync token on a new device, so nothing is missed."""
        assert self._log_in_again is not None
        token = self.client.next_batch
        log.warning("matrix: the bot was logged out; logging in again on a new device")
        self.client = await self._log_in_again()
        await self.first_sync(token)

    async def _maintain_keys(self) -> None:
        """What ``sync_forever`` does after each sync, each step with a time limit."""
        client = self.client
        if client.olm is None:
            return
        limit = self._request_limit
        await asyncio.wait_for(client.send_to_device_messages(), timeout=limit)
        if client.should_upload_keys:
            await asyncio.wait_for(client.keys_upload(), timeout=limit)
        if client.should_query_keys:
            await asyncio.wait_for(client.keys_query(), timeout=limit)
        if client.should_claim_keys:
            await asyncio.wait_for(
                client.keys_claim(client.get_users_for_key_claiming()), timeout=limit
            )
        if self._after_keys is not None:
            self._after_keys()

    def _warn_if_limited(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.join.items():
            if info.timeline.limited:
                log.warning(
                    "matrix: more messages arrived in %s while the bot was down than one sync "
                    "returns; only the latest are answered (raise matrix.timeline_limit)",
                    room_id,
                )

    async def _dispatch(self, response: SyncResponse, *, with_timeline: bool) -> None:
        own = self.client.user_id
        for room_id, info in response.rooms.invite.items():
            for event in info.invite_state:
                if (
                    isinstance(event, InviteMemberEvent)
                    and event.state_key == own
                    and event.membership == "invite"
                ):
                    is_direct = bool(event.content.get("is_direct"))
                    self.queue.put_nowait(Invite(room_id, event.sender, is_direct))
        for item in self._retry_decryption():
            self.queue.put_nowait(item)
        for room_id, info in response.rooms.join.items():
            if not with_timeline:
                continue
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    await self._undecryptable(room_id, event)
                    continue
                self.queue.put_nowait(RoomEvent(room_id, event))
        for room_id in response.rooms.leave:
            self.queue.put_nowait(LeftRoom(room_id))
        self.queue.put_nowait(BatchDone(response.next_batch))
        self.syncs += 1
        async with self._synced:
            self._synced.notify_all()

    async def _undecryptable(self, room_id: str, event: MegolmEvent) -> None:
        log.info("matrix: event %s in %s waits for its room key", event.event_id, room_id)
        self._undecrypted.append(_Undecrypted(room_id, event))
        try:
            await asyncio.wait_for(self.client.request_room_key(event), KEY_REQUEST_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.info("matrix: could not request the key of %s: %s", event.event_id, error)

    def _retry_decryption(self) -> list[Item]:
        ready: list[Item] = []
        waiting: list[_Undecrypted] = []
        for pending in self._undecrypted:
            try:
                decrypted = self.client.decrypt_event(pending.event)
            except EncryptionError:
                if time.monotonic() - pending.since < UNDECRYPTED_PATIENCE:
                    waiting.append(pending)
                else:
                    log.warning(
                        "matrix: giving up on event %s in %s: its room key never arrived",
                        pending.event.event_id,
                        pending.room_id,
                    )
                continue
            ready.append(RoomEvent(pending.room_id, decrypted))
        self._undecrypted = waiting
        return ready

    async def wait_for(self, condition: Callable[[], bool], within: float) -> bool:
        """Wait (for at most ``within`` s) until ``condition()`` holds after some sync."""
        async with self._synced:
            try:
                await asyncio.wait_for(self._synced.wait_for(condition), within)
            except TimeoutError:
                return condition()
        return True

    # -- handling -------------------------------------------------------------------------

    async def work(self) -> None:
        """Hand queued items to the adapter one at a time; a failing item is logged and skipped."""
        while True:
            item = await self.queue.get()
            self._busy.clear()
            try:
                await self._handle(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matrix: failed to handle %s; skipped", type(item).__name__)
            finally:
                self._busy.set()
                self.queue.task_done()

    async def finish_current(self, within: float) -> None:
        """Let the item in hand finish (up to ``within`` s), for a clean stop."""
        try:
            await asyncio.wait_for(self._busy.wait(), within)
        except TimeoutError:
            log.warning("matrix: stopping while an event is still being handled")
