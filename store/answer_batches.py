"""The answer path's two batch statements, built once per batch size and precompiled.

* :func:`change_steps`: one conditional ``UPDATE conversations ... FROM`` for a batch
  of changes; a row changes only if its conversation still stands at the step the change saw.
* :func:`lookup_step`: one query for a batch of events: each event's member, their active
  conversation, and what the event changed if it was applied already.

A batch's rows are bound parameters in a subquery of ``SELECT``\\ s joined by ``UNION ALL``,
padded up to the next of :data:`BATCH_SIZES` with rows that match nothing, so that there are a
handful of statements to compile, not one per batch length. (Not a ``VALUES`` common table
expression: the UPDATE must start with ``UPDATE``, which is how Python's sqlite3 knows to open
the transaction before it.) Each is a :class:`store.precompiled.Precompiled` statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from store.members import MEMBER_COLUMNS
from store.precompiled import Precompiled, Step, Writes
from store.schema import UTCDateTime, applied_events, conversations, members, status_is

ACTIVE = "active"
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)

#: A change: the conversation, the step_seq it saw, then its new step_seq, step_id, status,
#: answers, trail, expires_at and updated_at.
CHANGE_COLUMNS = (
    sa.column("id", sa.Integer),
    sa.column("seen_seq", sa.Integer),
    sa.column("next_seq", sa.Integer),
    sa.column("step_id", sa.String),
    sa.column("status", sa.String),
    sa.column("answers", sa.JSON),
    sa.column("trail", sa.JSON),
    sa.column("expires_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
#: An event: its position in the batch, its member's community, platform and user id, its id.
WANTED_COLUMNS = (
    sa.column("idx", sa.Integer),
    sa.column("community_id", sa.String),
    sa.column("platform", sa.String),
    sa.column("user_id", sa.String),
    sa.column("event_id", sa.String),
)
_PADDED_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_NO_CHANGE = (-1, -1, -1, "", ACTIVE, {}, [], _PADDED_TIME, _PADDED_TIME)
_NO_EVENT = (-1, "", "", "", None)

ACTIVE_CONVERSATION = conversations.alias("active")


def change_steps(
    rows: list[tuple[Any, ...]],
    causes: Callable[[set[int]], list[dict[str, Any]]],
    writes: Sequence[tuple[int, Writes]] = (),
) -> list[Step]:
    """The statements that apply the changes (rows of :data:`CHANGE_COLUMNS`) and insert the
    ``applied_events`` rows ``causes`` gives for the conversations that changed (a unique key:
    raises if one was applied before), then the ``writes`` of each conversation that changed (by
    its id); run together, :func:`changed` of their rows is which conversations changed (the
    others had moved on)."""
    statement, size = _statement(_update, len(rows))
    steps: list[Step] = [
        (statement, _parameters(CHANGE_COLUMNS, rows, size, _NO_CHANGE)),
        (INSERT_CAUSE, lambda done: causes(_ids(done[0]))),
    ]
    # One executemany per statement, of the parameters of the changes that won.
    by_statement: dict[Precompiled, list[tuple[int, dict[str, Any]]]] = {}
    for conversation_id, written in writes:
        for written_statement, parameters in written:
            by_statement.setdefault(written_statement, []).append((conversation_id, parameters))
    for written_statement, given in by_statement.items():
        steps.append((written_statement, _of_winners(given)))
    return steps


def changed(rows: list[list[dict[str, Any]]]) -> set[int]:
    """The ids of the conversations that :func:`change_steps` changed, of the rows it returned."""
    return _ids(rows[0])


def _ids(rows: list[dict[str, Any]]) -> set[int]:
    return {row["id"] for row in rows}


def _of_winners(
    given: list[tuple[int, dict[str, Any]]],
) -> Callable[[list[list[dict[str, Any]]]], list[dict[str, Any]]]:
    """The parameters of those ``given`` whose conversation changed (the batch's first rows)."""

    def parameters(done: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        won = _ids(done[0])
        return [one for conversation, one in given if conversation in won]

    return parameters


def lookup_step(rows: list[tuple[Any, ...]]) -> Step:
    """The query for events (rows of :data:`WANTED_COLUMNS`): one row per event whose member
    exists, by ``idx``, members' columns as they are, the conversation's prefixed ``c_`` (None:
    none active; the newest comes last), the applied record's ``a_``."""
    statement, size = _statement(_lookup, len(rows))
    return statement, _parameters(WANTED_COLUMNS, rows, size, _NO_EVENT)


_built: dict[tuple[Any, int], Precompiled] = {}


def compile_every_size(dialect: sa.Dialect) -> None:
    """Both batch statements at every size, and the record of the events a batch applied,
    built and compiled for ``dialect`` now (once per process; 40 ms on SQLite). Compiled on
    first use, a size the answers reached for the first time held the interpreter lock for
    10-14 ms on a lane's thread, in the middle of the burst that made the batch that big
    (``bench.flows``)."""
    for build in (_update, _lookup):
        for size in BATCH_SIZES:
            statement, _size = _statement(build, size)
            statement.compile_for(dialect)
    INSERT_CAUSE.compile_for(dialect)


def _statement(build: Any, count: int) -> tuple[Precompiled, int]:
    size = next(size for size in BATCH_SIZES if size >= count)
    statement = _built.get((build, size))
    if statement is None:
        statement = _built[build, size] = Precompiled(build(size))
    return statement, size


def _batch(columns: tuple[sa.ColumnClause[Any], ...], size: int) -> sa.Subquery:
    """``size`` rows of bound parameters named ``row<number>_<column>``."""
    selects = [
        sa.select(
            *(
                sa.bindparam(f"row{row}_{column.name}", type_=column.type).label(column.name)
                for column in columns
            )
        )
        for row in range(size)
    ]
    return (selects[0] if size == 1 else sa.union_all(*selects)).subquery("batch")


def _parameters(
    columns: tuple[sa.ColumnClause[Any], ...],
    rows: list[tuple[Any, ...]],
    size: int,
    padding: tuple[Any, ...],
) -> dict[str, Any]:
    names = [column.name for column in columns]
    padded = rows + [padding] * (size - len(rows))
    return {
        f"row{index}_{name}": value
        for index, row in enumerate(padded)
        for name, value in zip(names, row, strict=True)
    }


def _update(size: int) -> sa.Update:
    change = _batch(CHANGE_COLUMNS, size)
    return (
        conversations.update()
        .where(
            conversations.c.id == change.c.id,
            conversations.c.step_seq == change.c.seen_seq,
            status_is(conversations.c.status, ACTIVE),
        )
        .values(
            step_seq=change.c.next_seq,
            step_id=change.c.step_id,
            status=change.c.status,
            answers=change.c.answers,
            trail=change.c.trail,
            expires_at=change.c.expires_at,
            updated_at=change.c.updated_at,
        )
        .returning(conversations.c.id)
    )


def _lookup(size: int) -> sa.Select[Any]:
    wanted = _batch(WANTED_COLUMNS, size)
    active = ACTIVE_CONVERSATION
    return (
        sa.select(
            wanted.c.idx,
            *MEMBER_COLUMNS,
            *(column.label(f"c_{column.name}") for column in active.c),
            applied_events.c.conversation_id.label("a_conversation_id"),
            applied_events.c.step_seq.label("a_step_seq"),
        )
        .select_from(
            wanted.join(
                members,
                sa.and_(
                    members.c.community_id == wanted.c.community_id,
                    members.c.platform == wanted.c.platform,
                    members.c.platform_user_id == wanted.c.user_id,
                ),
            )
            .outerjoin(
                active,
                sa.and_(active.c.member_id == members.c.id, status_is(active.c.status, ACTIVE)),
            )
            .outerjoin(
                applied_events,
                sa.and_(
                    applied_events.c.community_id == wanted.c.community_id,
                    applied_events.c.platform == wanted.c.platform,
                    applied_events.c.event_id == wanted.c.event_id,
                ),
            )
        )
        .order_by(wanted.c.idx, active.c.id)
    )


INSERT_CAUSE = Precompiled(
    applied_events.insert().values(
        {column.name: sa.bindparam(column.name, type_=column.type) for column in applied_events.c}
    )
)
