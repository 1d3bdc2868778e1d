"""The HTTP endpoint for a supervisor and Prometheus: ``/live``, ``/ready``, ``/metrics``.

Served by aiohttp.web on the bot's own event loop when ``health.enabled`` is true, on
``health.host``:``health.port`` (loopback by default); docs/operations.md lists the metrics.

* ``/live``: 200 while the process runs and its loop answers.
* ``/ready``: 200 when the database answers a query and every adapter the app runs is
  connected; otherwise 503 with the reason in a short plain-text line.
* ``/metrics``: the Prometheus text format, made by prometheus-client (an optional install,
  ``tandem[metrics]``; without it, 501 says so and the rest works). The counters are the app's
  :class:`bot.metrics.Metrics`; the gauges (due items, members, tandems) are read from the
  store at scrape time. Each server has its own ``CollectorRegistry``, never the global one.

Requests that come while the database is being asked share that query (:meth:`HealthServer.
_shared`): a flood of ``/ready`` or ``/metrics`` requests costs the store one query at a time,
never every connection of the pool the bot answers members with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.adapter import StartRefused
from bot.metrics import LATENCY_BUCKETS, Metrics

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import HealthSettings
    from store.gauges import Gauges

log = logging.getLogger(__name__)

#: How long /ready and a scrape wait for the database before saying it does not answer.
STORE_TIMEOUT = 3.0
#: A pending due item this long past its time counts as late (the bot looks at least every
#: minute, and a batch takes seconds).
LATE_AFTER = timedelta(minutes=5)
PLAIN = "text/plain"
NO_CLIENT = (
    "metrics need the prometheus-client package: install Tandem with the metrics extra "
    "(pip install 'tandem[metrics]'); /live and /ready work without it\n"
)


class HealthServer:
    def __init__(self, app: App, settings: HealthSettings) -> None:
        self.app = app
        self.settings = settings
        self._runner: web.AppRunner | None = None
        self._registry: Any = None
        self._gauges: Gauges | None = None
        #: The port it listens on (the configured one, or the one picked for port 0).
        self.port = settings.port
        #: The database query in flight for each kind of request, shared by those that wait.
        self._asking: dict[str, asyncio.Future[Any]] = {}

    async def start(self) -> None:
        server = web.Application()
        server.router.add_get("/live", self._live)
        server.router.add_get("/ready", self._ready)
        server.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(server, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise StartRefused(
                f"the health endpoint cannot listen on {self.settings.host}:{self.settings.port} "
                f"({error.strerror or error}); set health.port to a free port, or "
                "health.enabled = false"
            ) from None
        if addresses := self._runner.addresses:
            self.port = addresses[0][1]
        log.info("health endpoint on http://%s:%d/", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for asking in self._asking.values():
            asking.cancel()

    async def _shared(self, what: str, query: Callable[[], Awaitable[Any]]) -> Any:
        """The answer of ``query`` (given up after :data:`STORE_TIMEOUT`), asked once for every
        request that comes while it runs. A request that goes away does not cancel it."""
        asking = self._asking.get(what)
        if asking is None:
            asking = asyncio.ensure_future(asyncio.wait_for(query(), STORE_TIMEOUT))
            self._asking[what] = asking

            def done(finished: asyncio.Future[Any]) -> None:
                if self._asking.get(what) is finished:
                    del self._asking[what]
                if not finished.cancelled():
                    finished.exception()  # retrieved: nobody may be left waiting for it

            asking.add_done_callback(done)
        return await asyncio.shield(asking)

    async def _live(self, _request: web.Request) -> web.Response:
        return web.Response(text="live\n", content_type=PLAIN)

    async def not_ready(self) -> str | None:
        """Why the bot is not ready, or None when it is."""
        store = self.app.started_store
        if store is None:
            return "starting or stopping: the store is not open"
        try:
            await self._shared("ping", store.gauges.ping)
        except Exception as error:
            return f"the database does not answer ({type(error).__name__})"
        down = [name for name, connected in self.connected().items() if not connected]
        if down:
            return f"not connected: {', '.join(sorted(down))}"
        return None

    def connected(self) -> dict[str, bool]:
        """Whether each adapter the app runs is connected, by name; until the adapters are
        made (the store opens first), none of them is."""
        adapters = self.app.adapters
        return {
            name: name in adapters and adapters[name].connected
            for name in sorted(self.app.adapter_names)
        }

    async def _ready(self, _request: web.Request) -> web.Response:
        reason = await self.not_ready()
        if reason is not None:
            return web.Response(status=503, text=f"not ready: {reason}\n", content_type=PLAIN)
        return web.Response(text="ready\n", content_type=PLAIN)

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        except ImportError:
            return web.Response(status=501, text=NO_CLIENT, content_type=PLAIN)
        if self._registry is None:
            self._registry = CollectorRegistry(auto_describe=False)
            self._registry.register(_Collector(self))
        self._gauges = await self.read_gauges()
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def read_gauges(self) -> Gauges | None:
        """The figures of the store for a scrape; None when it does not answer."""
        store = self.app.started_store
        if store is None:
            return None
        late_before = self.app.clock.now() - LATE_AFTER
        try:
            return await self._shared("gauges", lambda: store.gauges.read(late_before=late_before))
        except Exception as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            return None


class _Collector:
    """Builds the metric families from the app's counters and the gauges just read."""

    def __init__(self, server: HealthServer) -> None:
        self.server = server

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        metrics: Metrics = self.server.app.metrics
        yield _family(
            CounterMetricFamily,
            "tandem_events_handled",
            "Events the bot took in (refused ones included), by adapter and kind.",
            ["adapter", "kind"],
            metrics.handled,
        )
        yield _family(
            CounterMetricFamily,
            "tandem_events_refused",
            "Events turned away: over the member's rate limit, or an organizer command from "
            "someone who is not one.",
            ["adapter", "reason"],
            metrics.refused,
        )
        yield _family(
            CounterMetricFamily,
            "tandem_events_failed",
            "Events whose handling failed (the member was told something went wrong).",
            ["adapter"],
            metrics.failed,
        )
        latency = HistogramMetricFamily(
            "tandem_answer_latency_seconds",
            "From an event's arrival to every reply to it sent, by adapter.",
            labels=["adapter"],
        )
        for adapter, observed in sorted(metrics.latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), observed.counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
            latency.add_metric([adapter], buckets, sum_value=observed.total)
        yield latency
        yield _family(
            CounterMetricFamily,
            "tandem_sends_retried",
            "Sends tried again after a failure: a scheduled message whose send failed, and a "
            "Matrix request retried after a timeout, a dropped connection, a 5xx or a 429.",
            ["platform"],
            metrics.sends_retried,
        )
        yield _family(
            CounterMetricFamily,
            "tandem_sends_failed",
            "Sends that failed after the platform's own retries.",
            ["platform"],
            metrics.sends_failed,
        )
        connected = GaugeMetricFamily(
            "tandem_adapter_connected",
            "1 while the adapter is connected to its platform, else 0.",
            labels=["adapter"],
        )
        for name, up in self.server.connected().items():
            connected.add_metric([name], 1 if up else 0)
        yield connected
        gauges = self.server._gauges
        yield GaugeMetricFamily(
            "tandem_store_up",
            "1 when the database answered this scrape's queries, else 0.",
            value=0 if gauges is None else 1,
        )
        if gauges is None:
            return
        yield GaugeMetricFamily(
            "tandem_due_items_pending",
            "Scheduled items (reminders, notices, purges) waiting to run.",
            value=gauges.due_pending,
        )
        yield GaugeMetricFamily(
            "tandem_due_items_late",
            "Pending scheduled items more than five minutes past their time.",
            value=gauges.due_late,
        )
        members = GaugeMetricFamily(
            "tandem_members", "Members by community and status.", labels=["community", "status"]
        )
        for (community, status), count in sorted(gauges.members.items()):
            members.add_metric([community, status], count)
        yield members
        yield _family(
            GaugeMetricFamily,
            "tandem_tandems_active",
            "Active tandems by community.",
            ["community"],
            gauges.tandems_active,
        )


def _family(family: Any, name: str, documentation: str, labels: list[str], counts: Any) -> Any:
    """A metric family from a mapping of label values (one, or a tuple of them) to counts."""
    made = family(name, documentation, labels=labels)
    for values, count in sorted(counts.items()):
        made.add_metric(list(values) if isinstance(values, tuple) else [values], count)
    return made
