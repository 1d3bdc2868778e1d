"""Match rounds: a preview of proposed pairs, then the run that introduces exactly those pairs.

A preview is stored with a fingerprint of the waiting members and their profiles and the
proposal itself (:meth:`MatchRoundRepository.save_preview`; a newer preview of the community
discards the older ones). :meth:`MatchRoundRepository.run` turns it into tandems in ONE
transaction: the round is marked run, each pair becomes a tandem (state ``introducing``), its
members go from waiting to ``in_tandem``, those who sit out are put first in line, and the due
items that introduce each pair and tell each one who sits out are booked — so a crash leaves
either nothing done or everything booked, never a pair that nobody introduces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.due_items import Booking, book_on
from store.members import MemberStatus
from store.schema import match_rounds, members, tandems
from store.tandems import (
    INTRODUCING,
    ROUND_DONE,
    TandemRecord,
    in_a_current_tandem,
    tandem_from_row,
)

PREVIEW = "preview"
RUN = "run"
DONE = ROUND_DONE
DISCARDED = "discarded"

ORGANIZER = "organizer"
CADENCE = "cadence"


class MembersChanged(Exception):
    """A member of a previewed pair no longer waits (paused, left, was paired meanwhile) or
    has a tandem that has not ended."""


@dataclass(frozen=True)
class RoundRecord:
    id: int
    community_id: str
    started_by: str
    seed: int
    week_start: date
    state: str
    fingerprint: str
    proposal: dict[str, Any] | None
    pairs: int
    sit_outs: int
    created_at: datetime
    run_at: datetime | None


@dataclass(frozen=True)
class PairToIntroduce:
    member_a: int
    member_b: int
    score: int
    reasons: dict[str, Any]


async def discard_previews_on(
    connection: AsyncConnection, community_id: str, *, now: datetime
) -> None:
    """Discard the community's previews in the caller's transaction: a newer one replaces them,
    or a member they may name was forgotten (a run then has to preview anew)."""
    await connection.execute(
        match_rounds.update()
        .where(match_rounds.c.community_id == community_id, match_rounds.c.state == PREVIEW)
        .values(state=DISCARDED, proposal=None, updated_at=now)
    )


def _round(row: sa.Row[Any]) -> RoundRecord:
    return RoundRecord(
        id=row.id,
        community_id=row.community_id,
        started_by=row.started_by,
        seed=row.seed,
        week_start=row.week_start,
        state=row.state,
        fingerprint=row.fingerprint,
        proposal=None if row.proposal is None else dict(row.proposal),
        pairs=row.pairs,
        sit_outs=row.sit_outs,
        created_at=row.created_at,
        run_at=row.run_at,
    )


class MatchRoundRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def save_preview(
        self,
        *,
        community_id: str,
        started_by: str,
        seed: int,
        week_start: date,
        fingerprint: str,
        proposal: dict[str, Any],
        pairs: int,
        sit_outs: int,
        now: datetime,
    ) -> RoundRecord:
        """Store a preview; earlier previews of the community are discarded (only the newest
        can be run)."""
        async with self._db.write() as connection:
            await discard_previews_on(connection, community_id, now=now)
            row = (
                await connection.execute(
                    match_rounds.insert()
                    .values(
                        community_id=community_id,
                        started_by=started_by,
                        seed=seed,
                        week_start=week_start,
                        state=PREVIEW,
                        fingerprint=fingerprint,
                        proposal=proposal,
                        pairs=pairs,
                        sit_outs=sit_outs,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(*match_rounds.c)
                )
            ).one()
        return _round(row)

    async def get(self, round_id: int) -> RoundRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(match_rounds).where(match_rounds.c.id == round_id)
                )
            ).first()
        return None if row is None else _round(row)

    async def latest(
        self, community_id: str, *, states: Iterable[str] | None = None
    ) -> RoundRecord | None:
        """The community's newest round (in one of ``states``, if given)."""
        query = sa.select(match_rounds).where(match_rounds.c.community_id == community_id)
        if states is not None:
            query = query.where(match_rounds.c.state.in_(list(states)))
        async with self._db.read() as connection:
            row = (
                await connection.execute(query.order_by(match_rounds.c.id.desc()).limit(1))
            ).first()
        return None if row is None else _round(row)

    async def run(
        self,
        round_id: int,
        *,
        pairs: Sequence[PairToIntroduce],
        sit_out: Sequence[int],
        now: datetime,
        book: Callable[[TandemRecord | None, int | None], Iterable[Booking]],
    ) -> list[TandemRecord] | None:
        """Introduce the previewed round: everything in one transaction (see the module).

        ``book(tandem, None)`` names the due items for each new tandem, ``book(None, member)``
        those for each member who sits out. Returns the tandems, or None when the round is no
        longer a preview (it was run already, or discarded). Raises :class:`MembersChanged`
        (and changes nothing) when a paired member no longer waits or has a current tandem.
        """
        async with self._db.write() as connection:
            marked = await connection.execute(
                match_rounds.update()
                .where(match_rounds.c.id == round_id, match_rounds.c.state == PREVIEW)
                .values(state=RUN, run_at=now, proposal=None, updated_at=now)
                .returning(match_rounds.c.community_id)
            )
            community_id = marked.scalar()
            if community_id is None:
                return None
            made: list[TandemRecord] = []
            for pair in pairs:
                paired = await connection.execute(
                    members.update()
                    .where(
                        members.c.id.in_([pair.member_a, pair.member_b]),
                        members.c.community_id == community_id,
                        members.c.status == MemberStatus.WAITING,
                        # never a second live tandem, whatever the status says
                        ~in_a_current_tandem(members.c.id),
                    )
                    .values(status=MemberStatus.IN_TANDEM, first_in_line_at=None, updated_at=now)
                )
                if paired.rowcount != 2:
                    raise MembersChanged(f"a member of pair {pair.member_a}/{pair.member_b}")
                row = (
                    await connection.execute(
                        tandems.insert()
                        .values(
                            community_id=community_id,
                            round_id=round_id,
                            member_a=min(pair.member_a, pair.member_b),
                            member_b=max(pair.member_a, pair.member_b),
                            score=pair.score,
                            reasons=pair.reasons,
                            state=INTRODUCING,
                            created_at=now,
                            updated_at=now,
                        )
                        .returning(*tandems.c)
                    )
                ).one()
                tandem = tandem_from_row(row)
                made.append(tandem)
                for booking in book(tandem, None):
                    await book_on(connection, community_id, booking, now=now)
            if sit_out:
                await connection.execute(
                    members.update()
                    .where(members.c.id.in_(list(sit_out)), members.c.first_in_line_at.is_(None))
                    .values(first_in_line_at=now, updated_at=now)
                )
            for member_id in sit_out:
                for booking in book(None, member_id):
                    await book_on(connection, community_id, booking, now=now)
            if not made:
                await connection.execute(
                    match_rounds.update()
                    .where(match_rounds.c.id == round_id)
                    .values(state=DONE, updated_at=now)
                )
        return made
