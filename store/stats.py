"""Counts for the organizers' view of their community (``admin stats``): SQL aggregates only.

Nothing here selects what members wrote (reflection answers, notes, milestone texts, report
texts): each query returns numbers, by status, by state or by week. A week is a window of
seven days ending at ``now`` (the last one) or seven days before the next one, so that the
figures do not depend on anyone's time zone or on which weekday the organizer asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.meetings import HELD
from store.quiet import QUIET_AFTER, quiet_since
from store.schema import meetings, members, milestones_reached, reflections, tandems

WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class CommunityCounts:
    """The community's figures. ``week_starts`` are the starts of the weekly windows, oldest
    first; each ``…_per_week`` has one count per window."""

    members: dict[str, int]
    tandems: dict[str, int]
    week_starts: tuple[datetime, ...]
    reflections: int
    reflections_per_week: tuple[int, ...]
    milestones: int
    milestones_per_week: tuple[int, ...]
    meetings_held: int
    meetings_per_week: tuple[int, ...]
    quiet_pairs: int


def week_starts(now: datetime, weeks: int) -> tuple[datetime, ...]:
    return tuple(now - WEEK * (weeks - index) for index in range(weeks))


async def _by(
    connection: AsyncConnection, table: sa.Table, column: str, community_id: str
) -> dict[str, int]:
    rows = await connection.execute(
        sa.select(table.c[column], sa.func.count())
        .where(table.c.community_id == community_id)
        .group_by(table.c[column])
    )
    return {row[0]: row[1] for row in rows}


async def _weekly(
    connection: AsyncConnection,
    table: sa.Table,
    when: str,
    community_id: str,
    starts: tuple[datetime, ...],
    only: sa.ColumnElement[bool] | None = None,
) -> tuple[int, tuple[int, ...]]:
    """All rows of ``table`` in the community (that match ``only``), and those whose ``when``
    falls in each window, in one query."""
    column = table.c[when]
    # The last window is open-ended: a row written at ``now`` (or by a clock a little ahead)
    # counts in this week.
    ends: tuple[datetime | None, ...] = (*starts[1:], None)
    windows = [
        sa.func.count(sa.case(((column >= start) & (column < end), 1)))
        if end is not None
        else sa.func.count(sa.case((column >= start, 1)))
        for start, end in zip(starts, ends, strict=True)
    ]
    row = (
        await connection.execute(
            sa.select(sa.func.count(), *windows).where(
                table.c.community_id == community_id, sa.true() if only is None else only
            )
        )
    ).one()
    return row[0], tuple(row[1:])


async def _quiet(connection: AsyncConnection, community_id: str, since: datetime) -> int:
    """The community's tandems quiet since ``since`` (:func:`store.quiet.quiet_since`)."""
    return (
        await connection.execute(
            sa.select(sa.func.count()).where(
                tandems.c.community_id == community_id, quiet_since(since)
            )
        )
    ).scalar_one()


class StatsRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def community(self, community_id: str, *, now: datetime, weeks: int) -> CommunityCounts:
        """Members by status, tandems by state, meetings held, reflections answered and
        milestones reached (in all and in each of the last ``weeks`` weeks), and how many
        active tandems are quiet (:data:`store.quiet.QUIET_AFTER`)."""
        starts = week_starts(now, weeks)
        async with self._db.read() as connection:
            by_status = await _by(connection, members, "status", community_id)
            by_state = await _by(connection, tandems, "state", community_id)
            answered, per_week = await _weekly(
                connection, reflections, "created_at", community_id, starts
            )
            reached, reached_per_week = await _weekly(
                connection, milestones_reached, "reached_at", community_id, starts
            )
            held, held_per_week = await _weekly(
                connection, meetings, "starts_at", community_id, starts, meetings.c.state == HELD
            )
            quiet = await _quiet(connection, community_id, now - QUIET_AFTER)
        return CommunityCounts(
            members=by_status,
            tandems=by_state,
            week_starts=starts,
            reflections=answered,
            reflections_per_week=per_week,
            milestones=reached,
            milestones_per_week=reached_per_week,
            meetings_held=held,
            meetings_per_week=held_per_week,
            quiet_pairs=quiet,
        )
