"""Due items: what the bot does at a time, for a target, exactly once, from any process.

A flow schedules an item under a key it chooses (``"pause_end:42"``); scheduling the same key
again moves it (and makes it pending again), cancelling by key or by key prefix
(``"tandem:7:"``) stops everything pending for it in one call.

Running an item is three writes, each committed on its own:

1. :meth:`DueItemRepository.claim` takes a batch of due items with a lease, in one statement:
   ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` — on PostgreSQL two processes
   skip each other's rows; on SQLite the single writer makes the conditional update atomic.
   An item whose claim outlived its lease (its process died) is claimable again.
2. the caller sends what the item says (with an idempotency key derived from the item);
3. :meth:`DueItemRepository.finish` marks it done, only if this worker still holds the claim,
   so an item rescheduled or cancelled while it ran keeps its new state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.schema import due_items

PENDING = "pending"
CLAIMED = "claimed"
DONE = "done"
CANCELLED = "cancelled"
FAILED = "failed"


@dataclass(frozen=True)
class DueItem:
    id: int
    community_id: str
    kind: str
    key: str
    member_id: int | None
    target: dict[str, Any] | None
    payload: dict[str, Any]
    due_at: datetime
    scheduled_for: datetime
    state: str
    claimed_by: str | None
    lease_until: datetime | None
    attempts: int


@dataclass(frozen=True)
class Booking:
    """An item to schedule, for repositories that book items in the same transaction as the
    change that calls for them (a match round books one introduction per pair with the pairs,
    so a crash can never leave a pair that nobody introduces)."""

    kind: str
    key: str
    due_at: datetime
    member_id: int | None = None
    target: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None


async def book_on(
    connection: AsyncConnection, community_id: str, booking: Booking, *, now: datetime
) -> int:
    """Schedule ``booking`` inside the caller's transaction; an item of its key is moved and made
    pending (see :meth:`DueItemRepository.schedule`). Returns the item's id."""
    values = {
        "community_id": community_id,
        "kind": booking.kind,
        "key": booking.key,
        "member_id": booking.member_id,
        "target": booking.target,
        "payload": booking.payload or {},
        "due_at": booking.due_at,
        "scheduled_for": booking.due_at,
        "state": PENDING,
        "claimed_by": None,
        "lease_until": None,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    insert = _insert_for(connection.dialect.name)(due_items).values(**values)
    changed = {
        name: insert.excluded[name]
        for name in values
        if name not in {"community_id", "key", "created_at"}
    }
    statement = insert.on_conflict_do_update(
        index_elements=["community_id", "key"], set_=changed
    ).returning(due_items.c.id)
    return int((await connection.execute(statement)).scalar_one())


async def cancel_prefix_on(
    connection: AsyncConnection,
    community_id: str,
    prefix: str,
    *,
    now: datetime,
    keep: str | None = None,
) -> int:
    """Cancel every item whose key starts with ``prefix`` (but ``keep``), inside the caller's
    transaction (an ended tandem cancels what was pending for it in the same commit)."""
    condition = due_items.c.key.startswith(prefix, autoescape=True)
    if keep is not None:
        condition = condition & (due_items.c.key != keep)
    return await _cancel_on(connection, condition, community_id, now)


async def _cancel_on(
    connection: AsyncConnection,
    condition: sa.ColumnElement[bool],
    community_id: str,
    now: datetime,
) -> int:
    result = await connection.execute(
        due_items.update()
        .where(
            due_items.c.community_id == community_id,
            condition,
            due_items.c.state.in_([PENDING, CLAIMED]),
        )
        .values(state=CANCELLED, claimed_by=None, lease_until=None, updated_at=now)
    )
    return result.rowcount


def _item(row: sa.Row[Any]) -> DueItem:
    return DueItem(
        id=row.id,
        community_id=row.community_id,
        kind=row.kind,
        key=row.key,
        member_id=row.member_id,
        target=None if row.target is None else dict(row.target),
        payload=dict(row.payload or {}),
        due_at=row.due_at,
        scheduled_for=row.scheduled_for,
        state=row.state,
        claimed_by=row.claimed_by,
        lease_until=row.lease_until,
        attempts=row.attempts,
    )


class DueItemRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def schedule(
        self,
        *,
        community_id: str,
        kind: str,
        key: str,
        due_at: datetime,
        now: datetime,
        member_id: int | None = None,
        target: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Schedule ``key`` at ``due_at``; an item of that key is moved and made pending."""
        booking = Booking(kind, key, due_at, member_id=member_id, target=target, payload=payload)
        async with self._db.write() as connection:
            return await book_on(connection, community_id, booking, now=now)

    async def book(self, community_id: str, bookings: Iterable[Booking], *, now: datetime) -> None:
        """Schedule several items in one transaction (all or none)."""
        async with self._db.write() as connection:
            for booking in bookings:
                await book_on(connection, community_id, booking, now=now)

    async def schedule_if_absent(
        self, *, community_id: str, kind: str, key: str, due_at: datetime, now: datetime
    ) -> None:
        """Schedule ``key`` unless an item of that key exists in any state but done/cancelled."""
        async with self._db.write() as connection:
            insert = _insert_for(connection.dialect.name)(due_items).values(
                community_id=community_id,
                kind=kind,
                key=key,
                payload={},
                due_at=due_at,
                scheduled_for=due_at,
                state=PENDING,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            await connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["community_id", "key"],
                    set_={
                        "state": PENDING,
                        "due_at": due_at,
                        "scheduled_for": due_at,
                        "attempts": 0,
                        "updated_at": now,
                    },
                    where=due_items.c.state.in_([DONE, CANCELLED, FAILED]),
                )
            )

    async def cancel(self, community_id: str, key: str, *, now: datetime) -> int:
        """Cancel the item of ``key`` unless it already ran; returns how many were cancelled."""
        return await self._cancel_where(due_items.c.key == key, community_id, now)

    async def cancel_prefix(self, community_id: str, prefix: str, *, now: datetime) -> int:
        """Cancel every item whose key starts with ``prefix`` (e.g. everything of one tandem)."""
        condition = due_items.c.key.startswith(prefix, autoescape=True)
        return await self._cancel_where(condition, community_id, now)

    async def _cancel_where(
        self, condition: sa.ColumnElement[bool], community_id: str, now: datetime
    ) -> int:
        async with self._db.write() as connection:
            return await _cancel_on(connection, condition, community_id, now)

    async def get(self, community_id: str, key: str) -> DueItem | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(due_items).where(
                        due_items.c.community_id == community_id, due_items.c.key == key
                    )
                )
            ).first()
        return None if row is None else _item(row)

    async def claim(
        self,
        *,
        now: datetime,
        worker: str,
        lease_until: datetime,
        limit: int,
        kinds: Iterable[str],
        before_commit: Callable[[], None] | None = None,
    ) -> list[DueItem]:
        """Claim up to ``limit`` due items (earliest first) for ``worker``, committed on return.

        Due means pending with ``due_at <= now``, or claimed by a worker whose lease ran out.
        Only items of ``kinds`` (those this process knows how to run) are taken: during an
        upgrade, an older process leaves a newer kind to the processes that know it.
        ``before_commit`` runs inside the transaction (tests crash there to prove a claim that
        never committed is taken by the next run).
        """
        # Two statements, each walking its own index in order (an OR of both would scan the
        # whole table on SQLite): claims whose lease ran out first, then what fell due.
        known = due_items.c.kind.in_(list(kinds))
        expired = sa.and_(due_items.c.state == CLAIMED, due_items.c.lease_until <= now, known)
        pending = sa.and_(due_items.c.state == PENDING, due_items.c.due_at <= now, known)
        rows: list[sa.Row[Any]] = []
        async with self._db.write() as connection:
            for due, order in ((expired, due_items.c.lease_until), (pending, due_items.c.due_at)):
                if len(rows) >= limit:
                    break
                picked = (
                    sa.select(due_items.c.id)
                    .where(due)
                    .order_by(order)
                    .limit(limit - len(rows))
                    .with_for_update(skip_locked=True)
                )
                if connection.dialect.name == "postgresql":
                    # As a CTE, evaluated once: PostgreSQL may run a locking sub-select in an
                    # UPDATE's WHERE more than once, each time skipping what it just locked (a
                    # claim of 50 took 1,700 items, found by the two-process test). SQLite keeps
                    # the plain sub-select: its driver opens no transaction for a statement
                    # that starts with WITH, so the claim would commit on its own.
                    chosen = sa.select(picked.cte("picked").c.id)
                else:
                    chosen = picked.scalar_subquery()
                statement = (
                    due_items.update()
                    .where(due_items.c.id.in_(chosen), due)
                    .values(
                        state=CLAIMED,
                        claimed_by=worker,
                        lease_until=lease_until,
                        attempts=due_items.c.attempts + 1,
                        updated_at=now,
                    )
                    .returning(*due_items.c)
                )
                rows += (await connection.execute(statement)).all()
            if before_commit is not None:
                before_commit()
        return sorted((_item(row) for row in rows), key=lambda item: (item.due_at, item.id))

    async def finish(self, ids: Iterable[int], *, worker: str, now: datetime) -> int:
        """Mark items done that ``worker`` still holds; returns how many were."""
        return await self._settle(ids, worker, now, state=DONE)

    async def fail(self, ids: Iterable[int], *, worker: str, now: datetime) -> int:
        """Give up on items that failed too often; they stay for an operator to look at."""
        return await self._settle(ids, worker, now, state=FAILED)

    async def finish_and_delete(self, ids: Iterable[int], *, worker: str) -> int:
        """Delete items ``worker`` still holds, done: for kinds whose item names someone who is
        being forgotten, which must outlive nothing."""
        chosen = list(ids)
        if not chosen:
            return 0
        async with self._db.write() as connection:
            result = await connection.execute(
                due_items.delete().where(
                    due_items.c.id.in_(chosen),
                    due_items.c.claimed_by == worker,
                    due_items.c.state == CLAIMED,
                )
            )
        # Like forget itself: no copy of the row stays in SQLite's write-ahead log.
        await self._db.empty_write_ahead_log()
        return result.rowcount

    async def _settle(self, ids: Iterable[int], worker: str, now: datetime, *, state: str) -> int:
        chosen = list(ids)
        if not chosen:
            return 0
        async with self._db.write() as connection:
            result = await connection.execute(
                due_items.update()
                .where(
                    due_items.c.id.in_(chosen),
                    due_items.c.claimed_by == worker,
                    due_items.c.state == CLAIMED,
                )
                .values(state=state, lease_until=None, updated_at=now)
            )
        return result.rowcount

    async def release(
        self, item_id: int, *, worker: str, due_at: datetime, now: datetime, count: bool = True
    ) -> bool:
        """Give a claimed item back to run at ``due_at`` (held for quiet hours, or retried).

        ``count=False`` gives the attempt back too (a hold is not a failed attempt).
        """
        values: dict[str, Any] = {
            "state": PENDING,
            "claimed_by": None,
            "lease_until": None,
            "due_at": due_at,
            "updated_at": now,
        }
        if not count:
            values["attempts"] = due_items.c.attempts - 1
        async with self._db.write() as connection:
            result = await connection.execute(
                due_items.update()
                .where(
                    due_items.c.id == item_id,
                    due_items.c.claimed_by == worker,
                    due_items.c.state == CLAIMED,
                )
                .values(**values)
            )
        return result.rowcount == 1

    async def next_wake(self) -> datetime | None:
        """When the next item falls due, or a lease runs out: the one time worth waking at."""
        async with self._db.read() as connection:
            pending = (
                await connection.execute(
                    sa.select(sa.func.min(due_items.c.due_at)).where(due_items.c.state == PENDING)
                )
            ).scalar()
            leased = (
                await connection.execute(
                    sa.select(sa.func.min(due_items.c.lease_until)).where(
                        due_items.c.state == CLAIMED
                    )
                )
            ).scalar()
        times = [time for time in (pending, leased) if time is not None]
        return min(times) if times else None

    async def prune(self, *, settled_before: datetime) -> int:
        """Delete done, cancelled and failed items last changed before ``settled_before``."""
        async with self._db.write() as connection:
            result = await connection.execute(
                due_items.delete().where(
                    due_items.c.state.in_([DONE, CANCELLED, FAILED]),
                    due_items.c.updated_at < settled_before,
                )
            )
        return result.rowcount

    async def count_by_state(self) -> dict[str, int]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(due_items.c.state, sa.func.count()).group_by(due_items.c.state)
            )
            return {row[0]: row[1] for row in rows}


def _insert_for(dialect: str) -> Callable[..., Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
