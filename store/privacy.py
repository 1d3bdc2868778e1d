"""Everything held about one member, in one place: export it, delete it, purge the departed.

When a later feature adds a table with personal data, it adds that table here too; the
data-rights tests scan every table of the database after :meth:`PrivacyRepository.forget`,
so a table left out fails them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.members import MemberRecord, MemberStatus, member_from_row
from store.schema import adapter_state, consents, conversations, members, profile_answers


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class PrivacyRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def export(self, member: MemberRecord) -> dict[str, Any]:
        """Every row about the member, as plain JSON-ready data, grouped by table."""
        async with self._db.read() as connection:
            member_row = await self._rows(connection, members, members.c.id == member.id)
            return {
                "member": member_row[0] if member_row else {},
                "profile_answers": await self._rows(
                    connection, profile_answers, profile_answers.c.member_id == member.id
                ),
                "consents": await self._rows(
                    connection, consents, consents.c.member_id == member.id
                ),
                "conversations": await self._rows(
                    connection, conversations, conversations.c.member_id == member.id
                ),
                "adapter_state": await self._rows(
                    connection, adapter_state, self._adapter_rows_of(member)
                ),
            }

    async def _rows(
        self, connection: AsyncConnection, table: sa.Table, where: sa.ColumnElement[bool]
    ) -> list[dict[str, Any]]:
        result = await connection.execute(sa.select(table).where(where))
        return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]

    def _adapter_rows_of(self, member: MemberRecord) -> sa.ColumnElement[bool]:
        return sa.and_(
            adapter_state.c.community_id == member.community_id,
            adapter_state.c.platform == member.platform,
            adapter_state.c.platform_user_id == member.platform_user_id,
        )

    async def forget(self, member: MemberRecord) -> None:
        """Delete the member for real: their row and, by cascade, everything keyed to it."""
        async with self._db.write() as connection:
            await connection.execute(adapter_state.delete().where(self._adapter_rows_of(member)))
            await connection.execute(members.delete().where(members.c.id == member.id))

    async def departed_before(self, cutoff: datetime) -> list[MemberRecord]:
        """Members who left before ``cutoff`` (their retention period is over)."""
        return await self._select(
            sa.and_(members.c.status == MemberStatus.LEFT, members.c.left_at < cutoff)
        )

    async def abandoned_before(self, cutoff: datetime) -> list[MemberRecord]:
        """Members who never consented and have not been seen since ``cutoff``."""
        return await self._select(
            sa.and_(members.c.status == MemberStatus.NEW, members.c.updated_at < cutoff)
        )

    async def _select(self, where: sa.ColumnElement[bool]) -> list[MemberRecord]:
        async with self._db.read() as connection:
            rows = await connection.execute(sa.select(members).where(where))
            return [member_from_row(row) for row in rows]
