"""Moving a community from SQLite to PostgreSQL (``tandem db copy --to postgresql+asyncpg://…``).

The SQLite file is only read: through a read-only connection, inside one read transaction, so
what is copied is the database at one moment even while a bot keeps writing to it (what it
writes later is not copied; stop it for the final move). The target must be empty; in one
PostgreSQL transaction the Alembic migrations make the schema, every table is copied in the
order of its foreign keys, in batches, the id sequences are set past the copied ids, and each
table's row count and checksum are compared with the source's. Only when every table matches
is the transaction committed: a failed or mismatched copy leaves the target as empty as it was.

Values are copied as stored: JSON columns as their JSON text (a JSON ``null`` stays JSON, an SQL
NULL stays NULL), times and dates through the schema's types. A table's checksum is the sum of
the SHA-256 of each row's canonical form (modulo 2**256), so it does not depend on the order in
which either database returns the rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.types import TypeDecorator

from store.migrate import head_revision, known_revisions, upgrade
from store.schema import metadata
from store.sqlite_files import Refused, read_only, revision_of
from store.unavailable import DatabaseUnavailable, explain

BATCH = 1000


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class RowSum:
    """A table's row count and an order-independent checksum of its rows."""

    def __init__(self) -> None:
        self.rows = 0
        self._total = 0

    def add(self, row: tuple[Any, ...]) -> None:
        canonical = json.dumps([_plain(value) for value in row], ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).digest()
        self._total = (self._total + int.from_bytes(digest)) % 2**256
        self.rows += 1

    @property
    def checksum(self) -> str:
        return f"{self._total:064x}"[:16]


@dataclass(frozen=True)
class TableCheck:
    table: str
    source: RowSum
    target: RowSum

    @property
    def same(self) -> bool:
        return (self.source.rows, self.source.checksum) == (self.target.rows, self.target.checksum)


@dataclass
class CopyReport:
    revision: str | None
    tables: list[TableCheck] = field(default_factory=list)
    #: Tables in the SQLite file that Tandem's schema does not have (made by hand): not copied.
    not_copied: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(check.same for check in self.tables)


class CopyMismatch(Exception):
    """The copy differs from the source; nothing was committed."""

    def __init__(self, report: CopyReport) -> None:
        differing = [check.table for check in report.tables if not check.same]
        super().__init__(
            f"the copy differs from the SQLite database in {', '.join(differing)}; nothing was "
            "committed, the target database is still empty"
        )
        self.report = report


class _StoredJSON(TypeDecorator[str]):
    """A JSON column's text as stored: read and written without decoding or encoding it."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> None:
        return None

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> None:
        return None


def _as_stored(table: sa.Table) -> sa.Table:
    """``table`` with its JSON columns as text: the JSON is moved as written, not re-encoded."""
    columns = [
        sa.Column(
            column.name,
            _StoredJSON if isinstance(column.type, sa.JSON) else column.type,
            primary_key=column.primary_key,
            autoincrement=False,
        )
        for column in table.columns
    ]
    return sa.Table(table.name, sa.MetaData(), *columns)


def postgres_url(url: str) -> str:
    """``url`` for the asyncpg driver; anything but PostgreSQL is refused."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise Refused(
            f"tandem db copy copies into PostgreSQL; {parsed.get_backend_name()!r} is not. Give "
            "--to postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE"
        )
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _source_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in rows]


def _check_source(connection: sqlite3.Connection, path: Path) -> str:
    revision = revision_of(connection)
    if revision is None:
        raise Refused(f"{path} is not a Tandem database")
    if revision not in known_revisions():
        raise Refused(
            f"{path} is at schema revision {revision!r}, newer than this Tandem knows; "
            "upgrade Tandem first"
        )
    if revision != head_revision():
        raise Refused(
            f"{path} is at schema revision {revision!r}, older than this Tandem's "
            f"{head_revision()!r}: run `tandem migrate` on it first (the bot does at start)"
        )
    return revision


