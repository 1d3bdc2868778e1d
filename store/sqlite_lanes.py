"""The answer path's own SQLite connections: one that reads, one that writes, outside
SQLAlchemy's pool.

Every answer makes a group read and a group commit (store/batching.py), and at a steady load
of a few hundred answers a second the batches are small, so each answer pays for whole
database round trips. Through SQLAlchemy's async engine a round trip is a pool checkout and
check-in, a ``Connection`` and its ``AsyncConnection``, a greenlet for each awaited call, and a
hand-off to the driver's thread for the statements and another for the commit: py-spy on
``bench.flows`` at 250 answers/s found a fifth of the event loop's time in that machinery, and
each hand-off waits for the busy event loop. A lane is one aiosqlite connection of its own on
which :mod:`store.precompiled` statements run directly: a read or a whole write transaction,
its commit (or rollback) included, is one hand-off to its thread.

A lane runs in sqlite3's autocommit mode and opens its transactions itself: the write lane
with ``BEGIN IMMEDIATE`` (whatever the first statement is, a ``WITH`` or a ``SELECT`` too),
the read lane never (it is ``query_only``: a write given to it fails instead of holding
SQLite's write lock). A write whose caller is cancelled still finishes on the thread, and the
writer's lock is held until it has: the next write must not find SQLite's lock taken.

The write lane shares the writer's lock with every other write (:class:`store.connections.
Connections`), so SQLite still sees one writer at a time: writes queue in asyncio, never in
SQLite's busy handler. Everything else (all other queries, migrations, PostgreSQL) goes through
SQLAlchemy as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import aiosqlite
import sqlalchemy as sa

from store.precompiled import Execute, GroupRows, Step, as_sqlalchemy_errors, on_sqlite, plan

#: Sets a new connection up as the pool's are (WAL, foreign keys, busy timeout …).
Setup = Callable[[sqlite3.Connection], None]


class SqliteLane:
    """One aiosqlite connection that runs groups of precompiled statements, each call in one
    hand-off; opened on first use. A write lane is given the writer's ``lock`` and holds it
    around every call; a lane without one only reads."""

    def __init__(
        self, path: str, dialect: sa.Dialect, setup: Setup, lock: asyncio.Lock | None = None
    ) -> None:
        self._path = path
        self._dialect = dialect
        self._setup = setup
        self._lock = lock
        self._connection: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def read(self, steps: Sequence[Step]) -> list[list[dict[str, object]]]:
        """Statements that only read, outside any transaction; the rows of each."""
        [rows] = await self._run([steps], commit=False)
        return rows

    async def write(self, groups: Sequence[Sequence[Step]]) -> GroupRows:
        """Groups of statements in one transaction, committed in the same hand-off (rolled back
        if one fails, which then raises); the rows of each group's steps."""
        return await self._run(groups, commit=True)

    async def _run(self, groups: Sequence[Sequence[Step]], *, commit: bool) -> GroupRows:
        run = plan(self._dialect, groups)
        guard: AbstractAsyncContextManager[object] = self._lock or nullcontext()
        async with guard:
            with as_sqlalchemy_errors():
                connection = await self.opened()
                database = connection._conn
                return await _hand_off(connection, lambda: run_on(database, run, commit=commit))

    @property
    def dialect(self) -> sa.Dialect:
        return self._dialect

    @property
    def path(self) -> str:
        """The database file, as the pools open it."""
        return self._path

    @property
    def lock(self) -> asyncio.Lock | None:
        """The writer's lock (a write lane), or None (a read lane)."""
        return self._lock

    async def opened(self) -> aiosqlite.Connection:
        """The lane's connection, opened now if it is not yet."""
        if self._closed:
            raise sa.exc.InvalidRequestError("the store's SQLite lanes are closed")
        if self._connection is None:
            async with self._opening:
                if self._connection is None:
                    self._connection = await _connect(self._path, self._setup, self._lock)
        return self._connection

    async def close(self) -> None:
        self._closed = True
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()


def run_on(
    database: sqlite3.Connection, run: Callable[[Execute], GroupRows], *, commit: bool
) -> GroupRows:
    """``run``'s statements on ``database`` (on its thread): with ``commit``, in a transaction
    of their own, committed, or rolled back if one fails (which then raises)."""
    if commit:
        database.execute("BEGIN IMMEDIATE")
    try:
        rows = run(on_sqlite(database))
        if commit:
            database.execute("COMMIT")
        return rows
    finally:
        if database.in_transaction:  # a statement failed, or COMMIT did
            database.execute("ROLLBACK")


async def _hand_off(connection: aiosqlite.Connection, work: Callable[[], GroupRows]) -> GroupRows:
    """``work`` run on the connection's thread; its result. Put on aiosqlite's queue directly
    (its ``_execute`` is a coroutine, and awaiting it through a task and a shield, as a
    cancelled write needs, cost three turns of the event loop per call: six of an answer's
    fourteen, measured with answers one at a time). If the caller is cancelled, the thread
    still runs ``work``; this returns only once it has (a marker queued behind it has run),
    so that a write lane's lock is not free while SQLite's is still taken."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[GroupRows] = loop.create_future()
    connection._tx.put_nowait((result, work))
    try:
        return await result
    except asyncio.CancelledError:
        behind: asyncio.Future[None] = loop.create_future()
        connection._tx.put_nowait((behind, _nothing))
        while not behind.done():  # cancelled again meanwhile: still wait
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(behind)
        raise


def _nothing() -> None:
    return None


async def _connect(path: str, setup: Setup, lock: asyncio.Lock | None) -> aiosqlite.Connection:
    """The lane's connection: autocommit (the lane begins its transactions), set up as the
    pool's are, and only reading if it is not the writer's. Its thread is a daemon, as
    SQLAlchemy makes its own aiosqlite threads: a process that ends without closing the store
    must not wait for it forever."""
    connecting = aiosqlite.connect(path, isolation_level=None)
    connecting._thread.daemon = True
    connection = await connecting

    def prepare(database: Any) -> None:
        setup(database)
        if lock is None:
            database.execute("PRAGMA query_only=ON")

    await connection._execute(prepare, connection._conn)
    return connection
