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

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

Processor = Callable[[Any], Any] | None

#: Where SQLAlchemy logs the statements it runs (``debug_loggers = ["sqlalchemy.engine"]``):
#: these are logged there too, never with their values.
_ENGINE_LOG = logging.getLogger("sqlalchemy.engine.Engine")


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
        [rows] = await run_together(connection, [(self, parameters)])
        return rows

    async def many(self, connection: AsyncConnection, parameters: Sequence[dict[str, Any]]) -> None:
        """Run it once for each set of ``parameters`` (the driver's executemany)."""
        if parameters:
            await run_together(connection, [(self, list(parameters))])

    def compile_for(self, dialect: sa.Dialect) -> None:
        """Compile it for ``dialect`` now, not on first use."""
        self._form(dialect)

    def _form(self, dialect: sa.Dialect) -> _Form:
        return self._forms.get(dialect.name) or self._compile(dialect)

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


#: What a step binds: one set of parameters, a list of sets (the driver's executemany), or a
#: function of the rows the steps before it returned (a new row's id, say).
Given = (
    dict[str, Any]
    | list[dict[str, Any]]
    | Callable[[list[list[dict[str, Any]]]], dict[str, Any] | list[dict[str, Any]]]
)
#: A statement and what it binds.
Step = tuple[Precompiled, Given]
#: Statements with fixed parameters that a repository hands out to be written together with
#: something else (a consent, with the step of the conversation that asked for it).
Writes = tuple[tuple[Precompiled, dict[str, Any]], ...]


#: Runs one statement on the driver: its SQL, its values (a list of them: executemany), whether
#: it is an executemany; the raw rows it returned.
Execute = Callable[[str, Any, bool], list[Any]]
#: The rows of each group of steps, of each step in it.
GroupRows = list[list[list[dict[str, Any]]]]


async def run_together(
    connection: AsyncConnection, steps: Sequence[Step]
) -> list[list[dict[str, Any]]]:
    """Run several statements one after the other in the connection's transaction, in one
    hand-off on SQLite (a new conversation and the event that started it, say); the rows each
    returned, by column key (none for an executemany)."""
    [results] = await run_groups(connection, [steps])
    return results


async def run_groups(connection: AsyncConnection, groups: Sequence[Sequence[Step]]) -> GroupRows:
    """:func:`run_together` for several groups of steps in turn (several writers' units in one
    shared transaction), each group's rows on their own: a step given a function gets the rows
    of its own group's earlier steps."""
    run = plan(connection.dialect, groups)
    if connection.dialect.driver != "aiosqlite":
        return await _run_on_driver(connection, run)
    raw_connection = await connection.get_raw_connection()
    driver = raw_connection.driver_connection  # the aiosqlite connection
    with as_sqlalchemy_errors():
        return await driver._execute(lambda: run(on_sqlite(driver._conn)))  # type: ignore[no-any-return]


def plan(dialect: sa.Dialect, groups: Sequence[Sequence[Step]]) -> Callable[[Execute], GroupRows]:
    """The groups' statements compiled for ``dialect``, as a function that runs them all with
    an :data:`Execute` and returns their rows (see :func:`run_groups`)."""
    forms = [[statement._form(dialect) for statement, _ in steps] for steps in groups]
    if _ENGINE_LOG.isEnabledFor(logging.INFO):  # as SQLAlchemy's own statements are logged
        for group in forms:
            for form in group:
                _ENGINE_LOG.info("%s [precompiled; parameters hidden]", form.sql)

    def run_group(
        group: list[_Form], steps: Sequence[Step], execute: Execute
    ) -> list[list[dict[str, Any]]]:
        results: list[list[dict[str, Any]]] = []
        for form, (_, given) in zip(group, steps, strict=True):
            if callable(given):
                given = given(results)
            if isinstance(given, list):
                raw = execute(form.sql, [_bound(form, one) for one in given], True) if given else []
            else:
                raw = execute(form.sql, _bound(form, given), False)
            results.append(_read(form, raw))
        return results

    def run(execute: Execute) -> GroupRows:
        return [
            run_group(group, steps, execute) for group, steps in zip(forms, groups, strict=True)
        ]

    return run


def on_sqlite(database: sqlite3.Connection) -> Execute:
    """:data:`Execute` on a sqlite3 connection (to be called on its thread)."""

    def execute(sql: str, values: Any, many: bool) -> list[Any]:
        cursor = database.executemany(sql, values) if many else database.execute(sql, values)
        try:
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    return execute


@contextlib.contextmanager
def as_sqlalchemy_errors() -> Iterator[None]:
    """sqlite3's errors as SQLAlchemy raises the driver's (an ``IntegrityError`` for a unique
    key, say), so callers catch the same on every store."""
    try:
        yield
    except sqlite3.Error as error:
        raise as_sqlalchemy_error(error) from error


def as_sqlalchemy_error(error: sqlite3.Error) -> sa.exc.DBAPIError:
    """``error`` as SQLAlchemy would raise it (see :func:`as_sqlalchemy_errors`)."""
    converted = sa.exc.DBAPIError.instance(None, None, error, sqlite3.Error)
    converted.__cause__ = error
    return converted


async def _run_on_driver(
    connection: AsyncConnection, run: Callable[[Execute], GroupRows]
) -> GroupRows:
    """``run`` with each statement executed through SQLAlchemy's ``exec_driver_sql`` (every
    driver but aiosqlite), in the greenlet SQLAlchemy's async layer runs synchronous code in."""

    def on_connection(sync_connection: sa.Connection) -> GroupRows:
        def execute(sql: str, values: Any, many: bool) -> list[Any]:
            result = sync_connection.exec_driver_sql(sql, values)
            return list(result.fetchall()) if not many and result.returns_rows else []

        return run(execute)

    return await connection.run_sync(on_connection)


def _read(form: _Form, raw_rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as the driver returned them, by column key, through the type processors."""
    if not form.keys:
        return []
    return [
        {
            key: value if reader is None or value is None else reader(value)
            for key, reader, value in zip(form.keys, form.readers, raw, strict=True)
        }
        for raw in raw_rows
    ]


def _bound(form: _Form, parameters: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters in the driver's order, as the driver takes them (None through the type
    processors too, as SQLAlchemy does: a JSON column stores None as the JSON null)."""
    values = []
    for name, binder in zip(form.names, form.binders, strict=True):
        value = parameters[name] if name in parameters else form.defaults[name]
        values.append(value if binder is None else binder(value))
    return tuple(values)


def _returns_rows(statement: Any) -> bool:
    return isinstance(statement, sa.Select) or bool(getattr(statement, "_returning", ()))