def _rows(engine: sa.Engine, tables: list[sa.Table]) -> Iterator[tuple[sa.Table, list[Any]]]:
    """Every table's rows in batches, all read inside one read transaction (one snapshot)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN")  # the driver starts none by itself (see _source)
        for table in tables:
            result = connection.execution_options(yield_per=BATCH).execute(sa.select(table))
            for batch in result.partitions():
                yield table, list(batch)
        connection.exec_driver_sql("COMMIT")


def _source(path: Path) -> sa.Engine:
    def connect() -> sqlite3.Connection:
        connection = read_only(path)
        connection.isolation_level = None  # transactions only where this module says BEGIN
        return connection

    return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)


async def _target_sum(connection: AsyncConnection, table: sa.Table) -> RowSum:
    found = RowSum()
    # PostgreSQL's driver decodes JSON itself; as text, it is the JSON as stored.
    columns = [
        sa.cast(column, sa.Text) if isinstance(column.type, _StoredJSON) else column
        for column in table.columns
    ]
    result = await connection.stream(sa.select(*columns).execution_options(yield_per=BATCH))
    async for batch in result.partitions():
        for row in batch:
            found.add(tuple(row))
    return found


async def _set_sequences(connection: AsyncConnection, table: sa.Table) -> None:
    """Set the sequence behind an integer key (a SERIAL id) past the ids copied into it."""
    for column in table.primary_key.columns:
        if not isinstance(column.type, sa.Integer):
            continue
        sequence = (
            await connection.execute(
                sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))
            )
        ).scalar()
        if sequence is None:
            continue
        top = sa.select(sa.func.coalesce(sa.func.max(table.c[column.name]), 0) + 1)
        await connection.execute(sa.select(sa.func.setval(sequence, top.scalar_subquery(), False)))


async def _copy(connection: AsyncConnection, source: sa.Engine, report: CopyReport) -> None:
    existing = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    if existing:
        raise Refused(
            f"the target database is not empty (it has the tables {', '.join(sorted(existing))})"
            ": tandem db copy only fills an empty database, so that nothing there is mixed up "
            "or overwritten. Create a new one (e.g. `createdb -O tandem tandem`) and copy into it"
        )
    await connection.run_sync(upgrade)
    tables = [_as_stored(table) for table in metadata.sorted_tables]
    sums = {table.name: RowSum() for table in tables}
    for table, batch in _rows(source, tables):
        for row in batch:
            sums[table.name].add(tuple(row))
        await connection.execute(table.insert(), [dict(row._mapping) for row in batch])
    for table in tables:
        await _set_sequences(connection, table)
        report.tables.append(
            TableCheck(table.name, sums[table.name], await _target_sum(connection, table))
        )
    if not report.complete:
        raise CopyMismatch(report)


async def copy_to_postgres(sqlite_file: Path, target_url: str) -> CopyReport:
    """Copy the Tandem database ``sqlite_file`` into the empty PostgreSQL ``target_url``; the
    report compares every table. :class:`Refused` and :class:`CopyMismatch` leave the target
    as it was; :class:`DatabaseUnavailable` says why PostgreSQL could not be reached."""
    target_url = postgres_url(target_url)
    probe = read_only(sqlite_file)
    try:
        revision = _check_source(probe, sqlite_file)
        known = {table.name for table in metadata.sorted_tables} | {"alembic_version"}
        report = CopyReport(revision, not_copied=sorted(set(_source_tables(probe)) - known))
    finally:
        probe.close()
    source = _source(sqlite_file)
    target = create_async_engine(target_url, hide_parameters=True)
    try:
        async with target.begin() as connection:
            await _copy(connection, source, report)
    except (OSError, TimeoutError, sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        raise DatabaseUnavailable(explain(target_url, error)) from error
    finally:
        await target.dispose()
        source.dispose()
    return report
