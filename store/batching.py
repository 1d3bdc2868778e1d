"""Coalescing: many callers' requests, run together as one batch against the database.

The answer path reads a member's state and writes a conversation's step for every answer. One
database round trip per request costs more than the work itself (a transaction's begin and
commit, a hand-off to the driver's thread and back for every statement), so requests that
arrive while a batch is running wait and go together in the next one: a group commit for the
writes, a group read for the reads. With no load a request runs at once, alone; under load the
batch grows with it and the cost per request falls.

A caller awaits its own result (or exception); a write is acknowledged only once the
transaction holding it has committed. Requests with the same ``key`` (the same conversation)
never share a batch: the second waits for the next, so the order of a member's changes is the
order they were made in, and a batch never holds two changes of one row.

The :class:`Coalescer` here batches on the event loop (PostgreSQL's pool). On SQLite the
lanes' threads batch by themselves (store/lane_batches.py); both run the same jobs
(:class:`ReadJob`, :class:`WriteJob`) and take their batches with :func:`take_batch`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    import sqlalchemy as sa

    from store.precompiled import Step

Request = TypeVar("Request")
Result = TypeVar("Result")
Waiting = list[tuple[Request, "asyncio.Future[Result]"]]
#: The rows of each step of a batch's statements.
StepRows = list[list[dict[str, Any]]]

#: The most requests one batch takes: store/answer_batches.py compiles one statement per batch
#: size up to this (larger ones cost memory and gained nothing measurable in bench.flows).
MAX_BATCH = 64


@dataclass(frozen=True)
class ReadJob(Generic[Request, Result]):
    """A group read as data, so that it can run where the connection is (on SQLite, on its
    lane's thread: store/lane_batches.py): the statements that answer a batch of requests, and
    each request's result of their rows."""

    steps: Callable[[list[Request]], Sequence[Step]]
    results: Callable[[list[Request], StepRows], Sequence[Result]]


@dataclass(frozen=True)
class WriteJob(Generic[Request, Result]):
    """A group commit as data: the statements that make a batch's changes in one transaction
    (and something the results need to know of them), each request's result of their rows, and
    what a request whose change broke a unique key gets (then each runs alone, so that only
    that one gets it)."""

    steps: Callable[[list[Request]], tuple[Sequence[Step], Any]]
    results: Callable[[list[Request], StepRows, Any], Sequence[Result]]
    conflict: Callable[[Request, sa.exc.IntegrityError], BaseException]


class Batches(Protocol[Request, Result]):
    """Requests run together (a :class:`Coalescer`, or store/lane_batches.py's)."""

    batches: int
    requests: int

    async def __call__(self, request: Request) -> Result: ...

    async def drain(self) -> None: ...


class Coalescer(Generic[Request, Result]):
    """Runs ``run_batch`` on the requests queued since the last batch started."""

    def __init__(
        self,
        # Results in the order of the requests: a result, or the exception that request
        # raises (one request's conflict is not its neighbours').
        run_batch: Callable[[list[Request]], Awaitable[Sequence[Result | BaseException]]],
        *,
        key: Callable[[Request], Hashable] | None = None,
        max_batch: int = MAX_BATCH,
        name: str = "batch",
    ) -> None:
        self._run_batch = run_batch
        self._key = key
        self._max_batch = max_batch
        self._name = name
        self._waiting: list[tuple[Request, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None
        #: Sizes of the batches run so far (count and total), for the benchmark's figures.
        self.batches = 0
        self.requests = 0

    async def __call__(self, request: Request) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name=f"store-{self._name}")
        return await future

    async def _run(self) -> None:
        while self._waiting:
            batch = self._take()
            self.batches += 1
            self.requests += len(batch)
            try:
                outcomes = await self._run_batch([request for request, _ in batch])
            except BaseException as error:
                outcomes = [error] * len(batch)
                if not isinstance(error, Exception):  # cancelled: tell the callers, then stop
                    settle(batch, outcomes)
                    raise
            settle(batch, outcomes)

    def _take(self) -> list[tuple[Request, asyncio.Future[Result]]]:
        taken, self._waiting = take_batch(self._waiting, self._key, self._max_batch)
        return taken

    async def drain(self) -> None:
        """Wait until every queued request has been run (before the connections close)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)


def take_batch(
    waiting: Waiting[Request, Result],
    key: Callable[[Request], Hashable] | None,
    max_batch: int,
) -> tuple[Waiting[Request, Result], Waiting[Request, Result]]:
    """The next batch of ``waiting`` and what is left: in order, at most one request per key,
    at most ``max_batch``."""
    taken: Waiting[Request, Result] = []
    left: Waiting[Request, Result] = []
    keys: set[Hashable] = set()
    for item in waiting:
        found = None if key is None else key(item[0])
        if len(taken) >= max_batch or (found is not None and found in keys):
            left.append(item)
            continue
        if found is not None:
            keys.add(found)
        taken.append(item)
    return taken, left


def settle(
    batch: list[tuple[Request, asyncio.Future[Result]]],
    outcomes: Sequence[Result | BaseException],
) -> None:
    for (_request, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():  # the caller was cancelled meanwhile
            continue
        if isinstance(outcome, asyncio.CancelledError):
            future.cancel()
        elif isinstance(outcome, StopIteration):  # a future refuses it, as a task's result
            future.set_exception(RuntimeError(f"a batch raised StopIteration: {outcome!r}"))
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
