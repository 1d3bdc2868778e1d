"""The port every platform adapter implements, and how the app finds adapters by name.

An adapter turns platform events into neutral events (handed to the ``sink`` it is started
with) and renders neutral intents. Rendering is dispatched by intent type to methods marked
with :func:`renders`; an adapter that lacks a renderer for any intent type is refused when the
app starts, not when the first such intent is sent.

Adapters are found by dotted path (:data:`ADAPTERS`) and imported only when configured, so
``bot/`` never imports an adapter (the import contracts in ``pyproject.toml`` check it).
"""

from __future__ import annotations

import functools
import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bot.capabilities import Capabilities
from bot.events import EventBase
from bot.intents import ALL_INTENT_TYPES, Delivery, ForgetMember, IntentBase, OpenPairSpace
from bot.metrics import NO_METRICS, Metrics
from bot.pair_spaces import SpaceLedger

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.commands import CommandSpec
    from bot.config import Settings
    from bot.doctor import Finding
    from bot.i18n import Translator
    from bot.tasks import TaskSupervisor
    from store import Store

log = logging.getLogger(__name__)

EventSink = Callable[[EventBase], Awaitable[None]]

ADAPTERS: dict[str, str] = {
    "console": "adapters.console:ConsoleAdapter",
    "memory": "adapters.memory:MemoryAdapter",
    "memory-text": "adapters.memory:TextMemoryAdapter",
    "discord": "adapters.discord:DiscordAdapter",
    "matrix": "adapters.matrix:MatrixAdapter",
}

_RENDERS_ATTR = "_tandem_renders"


def renders(intent_type: type[IntentBase]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark an adapter method as the renderer of one intent type."""

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        setattr(method, _RENDERS_ATTR, intent_type)
        return method

    return mark


class AdapterIncomplete(Exception):
    """An adapter cannot render every intent the flows may produce."""


class StartRefused(Exception):
    """An adapter cannot start for a reason only the operator can fix (a refused login, a
    token of another account). The message names the setting to change and holds no secret;
    ``tandem`` prints it instead of a traceback."""


@dataclass
class AdapterContext:
    """What the app gives every adapter: settings, the store, translation, time and tasks."""

    settings: Settings
    store: Store
    translator: Translator
    clock: Clock
    tasks: TaskSupervisor
    commands: Callable[[], list[CommandSpec]]
    # Ask the app to shut down (the console does when its input ends).
    request_stop: Callable[[], None]
    # Run every due item now (the console's /advance, after moving the clock).
    run_due: Callable[[], Awaitable[int]]
    # Where the adapter counts its retried sends (bot.metrics); failed ones are counted here.
    metrics: Metrics = NO_METRICS


#: Adapter records of sends already made (see :attr:`Adapter.remembers_sends`).
SENT_RECORD_PREFIX = "sent:"


class Adapter(ABC):
    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    _renderers: ClassVar[dict[type[IntentBase], str]]
    # A platform that cannot drop a repeated send itself (the console, the memory adapter) has
    # the adapter remember each idempotency key it sent, in its records, and drop a repeat.
    # Discord (message nonces) and Matrix (transaction ids) are asked to drop it themselves.
    remembers_sends: ClassVar[bool] = False
    # The community whose records those are (an adapter that serves one sets it).
    community_id: str = "*"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[type[IntentBase], str] = {}
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                intent_type = getattr(member, _RENDERS_ATTR, None)
                if intent_type is not None:
                    found[intent_type] = name
        cls._renderers = found

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.translator = context.translator

    @classmethod
    def check_complete(cls) -> None:
        missing = [t.__name__ for t in ALL_INTENT_TYPES if t not in cls._renderers]
        if missing:
            raise AdapterIncomplete(f"adapter {cls.platform!r} cannot render {', '.join(missing)}")

    @classmethod
    async def diagnose(cls, settings: Settings) -> list[Finding]:
        """What ``tandem doctor`` finds about this platform as ``settings`` configure it: the
        login, the rights the bot needs where it posts, each problem with its fix
        (:mod:`bot.doctor`). It changes nothing there and runs beside a running bot. A platform
        with nothing outside this machine to check finds nothing."""
        return []

    @abstractmethod
    async def start(self, sink: EventSink) -> None:
        """Connect and begin delivering events to ``sink``; return once running."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect; pending work is finished or dropped cleanly."""

    @property
    def connected(self) -> bool:
        """Whether the platform can be reached now (``/ready``, bot.health): a platform's
        adapter says whether its connection stands; the console and memory ones always can."""
        return True

    @functools.cached_property
    def space_ledger(self) -> SpaceLedger:
        """The records of the pair spaces this adapter opened by marker (bot.pair_spaces)."""
        return SpaceLedger(
            self.context.store.adapter_state, self.community_id, self.platform, self.context.clock
        )

    @renders(ForgetMember)
    async def render_forget_member(self, intent: ForgetMember) -> Delivery:
        """Where the bot can erase nothing of a conversation on the platform's side (it keeps
        no copy of its own), forgetting is the store's work alone."""
        return Delivery()

    async def send(self, intent: IntentBase) -> Delivery:
        """Render ``intent``; a failure (after the platform's own retries) is counted and raised."""
        try:
            return await self._send_once(intent)
        except Exception:
            self.context.metrics.send_failed(self.platform)
            raise

    async def _send_once(self, intent: IntentBase) -> Delivery:
        name = self._renderers.get(type(intent))
        if name is None:
            raise AdapterIncomplete(
                f"adapter {self.platform!r} cannot render {type(intent).__name__}"
            )
        key = intent.idempotency_key
        # A pair space opened by marker is found again, not dropped: its place is the answer.
        marked = isinstance(intent, OpenPairSpace) and intent.marker is not None
        if key is None or not self.remembers_sends or marked:
            return await getattr(self, name)(intent)
        records = self.context.store.adapter_state
        record = SENT_RECORD_PREFIX + key
        if await records.get(self.community_id, self.platform, record) is not None:
            log.info("%s dropped a repeated send (%s)", self.platform, key)
            return Delivery()
        delivery = await getattr(self, name)(intent)
        # Recorded after sending: a crash in between sends again rather than never. The record
        # names the scheduled item only, nobody's account: it outlives no one's data (a purge
        # sends its own notice to the adapter, which is recorded too).
        await records.put(
            self.community_id, self.platform, record, {}, now=self.context.clock.now()
        )
        return delivery


def load_adapter_class(name: str) -> type[Adapter]:
    try:
        dotted = ADAPTERS[name]
    except KeyError:
        raise AdapterIncomplete(f"no adapter called {name!r} (known: {sorted(ADAPTERS)})") from None
    module_name, _, class_name = dotted.partition(":")
    adapter_class = getattr(importlib.import_module(module_name), class_name)
    adapter_class.check_complete()
    return adapter_class
