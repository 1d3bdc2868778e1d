"""The due-item service: runs what the store says is due, exactly once, after any crash.

Flows add *kinds* (a name, a function that says what to send, and whether it is urgent) and
schedule items of them in the store (:mod:`store.due_items`) under keys they choose. This
service claims what is due in batches, runs each item's kind, sends the intents it returns and
marks the item done — in that order, each step committed before the next:

* a crash before the claim commits leaves the item pending: the next run takes it;
* a crash after the claim, before sending, leaves a claim whose lease runs out: the next run
  after that, in this process restarted or in another, takes it over (its attempt count says it
  is a retry);
* a crash after sending, before marking done, sends again — with the same idempotency key on
  every intent (derived from the item and its due time), which the platform or the adapter
  uses to drop the second copy (Matrix transaction ids, Discord message nonces, the console and
  memory adapters' own record).

What a late run does is each kind's decision: its function sees :attr:`DueRun.lateness` (a
reminder for a meeting that already started is dropped; a purge simply runs). Kinds that are
not urgent are held while it is night for the member (the community's quiet hours, in the
member's own time zone) and run at the end of them.

APScheduler only wakes the service: :class:`bot.app.App` arms one wake-up at the earliest due
time the store knows (at most a minute ahead, so items another process scheduled are seen),
so memory holds no items beyond the batch being run.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.intents import Delivery, Intent, IntentBase
from bot.logs import log_context
from bot.metrics import NO_METRICS, Metrics
from bot.quiet_hours import quiet_until
from store import Store
from store.due_items import DueItem
from store.members import MemberRecord

log = logging.getLogger(__name__)

BATCH = 200
# Long enough for a batch of sends, short enough that another process takes over soon.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
#: Where items that belong to the whole bot (the maintenance run) are filed.
BOT_WIDE = "*"


def plain_spelling(_platform: str, name: str) -> str:
    """A command's bare name, where no platform's spelling is known (tests of the service)."""
    return name


@dataclass(frozen=True)
class DueRun:
    """What a kind's function sees when its item runs."""

    item: DueItem
    now: datetime
    clock: Clock
    store: Store
    settings: Settings
    # Sends one intent now and returns what the adapter reports (the place of a pair space it
    # opened), for kinds that must record a result before saying more. The kind sets the
    # intent's idempotency key itself (see :meth:`key`).
    deliver: Callable[[IntentBase], Awaitable[Delivery | None]]
    # Spells a command the way a platform does: ``spell("discord", "decide")`` → ``/tandem
    # decide`` (organizer commands in their group).
    spell: Callable[[str, str], str] = plain_spelling
    # Starts a flow (by id) for a member in their DM, as if they had typed its command (the bot
    # asks its first question); returns what to send. Exactly once per ``cause`` (a string the
    # kind derives from its item, e.g. ``run.key("ask")``): started again with the same cause,
    # it repeats the question if the conversation still stands there, and starts nothing new.
    start_flow: Callable[[str, MemberRecord, str], Awaitable[list[Intent]]] | None = None

    def key(self, part: str) -> str:
        """An idempotency key for something this item sends itself, the same on every retry."""
        return f"due-{self.item.id}-{int(self.item.scheduled_for.timestamp())}-{part}"

    async def send(self, intent: IntentBase, part: str) -> Delivery | None:
        """Send ``intent`` now under the key of ``part`` (unique within the item): a kind that
        says several things, some only on some runs, keeps each one's key the same on retries."""
        return await self.deliver(intent.model_copy(update={"idempotency_key": self.key(part)}))

    @property
    def lateness(self) -> timedelta:
        """How long after the time it was scheduled for the item runs (downtime, quiet hours,
        retries all count)."""
        return self.now - self.item.scheduled_for


@dataclass(frozen=True)
class DueKind:
    name: str
    # What to send; an empty list when there is nothing (any more) to say.
    run: Callable[[DueRun], Awaitable[list[Intent]]]
    # Urgent kinds run at night too; the others wait for the end of the member's quiet hours.
    urgent: bool = False
    # False for kinds whose item names someone being forgotten: deleted once done, not kept.
    keep_when_done: bool = True


class SimulatedCrash(BaseException):
    """Raised by the crash tests' fault points; nothing in the service catches it."""


