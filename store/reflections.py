"""Reflections: each partner's private answers to one reflection of their tandem, and the parts
they chose to share.

A tandem's reflections are numbered; both partners' answers to one reflection carry its
number. Whoever reflects first opens the next number, the other joins it
(:meth:`ReflectionRepository.next_for`); the second answer books, in the same transaction,
what shows both shared parts side by side. A reflection goes with its tandem and its author
(foreign keys that cascade: ``forget``, the retention purge).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from store.connections import Connections
from store.due_items import Booking, book_on
from store.schema import reflections, tandems


@dataclass(frozen=True)
class ReflectionRecord:
    id: int
    tandem_id: int
    member_id: int
    number: int
    final: bool
    answers: dict[str, Any]
    shared: list[str]
    created_at: datetime


def _reflection(row: sa.Row[Any]) -> ReflectionRecord:
    return ReflectionRecord(
        id=row.id,
        tandem_id=row.tandem_id,
        member_id=row.member_id,
        number=row.number,
        final=row.final,
        answers=dict(row.answers),
        shared=list(row.shared),
        created_at=row.created_at,
    )


class ReflectionRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def of_tandem(self, tandem_id: int) -> list[ReflectionRecord]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(reflections)
                .where(reflections.c.tandem_id == tandem_id)
                .order_by(reflections.c.number, reflections.c.id)
            )
            return [_reflection(row) for row in rows]

    async def next_for(self, tandem_id: int, member_id: int) -> tuple[int, bool]:
        """Which reflection the member answers now, and whether it waits for them: the
        partner's oldest one they have not answered (joining it), or a new number; ``(n,
        False)`` when their own reflection ``n`` still waits for the partner's."""
        rows = await self.of_tandem(tandem_id)
        mine = {row.number for row in rows if row.member_id == member_id}
        theirs = {row.number for row in rows if row.member_id != member_id}
        if theirs - mine:
            return min(theirs - mine), True
        if mine - theirs:
            return min(mine - theirs), False
        return max(mine | theirs, default=0) + 1, True

    async def save(
        self,
        tandem_id: int,
        member_id: int,
        number: int,
        *,
        final: bool,
        answers: dict[str, Any],
        shared: list[str],
        now: datetime,
        book: Callable[[int, bool], Iterable[Booking]] = lambda _number, _both: (),
    ) -> Literal["saved", "both", "closed"]:
        """Save the member's answers to reflection ``number``; ``"both"`` when the partner's
        are in too, ``"closed"`` when they answered it already or the tandem is gone. What
        ``book(number, both)`` names is booked in the same transaction."""
        async with self._db.write() as connection:
            # Locked: two partners answering at once are applied one after the other, so the
            # side-by-side post is booked exactly once.
            tandem = (
                await connection.execute(
                    sa.select(tandems).where(tandems.c.id == tandem_id).with_for_update()
                )
            ).first()
            if tandem is None or member_id not in (tandem.member_a, tandem.member_b):
                return "closed"
            answered = sa.select(reflections.c.member_id).where(
                reflections.c.tandem_id == tandem_id, reflections.c.number == number
            )
            who = set((await connection.execute(answered)).scalars())
            if member_id in who:
                return "closed"
            await connection.execute(
                reflections.insert().values(
                    community_id=tandem.community_id,
                    tandem_id=tandem_id,
                    member_id=member_id,
                    number=number,
                    final=final,
                    answers=answers,
                    shared=shared,
                    created_at=now,
                )
            )
            for booking in book(number, bool(who)):
                await book_on(connection, tandem.community_id, booking, now=now)
            return "both" if who else "saved"

    async def pair(self, tandem_id: int, number: int) -> list[ReflectionRecord]:
        """Both partners' answers to reflection ``number`` (fewer while one is missing)."""
        return [row for row in await self.of_tandem(tandem_id) if row.number == number]
