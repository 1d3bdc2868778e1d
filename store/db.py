"""Opening the database: engine, SQLite pragmas, migrations on start-up, and the repositories."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from store.adapter_state import AdapterStateRepository
from store.agreements import AgreementRepository
from store.answer_batches import compile_every_size
from store.badges import BadgeRepository
from store.blocks import BlockRepository, KeySource
from store.connections import WRITER_CHECKPOINT_PAGES, Connections
from store.conversations import ConversationRepository
from store.due_items import DueItemRepository
from store.gauges import GaugeRepository
from store.meetings import MeetingRepository
from store.members import MemberRepository
from store.migrate import DatabaseTooNew, current_revision, upgrade_to_head
from store.milestones import MilestoneRepository
from store.notes import NoteRepository
from store.privacy import PrivacyRepository
from store.program_ends import ProgramEndRepository
from store.quiet import QuietRepository
from store.reflections import ReflectionRepository
from store.reports import ReportRepository
from store.rounds import MatchRoundRepository
from store.sqlite_lanes import SqliteLane
from store.stats import StatsRepository
from store.tandems import TandemRepository
from store.unavailable import DatabaseUnavailable, explain

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


SQLITE_READERS = 4


def open_connections(url: str, **engine_options: Any) -> Connections:
    """Engines for ``url``: for SQLite one writer and a few readers (WAL, foreign keys on,
    a busy timeout); for PostgreSQL one pool for both."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return Connections(
            create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **engine_options)
        )
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_sqlite_file(Path(database).expanduser())
    # Every write commits or rolls back itself and pysqlite opens no transaction for a read,
    # so the pool's rollback on check-in (a thread hop per use) is not needed.
    common = {"pool_reset_on_return": None, "max_overflow": 0}
    writer = _sqlite_engine(url, **{**common, "pool_size": 1, **engine_options})
    reader = _sqlite_engine(url, **{**common, "pool_size": SQLITE_READERS, **engine_options})
    if not database or database == ":memory:" or database.startswith("file:"):
        return Connections(writer, reader)
    [path], _ = writer.sync_engine.dialect.create_connect_args(writer.url)  # the pool's file

    def lanes(writing: asyncio.Lock) -> tuple[SqliteLane, SqliteLane]:
        dialect = writer.sync_engine.dialect
        return SqliteLane(path, dialect, set_pragmas), SqliteLane(
            path, dialect, set_pragmas, writing
        )

    return Connections(writer, reader, lanes=lanes)


#: Modes of the SQLite file and of folders made for it: members' data, for the bot's user only.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def _private_sqlite_file(path: Path) -> None:
    """Create the database file (and missing folders) private to the bot's user before SQLite
    opens it, and tighten an existing one. SQLite gives the ``-wal`` and ``-shm`` files the
    database file's permissions when it creates them; those that exist are tightened too."""
    missing = [folder for folder in path.parents if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        folder.chmod(PRIVATE_DIR)  # mkdir's mode is cut by the umask
    if not path.exists():  # SQLite takes an empty file for a new database
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    for suffix in ("", "-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists() and companion.stat().st_mode & 0o777 != PRIVATE_FILE:
            companion.chmod(PRIVATE_FILE)


def _sqlite_engine(url: str, **options: Any) -> AsyncEngine:
    # Errors name the statement but never its values: those are members' answers.
    engine = create_async_engine(url, hide_parameters=True, **options)
    sa.event.listen(engine.sync_engine, "connect", lambda dbapi, _record: set_pragmas(dbapi))
    return engine


def set_pragmas(dbapi_connection: Any) -> None:
    """Settings of every connection to the SQLite file (the pools' and the lanes')."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints run in the background (store/connections.py); this is the safety net.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
    # Deleted rows are overwritten with zeros, not just unlinked: after forget, no copy of
    # them stays in the file (the write-ahead log is emptied after such deletes too).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class Store:
    """The database of one bot: its connections and one repository per concept."""

    def __init__(self, connections: Connections, *, identity_key: KeySource | None = None) -> None:
        self.connections = connections
        self.engine = connections.writer
        self.members = MemberRepository(connections)
        self.conversations = ConversationRepository(connections)
        self.adapter_state = AdapterStateRepository(connections)
        self.privacy = PrivacyRepository(connections)
        self.due = DueItemRepository(connections)
        self.rounds = MatchRoundRepository(connections)
        self.tandems = TandemRepository(connections)
        self.agreements = AgreementRepository(connections)
        self.meetings = MeetingRepository(connections)
        # ``identity_key`` gives the key of the identity hashes that keep blocks; a store opened
        # without it refuses to make or match blocks (bot/identity_key.py).
        self.blocks = BlockRepository(connections, identity_key)
        self.reports = ReportRepository(connections)
        self.notes = NoteRepository(connections)
        self.reflections = ReflectionRepository(connections)
        self.milestones = MilestoneRepository(connections)
        self.badges = BadgeRepository(connections)
        self.program_ends = ProgramEndRepository(connections)
        self.stats = StatsRepository(connections)
        self.gauges = GaugeRepository(connections)
        self.quiet = QuietRepository(connections)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        identity_key: KeySource | None = None,
        **engine_options: Any,
    ) -> Store:
        """Open (and migrate) the database; :class:`DatabaseUnavailable` says why it cannot."""
        try:
            connections = open_connections(url, **engine_options)
        except OSError as error:  # the SQLite file or its folder cannot be made
            raise DatabaseUnavailable(explain(url, error)) from error
        try:
            if migrate:
                await upgrade_to_head(connections.writer)
            else:
                async with connections.writer.connect():
                    pass
        except DatabaseTooNew:
            await connections.dispose()
            raise
        except (OSError, sa.exc.SQLAlchemyError, TimeoutError) as error:
            await connections.dispose()
            raise DatabaseUnavailable(explain(url, error)) from error
        compile_every_size(connections.writer.dialect)
        connections.start_checkpoints()
        return cls(connections, identity_key=identity_key)

    @classmethod
    async def migrate(cls, url: str) -> tuple[str | None, str | None]:
        """Bring the schema up to date; the revisions before and after (None: empty)."""
        store = await cls.open(url, migrate=False)
        try:
            before = await current_revision(store.engine)
            await upgrade_to_head(store.engine)
            return before, await current_revision(store.engine)
        except (OSError, sa.exc.SQLAlchemyError) as error:
            raise DatabaseUnavailable(explain(url, error)) from error
        finally:
            await store.close()

    async def close(self) -> None:
        await self.conversations.drain()  # what was queued is committed, not dropped
        await self.connections.dispose()

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
