"""Persisted conversations: one row per running or ended flow of a member.

Every change is a conditional update on ``step_seq``: of two answers to the same question
(a double click, two processes) exactly one wins, the other is told it lost.

Exactly once: a change caused by a platform event (``cause``) records the event's key
``(community, platform, event id)`` in ``applied_events`` in the same transaction as the
change. The key is unique, so a redelivered event (a Matrix sync replayed after a crash) can
never be applied a second time: not to the step it answered, and not to any later step either.
The change and its record commit together or not at all; a second try raises
:class:`AlreadyApplied` and leaves everything as it was. :meth:`ConversationRepository.applied`
lets the router recognise a replay before it does anything; the unique key is the arbiter
when two processes race. Records of ended conversations are pruned after a while
(:meth:`ConversationRepository.prune_applied`), and go with their conversation when that is
deleted (so a member's records stay as bounded as their conversations); those of a running
conversation are all kept.

The answer path's two calls are coalesced (:mod:`store.batching`): :meth:`lookup` reads the
member, their active conversation and whether the event was applied, for every event waiting,
in one query (a group read); :meth:`advance` and :meth:`end` write the changes waiting in one
transaction (a group commit: one conditional ``UPDATE ... FROM`` for all of them, one insert of
their causes). A change is acknowledged to its caller only once that transaction committed. If
the batch hits an event applied before, it is rolled back and its changes are tried one by
one, so the conflict is the replayed event's alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from store.answer_batches import (
    ACTIVE,
    change_steps,
    changed,
    lookup_step,
)
from store.batching import Batches, ReadJob, WriteJob
from store.connections import Connections, lost_to_another_transaction
from store.conversation_starts import (
    RUNNING,
    SUSPENDED,
    start_steps,
    started,
    take_up_after,
    taken_up,
)
from store.members import MemberRecord
from store.precompiled import Step, Writes
from store.schema import applied_events, conversations, status_is


@dataclass(frozen=True)
class AppliedEvent:
    """The platform event that causes a change, as the platform names it."""

    platform: str
    event_id: str


@dataclass(frozen=True)
class AppliedRecord:
    """A recorded event: which conversation it changed and the ``step_seq`` it led to."""

    conversation_id: int
    step_seq: int


class AlreadyApplied(Exception):
    """The event changed a conversation before (it was redelivered); nothing was written."""


@dataclass(frozen=True)
class ConversationRecord:
    id: int
    community_id: str
    member_id: int
    flow_id: str
    flow_version: int
    step_id: str
    step_seq: int
    answers: dict[str, Any]
    trail: list[str]
    place: dict[str, Any]
    status: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


def _record(row: sa.Row[Any]) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        flow_id=row.flow_id,
        flow_version=row.flow_version,
        step_id=row.step_id,
        step_seq=row.step_seq,
        answers=dict(row.answers),
        trail=list(row.trail),
        place=dict(row.place),
        status=row.status,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class Lookup:
    """What the router needs to know about an event before anything else."""

    member: MemberRecord | None
    active: ConversationRecord | None
    applied: AppliedRecord | None


@dataclass(frozen=True)
class _Wanted:
    community_id: str
    platform: str
    user_id: str
    event_id: str | None


@dataclass(frozen=True)
class _Change:
    """A conditional change of one conversation: ``current`` becomes ``changed``."""

    current: ConversationRecord
    changed: ConversationRecord
    cause: AppliedEvent | None
    # Written in the change's transaction, only if the change is applied (a consent).
    writes: Writes = ()
    # An end after which the member's conversation on hold runs again, in the same transaction.
    take_up: bool = False


#: What a change did: the conversation as changed (None: someone else moved first), and the
#: conversation on hold it took up (for an end that asks for it).
_Done = tuple[ConversationRecord | None, ConversationRecord | None]


class ConversationRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db
        self._changes: Batches[_Change, _Done] = db.writes_together(
            WriteJob(_change_steps, _change_results, _conflict),
            key=lambda change: change.current.id,
            name="group-commit",
        )
        self._lookups: Batches[_Wanted, Lookup] = db.reads_together(
            ReadJob(_lookup_steps, _lookups_found), name="group-read"
        )

    async def lookup(
        self, community_id: str, platform: str, user_id: str, cause: AppliedEvent | None
    ) -> Lookup:
        """The member, their active conversation and what ``cause`` changed if it was applied
        already (this runs for every event; with others waiting, in one query with theirs)."""
        event_id = None if cause is None else cause.event_id
        if cause is not None and cause.platform != platform:
            raise ValueError("an event's cause is recorded under its member's platform")
        return await self._lookups(_Wanted(community_id, platform, user_id, event_id))

    async def drain(self) -> None:
        """Wait for the changes and reads queued (before the connections close)."""
        await self._changes.drain()
        await self._lookups.drain()

    @property
    def batch_figures(self) -> dict[str, float]:
        """How many requests the group commit and group read took per batch on average."""
        return {
            "group_commit_per_batch": _mean(self._changes.requests, self._changes.batches),
            "group_read_per_batch": _mean(self._lookups.requests, self._lookups.batches),
        }

    async def active_for(self, member_id: int) -> ConversationRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(conversations)
                    .where(
                        conversations.c.member_id == member_id,
                        status_is(conversations.c.status, ACTIVE),
                    )
                    .order_by(conversations.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _record(row)

    async def member_and_active(
        self, community_id: str, platform: str, user_id: str
    ) -> tuple[MemberRecord | None, ConversationRecord | None]:
        """The member and their active conversation (the group read, for no event)."""
        found = await self.lookup(community_id, platform, user_id, None)
        return found.member, found.active

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(conversations).where(conversations.c.id == conversation_id)
                )
            ).first()
        return None if row is None else _record(row)

    async def start(
        self,
        *,
        community_id: str,
        member_id: int,
        flow_id: str,
        flow_version: int,
        step_id: str,
        place: dict[str, Any],
        answers: dict[str, Any],
        expires_at: datetime,
        now: datetime,
        cause: AppliedEvent | None = None,
        suspend_active: bool = False,
    ) -> ConversationRecord:
        """Begin a conversation; any other active one of the member ends as ``replaced``, or
        with ``suspend_active`` waits, answers and all, until this one ends (one hand-off, in a
        write shared with others starting meanwhile: store/conversation_starts.py)."""
        new = {
            "community_id": community_id,
            "member_id": member_id,
            "flow_id": flow_id,
            "flow_version": flow_version,
            "step_id": step_id,
            "step_seq": 1,
            "answers": answers,
            "trail": [],
            "place": place,
            "status": ACTIVE,
            "expires_at": expires_at,
            "created_at": now,
            "updated_at": now,
        }
        started_by = None
        if cause is not None:
            started_by = {
                "community_id": community_id,
                "platform": cause.platform,
                "event_id": cause.event_id,
                "member_id": member_id,
                "applied_at": now,
            }
        try:
            row = started(
                await self._db.grouped(
                    start_steps(new, suspend_active=suspend_active, cause=started_by)
                )
            )
        except sa.exc.IntegrityError as conflict:
            # Another process's start won every time (store/connections.py runs it again a
            # few times): an error, not a replay to be dropped.
            if cause is None or lost_to_another_transaction(conflict):
                raise
            raise AlreadyApplied(cause) from conflict
        return ConversationRecord(**row)

    async def advance(
        self,
        current: ConversationRecord,
        *,
        step_id: str,
        answers: dict[str, Any],
        trail: list[str],
        expires_at: datetime,
        now: datetime,
        cause: AppliedEvent | None = None,
        writes: Writes = (),
    ) -> ConversationRecord | None:
        """Move to ``step_id``; None when ``current`` is no longer the latest state.
        ``writes`` (a repository's, e.g. :meth:`MemberRepository.consent_writes`) go in the
        same transaction, and only if the step moves."""
        changed = replace(
            current,
            step_id=step_id,
            step_seq=current.step_seq + 1,
            answers=_as_stored(answers),
            trail=_as_stored(trail),
            expires_at=_as_stored_time(expires_at),
            updated_at=_as_stored_time(now),
        )
        done, _ = await self._changes(_Change(current, changed, cause, writes))
        return done

    async def end(
        self,
        current: ConversationRecord,
        *,
        status: str,
        now: datetime,
        cause: AppliedEvent | None = None,
    ) -> ConversationRecord | None:
        """End with ``done``, ``cancelled`` or ``expired``; None when someone else moved first.
        An ended conversation keeps no answers: what is worth keeping was saved by the flow."""
        ended, _ = await self._changes(_ending(current, status, now, cause))
        return ended

    async def end_and_take_up(
        self,
        current: ConversationRecord,
        *,
        status: str,
        now: datetime,
        cause: AppliedEvent | None = None,
    ) -> _Done:
        """:meth:`end`, and if it ended, the member's latest conversation on hold running again
        (with a new prompt id: its question is asked afresh), in the same transaction: the
        ended conversation (None: someone else moved first) and the one taken up (None: none
        waited, or one runs already). One write where there were two, and no
        moment in which a crash leaves the one on hold waiting."""
        return await self._changes(replace(_ending(current, status, now, cause), take_up=True))

    async def prune_ended(self, before: datetime) -> int:
        """Delete conversations that ended before ``before``; how many went."""
        async with self._db.write() as connection:
            result = await connection.execute(
                conversations.delete().where(
                    conversations.c.status.not_in(RUNNING), conversations.c.updated_at < before
                )
            )
        return result.rowcount or 0

    async def cancel_flows(self, member_id: int, flow_ids: Iterable[str], *, now: datetime) -> int:
        """End the member's conversations of these flows, running or on hold (what they were
        about is gone, e.g. an ended tandem): a click on an old question of theirs is answered
        as stale. How many ended."""
        async with self._db.write() as connection:
            result = await connection.execute(
                conversations.update()
                .where(
                    conversations.c.member_id == member_id,
                    conversations.c.flow_id.in_(list(flow_ids)),
                    conversations.c.status.in_(RUNNING),
                )
                .values(
                    status="cancelled",
                    answers={},
                    step_seq=conversations.c.step_seq + 1,
                    updated_at=now,
                )
            )
        return result.rowcount or 0

    async def suspended_for(self, member_id: int) -> ConversationRecord | None:
        """The member's latest conversation on hold, if any."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(conversations)
                    .where(
                        conversations.c.member_id == member_id,
                        status_is(conversations.c.status, SUSPENDED),
                    )
                    .order_by(conversations.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _record(row)

    async def set_suspended_answer(
        self, conversation: ConversationRecord, key: str, value: Any, now: datetime
    ) -> None:
        """Change one answer of a conversation on hold (the language chosen meanwhile)."""
        async with self._db.write() as connection:
            await connection.execute(
                conversations.update()
                .where(
                    conversations.c.id == conversation.id,
                    status_is(conversations.c.status, SUSPENDED),
                )
                .values(answers={**conversation.answers, key: value}, updated_at=now)
            )

    async def applied(self, community_id: str, cause: AppliedEvent) -> AppliedRecord | None:
        """What the event changed, if it was applied already (a redelivery), else None."""
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    _APPLIED,
                    {
                        "community_id": community_id,
                        "platform": cause.platform,
                        "event_id": cause.event_id,
                    },
                )
            ).first()
        return None if row is None else AppliedRecord(row.conversation_id, row.step_seq)

    async def prune_applied(self, before: datetime) -> int:
        """Forget events applied before ``before`` to conversations that have ended.

        Redeliveries come within minutes of the event (a Matrix sync repeats at most the batch
        that was in hand when the bot stopped), so the window only needs to outlast a long
        outage. A running conversation keeps every record, however old, so none of its
        events can ever be applied twice.
        """
        still_running = sa.exists().where(
            conversations.c.id == applied_events.c.conversation_id,
            conversations.c.status.in_(RUNNING),
        )
        async with self._db.write() as connection:
            result = await connection.execute(
                applied_events.delete().where(applied_events.c.applied_at < before, ~still_running)
            )
        return result.rowcount or 0


