"""Tandems: two members a match round introduced, and what became of it.

A tandem's life (``state``)::

    introducing ─▶ introduced ─┬─ both "let's do it" ─▶ active ─┬─▶ ended   (rematch, left, …)
    (space, intro    (waiting   ├─ one "not a fit" ──▶ declined └─▶ paused ─▶ active
     being sent)     for the    └─ no answer in time ─▶ lapsed
                     first call)

Every change is a conditional update on the state it starts from, so two answers at the same
moment, or an answer racing the lapse, change it once. Ending (declined, lapsed, ended) puts
both members back to waiting and cancels what was still pending for the tandem (its due items'
keys start with :func:`due_prefix`) in the same transaction. A pair that declined, was a
real tandem or whose tandem was ended (rematch, block, a partner leaving, the organizers), at
any stage, is never matched again; a lapsed introduction may be
(:meth:`TandemRepository.pairs_met`). A partner who had paused the tandem stays paused when
the other ends it (:meth:`TandemRepository.end`, ``still_paused``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.due_items import Booking, book_on, cancel_prefix_on
from store.members import MemberStatus
from store.schema import fit_text, match_rounds, members, tandems

INTRODUCING = "introducing"
INTRODUCED = "introduced"
ACTIVE = "active"
PAUSED = "paused"
DECLINED = "declined"
LAPSED = "lapsed"
ENDED = "ended"
#: States in which the two are still a pair (the members are ``in_tandem``).
CURRENT = (INTRODUCING, INTRODUCED, ACTIVE, PAUSED)

#: A round whose pairs were all introduced (see store/rounds.py, which owns the round states).
ROUND_DONE = "done"

YES = "yes"
NO = "no"

Outcome = Literal["recorded", "active", "declined", "closed"]


def due_prefix(tandem_id: int) -> str:
    """Every due item of a tandem has a key starting with this (``tandem:7:intro``)."""
    return f"tandem:{tandem_id}:"


@dataclass(frozen=True)
class TandemRecord:
    id: int
    community_id: str
    round_id: int | None
    member_a: int
    member_b: int
    score: int
    reasons: dict[str, Any]
    state: str
    space: dict[str, Any] | None
    answer_a: str | None
    answer_b: str | None
    reason_a: str | None
    reason_b: str | None
    created_at: datetime
    introduced_at: datetime | None
    active_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    paused_by: int | None = None
    paused_until: datetime | None = None
    program_round: int = 1
    round_started_at: datetime | None = None

    @property
    def round_began(self) -> datetime:
        """When the tandem's current program round began (the first: when it became active)."""
        return self.round_started_at or self.active_at or self.created_at

    @property
    def members(self) -> tuple[int, int]:
        return (self.member_a, self.member_b)

    def partner_of(self, member_id: int) -> int:
        return self.member_b if member_id == self.member_a else self.member_a

    def answer_of(self, member_id: int) -> str | None:
        return self.answer_a if member_id == self.member_a else self.answer_b


def tandem_from_row(row: sa.Row[Any]) -> TandemRecord:
    return TandemRecord(
        id=row.id,
        community_id=row.community_id,
        round_id=row.round_id,
        member_a=row.member_a,
        member_b=row.member_b,
        score=row.score,
        reasons=dict(row.reasons),
        state=row.state,
        space=None if row.space is None else dict(row.space),
        answer_a=row.answer_a,
        answer_b=row.answer_b,
        reason_a=row.reason_a,
        reason_b=row.reason_b,
        created_at=row.created_at,
        introduced_at=row.introduced_at,
        active_at=row.active_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        paused_by=row.paused_by,
        paused_until=row.paused_until,
        program_round=row.program_round,
        round_started_at=row.round_started_at,
    )


def _of(member_id: int) -> sa.ColumnElement[bool]:
    return sa.or_(tandems.c.member_a == member_id, tandems.c.member_b == member_id)


