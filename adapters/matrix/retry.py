"""Bounded retries for requests to the homeserver: rate limits and connection errors.

matrix-nio retries forever by default (it sleeps on every 429 and on every dropped
connection). The adapter turns that off (``max_limit_exceeded=0, max_timeouts=0``) and retries
here instead, with limits an operator can read in the config:

* a 429 / ``M_LIMIT_EXCEEDED`` waits what the server asks (``retry_after_ms``), but never more
  than ``max_delay``;
* a connection error, a timeout or a 5xx waits an exponentially growing, jittered delay;
* after ``attempts`` tries the last error is raised as :class:`RequestFailed`, so a send fails
  loudly (and the app logs it) instead of hanging a conversation.

:class:`Backoff` is the same delay schedule for the sync loop, which never gives up.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from nio import ErrorResponse

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Exceptions that mean "the homeserver could not be reached this time".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
    OSError,
)


class RequestFailed(Exception):
    """A request kept failing after every allowed retry, or failed for good."""


@dataclass
class Backoff:
    """Exponential delays with full jitter: ``base``, ``2*base`` … capped at ``cap`` seconds."""

    base: float = 0.5
    cap: float = 30.0
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        self.failures += 1
        ceiling = min(self.cap, self.base * (2 ** (self.failures - 1)))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


def is_rate_limited(response: Any) -> bool:
    return isinstance(response, ErrorResponse) and response.status_code in (
        "M_LIMIT_EXCEEDED",
        429,
    )


def is_server_error(response: Any) -> bool:
    transport = getattr(response, "transport_response", None)
    status = getattr(transport, "status", None)
    return isinstance(response, ErrorResponse) and isinstance(status, int) and status >= 500


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run ``request`` until it returns a non-error response; raise :class:`RequestFailed`.

        An error response that retrying cannot fix (``M_FORBIDDEN``, a bad request) is raised
        at once.
        """
        backoff = Backoff(self.base_delay, self.max_delay)
        last: str = "no attempt"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await request()
            except TRANSIENT_ERRORS as error:
                last = f"{type(error).__name__}: {error}"
                delay = backoff.next_delay()
            else:
                if is_rate_limited(response):
                    last = str(response)
                    asked = (getattr(response, "retry_after_ms", None) or 1000) / 1000
                    delay = min(asked, self.max_delay)
                elif is_server_error(response):
                    last = str(response)
                    delay = backoff.next_delay()
                elif isinstance(response, ErrorResponse):
                    raise RequestFailed(f"{what}: {response}")
                else:
                    return response
            if attempt < self.attempts:
                log.warning(
                    "%s failed (attempt %d of %d: %s); retrying in %.1f s",
                    what,
                    attempt,
                    self.attempts,
                    last,
                    delay,
                )
                await self.sleep(delay)
        raise RequestFailed(f"{what}: gave up after {self.attempts} attempts ({last})")
