"""The app: wires config, store, translator, router and adapters, and owns their lifetime.

``App.run()`` is what ``tandem run`` and ``tandem console`` call: it opens (and migrates) the
store, starts each configured adapter with :meth:`App.handle_event` as its event sink, and
stops everything cleanly on SIGINT/SIGTERM. Tests build an ``App`` with a fake clock and the
memory adapter and drive it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.adapter import Adapter, AdapterContext, load_adapter_class
from bot.capabilities import Platforms
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.due import DueService
from bot.engine import FlowEngine
from bot.events import EventBase
from bot.i18n import Translator, choose_locale
from bot.identity_key import (
    IdentityKeyChanged,
    key_changed_message,
    key_is_missing,
    key_missing_message,
    key_source,
)
from bot.intents import Delivery, IntentBase, Say
from bot.logs import log_context
from bot.messages import msg
from bot.metrics import NO_METRICS, Metrics
from bot.router import Router
from bot.scheduler import Scheduler
from bot.tasks import TaskSupervisor
from flows import build_registry, schedule_at_start
from store import Store

if TYPE_CHECKING:
    from bot.health import HealthServer

log = logging.getLogger(__name__)

POLL_AT_LEAST_EVERY = timedelta(minutes=1)


class App:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        adapter_names: Sequence[str] | None = None,
        run_scheduler: bool = True,
        warm_up: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.adapter_names = list(adapter_names or settings.platform_adapters)
        self.translator = Translator()
        self.tasks = TaskSupervisor()
        self.scheduler = Scheduler()
        # Tests drive time with a fake clock and call run_due themselves.
        self.run_scheduler = run_scheduler
        # Off where a short-lived process never reads a place (a test's bot killed and started
        # again): the indexes are then built when first needed, not at every start.
        self.warm_up = warm_up
        self.adapters: dict[str, Adapter] = {}
        self._store: Store | None = None
        self._router: Router | None = None
        self._stopping = asyncio.Event()
        self._stop_started = False
        self._stopped = False
        self._due: DueService | None = None
        # Set once the start-up catch-up ran and the first wake-up is armed.
        self.caught_up = asyncio.Event()
        self._due_lock = asyncio.Lock()
        # Counted only where the health endpoint can show them (bot.metrics, bot.health).
        self.metrics: Metrics = Metrics() if settings.health.enabled else NO_METRICS
        self.health: HealthServer | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the app is not started")
        return self._store

    @property
    def started_store(self) -> Store | None:
        """The store while the app runs, else None (the health endpoint asks before using it)."""
        return self._store

    @property
    def due(self) -> DueService:
        if self._due is None:
            raise RuntimeError("the app is not started")
        return self._due

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("the app is not started")
        return self._router

    async def start(self) -> None:
        # Adapters are loaded first: a missing renderer fails before anything is touched.
        classes = [load_adapter_class(name) for name in self.adapter_names]
        if self.settings.health.enabled:
            # First: /live answers while the rest starts, /ready says it is not ready yet.
            from bot.health import HealthServer

            self.health = HealthServer(self, self.settings.health)
            await self.health.start()
        self._store = await Store.open(
            self.settings.database.url, identity_key=key_source(self.settings.bot)
        )
        # A lost key file with blocks in the database is refused before a new key is written:
        # the new one could not match the old blocks, and writing it would hide the loss.
        missing = key_is_missing(self.settings.bot) and await self._store.blocks.any_made()
        if missing or not await self._store.blocks.made_with_this_key():
            await self._store.close()
            self._store = None
            why = key_missing_message if missing else key_changed_message
            raise IdentityKeyChanged(why(self.settings.bot))
        context = AdapterContext(
            settings=self.settings,
            store=self._store,
            translator=self.translator,
            clock=self.clock,
            tasks=self.tasks,
            commands=lambda: self.router.commands(),
            request_stop=self.request_stop,
            run_due=self.run_due,
            metrics=self.metrics,
        )
        self.adapters = {cls.platform: cls(context) for cls in classes}
        platforms = Platforms({platform: a.capabilities for platform, a in self.adapters.items()})
        registry = build_registry(self.settings)
        if self.warm_up:
            await asyncio.gather(*(asyncio.to_thread(build) for build in registry.warm_ups))
        engine = FlowEngine(
            registry,
            self._store,
            self.clock,
            self.translator,
            self.settings,
            platforms,
            send=self.deliver,
        )
        self._router = Router(engine, metrics=self.metrics)
        self._due = DueService(
            self._store,
            self.clock,
            self.settings,
            registry.due_kinds,
            self._send_or_raise,
            spell=lambda platform, name: engine.speller(platform)(name),
            start_flow=engine.start_on_behalf,
            metrics=self.metrics,
        )
        served = {adapter.community_id: adapter.platform for adapter in self.adapters.values()}
        await schedule_at_start(self._store, self.settings, served, self.clock.now())
        for adapter in self.adapters.values():
            await adapter.start(self.handle_event)
        if self.run_scheduler:
            self.scheduler.start()
            # Catch up on what fell due while the bot was down, then wake when the next is due.
            self.tasks.spawn(self._wake(), name="due-catch-up")
        log.info("tandem started with adapters %s", ", ".join(self.adapters))

    async def handle_event(self, event: EventBase) -> None:
        """The sink adapters deliver to: route, then send every resulting intent."""
        started = time.perf_counter()
        adapter, kind = event.member.platform, getattr(event, "type", "event")
        with log_context(
            community=event.community_id, adapter=adapter, event=kind, event_id=event.event_id
        ):
            await self._handle(event)
            seconds = time.perf_counter() - started
            self.metrics.event_handled(adapter, kind, seconds)
            log.debug("%s event handled in %.1f ms", kind, seconds * 1000)

    async def _handle(self, event: EventBase) -> None:
        try:
            intents = await self.router.handle(event)
        except Exception:
            log.exception("failed to handle a %s event", type(event).__name__)
            self.metrics.event_failed(event.member.platform)
            intents = [
                Say(
                    target=event.place,
                    locale=choose_locale(None, event.locale, self.settings.bot.default_locale),
                    in_reply_to=event.event_id,
                    text=msg("errors.internal"),
                )
            ]
        for intent in intents:
            await self.deliver(intent)

    async def run_due(self) -> int:
        """Run every due item now (see :mod:`bot.due`); returns how many ran."""
        async with self._due_lock:
            if self._stopped:
                return 0
            try:
                return await self.due.run_due()
            except Exception:
                log.exception("running due items failed; they are tried again at the next wake")
                return 0

    async def _wake(self) -> None:
        """Run what is due, then arm the next wake-up from the store (the one timer held).

        The next wake-up is armed whatever happens here: a database that fails for a moment
        must not end the chain (then the bot looks again in a minute)."""
        now = self.clock.now()
        delay = POLL_AT_LEAST_EVERY
        try:
            await self.run_due()
            if self._stopped:
                return
            now = self.clock.now()
            when = await self.due.next_wake()
            # At least once a minute: other processes may have scheduled something sooner.
            if when is not None:
                delay = min(max(when - now, timedelta(0)), POLL_AT_LEAST_EVERY)
        except Exception:
            log.exception("could not read when the next item is due; looking again in a minute")
        finally:
            if not self._stopped:
                self.scheduler.wake_in("due", delay, self._wake)
                self.caught_up.set()

    async def deliver(self, intent: IntentBase) -> Delivery | None:
        """Send an answer to an event; a failure is logged (the member can simply ask again)."""
        try:
            return await self._send_or_raise(intent)
        except Exception:
            log.exception("failed to send %s to %s", type(intent).__name__, intent.target.platform)
            return None

    async def _send_or_raise(self, intent: IntentBase) -> Delivery | None:
        """Send; a failure raises, so a due item is retried rather than marked done."""
        adapter = self.adapters.get(intent.target.platform)
        if adapter is None:
            raise LookupError(f"no adapter for platform {intent.target.platform}")
        return await adapter.send(intent)

    async def stop(self) -> None:
        self._stopping.set()
        if self._stop_started:
            return
        self._stop_started = True
        self.scheduler.pause()
        if self._due is not None:
            self._due.stopping = True  # a catch-up under way ends after its current batch
        async with self._due_lock:  # let a run under way finish with the store still open
            self._stopped = True
        self.scheduler.stop()
        for adapter in self.adapters.values():
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s failed to stop", adapter.platform)
        await self.tasks.cancel_all()
        if self._store is not None:
            await self._store.close()
            self._store = None
        if self.health is not None:
            await self.health.stop()
            self.health = None

    async def _start_unless_stopped(self) -> None:
        """Start; a stop asked for meanwhile (a supervisor's SIGTERM, Ctrl-C) ends the start at
        once, not after a platform out of reach has used up its retries (minutes)."""
        starting = asyncio.ensure_future(self.start())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not starting.done():
                log.info("asked to stop while starting: the start is abandoned")
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
        if not starting.cancelled():
            starting.result()  # what stopped the start, if anything did

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Start, serve until SIGINT/SIGTERM or :meth:`request_stop`, then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        try:
            await self._start_unless_stopped()
            settle_heap()
            await self._stopping.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.stop()


def settle_heap() -> None:
    """Once started: what start-up built (catalogs, place and time-zone tables, compiled
    statements) stays for the life of the process, so it is moved out of the garbage
    collector's sight; a full collection then looks at what answering makes, not at those
    hundreds of thousands of objects (it paused the answer path for 90-150 ms each time,
    measured in ``bench.flows``).

    The older generations are also collected less often: with Python's default (a young
    collection every 700 new objects, an older one every 10 of those) a burst of answers
    made that a quarter of a second of every ten at 1,200 answers/s, with older generations'
    collections of 30-50 ms among them. Nearly everything the bot makes is freed by its
    reference count the moment it is done with (cycles are rare), so waiting costs little
    memory; at 1,200 answers/s the collector's time fell from 270 to 34 ms in ten seconds
    and the p99 of the busiest second from 450 to 200 ms. Young collections stay short: every
    2,000 new objects, not 10,000 (the first setting), each holds everything up for about
    2 ms instead of 8-10 (at 2,400 answers/s), for the same time in all."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECT_THRESHOLDS)


#: When the garbage collector runs (:func:`gc.set_threshold`): a young collection every
#: 2,000 new objects (Python's default: 700), an older one every 100 of those (every 200,000
#: new objects, as Python's default does every 7,000), the oldest every 20 of those.
COLLECT_THRESHOLDS = (2_000, 100, 20)
