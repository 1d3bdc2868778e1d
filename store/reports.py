"""Reports: a problem a member told the organizers about, privately.

The report is the reporter's: it goes with them (``forget``, retention purge). The member it is
about, if any, is linked by id only, and the link is dropped (set to NULL) when that member is
deleted; what the reporter wrote stays theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from store.connections import Connections
from store.due_items import Booking, book_on
from store.members import MemberRecord
from store.schema import fit_text, reports


@dataclass(frozen=True)
class ReportRecord:
    id: int
    community_id: str
    reporter_id: int
    about_id: int | None
    text: str
    created_at: datetime


def _report(row: sa.Row[Any]) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        community_id=row.community_id,
        reporter_id=row.reporter_id,
        about_id=row.about_id,
        text=row.text,
        created_at=row.created_at,
    )


class ReportRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def add(
        self,
        reporter: MemberRecord,
        text: str,
        *,
        about_id: int | None,
        now: datetime,
        book: Callable[[int, int], Iterable[Booking]] = lambda _report_id, _recent: (),
        recent_since: datetime | None = None,
    ) -> tuple[ReportRecord, int]:
        """Store the report and, in the same transaction, what ``book(report id, recent)``
        names (its posting to the organizers): a crash never keeps one without the other.
        ``recent`` is how many reports the reporter made since ``recent_since`` before this one
        (counted in the same transaction, so two at once are counted right); it is returned
        with the report."""
        async with self._db.write() as connection:
            recent = 0
            if recent_since is not None:
                recent = (
                    await connection.execute(
                        sa.select(sa.func.count()).where(
                            reports.c.reporter_id == reporter.id,
                            reports.c.created_at >= recent_since,
                        )
                    )
                ).scalar_one()
            row = (
                await connection.execute(
                    reports.insert()
                    .values(
                        community_id=reporter.community_id,
                        reporter_id=reporter.id,
                        about_id=about_id,
                        text=fit_text(reports.c.text, text),
                        created_at=now,
                    )
                    .returning(*reports.c)
                )
            ).one()
            for booking in book(row.id, recent):
                await book_on(connection, reporter.community_id, booking, now=now)
        return _report(row), recent

    async def newest(self, community_id: str, limit: int) -> list[ReportRecord]:
        """The community's newest reports, newest first (the organizers' ``reports``)."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(reports)
                .where(reports.c.community_id == community_id)
                .order_by(reports.c.id.desc())
                .limit(limit)
            )
            return [_report(row) for row in rows]

    async def get(self, community_id: str, report_id: int) -> ReportRecord | None:
        """The report of that number in the community (None: no such report, or another
        community's)."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(reports).where(
                        reports.c.id == report_id, reports.c.community_id == community_id
                    )
                )
            ).first()
        return None if row is None else _report(row)
