"""Meetings: the occurrences of a tandem's agreed weekly rhythm, and each partner's check-in.

A meeting's life (``state``)::

    scheduled ─┬─ moved (the partner accepted a new time) ─┐
               ├─ skipped (by one partner; or the tandem   │
               │   was paused when it passed)              │
               ├─ cancelled (the rhythm changed)           │
               └────────────── check-ins / the deadline ───┴─▶ held | missed | unclear

Only the next occurrence is materialised (:meth:`MeetingRepository.plan`), never a series: the
journey plans the next one when the agreement is agreed or its rhythm changes, when one is
skipped and when one ends. What the rhythm means (which instant is the next occurrence) is the
journey's business (:mod:`flows.meeting_plan`); this module stores what it is given, books
what it names in the same transaction, and keeps every change conditional on the state it
starts from (the meeting's row locked on PostgreSQL), so two partners or two processes never
double a meeting, an answer or a verdict.

Due items of a meeting have keys under :func:`meeting_prefix` (``tandem:7:meeting:12:``),
inside the tandem's prefix: ending the tandem cancels them all, moving or skipping one meeting
cancels its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.due_items import Booking, book_on, cancel_prefix_on
from store.schema import meeting_settings, meetings, tandems
from store.tandems import ACTIVE, PAUSED, due_prefix

SCHEDULED = "scheduled"
MOVED = "moved"
HELD = "held"
MISSED = "missed"
UNCLEAR = "unclear"
SKIPPED = "skipped"
CANCELLED = "cancelled"
#: Still to come (or running, or waiting for its check-ins).
UPCOMING = (SCHEDULED, MOVED)
#: What the check-ins made of a meeting.
SETTLED = (HELD, MISSED, UNCLEAR)

# Check-in answers: "we met", "we met at another time", "it didn't happen".
MET = "met"
MET_ELSEWHEN = "moved"
DIDNT = "missed"
ANSWERS = (MET, MET_ELSEWHEN, DIDNT)

REMINDERS_DM = "dm"
REMINDERS_SPACE = "space"


def meeting_prefix(tandem_id: int, meeting_id: int) -> str:
    """Every due item of one meeting has a key starting with this."""
    return f"{due_prefix(tandem_id)}meeting:{meeting_id}:"


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    community_id: str
    tandem_id: int
    member_a: int
    member_b: int
    occurrence_at: datetime
    starts_at: datetime
    ends_at: datetime
    timezone: str
    state: str
    answer_a: str | None
    answer_b: str | None
    proposed_at: datetime | None
    proposed_by: int | None
    skipped_by: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def members(self) -> tuple[int, int]:
        return (self.member_a, self.member_b)

    @property
    def duration(self) -> int:
        """Minutes."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def moved(self) -> bool:
        return self.starts_at != self.occurrence_at

    def side(self, member_id: int) -> str:
        return "a" if member_id == self.member_a else "b"

    def answer_of(self, member_id: int) -> str | None:
        return self.answer_a if self.side(member_id) == "a" else self.answer_b

    def partner_of(self, member_id: int) -> int:
        return self.member_b if member_id == self.member_a else self.member_a

    @property
    def prefix(self) -> str:
        return meeting_prefix(self.tandem_id, self.id)


@dataclass(frozen=True)
class Occurrence:
    """What :meth:`MeetingRepository.plan` materialises: one occurrence of the rhythm."""

    occurrence_at: datetime
    ends_at: datetime
    timezone: str


Books = Callable[[MeetingRecord], Iterable[Booking]]
#: What a verdict books: gets the settled meeting and the tandem's history as it stands with
#: this verdict (every meeting but cancelled ones, oldest first, this one among them).
VerdictBooks = Callable[[MeetingRecord, list[MeetingRecord]], Iterable[Booking]]

_WITH_MEMBERS = sa.select(meetings, tandems.c.member_a, tandems.c.member_b).join(
    tandems, tandems.c.id == meetings.c.tandem_id
)


