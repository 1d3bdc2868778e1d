"""Milestones reached, and whether each partner agrees to shout-outs beyond the pair space.

A milestone is one of the member's own in the agreement's terms, named by the index of its
goal and its own index there (``terms["goals"][member][goal]["milestones"][milestone]``), with
its text as it read when reached. Marking it is idempotent (a unique key: once per milestone).
The partner's congratulation is recorded as a time, so they are asked once. Shout-outs to the
community's celebration place need both partners' opt-in (no row is no). Everything here goes
with the tandem and the member (foreign keys that cascade).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from store.connections import Connections
from store.due_items import Booking, book_on
from store.schema import fit_text, milestones_reached, shoutout_optins, tandems


@dataclass(frozen=True)
class MilestoneRecord:
    id: int
    tandem_id: int
    member_id: int
    goal_index: int
    milestone_index: int
    text: str
    reached_at: datetime
    congratulated_at: datetime | None


def _milestone(row: sa.Row[Any]) -> MilestoneRecord:
    return MilestoneRecord(
        id=row.id,
        tandem_id=row.tandem_id,
        member_id=row.member_id,
        goal_index=row.goal_index,
        milestone_index=row.milestone_index,
        text=row.text,
        reached_at=row.reached_at,
        congratulated_at=row.congratulated_at,
    )


class MilestoneRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def reached(self, tandem_id: int, member_id: int | None = None) -> list[MilestoneRecord]:
        """The milestones reached in the tandem (by ``member_id`` only, if given), oldest first."""
        where = milestones_reached.c.tandem_id == tandem_id
        if member_id is not None:
            where = sa.and_(where, milestones_reached.c.member_id == member_id)
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(milestones_reached).where(where).order_by(milestones_reached.c.id)
            )
            return [_milestone(row) for row in rows]

    async def get(self, milestone_id: int) -> MilestoneRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(milestones_reached).where(milestones_reached.c.id == milestone_id)
                )
            ).first()
        return None if row is None else _milestone(row)

    async def mark(
        self,
        tandem_id: int,
        member_id: int,
        goal_index: int,
        milestone_index: int,
        text: str,
        *,
        now: datetime,
        book: Callable[[MilestoneRecord], Iterable[Booking]] = lambda _milestone: (),
    ) -> MilestoneRecord | None:
        """Mark a milestone reached and book what ``book`` names (its celebration) in the same
        transaction; None when it was marked before (or the tandem is gone)."""
        async with self._db.write() as connection:
            # Locked: the same milestone marked twice at once is marked (and celebrated) once.
            tandem = (
                await connection.execute(
                    sa.select(tandems).where(tandems.c.id == tandem_id).with_for_update()
                )
            ).first()
            if tandem is None or member_id not in (tandem.member_a, tandem.member_b):
                return None
            same = sa.and_(
                milestones_reached.c.tandem_id == tandem_id,
                milestones_reached.c.member_id == member_id,
                milestones_reached.c.goal_index == goal_index,
                milestones_reached.c.milestone_index == milestone_index,
            )
            if await connection.scalar(sa.select(milestones_reached.c.id).where(same)):
                return None
            row = (
                await connection.execute(
                    milestones_reached.insert()
                    .values(
                        community_id=tandem.community_id,
                        tandem_id=tandem_id,
                        member_id=member_id,
                        goal_index=goal_index,
                        milestone_index=milestone_index,
                        text=fit_text(milestones_reached.c.text, text),
                        reached_at=now,
                    )
                    .returning(*milestones_reached.c)
                )
            ).one()
            record = _milestone(row)
            for booking in book(record):
                await book_on(connection, tandem.community_id, booking, now=now)
            return record

    async def to_congratulate(self, tandem_id: int, reached_by: int) -> MilestoneRecord | None:
        """The oldest milestone ``reached_by`` reached that their partner has not yet
        congratulated on (or let pass)."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(milestones_reached)
                    .where(
                        milestones_reached.c.tandem_id == tandem_id,
                        milestones_reached.c.member_id == reached_by,
                        milestones_reached.c.congratulated_at.is_(None),
                    )
                    .order_by(milestones_reached.c.id)
                )
            ).first()
        return None if row is None else _milestone(row)

    async def congratulated(self, milestone_id: int, *, now: datetime) -> bool:
        """Record the partner's congratulation; False when it was recorded before."""
        async with self._db.write() as connection:
            result = await connection.execute(
                milestones_reached.update()
                .where(
                    milestones_reached.c.id == milestone_id,
                    milestones_reached.c.congratulated_at.is_(None),
                )
                .values(congratulated_at=now)
            )
            return bool(result.rowcount)

    async def shoutouts(self, tandem_id: int) -> dict[int, bool]:
        """Each partner's shout-out choice (a partner who never chose is not in it: no)."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(shoutout_optins.c.member_id, shoutout_optins.c.opted_in).where(
                    shoutout_optins.c.tandem_id == tandem_id
                )
            )
            return {row.member_id: row.opted_in for row in rows}

    async def set_shoutout(
        self, community_id: str, tandem_id: int, member_id: int, opted_in: bool, *, now: datetime
    ) -> None:
        async with self._db.write() as connection:
            changed = await connection.execute(
                shoutout_optins.update()
                .where(
                    shoutout_optins.c.tandem_id == tandem_id,
                    shoutout_optins.c.member_id == member_id,
                )
                .values(opted_in=opted_in, updated_at=now)
            )
            if not changed.rowcount:
                await connection.execute(
                    shoutout_optins.insert().values(
                        community_id=community_id,
                        tandem_id=tandem_id,
                        member_id=member_id,
                        opted_in=opted_in,
                        updated_at=now,
                    )
                )
