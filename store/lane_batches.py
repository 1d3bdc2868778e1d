"""The group read and the group commit on SQLite, batched by the lane's own thread.

A :class:`~store.batching.Coalescer` starts the next batch when the event loop comes round to
its task: under load every batch waits for a turn of the loop after the last one's result and
another before its own statements reach the thread, and a turn of a busy loop runs every other
answer's ready work first. Measured in ``bench.flows`` at 500 answers/s, the time in the group
commit was several times the thread's time for it (docs/answer-path.md). Here the lane's
thread takes the next batch itself as soon as the last one is done; the event loop only queues
a request (no turn of its own when the lane is idle) and settles each batch's callers, all of
them in one callback (the last batch's together with the thread's stop).

Each lane has one :class:`LaneServer`, and its queues are served in rounds: a batch of
each queue with requests (the write lane's: the group commit and the grouped writes of
:meth:`store.connections.Connections.grouped`), so that a join's new member and new
conversation never wait for the loop to pass the writer's lock from one to the other. The
write lane holds that lock from the first round to the last, at most :data:`ROUNDS` rounds in
a row, then lets whoever waits for it have it: one writer at a time for SQLite, as before.
What the thread runs is the job's (store/batching.py's :class:`~store.batching.ReadJob` and
:class:`~store.batching.WriteJob`): the same statements and results as on PostgreSQL's pool.
A batch whose commit broke a unique key is rolled back and each of its requests runs alone,
there on the thread, so that only the one that broke it gets the conflict.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic

import sqlalchemy as sa

from store.batching import (
    MAX_BATCH,
    ReadJob,
    Request,
    Result,
    StepRows,
    Waiting,
    WriteJob,
    settle,
    take_batch,
)
from store.precompiled import Step, as_sqlalchemy_error, as_sqlalchemy_errors, plan
from store.sqlite_lanes import SqliteLane, run_on

#: The most rounds (a batch of each queue with requests) a write lane's thread runs before it
#: lets others have the writer's lock.
ROUNDS = 8

#: What the lane's thread does with a batch: each request's result or the exception it raises.
RunBatch = Callable[[sqlite3.Connection, list[Any]], Sequence[Any]]


class LaneBatches(Generic[Request, Result]):
    """One queue of requests that run in batches on a lane's thread, each batch with ``run``
    (made by :meth:`LaneServer.queue`)."""

    def __init__(
        self,
        server: LaneServer,
        run: RunBatch,
        key: Callable[[Request], Hashable] | None,
        max_batch: int,
    ) -> None:
        self._server = server
        self.run = run
        self._key = key
        self._max_batch = max_batch
        #: Guarded by the server's mutex: it is taken on the lane's thread.
        self.waiting: Waiting[Request, Result] = []
        #: Sizes of the batches run so far (count and total), for the benchmark's figures.
        self.batches = 0
        self.requests = 0

    async def __call__(self, request: Request) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._server.submit(self, (request, future))
        return await future

    async def drain(self) -> None:
        await self._server.drain()

    def take(self) -> Waiting[Request, Result]:
        """The next batch (under the server's mutex)."""
        batch, self.waiting = take_batch(self.waiting, self._key, self._max_batch)
        if batch:
            self.batches += 1
            self.requests += len(batch)
        return batch


#: A batch's callers and their outcomes, to be settled on the loop.
Settled = tuple[list[tuple[Any, Any]], Sequence[Any]]


def settle_all(done: list[Settled]) -> None:
    """Each batch's callers settled, as if each batch had its own callback: one that fails
    (its error raised at the end) leaves no other unsettled."""
    failures = []
    for batch, outcomes in done:
        try:
            settle(batch, outcomes)
        except Exception as error:
            failures.append(error)
    if failures:
        raise failures[0]


class LaneServer:
    """A lane's thread serving its queues: once started, it runs a batch of every queue with
    requests, round after round, until none is left; then the next request starts it again."""

    def __init__(self, lane: SqliteLane) -> None:
        self._lane = lane
        self._queues: list[LaneBatches[Any, Any]] = []
        self._mutex = threading.Lock()  # the queues' requests and ``_running``, on both threads
        # The thread is serving (or about to): a new request needs no start.
        self._running = False
        self._starting: set[asyncio.Task[None]] = set()
        self._idle: list[asyncio.Future[None]] = []

    @property
    def lane(self) -> SqliteLane:
        return self._lane

    def queue(
        self,
        run: RunBatch,
        *,
        key: Callable[[Request], Hashable] | None = None,
        max_batch: int = MAX_BATCH,
    ) -> LaneBatches[Request, Result]:
        queue: LaneBatches[Request, Result] = LaneBatches(self, run, key, max_batch)
        self._queues.append(queue)
        return queue

    async def submit(self, queue: LaneBatches[Any, Any], item: tuple[Any, Any]) -> None:
        """Queue ``item``; start the thread serving if it is not."""
        with self._mutex:
            queue.waiting.append(item)
            start, self._running = not self._running, True
        if start:
            loop = asyncio.get_running_loop()
            try:
                await self._start(loop)
            except asyncio.CancelledError:  # the requests behind this one still need it
                self._start_later(loop)
                raise

    async def drain(self) -> None:
        """Wait until every request given so far has been run (before the lane closes)."""
        loop = asyncio.get_running_loop()
        while True:
            with self._mutex:
                if not self._running and not any(queue.waiting for queue in self._queues):
                    return
            idle: asyncio.Future[None] = loop.create_future()
            self._idle.append(idle)
            await idle

    async def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hand the serving to the lane's thread (a write lane's once it has the lock; with
        the lane open and the lock free, at once, without a turn of the loop)."""
        lock = self._lane.lock
        if lock is not None:  # first: the lane may close while this waits for it
            await lock.acquire()
        try:
            with as_sqlalchemy_errors():
                connection = await self._lane.opened()
                database = connection._conn
            connection._tx.put_nowait((None, lambda: self._serve(loop, database)))
        except BaseException as error:  # the lane cannot open (or is closed): every waiter hears
            if lock is not None:
                lock.release()
            if not isinstance(error, Exception):  # cancelled: the caller hands the start on
                raise
            self._fail_waiting(error)

    def _start_later(self, loop: asyncio.AbstractEventLoop) -> None:
        task = loop.create_task(self._start(loop), name="store-lane-batches")
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    def _serve(self, loop: asyncio.AbstractEventLoop, database: sqlite3.Connection) -> None:
        """On the lane's thread: rounds of batches. A batch's callers are settled on the loop
        before the thread runs anything else; the last batch's when the thread has looked for
        more, together with the stop if there is none: one wake-up of the loop fewer each time
        the thread stops."""
        rounds = ROUNDS if self._lane.lock is not None else None
        done: list[Settled] = []  # run (or failed), not yet handed to the loop
        try:
            while rounds is None or rounds > 0:
                with self._mutex:  # whether it stops is the loop's to say (``_served``)
                    work, failed = self._take()
                done += [(waiting, [error] * len(waiting)) for waiting, error in failed]
                if not work:
                    return
                for queue, batch in work:
                    if done:  # before this batch runs: nobody waits behind another's batch
                        loop.call_soon_threadsafe(settle_all, done)
                        done = []
                    try:
                        outcomes: Sequence[Any] = queue.run(database, [item[0] for item in batch])
                    except sqlite3.Error as error:
                        outcomes = [as_sqlalchemy_error(error)] * len(batch)
                    except Exception as error:
                        outcomes = [error] * len(batch)
                    done.append((batch, outcomes))
                if rounds is not None:
                    rounds -= 1
        finally:
            loop.call_soon_threadsafe(self._served, loop, done)

    def _take(
        self,
    ) -> tuple[list[tuple[LaneBatches[Any, Any], Waiting[Any, Any]]], list[tuple[Any, Exception]]]:
        """A batch of each queue with requests (under the mutex); a queue whose batch cannot
        be taken (its key failed) gives up all its requests, to be failed with the error."""
        work: list[tuple[LaneBatches[Any, Any], Waiting[Any, Any]]] = []
        failed: list[tuple[Any, Exception]] = []
        for queue in self._queues:
            try:
                batch = queue.take()
            except Exception as error:
                failed.append((queue.waiting, error))
                queue.waiting = []
                continue
            if batch:
                work.append((queue, batch))
        return work, failed

    def _served(self, loop: asyncio.AbstractEventLoop, done: list[Settled]) -> None:
        """On the loop, after the thread stopped: the last round's callers are settled, the
        lock is free again, and the server runs on (started again, behind whoever waits for
        the lock) exactly when requests wait. Only here does ``_running`` fall: a request
        queued while the thread was stopping finds it still set and waits for this start
        instead of making a second one."""
        try:
            settle_all(done)
        finally:
            if self._lane.lock is not None:
                self._lane.lock.release()
            with self._mutex:
                self._running = any(queue.waiting for queue in self._queues)
            if self._running:
                self._start_later(loop)
            else:
                self._wake_idle()

    def _fail_waiting(self, error: BaseException) -> None:
        with self._mutex:
            failed = [item for queue in self._queues for item in queue.waiting]
            for queue in self._queues:
                queue.waiting = []
            self._running = False
        settle(failed, [error] * len(failed))
        self._wake_idle()

    def _wake_idle(self) -> None:
        idle, self._idle = self._idle, []
        for waiter in idle:
            if not waiter.done():
                waiter.set_result(None)


def lane_reads(server: LaneServer, job: ReadJob[Request, Result]) -> LaneBatches[Request, Result]:
    """``job``'s group read on the read lane."""
    lane = server.lane

    def run(database: sqlite3.Connection, batch: list[Request]) -> Sequence[Result]:
        [rows] = run_on(database, plan(lane.dialect, [job.steps(batch)]), commit=False)
        return job.results(batch, rows)

    return server.queue(run)


