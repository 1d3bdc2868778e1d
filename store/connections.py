"""Where repositories get connections: one writer, several readers.

SQLite takes one writer at a time. Writes go through a single connection, so they queue in
asyncio (cheap) instead of in SQLite's busy handler (sleeps of up to 100 ms); reads use a pool
of their own and run beside the writer (WAL lets readers and one writer work at once).
PostgreSQL needs none of this: reads and writes share one ordinary pool.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


class Connections:
    def __init__(self, writer: AsyncEngine, reader: AsyncEngine | None = None) -> None:
        self.writer = writer
        self.reader = reader or writer

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        async with self.writer.begin() as connection:
            yield connection

    async def empty_write_ahead_log(self) -> bool:
        """On SQLite, copy the write-ahead log into the database and truncate it to nothing, so
        that the copies of deleted rows it still holds are gone (the deletes themselves zero
        the rows in the database file: ``secure_delete``). Nothing to do on PostgreSQL.
        Returns whether the log is empty now (a long read elsewhere can hold it back)."""
        if self.writer.dialect.name != "sqlite":
            return True
        async with self.writer.connect() as connection:
            busy, _pages, _done = (
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            ).one()
        if busy:
            log.warning("store: a reader held the write-ahead log; deleted rows stay in it a while")
        return not busy

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