def _conflict(change: _Change, error: sa.exc.IntegrityError) -> BaseException:
    """A change that broke a unique key: its event was applied before, if it has one."""
    if change.cause is None:
        return error
    already = AlreadyApplied(change.cause)
    already.__cause__ = error
    return already


def _ending(
    current: ConversationRecord, status: str, now: datetime, cause: AppliedEvent | None
) -> _Change:
    changed = replace(
        current,
        step_seq=current.step_seq + 1,
        status=status,
        answers={},
        updated_at=_as_stored_time(now),
    )
    return _Change(current, changed, cause)


def _change_results(
    batch: list[_Change], rows: list[list[dict[str, Any]]], taken_at: dict[int, int]
) -> list[_Done]:
    return [_done(change, rows, taken_at) for change in batch]


def _lookup_steps(batch: list[_Wanted]) -> list[Step]:
    rows = [
        (index, w.community_id, w.platform, w.user_id, w.event_id) for index, w in enumerate(batch)
    ]
    return [lookup_step(rows)]


def _lookups_found(batch: list[_Wanted], rows: list[list[dict[str, Any]]]) -> list[Lookup]:
    """Each request's lookup, of the group read's rows."""
    found: list[Lookup] = [Lookup(None, None, None)] * len(batch)
    for row in rows[0]:  # the newest active conversation comes last and wins
        found[row["idx"]] = _lookup_from_row(row)
    return found


