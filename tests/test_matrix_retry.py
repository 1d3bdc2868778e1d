"""Bounded retries: rate limits wait what the server asks (as often as it asks, within a
patience), connection errors back off, and every request gives up after the configured
attempts."""

from __future__ import annotations

import aiohttp
import pytest
from nio import ErrorResponse, RoomSendResponse

from adapters.matrix.retry import Backoff, RequestFailed, RetryPolicy


class Script:
    """A request that fails as scripted, then succeeds; records the sleeps."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.slept: list[float] = []

    async def request(self) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def limited(ms: int | None) -> ErrorResponse:
    return ErrorResponse("Too many requests", "M_LIMIT_EXCEEDED", retry_after_ms=ms)


OK = RoomSendResponse("$sent", "!room")


async def test_a_rate_limit_waits_what_the_server_asks_and_is_no_failed_attempt() -> None:
    # Synapse's default rc_room_creation: after a burst, one room every 62.5 s.
    script = Script(*[limited(62_500)] * 4, limited(1500), OK)
    policy = RetryPolicy(attempts=2, max_delay=10, sleep=script.sleep)
    assert await policy.call("open a room", script.request) is OK
    assert script.slept == [62.5] * 4 + [1.5]


async def test_a_rate_limit_gives_up_once_the_waits_would_pass_the_patience() -> None:
    script = Script(limited(40_000), limited(40_000), limited(40_000), OK)
    policy = RetryPolicy(rate_limit_patience=100, sleep=script.sleep)
    with pytest.raises(RequestFailed, match="still rate-limited after waiting 80 s"):
        await policy.call("open a room", script.request)
    assert script.slept == [40, 40]


async def test_connection_errors_back_off_and_the_request_gives_up_in_the_end() -> None:
    script = Script(*[aiohttp.ClientConnectionError("refused")] * 3)
    policy = RetryPolicy(attempts=3, base_delay=1, max_delay=30, sleep=script.sleep)
    with pytest.raises(RequestFailed, match="gave up after 3 attempts"):
        await policy.call("send", script.request)
    assert script.calls == 3
    assert len(script.slept) == 2
    assert 0.5 <= script.slept[0] <= 1
    assert 1 <= script.slept[1] <= 2


async def test_an_error_that_a_retry_cannot_fix_fails_at_once() -> None:
    script = Script(ErrorResponse("not allowed", "M_FORBIDDEN"), OK)
    policy = RetryPolicy(sleep=script.sleep)
    with pytest.raises(RequestFailed, match="M_FORBIDDEN"):
        await policy.call("send", script.request)
    assert script.calls == 1


def test_backoff_grows_to_its_cap_and_resets() -> None:
    backoff = Backoff(base=1, cap=8)
    delays = [backoff.next_delay() for _ in range(6)]
    assert all(d <= 8 for d in delays)
    assert delays[-1] >= 4
    backoff.reset()
    assert backoff.next_delay() <= 1


async def test_a_request_without_an_answer_is_said_in_words() -> None:
    """What the doctor and a failed start print: not "1 attempts (TimeoutError: )"."""
    script = Script(TimeoutError())
    policy = RetryPolicy(attempts=1, sleep=script.sleep)
    with pytest.raises(RequestFailed) as raised:
        await policy.call("log in", script.request)
    assert str(raised.value) == "log in: gave up after 1 attempt (TimeoutError: no answer in time)"
