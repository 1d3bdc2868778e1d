"""The end of a tandem's program round: the completion, each partner's choice, the decision.

One row per tandem and round (unique), made when the completion is celebrated
(:meth:`ProgramEndRepository.complete`). Each partner's choice ("continue", "finish", "anew")
is recorded once (a conditional update). :meth:`ProgramEndRepository.decide` acts on both in
one transaction, once (conditional on nothing decided yet): both "continue" → the tandem's
next round begins (``program_round`` + 1, ``round_started_at``) with its bookings; otherwise
the tandem ends (``completed``: both wait again, never matched with each other again) and
those named become ``alumni``. The rows go with their tandem (and so with either member on
``forget`` or the retention purge).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from store.connections import Connections
from store.due_items import Booking, book_on
from store.members import MemberStatus
from store.schema import agreements, due_items, members, program_ends, tandems
from store.tandems import ACTIVE, ENDED, PAUSED, TandemRecord, end_on, tandem_from_row

CONTINUE = "continue"
FINISH = "finish"
ANEW = "anew"
CHOICES = (CONTINUE, FINISH, ANEW)
CONTINUED = "continued"
ENDED_OUTCOME = "ended"
#: Why a tandem ended when its program did (``tandems.end_reason``).
COMPLETED = "completed"


@dataclass(frozen=True)
class ProgramEndRecord:
    id: int
    community_id: str
    tandem_id: int
    round: int
    member_a: int
    member_b: int
    completed_at: datetime
    choice_a: str | None
    choice_b: str | None
    outcome: str | None
    decided_at: datetime | None

    def choice_of(self, member_id: int) -> str | None:
        return self.choice_a if member_id == self.member_a else self.choice_b

    @property
    def both_answered(self) -> bool:
        return self.choice_a is not None and self.choice_b is not None


_COLUMNS = (*program_ends.c, tandems.c.member_a, tandems.c.member_b)


def _record(row: sa.Row[Any]) -> ProgramEndRecord:
    return ProgramEndRecord(
        id=row.id,
        community_id=row.community_id,
        tandem_id=row.tandem_id,
        round=row.round,
        member_a=row.member_a,
        member_b=row.member_b,
        completed_at=row.completed_at,
        choice_a=row.choice_a,
        choice_b=row.choice_b,
        outcome=row.outcome,
        decided_at=row.decided_at,
    )


class ProgramEndRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def get(self, tandem_id: int, round_: int) -> ProgramEndRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(*_COLUMNS)
                    .join(tandems, tandems.c.id == program_ends.c.tandem_id)
                    .where(program_ends.c.tandem_id == tandem_id, program_ends.c.round == round_)
                )
            ).first()
        return None if row is None else _record(row)

    async def without_completion(self) -> list[TandemRecord]:
        """Running (active or paused) tandems with an agreement that was agreed, whose current
        round is neither complete nor has its completion booked (no due item of key
        ``tandem:<id>:program:<round>:complete`` in any state): those agreed before the
        completion was booked with their reflections (docs/program-end.md)."""
        key = (
            sa.literal("tandem:")
            + sa.cast(tandems.c.id, sa.String)
            + sa.literal(":program:")
            + sa.cast(tandems.c.program_round, sa.String)
            + sa.literal(":complete")
        )
        booked = sa.select(due_items.c.id).where(
            due_items.c.community_id == tandems.c.community_id, due_items.c.key == key
        )
        complete = sa.select(program_ends.c.id).where(
            program_ends.c.tandem_id == tandems.c.id,
            program_ends.c.round == tandems.c.program_round,
        )
        agreed = sa.select(agreements.c.id).where(
            agreements.c.tandem_id == tandems.c.id, agreements.c.agreed_at.is_not(None)
        )
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems)
                .where(
                    tandems.c.state.in_((ACTIVE, PAUSED)),
                    agreed.exists(),
                    ~complete.exists(),
                    ~booked.exists(),
                )
                .order_by(tandems.c.id)
            )
            return [tandem_from_row(row) for row in rows]

    async def complete(self, tandem_id: int, round_: int, *, by: str, now: datetime) -> bool:
        """Record that round ``round_`` of the tandem is complete, celebrated by the run ``by``
        (a due item's run). True for that run (and its retries after a crash), False for any
        other (it was celebrated already) or when the tandem is not in that round any more."""
        async with self._db.write() as connection:
            tandem = (
                await connection.execute(
                    sa.select(tandems).where(tandems.c.id == tandem_id).with_for_update()
                )
            ).first()
            if tandem is None or tandem.program_round != round_:
                return False
            found = (
                await connection.execute(
                    sa.select(program_ends.c.completed_by).where(
                        program_ends.c.tandem_id == tandem_id, program_ends.c.round == round_
                    )
                )
            ).scalar_one_or_none()
            if found is not None:
                return bool(found == by)
            await connection.execute(
                program_ends.insert().values(
                    community_id=tandem.community_id,
                    tandem_id=tandem_id,
                    round=round_,
                    completed_by=by,
                    completed_at=now,
                )
            )
            return True

    async def answer(
        self, tandem_id: int, round_: int, member_id: int, choice: str, *, now: datetime
    ) -> tuple[bool, ProgramEndRecord | None]:
        """Record the member's choice once, while nothing is decided: (recorded, the row as it
        is now). Two partners answering at once are both recorded (each their own column)."""
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        record = await self.get(tandem_id, round_)
        if record is None or member_id not in (record.member_a, record.member_b):
            return False, record
        side = "a" if member_id == record.member_a else "b"
        async with self._db.write() as connection:
            recorded = await connection.execute(
                program_ends.update()
                .where(
                    program_ends.c.id == record.id,
                    program_ends.c[f"choice_{side}"].is_(None),
                    program_ends.c.decided_at.is_(None),
                )
                .values({f"choice_{side}": choice, f"answered_{side}_at": now})
            )
        return recorded.rowcount == 1, await self.get(tandem_id, round_)

    async def decide(
        self,
        tandem_id: int,
        round_: int,
        *,
        outcome: Literal["continued", "ended"],
        seen: tuple[str | None, str | None],
        now: datetime,
        alumni: Iterable[int] = (),
        book: Iterable[Booking] = (),
        running_key: str | None = None,
    ) -> bool:
        """Act on the round's choices, once, and only on those ``seen`` (partner a's and b's:
        an answer that came in meanwhile makes this a no-op, to be decided again): ``continued``
        starts the tandem's next round now;
        ``ended`` ends it (``completed``; both wait again) and makes ``alumni`` alumni. ``book``
        is booked (telling both, the next round's reflections) in the same transaction; an
        ending cancels what was pending for the tandem but ``running_key``. False if it was
        decided already, or the tandem is no longer in that round or current."""
        async with self._db.write() as connection:
            # Locked first: an ending or a pause racing this decision is seen either way.
            current = (
                await connection.execute(
                    sa.select(tandems.c.id)
                    .where(
                        tandems.c.id == tandem_id,
                        tandems.c.program_round == round_,
                        tandems.c.state.in_((ACTIVE, PAUSED)),
                    )
                    .with_for_update()
                )
            ).first()
            if current is None:
                return False
            decided = await connection.execute(
                program_ends.update()
                .where(
                    program_ends.c.tandem_id == tandem_id,
                    program_ends.c.round == round_,
                    program_ends.c.decided_at.is_(None),
                    *(
                        program_ends.c[f"choice_{side}"].is_(None)
                        if choice is None
                        else program_ends.c[f"choice_{side}"] == choice
                        for side, choice in zip("ab", seen, strict=True)
                    ),
                )
                .values(outcome=outcome, decided_at=now)
                .returning(program_ends.c.community_id)
            )
            community_id = decided.scalar_one_or_none()
            if community_id is None:
                return False
            if outcome == CONTINUED:
                await connection.execute(
                    tandems.update()
                    .where(tandems.c.id == tandem_id)
                    .values(program_round=round_ + 1, round_started_at=now, updated_at=now)
                )
            else:
                await end_on(
                    connection,
                    tandem_id,
                    from_states=(ACTIVE, PAUSED),
                    state=ENDED,
                    reason=COMPLETED,
                    now=now,
                    running_key=running_key,
                )
                if finished := list(alumni):
                    await connection.execute(
                        members.update()
                        .where(
                            members.c.id.in_(finished),
                            members.c.status.in_((MemberStatus.WAITING, MemberStatus.PAUSED)),
                        )
                        .values(
                            status=MemberStatus.ALUMNI,
                            paused_until=None,
                            first_in_line_at=None,
                            updated_at=now,
                        )
                    )
            for booking in book:
                await book_on(connection, community_id, booking, now=now)
        return True
