"""Statements compiled once and run as the driver's own SQL: for the answer path's batches.

SQLAlchemy looks every executed statement up in its compiled cache, and for that computes the
statement's cache key by walking all of it, every time. For a batch of 64 conversation changes
(nearly 600 bound parameters) that walk cost more than the database's work. A
:class:`Precompiled` statement is compiled once per dialect instead; executing it binds the
parameters in the driver's order through the same type processors SQLAlchemy would use (JSON,
aware times), runs the SQL with :meth:`~sqlalchemy.ext.asyncio.AsyncConnection.exec_driver_sql`
(in the caller's transaction) and processes the rows it returns the same way.

On SQLite each statement SQLAlchemy runs through aiosqlite is three or four hand-offs between
the event loop and the connection's thread (a cursor, the statement, its rows, closing the
cursor), each a wake-up of the other thread and a wait for the interpreter lock: the largest
share of the event loop's time per answer, measured with py-spy. A precompiled statement runs
there in one hand-off: cursor, statement, rows and close as one call on the connection's
thread (aiosqlite's own queue, ``Connection._execute``; pinned with aiosqlite in the lock
file), on the same sqlite3 connection and so in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Form:
    """The statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    binders: tuple[Processor, ...]
    keys: tuple[str, ...]
    readers: tuple[Processor, ...]


class Precompiled:
    """A Core statement (its parameters named by :func:`sqlalchemy.bindparam`), compiled on
    first use for each dialect."""

    def __init__(self, statement: sa.Select[Any] | sa.Update | sa.Insert) -> None:
        self._statement = statement
        self._forms: dict[str, _Form] = {}

    async def rows(
        self, connection: AsyncConnection, parameters: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run it with ``parameters``; the rows it returns, by column key."""
        form = self._form(connection)
        raw_rows = await _run(connection, form.sql, _bound(form, parameters), many=False)
        if not form.keys:
            return []
        return [
            {
                key: value if reader is None or value is None else reader(value)
                for key, reader, value in zip(form.keys, form.readers, raw, strict=True)
            }
            for raw in raw_rows
        ]

    async def many(self, connection: AsyncConnection, parameters: Sequence[dict[str, Any]]) -> None:
        """Run it once for each set of ``parameters`` (the driver's executemany)."""
        if parameters:
            form = self._form(connection)
            await _run(connection, form.sql, [_bound(form, one) for one in parameters], many=True)

    def _form(self, connection: AsyncConnection) -> _Form:
        return self._forms.get(connection.dialect.name) or self._compile(connection.dialect)

    def _compile(self, dialect: sa.Dialect) -> _Form:
        compiled = self._statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        binds = compiled.binds
        columns: Sequence[Any] = (
            self._statement.exported_columns if _returns_rows(self._statement) else ()
        )
        form = _Form(
            sql=compiled.string,
            names=names,
            defaults={name: binds[name].value for name in names},
            binders=tuple(
                binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            ),
            keys=tuple(column.key for column in columns),
            readers=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in columns
            ),
        )
        self._forms[dialect.name] = form
        return form


async def run_together(
    connection: AsyncConnection, steps: Sequence[tuple[Precompiled, dict[str, Any]]]
) -> None:
    """Run several statements one after the other, in one hand-off on SQLite (a consent and
    the member's new status, say): for statements whose rows nobody reads."""
    forms = [(statement._form(connection), parameters) for statement, parameters in steps]
    await _run_all(connection, [(form.sql, _bound(form, given), False) for form, given in forms])


async def _run(connection: AsyncConnection, sql: str, values: Any, *, many: bool) -> list[Any]:
    """Run ``sql`` in the connection's transaction; the rows it returned."""
    return await _run_all(connection, [(sql, values, many)])


async def _run_all(connection: AsyncConnection, steps: list[tuple[str, Any, bool]]) -> list[Any]:
    """Run each ``(sql, values, many)`` in the connection's transaction, in order; the rows
    the last one returned."""
    if connection.dialect.driver != "aiosqlite":
        rows: list[Any] = []
        for sql, values, many in steps:
            result = await connection.exec_driver_sql(sql, values)
            rows = list(result.fetchall()) if not many and result.returns_rows else []
        return rows
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection  # the aiosqlite connection

    def run() -> list[Any]:  # on the connection's thread
        database = driver._conn
        rows: list[Any] = []
        for sql, values, many in steps:
            cursor = database.executemany(sql, values) if many else database.execute(sql, values)
            try:
                rows = cursor.fetchall() if cursor.description else []
            finally:
                cursor.close()
        return rows

    try:
        return await driver._execute(run)  # type: ignore[no-any-return]
    except sqlite3.IntegrityError as error:
        raise sa.exc.IntegrityError(steps[0][0], None, error) from error


def _bound(form: _Form, parameters: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters in the driver's order, as the driver takes them."""
    values = []
    for name, binder in zip(form.names, form.binders, strict=True):
        value = parameters[name] if name in parameters else form.defaults[name]
        values.append(value if binder is None or value is None else binder(value))
    return tuple(values)


def _returns_rows(statement: Any) -> bool:
    return isinstance(statement, sa.Select) or bool(getattr(statement, "_returning", ()))