def _done(change: _Change, rows: list[list[dict[str, Any]]], taken_at: dict[int, int]) -> _Done:
    """What ``change`` did, of the rows of :func:`_change_steps`."""
    if change.current.id not in changed(rows):
        return None, None
    at = taken_at.get(change.current.id)
    taken = None if at is None else taken_up([rows[at]])
    return change.changed, None if taken is None else ConversationRecord(**taken)


def _change_steps(batch: list[_Change]) -> tuple[list[Step], dict[int, int]]:
    """The statements that apply each change whose conversation still stands where it saw it
    (one statement for all), record the causes of those applied and take up what waits behind
    the ends that ask for it; :func:`changed` of their rows is the ids of the conversations
    changed, and the second value says at which step each take-up's row is (by conversation)."""
    rows = [
        (
            change.current.id,
            change.current.step_seq,
            change.changed.step_seq,
            change.changed.step_id,
            change.changed.status,
            change.changed.answers,
            change.changed.trail,
            change.changed.expires_at,
            change.changed.updated_at,
        )
        for change in batch
    ]

    def causes(won: set[int]) -> list[dict[str, Any]]:
        return [
            {
                "community_id": done.changed.community_id,
                "platform": done.cause.platform,
                "event_id": done.cause.event_id,
                "member_id": done.changed.member_id,
                "conversation_id": done.changed.id,
                "step_seq": done.changed.step_seq,
                "applied_at": done.changed.updated_at,
            }
            for done in batch
            if done.cause is not None and done.current.id in won
        ]

    writes = [(change.current.id, change.writes) for change in batch if change.writes]
    steps = change_steps(rows, causes, writes)
    taken_at: dict[int, int] = {}
    for change in batch:
        if change.take_up:
            taken_at[change.current.id] = len(steps)
            steps.append(take_up_after(change.current.id, change.changed))
    return steps, taken_at