class DueService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        kinds: Iterable[DueKind],
        send: Callable[[IntentBase], Awaitable[Delivery | None]],
        *,
        worker: str | None = None,
        batch: int = BATCH,
        spell: Callable[[str, str], str] | None = None,
        start_flow: Callable[[str, MemberRecord, str], Awaitable[list[Intent]]] | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.spell = spell or plain_spelling
        self.start_flow = start_flow
        self.clock = clock
        self.settings = settings
        self.kinds = {kind.name: kind for kind in kinds}
        self._send = send
        # Unique to this process: a claim is only ever finished by the process that made it,
        # and a restarted or second process on the same host takes it over only when its
        # lease ran out (never a live one).
        self.worker = worker or f"{settings.bot.instance}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch = batch
        # Set when the app stops: no further batch is claimed.
        self.stopping = False
        # Crash tests raise SimulatedCrash here: "claim" (inside the claim's transaction),
        # "claimed" (after it committed), "sent" (after sending, before marking done).
        self.fault: Callable[[str], None] | None = None

    async def run_due(self) -> int:
        """Run everything due now, batch after batch; returns how many items were run."""
        total = 0
        while not self.stopping:
            now = self.clock.now()
            items = await self.store.due.claim(
                now=now,
                worker=self.worker,
                lease_until=now + LEASE,
                limit=self.batch,
                kinds=self.kinds,
                before_commit=self._fault_point("claim"),
            )
            if not items:
                return total
            self._at("claimed")
            done: list[int] = []
            gone: list[int] = []
            for item in items:
                if await self._run(item, now):
                    (done if self.kinds[item.kind].keep_when_done else gone).append(item.id)
            self._at("sent")
            await self.store.due.finish(done, worker=self.worker, now=self.clock.now())
            await self.store.due.finish_and_delete(gone, worker=self.worker)
            total += len(items)
        return total

    async def next_wake(self) -> datetime | None:
        return await self.store.due.next_wake()

    async def _run(self, item: DueItem, now: datetime) -> bool:
        """Run one claimed item; True when it is done (else it was given back or failed)."""
        with log_context(
            community=item.community_id, due_item=item.id, due_kind=item.kind, member=item.member_id
        ):
            return await self._run_item(item, now)

    async def _run_item(self, item: DueItem, now: datetime) -> bool:
        kind = self.kinds[item.kind]  # only known kinds are claimed
        if not kind.urgent and (held := await self._quiet_hold(item, now)) is not None:
            await self.store.due.release(
                item.id, worker=self.worker, due_at=held, now=now, count=False
            )
            return False
        # The platform of a send that failed, if one did: the item's retry is that send's.
        failed_on: list[str] = []

        async def send(intent: IntentBase) -> Delivery | None:
            try:
                return await self._send(intent)
            except Exception:
                failed_on.append(intent.target.platform)
                raise

        try:
            run = DueRun(
                item,
                now,
                self.clock,
                self.store,
                self.settings,
                send,
                spell=self.spell,
                start_flow=self.start_flow,
            )
            intents = await kind.run(run)
            for index, intent in enumerate(intents):
                await send(intent.model_copy(update={"idempotency_key": run.key(str(index))}))
        except Exception:
            if item.attempts >= MAX_ATTEMPTS:
                log.exception(
                    "due item %s (%s) failed %d times; giving up", item.id, item.kind, item.attempts
                )
                await self.store.due.fail([item.id], worker=self.worker, now=now)
            else:
                if failed_on:
                    self.metrics.send_retried(failed_on[-1])
                retry = now + timedelta(minutes=2**item.attempts)
                log.exception(
                    "due item %s (%s) failed; retrying at %s", item.id, item.kind, retry.isoformat()
                )
                await self.store.due.release(item.id, worker=self.worker, due_at=retry, now=now)
            return False
        return True

    async def _quiet_hold(self, item: DueItem, now: datetime) -> datetime | None:
        """The end of the member's quiet hours if it is night for them now, else None."""
        if item.member_id is None:
            return None
        member = await self.store.members.get(item.member_id)
        if member is None or not member.timezone:
            return None
        quiet = self.settings.program_for(item.community_id).quiet_hours
        return quiet_until(now, member.timezone, quiet.start, quiet.end)

    def _at(self, point: str) -> None:
        if self.fault is not None:
            self.fault(point)

    def _fault_point(self, point: str) -> Callable[[], None] | None:
        if self.fault is None:
            return None
        return lambda: self._at(point)
