"""What the bot counts while it runs, for ``/metrics`` (:mod:`bot.health`): plain numbers.

Recording sits on the answer path, so it is a dict increment and nothing more: no lock (the
bot runs on one event loop), no query, no library call. prometheus-client is needed only to
*expose* the numbers; :mod:`bot.health` turns them into metric families when it is scraped,
beside the figures it reads from the store then (due items, members, tandems).

One :class:`Metrics` belongs to one app (tests run several side by side). :data:`NO_METRICS`
records nothing: what components get where no endpoint reads them (``health.enabled = false``,
tests that build a router or an adapter by hand).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

#: Upper bounds (seconds) of the answer latency histogram: from a quick answer on SQLite to a
#: slow platform (a Discord interaction must be answered within 3 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: Why the kernel turned an event away (``tandem_events_refused_total{reason}``).
RATE_LIMITED = "rate_limited"
ORGANIZER_ONLY = "organizer_only"


@dataclass
class Latency:
    """One histogram: counts per bucket (not cumulative; the last is above every bound)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    observed: int = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds
        self.observed += 1


class Metrics:
    """The counters of one app, by adapter (platform) and what happened."""

    def __init__(self) -> None:
        #: Events the app took in, by (adapter, event kind); refused ones included.
        self.handled: Counter[tuple[str, str]] = Counter()
        #: Events turned away, by (adapter, reason).
        self.refused: Counter[tuple[str, str]] = Counter()
        #: Events whose handling raised (the member was told something went wrong), by adapter.
        self.failed: Counter[str] = Counter()
        #: Event in → every reply sent, by adapter.
        self.latency: dict[str, Latency] = {}
        #: Sends tried again after a failure, and sends given up, by platform.
        self.sends_retried: Counter[str] = Counter()
        self.sends_failed: Counter[str] = Counter()

    def event_handled(self, adapter: str, kind: str, seconds: float) -> None:
        self.handled[adapter, kind] += 1
        latency = self.latency.get(adapter)
        if latency is None:
            latency = self.latency[adapter] = Latency()
        latency.observe(seconds)

    def event_refused(self, adapter: str, reason: str) -> None:
        self.refused[adapter, reason] += 1

    def event_failed(self, adapter: str) -> None:
        self.failed[adapter] += 1

    def send_retried(self, platform: str) -> None:
        self.sends_retried[platform] += 1

    def send_failed(self, platform: str) -> None:
        self.sends_failed[platform] += 1


class _NoMetrics(Metrics):
    """Records nothing."""

    def event_handled(self, adapter: str, kind: str, seconds: float) -> None:
        pass

    def event_refused(self, adapter: str, reason: str) -> None:
        pass

    def event_failed(self, adapter: str) -> None:
        pass

    def send_retried(self, platform: str) -> None:
        pass

    def send_failed(self, platform: str) -> None:
        pass


NO_METRICS: Metrics = _NoMetrics()
