"""The app: wires config, store, translator, router and adapters, and owns their lifetime.

``App.run()`` is what ``tandem run`` and ``tandem console`` call: it opens (and migrates) the
store, starts each configured adapter with :meth:`App.handle_event` as its event sink, and
stops everything cleanly on SIGINT/SIGTERM. Tests build an ``App`` with a fake clock and the
memory adapter and drive it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from bot.adapter import Adapter, AdapterContext, load_adapter_class
from bot.capabilities import Platforms
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.engine import FlowEngine
from bot.events import EventBase
from bot.i18n import Translator, choose_locale
from bot.intents import Delivery, IntentBase, Say
from bot.messages import msg
from bot.router import Router
from bot.scheduler import MAINTENANCE_EVERY_MINUTES, Scheduler
from bot.tasks import TaskSupervisor
from flows import build_registry, run_maintenance
from store import Store

log = logging.getLogger(__name__)


class App:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        adapter_names: Sequence[str] | None = None,
        run_scheduler: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.adapter_names = list(adapter_names or settings.platform_adapters)
        self.translator = Translator()
        self.tasks = TaskSupervisor()
        self.scheduler = Scheduler()
        # Tests drive time with a fake clock and call run_maintenance themselves.
        self.run_scheduler = run_scheduler
        self.adapters: dict[str, Adapter] = {}
        self._store: Store | None = None
        self._router: Router | None = None
        self._stopping = asyncio.Event()
        self._stop_started = False
        self._stopped = False
        self._maintenance = asyncio.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the app is not started")
        return self._store

    @property
    def router(self) -> Router:
        if self._router is None:
            raise RuntimeError("the app is not started")
        return self._router

    async def start(self) -> None:
        # Adapters are loaded first: a missing renderer fails before anything is touched.
        classes = [load_adapter_class(name) for name in self.adapter_names]
        self._store = await Store.open(self.settings.database.url)
        context = AdapterContext(
            settings=self.settings,
            store=self._store,
            translator=self.translator,
            clock=self.clock,
            tasks=self.tasks,
            commands=lambda: self.router.commands(),
            request_stop=self.request_stop,
        )
        self.adapters = {cls.platform: cls(context) for cls in classes}
        platforms = Platforms({platform: a.capabilities for platform, a in self.adapters.items()})
        registry = build_registry(self.settings)
        await asyncio.gather(*(asyncio.to_thread(warm_up) for warm_up in registry.warm_ups))
        engine = FlowEngine(
            registry,
            self._store,
            self.clock,
            self.translator,
            self.settings,
            platforms,
        )
        self._router = Router(engine)
        for adapter in self.adapters.values():
            await adapter.start(self.handle_event)
        if self.run_scheduler:
            self.scheduler.every("maintenance", MAINTENANCE_EVERY_MINUTES, self.run_maintenance)
            self.scheduler.start()
        log.info("tandem started with adapters %s", ", ".join(self.adapters))

    async def handle_event(self, event: EventBase) -> None:
        """The sink adapters deliver to: route, then send every resulting intent."""
        try:
            intents = await self.router.handle(event)
        except Exception:
            log.exception("failed to handle a %s event", type(event).__name__)
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

    async def run_maintenance(self) -> None:
        """Purges and ended pauses (see :mod:`flows.maintenance`); their messages are sent."""
        async with self._maintenance:
            if self._stopped:
                return
            try:
                intents = await run_maintenance(self.store, self.clock, self.settings)
            except Exception:
                log.exception("maintenance failed; it runs again at the next interval")
                return
            for intent in intents:
                await self.deliver(intent)

    async def deliver(self, intent: IntentBase) -> Delivery | None:
        adapter = self.adapters.get(intent.target.platform)
        if adapter is None:
            log.error("no adapter for platform %s", intent.target.platform)
            return None
        try:
            return await adapter.send(intent)
        except Exception:
            log.exception("adapter %s failed to render %s", adapter.platform, type(intent).__name__)
            return None

    async def stop(self) -> None:
        self._stopping.set()
        if self._stop_started:
            return
        self._stop_started = True
        self.scheduler.pause()
        async with self._maintenance:  # let a run under way finish with the store still open
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

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Start, serve until SIGINT/SIGTERM or :meth:`request_stop`, then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        try:
            await self.start()
            await self._stopping.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.stop()
