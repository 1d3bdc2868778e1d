"""Persisted conversations: one row per running or ended flow of a member.

Every change is a conditional update on ``step_seq``: of two answers to the same question
(a double click, two processes) exactly one wins, the other is told it lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import conversations

ACTIVE = "active"


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


class ConversationRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def active_for(self, member_id: int) -> ConversationRecord | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(conversations)
                    .where(conversations.c.member_id == member_id, conversations.c.status == ACTIVE)
                    .order_by(conversations.c.id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _record(row)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        async with self._engine.connect() as connection:
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
    ) -> ConversationRecord:
        """Begin a conversation; any other active one of the member ends as ``replaced``."""
        async with self._engine.begin() as connection:
            await connection.execute(
                conversations.update()
                .where(conversations.c.member_id == member_id, conversations.c.status == ACTIVE)
                .values(status="replaced", updated_at=now)
            )
            result = await connection.execute(
                conversations.insert()
                .values(
                    community_id=community_id,
                    member_id=member_id,
                    flow_id=flow_id,
                    flow_version=flow_version,
                    step_id=step_id,
                    step_seq=1,
                    answers=answers,
                    trail=[],
                    place=place,
                    status=ACTIVE,
                    expires_at=expires_at,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*conversations.c)
            )
            return _record(result.one())

    async def advance(
        self,
        current: ConversationRecord,
        *,
        step_id: str,
        answers: dict[str, Any],
        trail: list[str],
        expires_at: datetime,
        now: datetime,
    ) -> ConversationRecord | None:
        """Move to ``step_id``; None when ``current`` is no longer the latest state."""
        return await self._change(
            current,
            step_id=step_id,
            answers=answers,
            trail=trail,
            expires_at=expires_at,
            updated_at=now,
            status=ACTIVE,
        )

    async def end(
        self, current: ConversationRecord, *, status: str, now: datetime
    ) -> ConversationRecord | None:
        """End with ``done``, ``cancelled`` or ``expired``; None when someone else moved first."""
        return await self._change(current, status=status, updated_at=now)

    async def _change(
        self, current: ConversationRecord, **values: Any
    ) -> ConversationRecord | None:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                conversations.update()
                .where(
                    conversations.c.id == current.id,
                    conversations.c.step_seq == current.step_seq,
                    conversations.c.status == ACTIVE,
                )
                .values(step_seq=current.step_seq + 1, **values)
                .returning(*conversations.c)
            )
            row = result.first()
        return None if row is None else _record(row)