def _lookup_from_row(row: dict[str, Any]) -> Lookup:
    member = MemberRecord(**{name: row[name] for name in _MEMBER_FIELDS})
    active = None
    if row["c_id"] is not None:
        active = ConversationRecord(**{name: row[key] for name, key in _ACTIVE_FIELDS})
    applied = None
    if row["a_conversation_id"] is not None:
        applied = AppliedRecord(row["a_conversation_id"], row["a_step_seq"])
    return Lookup(member, active, applied)


#: The group read's columns for a member and (prefixed ``c_``) their active conversation.
_MEMBER_FIELDS = tuple(field.name for field in fields(MemberRecord))
_ACTIVE_FIELDS = tuple((field.name, f"c_{field.name}") for field in fields(ConversationRecord))


def _as_stored(value: Any) -> Any:
    """A JSON value as it reads back from the store (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value))


def _as_stored_time(value: datetime) -> datetime:
    """A time as it reads back from the store: aware UTC."""
    return value.astimezone(UTC)


def _mean(total: int, count: int) -> float:
    return round(total / count, 2) if count else 0.0


# Built once: constructing a SQLAlchemy statement costs more than running it on SQLite.
_APPLIED = sa.select(applied_events.c.conversation_id, applied_events.c.step_seq).where(
    applied_events.c.community_id == sa.bindparam("community_id"),
    applied_events.c.platform == sa.bindparam("platform"),
    applied_events.c.event_id == sa.bindparam("event_id"),
)