def in_a_current_tandem(member_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """Whether the member (a column or value) has a tandem that has not ended."""
    return (
        sa.select(tandems.c.id)
        .where(
            sa.or_(tandems.c.member_a == member_id, tandems.c.member_b == member_id),
            tandems.c.state.in_(CURRENT),
        )
        .exists()
    )


class TandemRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def get(self, tandem_id: int) -> TandemRecord | None:
        async with self._db.read() as connection:
            return await get_on(connection, tandem_id)

    async def of_round(self, round_id: int) -> list[TandemRecord]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems).where(tandems.c.round_id == round_id).order_by(tandems.c.id)
            )
            return [tandem_from_row(row) for row in rows]

    async def current_for(self, member_id: int) -> TandemRecord | None:
        """The member's tandem that has not ended, if any."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(tandems)
                    .where(_of(member_id), tandems.c.state.in_(CURRENT))
                    .order_by(tandems.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else tandem_from_row(row)

    async def members_in_current(self, community_id: str) -> set[int]:
        """Every member of the community with a tandem that has not ended (whatever their
        member status says): none of them may be matched."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems.c.member_a, tandems.c.member_b).where(
                    tandems.c.community_id == community_id, tandems.c.state.in_(CURRENT)
                )
            )
            return {member for row in rows for member in (row.member_a, row.member_b)}

    async def latest_for(self, member_id: int) -> TandemRecord | None:
        """The member's newest tandem, whatever became of it."""
        return await self._latest(_of(member_id))

    async def latest_introduced_for(self, member_id: int) -> TandemRecord | None:
        """The member's newest tandem whose introduction was sent (a partner they know by
        name), whatever became of it."""
        return await self._latest(_of(member_id) & tandems.c.introduced_at.is_not(None))

    async def latest_between(self, a: int, b: int) -> TandemRecord | None:
        """The newest tandem of these two members, whatever became of it."""
        return await self._latest(_of(a) & _of(b))

    async def _latest(self, where: sa.ColumnElement[bool]) -> TandemRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(tandems).where(where).order_by(tandems.c.id.desc()).limit(1)
                )
            ).first()
        return None if row is None else tandem_from_row(row)

    async def pause(
        self,
        tandem_id: int,
        *,
        by: int | None,
        until: datetime | None,
        now: datetime,
        book: Iterable[Booking] = (),
        cancel: str | None = None,
    ) -> bool:
        """``by`` pauses the active tandem (or changes the end of their own pause, or takes over
        a pause the bot made): the pause is recorded, ``book`` booked (its end) and the item
        ``cancel`` cancelled (an end no longer wanted), in one transaction. ``by`` None: the bot
        pauses a quiet tandem (either partner may resume it). False if it was neither active nor
        paused by them (or by the bot)."""
        async with self._db.write() as connection:
            paused = await connection.execute(
                tandems.update()
                .where(
                    tandems.c.id == tandem_id,
                    sa.or_(
                        tandems.c.state == ACTIVE,
                        sa.and_(
                            tandems.c.state == PAUSED,
                            sa.or_(tandems.c.paused_by == by, tandems.c.paused_by.is_(None))
                            if by is not None
                            else sa.false(),
                        ),
                    ),
                )
                .values(state=PAUSED, paused_by=by, paused_until=until, updated_at=now)
                .returning(tandems.c.community_id)
            )
            community_id = paused.scalar_one_or_none()
            if community_id is None:
                return False
            if cancel is not None:
                await cancel_prefix_on(connection, community_id, cancel, now=now)
            for booking in book:
                await book_on(connection, community_id, booking, now=now)
        return True

    async def resume(self, tandem_id: int, *, now: datetime, cancel: str | None = None) -> bool:
        """The paused tandem is active again (and ``cancel``, its dated end, cancelled); False if
        it was not paused."""
        async with self._db.write() as connection:
            resumed = await connection.execute(
                tandems.update()
                .where(tandems.c.id == tandem_id, tandems.c.state == PAUSED)
                .values(state=ACTIVE, paused_by=None, paused_until=None, updated_at=now)
                .returning(tandems.c.community_id)
            )
            community_id = resumed.scalar_one_or_none()
            if community_id is None:
                return False
            if cancel is not None:
                await cancel_prefix_on(connection, community_id, cancel, now=now)
        return True

    async def keep_going(self, tandem_id: int, *, now: datetime) -> bool:
        """A partner of the active tandem told the bot to keep going: it counts as a sign of
        life (:mod:`store.quiet`: it is not quiet again for three weeks). False if it is not
        active."""
        async with self._db.write() as connection:
            kept = await connection.execute(
                tandems.update()
                .where(tandems.c.id == tandem_id, tandems.c.state == ACTIVE)
                .values(updated_at=now)
            )
            return kept.rowcount == 1

    async def end_pause_if_due(self, tandem_id: int, now: datetime) -> TandemRecord | None:
        """End the tandem's dated pause if its date has come: the tandem, or None if it was not
        paused until then (resumed, paused anew without a date, ended). The update is the claim:
        two runs never both end it."""
        async with self._db.write() as connection:
            resumed = await connection.execute(
                tandems.update()
                .where(
                    tandems.c.id == tandem_id,
                    tandems.c.state == PAUSED,
                    tandems.c.paused_until <= now,
                )
                .values(state=ACTIVE, paused_by=None, paused_until=None, updated_at=now)
            )
            if resumed.rowcount != 1:
                return None
            return await get_on(connection, tandem_id)

    async def pairs_met(self, community_id: str) -> list[tuple[int, int]]:
        """Every two members of the community who must not be proposed to each other again:
        a "not a fit", a real tandem (active at some point, whatever came after), a current
        one, and one somebody ended (rematch, block, leaving, the organizers' ``end``), also
        before both said yes: either was told they won't be matched again. Only a lapsed
        introduction (nobody, or one, answered in time) is no verdict on the pair: they may be
        proposed again in a later round."""
        excludes = sa.or_(
            tandems.c.state.in_((DECLINED, ENDED, *CURRENT)),
            tandems.c.active_at.is_not(None),
        )
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems.c.member_a, tandems.c.member_b)
                .where(tandems.c.community_id == community_id, excludes)
                .distinct()
            )
            return [(row.member_a, row.member_b) for row in rows]

    async def record_space(
        self, tandem_id: int, space: dict[str, Any], *, now: datetime
    ) -> TandemRecord | None:
        """Record the pair space the platform made, unless one is recorded already; the tandem
        as it is now (with whichever space was recorded first)."""
        async with self._db.write() as connection:
            await connection.execute(
                tandems.update()
                .where(tandems.c.id == tandem_id, tandems.c.space.is_(None))
                .values(space=space, updated_at=now)
            )
            return await get_on(connection, tandem_id)

    async def mark_introduced(
        self, tandem_id: int, *, now: datetime, book: Iterable[Booking] = ()
    ) -> bool:
        """The pair was introduced: ``introducing`` → ``introduced``, with ``book`` (the
        first-call question, the nudge) booked in the same transaction; once all pairs of its
        round are, the round is done. False if it was not introducing (already marked)."""
        async with self._db.write() as connection:
            result = await connection.execute(
                tandems.update()
                .where(tandems.c.id == tandem_id, tandems.c.state == INTRODUCING)
                .values(state=INTRODUCED, introduced_at=now, updated_at=now)
                .returning(tandems.c.community_id, tandems.c.round_id)
            )
            changed = result.first()
            if changed is None:
                return False
            for booking in book:
                await book_on(connection, changed.community_id, booking, now=now)
            if changed.round_id is not None:
                still_introducing = (
                    sa.select(tandems.c.id)
                    .where(tandems.c.round_id == changed.round_id, tandems.c.state == INTRODUCING)
                    .exists()
                )
                await connection.execute(
                    match_rounds.update()
                    .where(match_rounds.c.id == changed.round_id, ~still_introducing)
                    .values(state=ROUND_DONE, updated_at=now)
                )
        return True

    async def awaiting_answer(self, member_id: int) -> TandemRecord | None:
        """The member's introduced tandem whose first-call question they have not answered."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(tandems)
                    .where(
                        tandems.c.state == INTRODUCED,
                        sa.or_(
                            sa.and_(tandems.c.member_a == member_id, tandems.c.answer_a.is_(None)),
                            sa.and_(tandems.c.member_b == member_id, tandems.c.answer_b.is_(None)),
                        ),
                    )
                    .order_by(tandems.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else tandem_from_row(row)

    async def answer(
        self,
        tandem_id: int,
        member_id: int,
        answer: str,
        *,
        reason: str | None,
        now: datetime,
        book: Callable[[Outcome], Iterable[Booking]] = lambda _outcome: (),
    ) -> tuple[Outcome, TandemRecord | None]:
        """Record one partner's answer after the first call, in one transaction.

        ``"closed"``: nothing recorded (the introduction is over, or they answered before).
        ``"declined"``: "not a fit": the tandem ended, both members wait again.
        ``"active"``: both said yes; this answer made the tandem active (only one of two
        answers arriving together does: the update is conditional on the state).
        ``"recorded"``: the partner has not said yes yet.
        ``book(outcome)`` names the due items to book, in the same transaction, when the
        answer made the tandem active or declined it (telling the partner).
        """
        side = await self._side(tandem_id, member_id)
        if side is None:
            return "closed", None
        column_answer, column_reason = f"answer_{side}", f"reason_{side}"
        async with self._db.write() as connection:
            recorded = await connection.execute(
                tandems.update()
                .where(
                    tandems.c.id == tandem_id,
                    tandems.c.state == INTRODUCED,
                    tandems.c[column_answer].is_(None),
                )
                .values(
                    {
                        column_answer: answer,
                        column_reason: fit_text(tandems.c[column_reason], reason),
                        "updated_at": now,
                    }
                )
            )
            if recorded.rowcount != 1:
                return "closed", await get_on(connection, tandem_id)
            if answer == NO:
                ended = await end_on(
                    connection,
                    tandem_id,
                    from_states=(INTRODUCED,),
                    state=DECLINED,
                    reason="not_a_fit",
                    now=now,
                    book=book("declined"),
                )
                return ("declined" if ended else "closed"), await get_on(connection, tandem_id)
            activated = await connection.execute(
                tandems.update()
                .where(
                    tandems.c.id == tandem_id,
                    tandems.c.state == INTRODUCED,
                    tandems.c.answer_a == YES,
                    tandems.c.answer_b == YES,
                )
                .values(state=ACTIVE, active_at=now, updated_at=now)
            )
            tandem = await get_on(connection, tandem_id)
            if activated.rowcount == 1 and tandem is not None:
                await cancel_prefix_on(
                    connection, tandem.community_id, due_prefix(tandem_id), now=now
                )
                for booking in book("active"):
                    await book_on(connection, tandem.community_id, booking, now=now)
                return "active", tandem
            return "recorded", tandem

    async def add_reason(
        self,
        tandem_id: int,
        member_id: int,
        reason: str,
        *,
        now: datetime,
        book: Iterable[Booking] = (),
    ) -> TandemRecord | None:
        """Add the optional private reason to the member's "not a fit", once, with ``book``
        (telling the organizers) in the same transaction: the decline itself was recorded (and
        told) when they picked it. The tandem, or None if they did not decline it or gave a
        reason already."""
        side = await self._side(tandem_id, member_id)
        if side is None:
            return None
        column_answer, column_reason = f"answer_{side}", f"reason_{side}"
        async with self._db.write() as connection:
            added = await connection.execute(
                tandems.update()
                .where(
                    tandems.c.id == tandem_id,
                    tandems.c[column_answer] == NO,
                    tandems.c[column_reason].is_(None),
                )
                .values(
                    {column_reason: fit_text(tandems.c[column_reason], reason), "updated_at": now}
                )
            )
            tandem = await get_on(connection, tandem_id)
            if added.rowcount != 1 or tandem is None:
                return None
            for booking in book:
                await book_on(connection, tandem.community_id, booking, now=now)
            return tandem

    async def end(
        self,
        tandem_id: int,
        *,
        state: str,
        reason: str,
        now: datetime,
        from_states: tuple[str, ...] = CURRENT,
        book: Iterable[Booking] = (),
        running_key: str | None = None,
        first_in_line: Iterable[int] = (),
        still_paused: Callable[[TandemRecord], Iterable[Booking]] | None = None,
    ) -> TandemRecord | None:
        """End the tandem (``declined``, ``lapsed``, ``ended``) if it is in one of
        ``from_states``: both members wait again (those of ``first_in_line`` first in line for
        the next round), its pending due items are cancelled (but ``running_key``, the item
        doing this, which must finish as done) and ``book`` is booked (telling the partners),
        all in one transaction. The ended tandem, or None if it was not in those states.

        ``still_paused``: when the tandem was paused by one partner and the other (or the
        organizers) ends it, the one who paused stays paused (member status ``paused`` until
        the tandem pause's date, first in line when back), and what ``still_paused`` returns for
        the tandem as it was (the end of that member's pause) is booked too. Read and decided
        inside the transaction, so a pause or resume racing the ending is seen either way."""
        async with self._db.write() as connection:
            before = await get_on(connection, tandem_id)
            pauser = (
                before.paused_by
                if still_paused is not None and before is not None and before.state == PAUSED
                else None
            )
            if not await end_on(
                connection,
                tandem_id,
                from_states=from_states,
                state=state,
                reason=reason,
                now=now,
                book=book,
                running_key=running_key,
            ):
                return None
            if first := list(first_in_line):
                await connection.execute(
                    members.update()
                    .where(members.c.id.in_(first), members.c.status == MemberStatus.WAITING)
                    .values(first_in_line_at=now)
                )
            if pauser is not None and before is not None and still_paused is not None:
                kept = await connection.execute(
                    members.update()
                    .where(members.c.id == pauser, members.c.status == MemberStatus.WAITING)
                    .values(
                        status=MemberStatus.PAUSED,
                        paused_until=before.paused_until,
                        first_in_line_at=now,
                        updated_at=now,
                    )
                )
                if kept.rowcount == 1:
                    for booking in still_paused(before):
                        await book_on(connection, before.community_id, booking, now=now)
            return await get_on(connection, tandem_id)

    async def _side(self, tandem_id: int, member_id: int) -> str | None:
        tandem = await self.get(tandem_id)
        if tandem is None or member_id not in tandem.members:
            return None
        return "a" if member_id == tandem.member_a else "b"

    async def count_by_state(self, community_id: str) -> dict[str, int]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(tandems.c.state, sa.func.count())
                .where(tandems.c.community_id == community_id)
                .group_by(tandems.c.state)
            )
            return {row[0]: row[1] for row in rows}


async def get_on(connection: AsyncConnection, tandem_id: int) -> TandemRecord | None:
    row = (await connection.execute(sa.select(tandems).where(tandems.c.id == tandem_id))).first()
    return None if row is None else tandem_from_row(row)


async def end_on(
    connection: AsyncConnection,
    tandem_id: int,
    *,
    from_states: tuple[str, ...],
    state: str,
    reason: str,
    now: datetime,
    book: Iterable[Booking] = (),
    running_key: str | None = None,
) -> bool:
    ended = await connection.execute(
        tandems.update()
        .where(tandems.c.id == tandem_id, tandems.c.state.in_(from_states))
        .values(state=state, end_reason=reason, ended_at=now, updated_at=now)
        .returning(tandems.c.community_id, tandems.c.member_a, tandems.c.member_b)
    )
    row = ended.first()
    if row is None:
        return False
    await connection.execute(
        members.update()
        .where(
            members.c.id.in_([row.member_a, row.member_b]),
            members.c.status == MemberStatus.IN_TANDEM,
        )
        .values(status=MemberStatus.WAITING, updated_at=now)
    )
    await cancel_prefix_on(
        connection, row.community_id, due_prefix(tandem_id), now=now, keep=running_key
    )
    for booking in book:
        await book_on(connection, row.community_id, booking, now=now)
    return True
