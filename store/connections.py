"""Where repositories get connections: one writer, several readers.

SQLite takes one writer at a time. Writes go through a single connection, so they queue in
asyncio (cheap) instead of in SQLite's busy handler (sleeps of up to 100 ms); reads use a pool
of their own and run beside the writer (WAL lets readers and one writer work at once).
PostgreSQL needs none of this: reads and writes share one ordinary pool.

On SQLite the write-ahead log is copied into the database (a checkpoint) by a thread of its own
every 50 ms (store/sqlite_checkpoints.py): left to SQLite, the commit that fills the log does
it, on the writer, and every write waits behind that copy and its sync to disk (the long tail
of the answer path's latency, measured in ``bench.flows``). The writer still checkpoints by
itself if the log grows past :data:`WRITER_CHECKPOINT_PAGES`, should the thread fall behind.

:meth:`Connections.grouped` is the group commit for small writes many members make at once (a
new member, a saved profile): units queued while one transaction runs go together in the next.
A unit only runs statements, so it can run again: if one unit of a group fails, the group is
rolled back and each unit runs alone, and only the failing one raises. A unit is precompiled
statements (:mod:`store.precompiled`), and then a group of them is one hand-off to SQLite's
thread, its commit included; or, where a write needs more than statements, a function of the
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.batching import Batches, Coalescer, ReadJob, Request, Result, WriteJob
from store.lane_batches import LaneServer, lane_reads, lane_units, lane_writes
from store.precompiled import Step, run_groups, run_together
from store.sqlite_checkpoints import Checkpointer
from store.sqlite_lanes import SqliteLane

#: A write that can run in any transaction, and again after a rollback: statements only, given
#: as precompiled steps (their rows are its result) or as a function of the connection.
Unit = Sequence[Step] | Callable[[AsyncConnection], Awaitable[Any]]

log = logging.getLogger(__name__)

#: The writer's own checkpoint, as a safety net: at this many pages (4 KiB each) of log.
WRITER_CHECKPOINT_PAGES = 10_000
#: A truncating checkpoint finds another checkpoint running (the background thread's, every
#: 50 ms, for 1-3 ms under load) and is refused at once, without SQLite's busy handler, saying
#: -1 pages: it is tried again this often, this many seconds apart, the writers kept out
#: meanwhile. (A reader holding the log is waited for by the busy handler, once.)
TRUNCATE_ATTEMPTS = 20
TRUNCATE_PAUSE = 0.01
CHECKPOINT_REFUSED = -1


#: How often a write on its own is tried when it keeps losing deadlocks (PostgreSQL).
ALONE_ATTEMPTS = 3
#: PostgreSQL's codes for a transaction aborted for another's sake: a deadlock it lost, a
#: serialization failure. Running it again is the cure.
_LOST_TO_ANOTHER = frozenset({"40P01", "40001"})
#: Unique keys that another process can take a moment before this one (the second insert waits
#: for the first and fails): running again sees the first and acts on it. One running
#: conversation per member (store/migrations/versions/0013_one_active_conversation.py).
_TAKEN_BY_ANOTHER = frozenset({"uq_conversations_one_active"})
_UNIQUE_VIOLATION = "23505"
#: The pause before a write that lost runs again (seconds, times the attempt, jittered). The
#: winner gets the rows when the loser rolls back; run again at once, the loser can lock one of
#: them before the winner wakes and lose the same deadlock a second time (seen in CI).
LOST_PAUSE = 0.02


def lost_to_another_transaction(error: BaseException) -> bool:
    """Whether ``error`` aborted a transaction that can simply run again (see above)."""
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None)
    if state == _UNIQUE_VIOLATION:
        key = getattr(getattr(original, "__cause__", None), "constraint_name", None)
        return key in _TAKEN_BY_ANOTHER
    return state in _LOST_TO_ANOTHER


async def pause_after_losing(attempt: int = 1) -> None:
    """Let the transaction that won finish before the one that lost runs again (see above)."""
    await asyncio.sleep(random.uniform(0.5, 1.0) * LOST_PAUSE * attempt)


class Connections:
    def __init__(
        self,
        writer: AsyncEngine,
        reader: AsyncEngine | None = None,
        *,
        lanes: Callable[[asyncio.Lock], tuple[SqliteLane, SqliteLane]] | None = None,
    ) -> None:
        """``lanes``: on SQLite, makes the answer path's own reader and writer
        (store/sqlite_lanes.py), the writer to hold the lock every write holds."""
        self.writer = writer
        self.reader = reader or writer
        self._checkpoints: Checkpointer | None = None
        self._units: Coalescer[Unit, Any] = Coalescer(self._run_units, name="grouped-writes")
        # One write at a time, whichever connection it is on (SQLite takes one writer).
        self._writing: asyncio.Lock | None = None
        self._lanes: tuple[SqliteLane, SqliteLane] | None = None
        self._servers: tuple[LaneServer, LaneServer] | None = None
        self._lane_units: Batches[Sequence[Step], Any] | None = None
        if lanes is not None:
            self._writing = asyncio.Lock()
            self._lanes = lanes(self._writing)
            self._servers = (LaneServer(self._lanes[0]), LaneServer(self._lanes[1]))
            self._lane_units = lane_units(self._servers[1])

    async def read_together(self, steps: Sequence[Step]) -> list[list[dict[str, Any]]]:
        """Statements that only read (the group read), in one hand-off; the rows of each."""
        if self._lanes is not None:
            return await self._lanes[0].read(steps)
        async with self.read() as connection:
            return await run_together(connection, steps)

    async def transaction(self, units: Sequence[Unit]) -> list[Any]:
        """``units`` in one write transaction of their own, committed; each one's outcome. On
        SQLite, units of statements only are one hand-off on the write lane."""
        if self._lanes is not None and not any(callable(unit) for unit in units):
            return list(await self._lanes[1].write(units))  # type: ignore[arg-type]
        async with self.write() as connection:
            return await _run(connection, list(units))

    def reads_together(
        self, job: ReadJob[Request, Result], *, name: str
    ) -> Batches[Request, Result]:
        """``job``'s requests read in batches: on SQLite's read lane, batched by its thread
        (store/lane_batches.py); elsewhere a :class:`Coalescer` on the pool."""
        if self._servers is not None:
            return lane_reads(self._servers[0], job)

        async def read(batch: list[Request]) -> Sequence[Result]:
            return job.results(batch, await self.read_together(job.steps(batch)))

        return Coalescer(read, name=name)

    def writes_together(
        self,
        job: WriteJob[Request, Result],
        *,
        key: Callable[[Request], Hashable] | None = None,
        name: str,
    ) -> Batches[Request, Result]:
        """``job``'s requests written in batches, each batch one transaction, never two of one
        ``key`` in a batch (see store/batching.py): on SQLite's write lane, batched by its
        thread; elsewhere a :class:`Coalescer` on the pool, where a batch that lost a deadlock
        to another process runs again, each request alone."""
        if self._servers is not None:
            return lane_writes(self._servers[1], job, key)

        async def alone(request: Request) -> Result | BaseException:
            steps, context = job.steps([request])
            try:
                rows = await self.alone(steps)
            except sa.exc.IntegrityError as conflict:
                return job.conflict(request, conflict)
            [result] = job.results([request], rows, context)
            return result

        async def write(batch: list[Request]) -> Sequence[Result | BaseException]:
            steps, context = job.steps(batch)
            try:
                [rows] = await self.transaction([steps])
            except sa.exc.IntegrityError as conflict:
                if len(batch) == 1:
                    return [job.conflict(batch[0], conflict)]
                return [await alone(request) for request in batch]
            except sa.exc.DBAPIError as error:
                if not lost_to_another_transaction(error):
                    raise
                await pause_after_losing()
                return [await alone(request) for request in batch]
            return job.results(batch, rows, context)

        return Coalescer(write, key=key, name=name)

    async def grouped(self, unit: Unit) -> Any:
        """Run ``unit`` in a write transaction shared with the units queued beside it; its
        result once that transaction has committed (see the module). On SQLite, units of
        statements are batched by the write lane's thread (store/lane_batches.py)."""
        if self._lane_units is not None and not callable(unit):
            return await self._lane_units(unit)
        return await self._units(unit)

    async def _run_units(self, units: list[Unit]) -> list[Any]:
        lost = False
        try:
            return await self.transaction(units)
        except Exception as error:
            lost = lost_to_another_transaction(error)
            if len(units) == 1 and not lost:
                raise
        if lost:
            await pause_after_losing()
        outcomes: list[Any] = []
        for unit in units:  # alone, so that only the failing one fails
            try:
                outcomes.append(await self.alone(unit))
            except Exception as error:  # that unit's caller gets it
                outcomes.append(error)
        return outcomes

    async def alone(self, unit: Unit) -> Any:
        """Run ``unit`` in a write transaction of its own (again when it loses a deadlock to
        another process's, on PostgreSQL); its result once committed."""
        for attempt in range(1, ALONE_ATTEMPTS + 1):
            try:
                [outcome] = await self.transaction([unit])
                return outcome
            except Exception as error:
                if attempt == ALONE_ATTEMPTS or not lost_to_another_transaction(error):
                    raise
            await pause_after_losing(attempt + 1)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def start_checkpoints(self) -> None:
        """Checkpoint in the background from now on (see the module), on the file the lanes
        use: SQLite with a plain file (an in-memory database or a ``file:`` URI has no lanes
        and is left to SQLite)."""
        if self._lanes is not None and self._checkpoints is None:
            self._checkpoints = Checkpointer(self._lanes[1].path)
            self._checkpoints.start()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        async with self._one_writer(), self.writer.begin() as connection:
            yield connection

    def _one_writer(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._writing or contextlib.nullcontext()

    async def empty_write_ahead_log(self) -> bool:
        """On SQLite, copy the write-ahead log into the database and truncate it to nothing, so
        that the copies of deleted rows it still holds are gone (the deletes themselves zero
        the rows in the database file: ``secure_delete``). Nothing to do on PostgreSQL.
        Returns whether the log is empty now (a long read elsewhere can hold it back)."""
        if self.writer.dialect.name != "sqlite":
            return True
        async with self._one_writer(), self.writer.connect() as connection:
            for _attempt in range(TRUNCATE_ATTEMPTS):
                busy, pages, _done = (
                    await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                ).one()
                # Another checkpoint held the lock (-1 pages: refused at once); a reader that
                # held the log made SQLite's busy handler wait already, and is not waited again.
                if not busy or pages != CHECKPOINT_REFUSED:
                    break
                await asyncio.sleep(TRUNCATE_PAUSE)
        if busy and pages == CHECKPOINT_REFUSED:
            log.warning(
                "store: another checkpoint kept running; deleted rows stay in the log a while"
            )
        elif busy:
            log.warning("store: a reader held the write-ahead log; deleted rows stay in it a while")
        return not busy

    async def dispose(self) -> None:
        await self._units.drain()
        if self._lane_units is not None:
            await self._lane_units.drain()
        for lane in self._lanes or ():
            await lane.close()
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.stop)
            self._checkpoints = None
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


async def _run(connection: AsyncConnection, units: list[Unit]) -> list[Any]:
    """Each unit's outcome, in order: the functions first, one after the other, then every
    unit of statements in one hand-off."""
    outcomes: dict[int, Any] = {}
    for index, unit in enumerate(units):
        if callable(unit):
            outcomes[index] = await unit(connection)
    statements = [(index, unit) for index, unit in enumerate(units) if not callable(unit)]
    if statements:
        rows = await run_groups(connection, [unit for _, unit in statements])
        outcomes.update(zip((index for index, _ in statements), rows, strict=True))
    return [outcomes[index] for index in range(len(units))]
