"""Opening the database: engine, SQLite pragmas, migrations on start-up, and the repositories."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from store.adapter_state import AdapterStateRepository
from store.conversations import ConversationRepository
from store.members import MemberRepository
from store.migrate import upgrade_to_head
from store.privacy import PrivacyRepository

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


def create_engine(url: str, **engine_options: Any) -> AsyncEngine:
    """An async engine; for SQLite with WAL, foreign keys on and a busy timeout."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **engine_options)

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, **engine_options)


class Store:
    """The database of one bot: its engine and one repository per concept."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.members = MemberRepository(engine)
        self.conversations = ConversationRepository(engine)
        self.adapter_state = AdapterStateRepository(engine)
        self.privacy = PrivacyRepository(engine)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, **engine_options: Any) -> Store:
        engine = create_engine(url, **engine_options)
        if migrate:
            await upgrade_to_head(engine)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def table_names(self) -> list[str]:
        """Every table in the database (used by the data-rights tests that scan them all)."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())

    async def dump_table(self, name: str) -> list[dict[str, Any]]:
        """All rows of one table as dicts (for data-rights scans and debugging)."""
        async with self.engine.connect() as connection:
            table = await connection.run_sync(
                lambda sync: sa.Table(name, sa.MetaData(), autoload_with=sync)
            )
            rows = await connection.execute(sa.select(table))
            return [dict(row._mapping) for row in rows]
