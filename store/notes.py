"""Learning notes: what a member writes down for themselves (the seed's notebook).

A note is its author's alone: nobody else is ever shown it; it goes with them (``forget``, the
retention purge) by the foreign key to ``members``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from store.connections import Connections
from store.members import MemberRecord
from store.schema import fit_text, notes


@dataclass(frozen=True)
class NoteRecord:
    id: int
    text: str
    created_at: datetime


class NoteRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def add(self, member: MemberRecord, text: str, *, now: datetime) -> NoteRecord:
        async with self._db.write() as connection:
            row = (
                await connection.execute(
                    notes.insert()
                    .values(
                        community_id=member.community_id,
                        member_id=member.id,
                        text=fit_text(notes.c.text, text),
                        created_at=now,
                    )
                    .returning(notes.c.id, notes.c.text, notes.c.created_at)
                )
            ).one()
        return NoteRecord(id=row.id, text=row.text, created_at=row.created_at)

    async def of(self, member_id: int) -> list[NoteRecord]:
        """The member's notes, newest first."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(notes.c.id, notes.c.text, notes.c.created_at)
                .where(notes.c.member_id == member_id)
                .order_by(notes.c.created_at.desc(), notes.c.id.desc())
            )
            return [NoteRecord(id=row.id, text=row.text, created_at=row.created_at) for row in rows]

    async def delete(self, member_id: int, note_id: int) -> bool:
        """Delete one of the member's own notes; False when it is gone or not theirs."""
        async with self._db.write() as connection:
            result = await connection.execute(
                notes.delete().where(notes.c.id == note_id, notes.c.member_id == member_id)
            )
            return bool(result.rowcount)
