"""Members of a community and their saved profile answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.schema import members, profile_answers


@dataclass(frozen=True)
class MemberRecord:
    id: int
    community_id: str
    platform: str
    platform_user_id: str
    display_name: str | None
    locale: str | None
    platform_locale: str | None
    status: str


def _record(row: sa.Row[Any]) -> MemberRecord:
    return MemberRecord(
        id=row.id,
        community_id=row.community_id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        display_name=row.display_name,
        locale=row.locale,
        platform_locale=row.platform_locale,
        status=row.status,
    )


class MemberRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find(self, community_id: str, platform: str, user_id: str) -> MemberRecord | None:
        async with self._engine.connect() as connection:
            return await self._find(connection, community_id, platform, user_id)

    async def _find(
        self, connection: AsyncConnection, community_id: str, platform: str, user_id: str
    ) -> MemberRecord | None:
        row = (
            await connection.execute(
                sa.select(members).where(
                    members.c.community_id == community_id,
                    members.c.platform == platform,
                    members.c.platform_user_id == user_id,
                )
            )
        ).first()
        return None if row is None else _record(row)

    async def get(self, member_id: int) -> MemberRecord | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(sa.select(members).where(members.c.id == member_id))
            ).first()
        return None if row is None else _record(row)

    async def ensure(
        self,
        community_id: str,
        platform: str,
        user_id: str,
        *,
        now: datetime,
        platform_locale: str | None = None,
    ) -> MemberRecord:
        """The member's record, created on first contact; the platform locale kept current."""
        async with self._engine.begin() as connection:
            found = await self._find(connection, community_id, platform, user_id)
            if found is not None:
                if platform_locale and platform_locale != found.platform_locale:
                    await connection.execute(
                        members.update()
                        .where(members.c.id == found.id)
                        .values(platform_locale=platform_locale, updated_at=now)
                    )
                    found = await self._find(connection, community_id, platform, user_id)
                    assert found is not None
                return found
            await connection.execute(
                members.insert().values(
                    community_id=community_id,
                    platform=platform,
                    platform_user_id=user_id,
                    platform_locale=platform_locale,
                    status="new",
                    created_at=now,
                    updated_at=now,
                )
            )
            created = await self._find(connection, community_id, platform, user_id)
            assert created is not None
            return created

    async def update(self, member_id: int, *, now: datetime, **values: Any) -> None:
        """Change ``display_name``, ``locale`` or ``status``."""
        allowed = {"display_name", "locale", "status"}
        if unknown := set(values) - allowed:
            raise ValueError(f"cannot update {sorted(unknown)} on a member")
        async with self._engine.begin() as connection:
            await connection.execute(
                members.update().where(members.c.id == member_id).values(updated_at=now, **values)
            )

    async def save_profile(
        self,
        member: MemberRecord,
        answers: dict[str, Any],
        *,
        now: datetime,
        **member_values: Any,
    ) -> None:
        """Store profile answers (replacing earlier ones) and member fields in one transaction."""
        async with self._engine.begin() as connection:
            for question_id, value in answers.items():
                await connection.execute(
                    profile_answers.delete().where(
                        profile_answers.c.member_id == member.id,
                        profile_answers.c.question_id == question_id,
                    )
                )
                await connection.execute(
                    profile_answers.insert().values(
                        member_id=member.id,
                        community_id=member.community_id,
                        question_id=question_id,
                        value=value,
                        updated_at=now,
                    )
                )
            if member_values:
                await connection.execute(
                    members.update()
                    .where(members.c.id == member.id)
                    .values(updated_at=now, **member_values)
                )

    async def profile(self, member_id: int) -> dict[str, Any]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                sa.select(profile_answers.c.question_id, profile_answers.c.value).where(
                    profile_answers.c.member_id == member_id
                )
            )
            return {row.question_id: row.value for row in rows}