def lane_writes(
    server: LaneServer,
    job: WriteJob[Request, Result],
    key: Callable[[Request], Hashable] | None = None,
) -> LaneBatches[Request, Result]:
    """``job``'s group commit on the write lane (see the module for a broken unique key)."""
    lane = server.lane

    def transaction(database: sqlite3.Connection, batch: list[Request]) -> Sequence[Result]:
        steps, context = job.steps(batch)
        [rows] = run_on(database, plan(lane.dialect, [steps]), commit=True)
        return job.results(batch, rows, context)

    def run(database: sqlite3.Connection, batch: list[Request]) -> Sequence[Any]:
        try:
            return transaction(database, batch)
        except sqlite3.IntegrityError as error:
            if len(batch) == 1:
                return [job.conflict(batch[0], _integrity(error))]
            # else each runs alone, below
        outcomes: list[Any] = []
        for request in batch:  # alone, so that only the one that broke the key fails
            try:
                outcomes.extend(transaction(database, [request]))
            except sqlite3.IntegrityError as error:
                outcomes.append(job.conflict(request, _integrity(error)))
            except sqlite3.Error as error:
                outcomes.append(as_sqlalchemy_error(error))
        return outcomes

    return server.queue(run, key=key)


def lane_units(server: LaneServer) -> LaneBatches[Sequence[Step], StepRows]:
    """:meth:`store.connections.Connections.grouped` on the write lane: units of statements,
    each batch one transaction; if it fails, each unit runs alone, and only a failing one gets
    its error."""
    lane = server.lane

    def run(database: sqlite3.Connection, units: list[Sequence[Step]]) -> Sequence[Any]:
        try:
            return run_on(database, plan(lane.dialect, units), commit=True)
        except sqlite3.Error:
            if len(units) == 1:
                raise
        outcomes: list[Any] = []
        for unit in units:
            try:
                [rows] = run_on(database, plan(lane.dialect, [unit]), commit=True)
                outcomes.append(rows)
            except sqlite3.Error as error:
                outcomes.append(as_sqlalchemy_error(error))
        return outcomes

    return server.queue(run)


def _integrity(error: sqlite3.IntegrityError) -> sa.exc.IntegrityError:
    converted = as_sqlalchemy_error(error)
    assert isinstance(converted, sa.exc.IntegrityError)
    return converted
