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

The write lane shares the writer's lock with every other write (:class:`store.connections.
Connections`), so SQLite still sees one writer at a time: writes queue in asyncio, never in
SQLite's busy handler. Everything else (all other queries, migrations, PostgreSQL) goes through
SQLAlchemy as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext

import aiosqlite
import sqlalchemy as sa

from store.precompiled import GroupRows, Step, as_sqlalchemy_errors, on_sqlite, plan

#: Sets a new connection up as the pool's are (WAL, foreign keys, busy timeout …).
Setup = Callable[[sqlite3.Connection], None]


class SqliteLane:
    """One aiosqlite connection that runs groups of precompiled statements, each call in one
    hand-off; opened on first use, with ``lock`` held around every call if given."""

    def __init__(
        self, path: str, dialect: sa.Dialect, setup: Setup, lock: asyncio.Lock | None = None
    ) -> None:
        self._path = path
        self._dialect = dialect
        self._setup = setup
        self._lock = lock
        self._connection: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()

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
            connection = await self._open()
            database = connection._conn

            def on_thread() -> GroupRows:
                try:
                    rows = run(on_sqlite(database))
                    if commit:
                        database.commit()
                    return rows
                except BaseException:
                    if database.in_transaction:
                        database.rollback()
                    raise

            with as_sqlalchemy_errors():
                return await connection._execute(on_thread)  # type: ignore[no-any-return]

    async def _open(self) -> aiosqlite.Connection:
        if self._connection is None:
            async with self._opening:
                if self._connection is None:
                    connection = await aiosqlite.connect(self._path)
                    await connection._execute(lambda: self._setup(connection._conn))
                    self._connection = connection
        return self._connection

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()
