"""Quiet pairs: the one definition of an active tandem that has gone quiet, shared by the
organizers' count (:mod:`store.stats`) and the kind nudge that follows it up
(:mod:`flows.quiet_pairs`).

A tandem is quiet *since* a moment when it is active (not paused), has been active since before
that moment (it became active, or was last resumed, or a partner last told the bot to keep
going: all of these set the row's ``updated_at``, which nothing else changes while a tandem is
active), and since then neither partner answered the check-in of a meeting (one that started
since then with an answer from either) and neither reflected. :data:`QUIET_AFTER` is how long
that must last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from store.connections import Connections
from store.schema import meetings, reflections, tandems
from store.tandems import ACTIVE

#: An active tandem is quiet when, for this long, neither partner answered a meeting's
#: check-in and neither reflected (a tandem active for less than this is not quiet yet).
QUIET_AFTER = timedelta(weeks=3)


def quiet_since(since: datetime) -> sa.ColumnElement[bool]:
    """The condition on a ``tandems`` row: quiet since ``since`` (see the module)."""
    checked_in = sa.select(meetings.c.id).where(
        meetings.c.tandem_id == tandems.c.id,
        meetings.c.starts_at >= since,
        meetings.c.answer_a.is_not(None) | meetings.c.answer_b.is_not(None),
    )
    reflected = sa.select(reflections.c.id).where(
        reflections.c.tandem_id == tandems.c.id, reflections.c.created_at >= since
    )
    return sa.and_(
        tandems.c.state == ACTIVE,
        tandems.c.active_at < since,
        tandems.c.updated_at < since,
        ~checked_in.exists(),
        ~reflected.exists(),
    )


class QuietRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def quiet(self, now: datetime) -> list[tuple[str, int]]:
        """Every quiet tandem of every community (quiet for :data:`QUIET_AFTER` at ``now``), as
        ``(community, tandem id)``: one query, on the index of tandems by state."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems.c.community_id, tandems.c.id)
                .where(quiet_since(now - QUIET_AFTER))
                .order_by(tandems.c.id)
            )
            return [(row[0], row[1]) for row in rows]

    async def still_quiet(self, tandem_id: int, since: datetime) -> bool:
        """Whether the tandem is still quiet since ``since`` (nothing happened since then)."""
        async with self._db.read() as connection:
            found = await connection.execute(
                sa.select(tandems.c.id).where(tandems.c.id == tandem_id, quiet_since(since))
            )
            return found.first() is not None
