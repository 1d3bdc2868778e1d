"""What ``tandem doctor`` asks of the database, without changing it: can it be reached (in a
few seconds), is its schema at the revision this Tandem needs, may this user write to it.

:func:`check_database` opens its own short-lived connection (no pool, no pragmas, and no file
made or tightened: a SQLite file that is not there is reported, not created) and answers with
a :class:`DatabaseCheckup` of facts; the kernel's doctor (``bot/doctor.py``) turns them into
words. The write is an ``UPDATE`` of the revision row to itself (or, before any migration, the
creation of a table), inside a transaction that is rolled back: it takes the same write lock
and needs the same rights as the bot's own writes, and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from store.migrate import current_revision, head_revision, known_revisions
from store.unavailable import database_name, diagnose

#: Seconds to wait for the database to answer at all (connecting, a lock for the write test).
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class DatabaseCheckup:
    """What was found: ``where`` names the database for people (``the SQLite file x.db``)."""

    where: str
    #: The cause and the fix, when the database could not be reached or opened.
    unreachable: tuple[str, str] | None = None
    #: SQLite only: the file is not there (nothing else was tried).
    missing_file: bool = False
    #: The schema revision the database is at (None: no schema yet), and the newest one.
    revision: str | None = None
    head: str | None = None
    #: Whether this Tandem has a migration for ``revision`` (False: a newer Tandem wrote it).
    known: bool = True
    #: Why the rolled-back write failed, if it did.
    write_error: str | None = None

    @property
    def migrated(self) -> bool:
        return self.revision is not None and self.revision == self.head


async def check_database(url: str, *, seconds: float = DEFAULT_TIMEOUT) -> DatabaseCheckup:
    """Reach the database at ``url``, read its revision and try a write that is rolled back."""
    where = database_name(url)
    parsed = sa.make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and _is_folder(parsed.database or ""):
        folder = parsed.database
        unreachable = (
            f"{where} is a folder, not a file",
            f"Point database.url at a file in it: sqlite+aiosqlite:///{folder}/tandem.db",
        )
        return DatabaseCheckup(where, unreachable=unreachable, head=head_revision())
    if sqlite and _no_such_file(parsed.database or ""):
        return DatabaseCheckup(where, missing_file=True, head=head_revision())
    # sqlite3's ``timeout`` is how long a write waits for the lock; asyncpg's, for the connection.
    engine = create_async_engine(
        url, poolclass=NullPool, hide_parameters=True, connect_args={"timeout": seconds}
    )
    if sqlite:
        sa.event.listen(engine.sync_engine, "connect", _sqlite_transactions_by_hand)
    try:
        return await asyncio.wait_for(_examine(engine, where, sqlite, seconds), seconds * 3)
    except (OSError, sa.exc.SQLAlchemyError, TimeoutError) as error:
        return DatabaseCheckup(where, unreachable=diagnose(url, error), head=head_revision())
    finally:
        await engine.dispose()


async def _examine(
    engine: AsyncEngine, where: str, sqlite: bool, seconds: float
) -> DatabaseCheckup:
    revision = await current_revision(engine)
    head = head_revision()
    known = revision is None or revision in known_revisions()
    async with engine.connect() as connection:
        write_error = await _try_a_write(connection, sqlite, seconds, migrated=revision is not None)
    return DatabaseCheckup(
        where, revision=revision, head=head, known=known, write_error=write_error
    )


async def _try_a_write(
    connection: AsyncConnection, sqlite: bool, seconds: float, *, migrated: bool
) -> str | None:
    write = (
        "UPDATE alembic_version SET version_num = version_num"
        if migrated
        else "CREATE TABLE tandem_doctor_probe (id INTEGER)"
    )
    if sqlite:
        # BEGIN IMMEDIATE takes the write lock at once, as the bot's writer does.
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            await connection.exec_driver_sql(write)
        except sa.exc.SQLAlchemyError as error:
            return _first_line(error)
        finally:
            await connection.exec_driver_sql("ROLLBACK")
        return None
    transaction = await connection.begin()
    try:
        await connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
        await connection.exec_driver_sql(write)
    except sa.exc.SQLAlchemyError as error:
        return _first_line(error)
    finally:
        await transaction.rollback()
    return None


def _sqlite_transactions_by_hand(dbapi_connection: Any, _record: Any) -> None:
    """Python's sqlite3 opens a transaction before an UPDATE but not before a CREATE TABLE,
    which it commits at once: the probe's transaction is begun and rolled back by hand."""
    dbapi_connection.isolation_level = None


def _is_folder(database: str) -> bool:
    return Path(database).expanduser().is_dir()


def _no_such_file(database: str) -> bool:
    if database == ":memory:" or database.startswith("file:"):
        return False
    return not Path(database).expanduser().is_file()


def _first_line(error: sa.exc.SQLAlchemyError) -> str:
    inner = getattr(error, "orig", None) or error
    words = str(inner).strip().splitlines()
    return words[0] if words else type(inner).__name__
