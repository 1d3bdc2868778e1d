"""What the health endpoint reads from the database when it is scraped: a ping and a few counts.

Each count walks an index (``ix_due_items_state_due``, ``ix_members_status``,
``ix_tandems_community_state``) and returns numbers only, so a scrape every few seconds costs
the store next to nothing. Nothing here runs on the answer path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from store.connections import Connections
from store.due_items import PENDING
from store.schema import due_items, members, tandems
from store.tandems import ACTIVE


@dataclass(frozen=True)
class Gauges:
    #: Due items waiting to run (their time may not have come yet) ...
    due_pending: int
    #: ... and those of them whose due time passed before ``late_before``.
    due_late: int
    #: Members by (community, status).
    members: dict[tuple[str, str], int]
    #: Active tandems by community.
    tandems_active: dict[str, int]


class GaugeRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def ping(self) -> None:
        """Raise unless the database answers a query."""
        async with self._db.read() as connection:
            await connection.execute(sa.select(1))

    async def read(self, *, late_before: datetime) -> Gauges:
        pending = due_items.c.state == PENDING
        async with self._db.read() as connection:
            due = (
                await connection.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.count().filter(due_items.c.due_at < late_before),
                    ).where(pending)
                )
            ).one()
            by_status = await connection.execute(
                sa.select(members.c.community_id, members.c.status, sa.func.count()).group_by(
                    members.c.community_id, members.c.status
                )
            )
            active = await connection.execute(
                sa.select(tandems.c.community_id, sa.func.count())
                .where(tandems.c.state == ACTIVE)
                .group_by(tandems.c.community_id)
            )
            return Gauges(
                due_pending=due[0],
                due_late=due[1],
                members={(row[0], row[1]): row[2] for row in by_status},
                tandems_active={row[0]: row[1] for row in active},
            )
