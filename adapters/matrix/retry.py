"""Bounded retries for requests to the homeserver: rate limits and connection errors.

matrix-nio retries forever by default (it sleeps on every 429 and on every dropped
connection). The adapter turns that off (``max_limit_exceeded=0, max_timeouts=0``) and retries
here instead, with limits an operator can read in the config:

* a 429 / ``M_LIMIT_EXCEEDED`` is no failure: the request waits what the server asks
  (``retry_after_ms``) and is sent again, however often, as long as the waits of one request add
  up to no more than ``rate_limit_patience`` (an hour by default). A match round opening
  hundreds of rooms meets Synapse's limits (by default one room a minute after a burst of ten,
  ``rc_room_creation``; invites and messages have their own) and must finish, not fail;
* a connection error, a timeout or a 5xx waits an exponentially growing, jittered delay;
* after ``attempts`` such failures the last error is raised as :class:`RequestFailed`, so a
  send fails loudly (and the app logs it) instead of hanging a conversation.

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
    """A request kept failing after every allowed retry, or failed for good; ``unreachable``
    when the homeserver never answered at all (no connection), rather than refusing."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


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
    #: Seconds one request may wait in all on rate limits before it fails.
    rate_limit_patience: float = 3600.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: Called before each request is sent again (``tandem_sends_retried_total``, bot.metrics).
    on_retry: Callable[[], None] = lambda: None

    async def call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run ``request`` until it returns a non-error response; raise :class:`RequestFailed`.

        An error response that retrying cannot fix (``M_FORBIDDEN``, a bad request) is raised
        at once.
        """
        backoff = Backoff(self.base_delay, self.max_delay)
        failures = 0
        waited = 0.0
        last: str = "no attempt"
        while True:
            unreachable = False
            try:
                response = await request()
            except TRANSIENT_ERRORS as error:
                # A timeout says nothing of itself (str(TimeoutError()) is empty).
                said = str(error) or (
                    "no answer in time" if isinstance(error, TimeoutError) else ""
                )
                last = f"{type(error).__name__}: {said}" if said else type(error).__name__
                unreachable = True
            else:
                if is_rate_limited(response):
                    asked = (getattr(response, "retry_after_ms", None) or 1000) / 1000
                    if waited + asked > self.rate_limit_patience:
                        raise RequestFailed(
                            f"{what}: still rate-limited after waiting {waited:.0f} s ({response})"
                        )
                    log.info("%s is rate-limited; waiting %.1f s as the server asks", what, asked)
                    waited += asked
                    self.on_retry()
                    await self.sleep(asked)
                    continue
                if not is_server_error(response):
                    if isinstance(response, ErrorResponse):
                        raise RequestFailed(f"{what}: {response}")
                    return response
                last = str(response)
            failures += 1
            if failures >= self.attempts:
                raise RequestFailed(
                    f"{what}: gave up after {self.attempts} "
                    f"{'attempt' if self.attempts == 1 else 'attempts'} ({last})",
                    unreachable=unreachable,
                )
            delay = backoff.next_delay()
            log.warning(
                "%s failed (attempt %d of %d: %s); retrying in %.1f s",
                what,
                failures,
                self.attempts,
                last,
                delay,
            )
            self.on_retry()
            await self.sleep(delay)