def _meeting(row: sa.Row[Any]) -> MeetingRecord:
    return MeetingRecord(**{name: getattr(row, name) for name in MeetingRecord.__annotations__})


def verdict(a: str | None, b: str | None, *, final: bool) -> str | None:
    """What two check-ins make of a meeting: held as soon as one says they met; missed when
    both say it didn't happen, or (at the deadline) neither answered; at the deadline, one
    "didn't happen" against silence is unclear (neither held nor missed). None: not yet."""
    if MET in (a, b) or MET_ELSEWHEN in (a, b):
        return HELD
    if a == DIDNT and b == DIDNT:
        return MISSED
    if not final:
        return None
    return MISSED if a is None and b is None else UNCLEAR


async def _load(
    connection: AsyncConnection, meeting_id: int, *, lock: bool = False
) -> MeetingRecord | None:
    select = _WITH_MEMBERS.where(meetings.c.id == meeting_id)
    if lock:
        select = select.with_for_update(of=meetings)
    row = (await connection.execute(select)).first()
    return None if row is None else _meeting(row)


async def _history_on(connection: AsyncConnection, tandem_id: int) -> list[MeetingRecord]:
    """Every meeting of the tandem but cancelled ones, oldest first."""
    rows = await connection.execute(
        _WITH_MEMBERS.where(
            meetings.c.tandem_id == tandem_id, meetings.c.state != CANCELLED
        ).order_by(meetings.c.occurrence_at)
    )
    return [_meeting(row) for row in rows]


async def _book(
    connection: AsyncConnection, record: MeetingRecord, bookings: Iterable[Booking], now: datetime
) -> None:
    for booking in bookings:
        await book_on(connection, record.community_id, booking, now=now)


class MeetingRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def get(self, meeting_id: int) -> MeetingRecord | None:
        async with self._db.read() as connection:
            return await _load(connection, meeting_id)

    async def next_for(self, tandem_id: int, now: datetime) -> MeetingRecord | None:
        """The tandem's next meeting that has not ended (scheduled or moved), if any: its UTC
        start (``starts_at``), ``duration`` and agreed ``timezone``."""
        return await self._first(
            (meetings.c.tandem_id == tandem_id)
            & meetings.c.state.in_(UPCOMING)
            & (meetings.c.ends_at > now),
            meetings.c.starts_at,
        )

    async def exceptions(self, tandem_id: int) -> list[tuple[datetime, datetime | None]]:
        """Occurrences of the rhythm that did not take place at their time, oldest first: the
        original start (UTC) → the new start (UTC), or None for a skipped one."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(meetings.c.occurrence_at, meetings.c.starts_at, meetings.c.state)
                .where(
                    meetings.c.tandem_id == tandem_id,
                    sa.or_(
                        meetings.c.state == SKIPPED,
                        sa.and_(
                            meetings.c.state != CANCELLED,
                            meetings.c.starts_at != meetings.c.occurrence_at,
                        ),
                    ),
                )
                .order_by(meetings.c.occurrence_at)
            )
            return [
                (row.occurrence_at, None if row.state == SKIPPED else row.starts_at) for row in rows
            ]

    async def history(self, tandem_id: int) -> list[MeetingRecord]:
        """Every meeting of the tandem but cancelled ones, oldest first."""
        async with self._db.read() as connection:
            return await _history_on(connection, tandem_id)

    async def latest(self, tandem_id: int) -> MeetingRecord | None:
        """The tandem's meeting with the latest occurrence, cancelled ones aside."""
        return await self._first(
            (meetings.c.tandem_id == tandem_id) & (meetings.c.state != CANCELLED),
            meetings.c.occurrence_at.desc(),
        )

    async def open_check_in(
        self, tandem_id: int, member_id: int, now: datetime
    ) -> MeetingRecord | None:
        """The latest meeting that has begun (skipped and cancelled ones aside), if
        ``member_id`` has not answered its check-in."""
        latest = await self._first(
            (meetings.c.tandem_id == tandem_id)
            & meetings.c.state.in_((*UPCOMING, *SETTLED))
            & (meetings.c.starts_at <= now),
            meetings.c.starts_at.desc(),
        )
        return None if latest is None or latest.answer_of(member_id) is not None else latest

    async def move_to_decide(self, tandem_id: int, member_id: int) -> MeetingRecord | None:
        """A meeting whose move the partner proposed and ``member_id`` has not decided on."""
        return await self._first(
            (meetings.c.tandem_id == tandem_id)
            & meetings.c.state.in_(UPCOMING)
            & meetings.c.proposed_at.is_not(None)
            & (meetings.c.proposed_by != member_id),
            meetings.c.starts_at,
        )

    async def _first(
        self, where: sa.ColumnElement[bool], order: sa.ColumnElement[Any]
    ) -> MeetingRecord | None:
        async with self._db.read() as connection:
            row = (await connection.execute(_WITH_MEMBERS.where(where).order_by(order))).first()
        return None if row is None else _meeting(row)

    async def plan(
        self,
        tandem_id: int,
        occurrence: Callable[[MeetingRecord | None], Occurrence | None],
        *,
        now: datetime,
        replace: bool = False,
        book: Books = lambda _meeting: (),
    ) -> MeetingRecord | None:
        """Materialise the tandem's next meeting, unless one is still to come: ``occurrence``
        gets the latest meeting (cancelled ones aside) and names the next occurrence of the
        rhythm; ``book`` names its due items; one transaction. ``replace`` (the rhythm
        changed): the meetings still to come are cancelled first, their items with them.
        None when nothing was planned (one is to come already; the tandem is over)."""
        async with self._db.write() as connection:
            # Locked: two processes planning at once plan once.
            tandem = (
                await connection.execute(
                    sa.select(tandems).where(tandems.c.id == tandem_id).with_for_update()
                )
            ).first()
            if tandem is None or tandem.state not in (ACTIVE, PAUSED):
                return None
            to_come = (
                (meetings.c.tandem_id == tandem_id)
                & meetings.c.state.in_(UPCOMING)
                & (meetings.c.ends_at > now)
            )
            if replace:
                await self._cancel(
                    connection, tandem_id, to_come & (meetings.c.starts_at > now), now
                )
            elif await connection.scalar(sa.select(meetings.c.id).where(to_come).limit(1)):
                return None
            latest_row = (
                await connection.execute(
                    _WITH_MEMBERS.where(
                        meetings.c.tandem_id == tandem_id, meetings.c.state != CANCELLED
                    )
                    .order_by(meetings.c.occurrence_at.desc())
                    .limit(1)
                )
            ).first()
            chosen = occurrence(None if latest_row is None else _meeting(latest_row))
            if chosen is None:
                return None
            values = {
                "starts_at": chosen.occurrence_at,
                "ends_at": chosen.ends_at,
                "timezone": chosen.timezone,
                "state": SCHEDULED,
                "answer_a": None,
                "answer_b": None,
                "proposed_at": None,
                "proposed_by": None,
                "skipped_by": None,
                "updated_at": now,
            }
            existing = (
                await connection.execute(
                    sa.select(meetings.c.id, meetings.c.state).where(
                        meetings.c.tandem_id == tandem_id,
                        meetings.c.occurrence_at == chosen.occurrence_at,
                    )
                )
            ).first()
            if existing is None:
                meeting_id = (
                    await connection.execute(
                        meetings.insert()
                        .values(
                            community_id=tandem.community_id,
                            tandem_id=tandem_id,
                            occurrence_at=chosen.occurrence_at,
                            created_at=now,
                            **values,
                        )
                        .returning(meetings.c.id)
                    )
                ).scalar_one()
            elif existing.state == CANCELLED:  # the rhythm came back to this occurrence
                meeting_id = existing.id
                await connection.execute(
                    meetings.update().where(meetings.c.id == meeting_id).values(**values)
                )
            else:
                return None
            record = await _load(connection, meeting_id)
            assert record is not None
            await _book(connection, record, book(record), now)
            return record

    async def _cancel(
        self,
        connection: AsyncConnection,
        tandem_id: int,
        where: sa.ColumnElement[bool],
        now: datetime,
    ) -> None:
        cancelled = await connection.execute(
            meetings.update()
            .where(where)
            .values(state=CANCELLED, proposed_at=None, proposed_by=None, updated_at=now)
            .returning(meetings.c.id, meetings.c.community_id)
        )
        for row in cancelled.all():
            await cancel_prefix_on(
                connection, row.community_id, meeting_prefix(tandem_id, row.id), now=now
            )

    async def skip(
        self,
        meeting_id: int,
        *,
        by: int | None,
        now: datetime,
        book: Books = lambda _meeting: (),
        running_key: str | None = None,
    ) -> MeetingRecord | None:
        """Skip the meeting (``by`` a partner, before it begins; None: the tandem was paused when
        it passed): its items are cancelled (but ``running_key``, the item doing this) and
        ``book`` booked. None if it was no longer to come."""
        async with self._db.write() as connection:
            condition = (meetings.c.id == meeting_id) & meetings.c.state.in_(UPCOMING)
            if by is not None:
                condition = condition & (meetings.c.starts_at > now)
            skipped = await connection.execute(
                meetings.update()
                .where(condition)
                .values(
                    state=SKIPPED, skipped_by=by, proposed_at=None, proposed_by=None, updated_at=now
                )
            )
            if not skipped.rowcount:
                return None
            record = await _load(connection, meeting_id)
            assert record is not None
            await cancel_prefix_on(
                connection, record.community_id, record.prefix, now=now, keep=running_key
            )
            await _book(connection, record, book(record), now)
            return record

    async def propose_move(
        self,
        meeting_id: int,
        *,
        by: int,
        to: datetime,
        now: datetime,
        book: Books = lambda _meeting: (),
    ) -> MeetingRecord | None:
        """``by`` proposes to move the meeting (before it begins) to ``to``; a proposal before
        it is replaced. None if it was no longer to come."""
        async with self._db.write() as connection:
            proposed = await connection.execute(
                meetings.update()
                .where(
                    meetings.c.id == meeting_id,
                    meetings.c.state.in_(UPCOMING),
                    meetings.c.starts_at > now,
                )
                .values(proposed_at=to, proposed_by=by, updated_at=now)
            )
            if not proposed.rowcount:
                return None
            record = await _load(connection, meeting_id)
            assert record is not None
            await _book(connection, record, book(record), now)
            return record

    async def decide_move(
        self,
        meeting_id: int,
        *,
        by: int,
        accept: bool,
        now: datetime,
        book: Books = lambda _meeting: (),
    ) -> tuple[Literal["accepted", "declined", "closed"], MeetingRecord | None]:
        """The partner of the proposer accepts the move (the meeting is ``moved``, its items
        cancelled, and ``book`` books the new ones) or declines it."""
        async with self._db.write() as connection:
            record = await _load(connection, meeting_id, lock=True)
            if (
                record is None
                or record.state not in UPCOMING
                or record.proposed_at is None
                or record.proposed_by == by
                or record.proposed_at <= now
            ):
                return "closed", record
            values: dict[str, Any] = {"proposed_at": None, "proposed_by": None, "updated_at": now}
            if accept:
                length = record.ends_at - record.starts_at
                values |= {
                    "state": MOVED,
                    "starts_at": record.proposed_at,
                    "ends_at": record.proposed_at + length,
                }
            decided = await connection.execute(
                meetings.update()
                .where(
                    meetings.c.id == meeting_id,
                    meetings.c.state.in_(UPCOMING),
                    meetings.c.proposed_at == record.proposed_at,
                )
                .values(**values)
            )
            if not decided.rowcount:
                return "closed", record
            if accept:
                await cancel_prefix_on(connection, record.community_id, record.prefix, now=now)
            record = await _load(connection, meeting_id)
            assert record is not None
            await _book(connection, record, book(record), now)
            return ("accepted" if accept else "declined"), record

    async def answer(
        self,
        meeting_id: int,
        member_id: int,
        answer: str,
        *,
        now: datetime,
        book: VerdictBooks = lambda _meeting, _history: (),
    ) -> tuple[Literal["recorded", "settled", "closed"], MeetingRecord | None]:
        """One partner's check-in, once, for a meeting that has begun. When the answers give it
        its verdict (:func:`verdict`; for a meeting settled already, a late answer may change
        it), the verdict is recorded and ``book`` books what follows from it, in the same
        transaction. ``"settled"``: the meeting has a verdict (``state``) now."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown check-in answer {answer!r}")
        async with self._db.write() as connection:
            record = await _load(connection, meeting_id, lock=True)
            if record is None or member_id not in record.members:
                return "closed", record
            column = f"answer_{record.side(member_id)}"
            recorded = await connection.execute(
                meetings.update()
                .where(
                    meetings.c.id == meeting_id,
                    meetings.c.state.in_((*UPCOMING, *SETTLED)),
                    meetings.c.starts_at <= now,
                    meetings.c[column].is_(None),
                )
                .values({column: answer, "updated_at": now})
            )
            if not recorded.rowcount:
                return "closed", record
            record = await _load(connection, meeting_id)
            assert record is not None
            found = verdict(record.answer_a, record.answer_b, final=record.state in SETTLED)
            if found is None:
                return "recorded", record
            if found == record.state:
                return "settled", record
            settled = await self._settle_on(connection, record, found, now, book)
            return "settled", settled

    async def settle(
        self, meeting_id: int, *, now: datetime, book: VerdictBooks = lambda _m, _history: ()
    ) -> MeetingRecord | None:
        """The check-in deadline: the meeting gets its verdict from what was answered (see
        :func:`verdict`). None if it was settled (or skipped, cancelled) before."""
        async with self._db.write() as connection:
            record = await _load(connection, meeting_id, lock=True)
            if record is None or record.state not in UPCOMING:
                return None
            found = verdict(record.answer_a, record.answer_b, final=True)
            assert found is not None
            return await self._settle_on(connection, record, found, now, book)

    async def _settle_on(
        self,
        connection: AsyncConnection,
        record: MeetingRecord,
        found: str,
        now: datetime,
        book: VerdictBooks,
    ) -> MeetingRecord | None:
        settled = await connection.execute(
            meetings.update()
            .where(meetings.c.id == record.id, meetings.c.state == record.state)
            .values(state=found, proposed_at=None, proposed_by=None, updated_at=now)
        )
        if not settled.rowcount:
            return None
        # Nothing is left to ask for it: the deadline's item goes (the check-in questions
        # check that the meeting is still open when they run).
        await cancel_prefix_on(connection, record.community_id, record.prefix + "settle", now=now)
        history = await _history_on(connection, record.tandem_id)
        fresh = next(meeting for meeting in history if meeting.id == record.id)
        await _book(connection, fresh, book(fresh, history), now)
        return fresh

    async def reminders_in(self, member_id: int) -> str:
        """Where the member wants their reminders: ``"dm"`` (the default) or ``"space"``."""
        async with self._db.read() as connection:
            chosen = await connection.scalar(
                sa.select(meeting_settings.c.reminders).where(
                    meeting_settings.c.member_id == member_id
                )
            )
        return chosen or REMINDERS_DM

    async def set_reminders_in(
        self, member_id: int, community_id: str, where: str, *, now: datetime
    ) -> None:
        if where not in (REMINDERS_DM, REMINDERS_SPACE):
            raise ValueError(f"reminders go to 'dm' or 'space', not {where!r}")
        async with self._db.write() as connection:
            insert = (
                postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            )(meeting_settings).values(
                member_id=member_id, community_id=community_id, reminders=where, updated_at=now
            )
            await connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["member_id"], set_={"reminders": where, "updated_at": now}
                )
            )
