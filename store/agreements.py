"""Tandem agreements: each partner's part, the merged agreement both confirm, and its history.

An agreement's life (``state``)::

    drafting ──both parts saved──▶ proposed ──both confirmed──▶ agreed
    (one row per tandem)           (version 1, merged)          │  a change proposed by one,
                                                                 ▼  accepted by the other:
                                                               agreed (version + 1)

Every change is a conditional update on the state (and version) it starts from, so two
answers at the same moment change it once. Every version and every proposed change is a row of
``agreement_changes`` (the history). The agreement goes with its tandem (a foreign key that
cascades), and so with either member on ``forget`` or the purge. What the terms mean is the
journey's business (:mod:`flows.agreement_terms`); this module stores them as given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.due_items import Booking, book_on
from store.schema import agreement_changes, agreements, tandems

DRAFTING = "drafting"
PROPOSED = "proposed"
AGREED = "agreed"

MERGED = "merged"
PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
SUPERSEDED = "superseded"

Books = Callable[["AgreementRecord"], Iterable[Booking]]


@dataclass(frozen=True)
class AgreementRecord:
    id: int
    community_id: str
    tandem_id: int
    member_a: int
    member_b: int
    state: str
    version: int
    part_a: dict[str, Any] | None
    part_b: dict[str, Any] | None
    terms: dict[str, Any] | None
    confirmed_a: bool
    confirmed_b: bool
    created_at: datetime
    agreed_at: datetime | None

    def side(self, member_id: int) -> str:
        return "a" if member_id == self.member_a else "b"

    def part_of(self, member_id: int) -> dict[str, Any] | None:
        return self.part_a if self.side(member_id) == "a" else self.part_b

    def confirmed_by(self, member_id: int) -> bool:
        return self.confirmed_a if self.side(member_id) == "a" else self.confirmed_b

    def partner_of(self, member_id: int) -> int:
        return self.member_b if member_id == self.member_a else self.member_a


@dataclass(frozen=True)
class ChangeRecord:
    id: int
    agreement_id: int
    field: str
    proposed_by: int | None
    terms: dict[str, Any]
    state: str
    version: int | None
    proposed_at: datetime
    decided_at: datetime | None


def _agreement(row: sa.Row[Any]) -> AgreementRecord:
    return AgreementRecord(
        id=row.id,
        community_id=row.community_id,
        tandem_id=row.tandem_id,
        member_a=row.member_a,
        member_b=row.member_b,
        state=row.state,
        version=row.version,
        part_a=None if row.part_a is None else dict(row.part_a),
        part_b=None if row.part_b is None else dict(row.part_b),
        terms=None if row.terms is None else dict(row.terms),
        confirmed_a=row.confirmed_a,
        confirmed_b=row.confirmed_b,
        created_at=row.created_at,
        agreed_at=row.agreed_at,
    )


def _change(row: sa.Row[Any]) -> ChangeRecord:
    return ChangeRecord(
        id=row.id,
        agreement_id=row.agreement_id,
        field=row.field,
        proposed_by=row.proposed_by,
        terms=dict(row.terms),
        state=row.state,
        version=row.version,
        proposed_at=row.proposed_at,
        decided_at=row.decided_at,
    )


_WITH_MEMBERS = sa.select(agreements, tandems.c.member_a, tandems.c.member_b).join(
    tandems, tandems.c.id == agreements.c.tandem_id
)


async def _load(
    connection: AsyncConnection, where: sa.ColumnElement[bool], *, lock: bool = False
) -> AgreementRecord:
    """The agreement; ``lock``: its row locked until the transaction ends (PostgreSQL; SQLite's
    single writer serialises anyway), so two answers at once are applied one after the other."""
    select = _WITH_MEMBERS.where(where)
    row = (await connection.execute(select.with_for_update() if lock else select)).one()
    return _agreement(row)


class AgreementRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def for_tandem(self, tandem_id: int) -> AgreementRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(_WITH_MEMBERS.where(agreements.c.tandem_id == tandem_id))
            ).first()
        return None if row is None else _agreement(row)

    async def save_part(
        self,
        tandem_id: int,
        member_id: int,
        part: dict[str, Any],
        *,
        now: datetime,
        merge: Callable[[AgreementRecord], dict[str, Any]],
        book: Books = lambda _agreement: (),
    ) -> tuple[Literal["saved", "merged", "closed"], AgreementRecord | None]:
        """Save one partner's part; with both parts saved, ``merge`` makes the terms, the
        agreement is proposed (version 1, recorded in the history) and ``book`` names what to
        book, all in one transaction. ``"closed"``: it was merged already, nothing saved."""
        async with self._db.write() as connection:
            # Locked: the two partners' parts, saved at once, are merged exactly once.
            tandem = (
                await connection.execute(
                    sa.select(tandems).where(tandems.c.id == tandem_id).with_for_update()
                )
            ).first()
            if tandem is None or member_id not in (tandem.member_a, tandem.member_b):
                return "closed", None
            exists = await connection.scalar(
                sa.select(agreements.c.id).where(agreements.c.tandem_id == tandem_id)
            )
            if exists is None:
                await connection.execute(
                    agreements.insert().values(
                        community_id=tandem.community_id,
                        tandem_id=tandem_id,
                        state=DRAFTING,
                        version=0,
                        confirmed_a=False,
                        confirmed_b=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
            column = "part_a" if member_id == tandem.member_a else "part_b"
            saved = await connection.execute(
                agreements.update()
                .where(agreements.c.tandem_id == tandem_id, agreements.c.state == DRAFTING)
                .values({column: part, "updated_at": now})
            )
            if not saved.rowcount:
                return "closed", await _load(connection, agreements.c.tandem_id == tandem_id)
            record = await _load(connection, agreements.c.tandem_id == tandem_id)
            if record.part_a is None or record.part_b is None:
                return "saved", record
            terms = merge(record)
            await connection.execute(
                agreements.update()
                .where(agreements.c.id == record.id)
                .values(state=PROPOSED, version=1, terms=terms, updated_at=now)
            )
            await connection.execute(
                agreement_changes.insert().values(
                    community_id=record.community_id,
                    agreement_id=record.id,
                    field=MERGED,
                    proposed_by=None,
                    terms=terms,
                    state=MERGED,
                    version=1,
                    proposed_at=now,
                )
            )
            record = await _load(connection, agreements.c.id == record.id)
            for booking in book(record):
                await book_on(connection, record.community_id, booking, now=now)
            return "merged", record

    async def confirm(
        self,
        agreement_id: int,
        member_id: int,
        version: int,
        *,
        now: datetime,
        book: Books = lambda _agreement: (),
    ) -> tuple[Literal["confirmed", "agreed", "closed"], AgreementRecord | None]:
        """One partner confirms the proposed ``version``; the second confirmation makes it
        agreed (and ``book`` names what to book then, in the same transaction)."""
        async with self._db.write() as connection:
            record = await _load(connection, agreements.c.id == agreement_id, lock=True)
            column = f"confirmed_{record.side(member_id)}"
            done = await connection.execute(
                agreements.update()
                .where(
                    agreements.c.id == agreement_id,
                    agreements.c.state == PROPOSED,
                    agreements.c.version == version,
                    agreements.c[column].is_(False),
                )
                .values({column: True, "updated_at": now})
            )
            if not done.rowcount:
                return "closed", record
            agreed = await connection.execute(
                agreements.update()
                .where(
                    agreements.c.id == agreement_id,
                    agreements.c.state == PROPOSED,
                    agreements.c.confirmed_a.is_(True),
                    agreements.c.confirmed_b.is_(True),
                )
                .values(state=AGREED, agreed_at=now, updated_at=now)
            )
            record = await _load(connection, agreements.c.id == agreement_id)
            if not agreed.rowcount:
                return "confirmed", record
            await connection.execute(
                agreement_changes.update()
                .where(
                    agreement_changes.c.agreement_id == agreement_id,
                    agreement_changes.c.version == version,
                )
                .values(state=ACCEPTED, decided_at=now)
            )
            for booking in book(record):
                await book_on(connection, record.community_id, booking, now=now)
            return "agreed", record

    async def propose(
        self,
        agreement_id: int,
        by: int,
        field: str,
        terms: dict[str, Any],
        *,
        now: datetime,
        book: Callable[[ChangeRecord], Iterable[Booking]] = lambda _change: (),
    ) -> ChangeRecord | None:
        """``by`` proposes ``terms`` (the whole agreement with one ``field`` changed); a pending
        proposal before it is superseded. None when the agreement is still being drafted."""
        async with self._db.write() as connection:
            record = await _load(connection, agreements.c.id == agreement_id, lock=True)
            if record.state == DRAFTING:
                return None
            await connection.execute(
                agreement_changes.update()
                .where(
                    agreement_changes.c.agreement_id == agreement_id,
                    agreement_changes.c.state == PENDING,
                )
                .values(state=SUPERSEDED, decided_at=now)
            )
            inserted = await connection.execute(
                agreement_changes.insert()
                .values(
                    community_id=record.community_id,
                    agreement_id=agreement_id,
                    field=field,
                    proposed_by=by,
                    terms=terms,
                    state=PENDING,
                    proposed_at=now,
                )
                .returning(*agreement_changes.c)
            )
            change = _change(inserted.one())
            for booking in book(change):
                await book_on(connection, record.community_id, booking, now=now)
            return change

    async def pending_change(self, agreement_id: int) -> ChangeRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(agreement_changes).where(
                        agreement_changes.c.agreement_id == agreement_id,
                        agreement_changes.c.state == PENDING,
                    )
                )
            ).first()
        return None if row is None else _change(row)

    async def decide(
        self,
        change_id: int,
        by: int,
        *,
        accept: bool,
        now: datetime,
        book: Books = lambda _agreement: (),
    ) -> tuple[Literal["accepted", "declined", "closed"], AgreementRecord | None]:
        """The partner of the proposer accepts or declines a pending change. Accepted, it is
        the agreement's next version, agreed by both (one proposed it, the other accepted)."""
        async with self._db.write() as connection:
            row = (
                await connection.execute(
                    sa.select(agreement_changes).where(agreement_changes.c.id == change_id)
                )
            ).first()
            if row is None or row.proposed_by == by:
                return "closed", None
            change = _change(row)
            record = await _load(connection, agreements.c.id == change.agreement_id, lock=True)
            version = record.version + 1 if accept else None
            decided = await connection.execute(
                agreement_changes.update()
                .where(agreement_changes.c.id == change_id, agreement_changes.c.state == PENDING)
                .values(state=ACCEPTED if accept else DECLINED, version=version, decided_at=now)
            )
            if not decided.rowcount:
                return "closed", record
            if accept:
                await connection.execute(
                    agreements.update()
                    .where(agreements.c.id == record.id)
                    .values(
                        terms=change.terms,
                        version=version,
                        state=AGREED,
                        confirmed_a=True,
                        confirmed_b=True,
                        agreed_at=now,
                        updated_at=now,
                    )
                )
                record = await _load(connection, agreements.c.id == record.id)
            for booking in book(record):
                await book_on(connection, record.community_id, booking, now=now)
            return ("accepted" if accept else "declined"), record

    async def history(self, agreement_id: int) -> list[ChangeRecord]:
        """Every version and proposed change, oldest first."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(agreement_changes)
                .where(agreement_changes.c.agreement_id == agreement_id)
                .order_by(agreement_changes.c.id)
            )
            return [_change(row) for row in rows]
