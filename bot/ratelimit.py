"""How fast one member may talk to the bot: a token bucket per member, checked by the router.

Each member has a bucket of ``burst`` tokens that refills at ``per_second``; every event they
send takes one. When the bucket is empty the event is dropped and, once per burst, the member
is told to slow down and to send it again (the router does the telling, and also answers each
dropped command or form on a platform where every one must be answered privately).

The bucket refills on the monotonic clock of this process, not the bot's clock: it measures how
fast a person types, which a test's frozen clock or an operator moving the time must not change.

Buckets that are full again are forgotten, so the table holds only members active in the last
``burst / per_second`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from bot.config import RateLimitSettings

# How many buckets to keep before sweeping out the full ones; after a sweep, the next comes
# when the buckets left have doubled (with thousands of members active at once, a sweep per
# newcomer was a fiftieth of the answer path's time in bench.flows).
_SWEEP_AT = 1024


class Verdict(Enum):
    ALLOWED = "allowed"
    DROPPED_TELL = "dropped_tell"  # the first event dropped in this burst: say so
    DROPPED = "dropped"  # told already


@dataclass
class _Bucket:
    tokens: float
    checked_at: float
    told: bool = False


class RateLimiter:
    def __init__(
        self, settings: RateLimitSettings, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._now = now
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._sweep_at = _SWEEP_AT

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def check(self, key: tuple[str, ...]) -> Verdict:
        """Take a token for one event of the member ``key``."""
        if not self.settings.enabled:
            return Verdict.ALLOWED
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self._sweep(now)
            bucket = self._buckets[key] = _Bucket(float(self.settings.burst), now)
        bucket.tokens = min(
            float(self.settings.burst),
            bucket.tokens + (now - bucket.checked_at) * self.settings.per_second,
        )
        bucket.checked_at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.told = False
            return Verdict.ALLOWED
        if bucket.told:
            return Verdict.DROPPED
        bucket.told = True
        return Verdict.DROPPED_TELL

    def _sweep(self, now: float) -> None:
        refill = self.settings.burst / self.settings.per_second
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket.checked_at < refill
        }
        self._sweep_at = max(_SWEEP_AT, 2 * len(self._buckets))
