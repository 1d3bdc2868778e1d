"""The per-member rate limit's memory: buckets of members who went quiet are swept out, those of
members still inside their burst are kept, however many members are active at once."""

from __future__ import annotations

from bot.config import RateLimitSettings
from bot.ratelimit import RateLimiter, Verdict

SETTINGS = RateLimitSettings(burst=3, per_second=1.0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_members_who_went_quiet_are_forgotten_and_the_others_keep_their_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(SETTINGS, now=clock)
    for number in range(3000):  # an evening's worth of members, each one event, then quiet
        assert limiter.check(("c", "memory", f"early-{number}")) is Verdict.ALLOWED
    clock.now += 60  # a minute later: every early bucket is full again, nothing to remember
    # A busy member spends the burst and is held back ...
    busy = ("c", "memory", "busy")
    assert [limiter.check(busy) for _ in range(4)][-1] is Verdict.DROPPED_TELL
    # ... while thousands of others arrive at once (sweeps run meanwhile) ...
    for number in range(5000):
        limiter.check(("c", "memory", f"late-{number}"))
    # ... and is still held back: a sweep never resets a bucket that is not full.
    assert limiter.check(busy) is Verdict.DROPPED
    # The early members were swept out; the late ones, all inside their burst, are kept.
    assert len(limiter._buckets) <= 5000 + 1


def test_many_members_active_at_once_are_not_swept_for_every_newcomer() -> None:
    clock = Clock()
    limiter = RateLimiter(SETTINGS, now=clock)
    sweeps = 0
    sweep = limiter._sweep

    def counted(now: float) -> None:
        nonlocal sweeps
        sweeps += 1
        sweep(now)

    limiter._sweep = counted  # type: ignore[method-assign]
    for number in range(20_000):  # all inside their burst: nobody can be swept
        limiter.check(("c", "memory", f"m{number}"))
    assert sweeps <= 6, sweeps  # 1024, 2048, 4096, 8192, 16384: doubling, not once per member
