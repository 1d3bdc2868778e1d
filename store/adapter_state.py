"""Small records an adapter keeps about its platform (e.g. which Matrix room is whose DM).

A key-value table per (community, platform); ``platform_user_id`` marks entries about one
person so that forgetting a member deletes them too. Keys starting with :data:`QUESTION_PREFIX`
tie a reply to one question the bot sent; they expire, and the maintenance job deletes those
not written for a while (:meth:`AdapterStateRepository.prune`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from store.connections import Connections
from store.schema import adapter_state

QUESTION_PREFIX = "question:"


class AdapterStateRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    def _where(self, community_id: str, platform: str, key: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            adapter_state.c.community_id == community_id,
            adapter_state.c.platform == platform,
            adapter_state.c.key == key,
        )

    async def get(self, community_id: str, platform: str, key: str) -> Any | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(adapter_state.c.value).where(self._where(community_id, platform, key))
                )
            ).first()
        return None if row is None else row.value

    async def put(
        self,
        community_id: str,
        platform: str,
        key: str,
        value: Any,
        *,
        now: datetime,
        platform_user_id: str | None = None,
    ) -> None:
        async with self._db.write() as connection:
            if platform_user_id is None:  # keep whom the entry is about, so forget finds it
                platform_user_id = (
                    await connection.execute(
                        sa.select(adapter_state.c.platform_user_id).where(
                            self._where(community_id, platform, key)
                        )
                    )
                ).scalar()
            await connection.execute(
                adapter_state.delete().where(self._where(community_id, platform, key))
            )
            await connection.execute(
                adapter_state.insert().values(
                    community_id=community_id,
                    platform=platform,
                    key=key,
                    platform_user_id=platform_user_id,
                    value=value,
                    updated_at=now,
                )
            )

    async def delete(self, community_id: str, platform: str, key: str) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                adapter_state.delete().where(self._where(community_id, platform, key))
            )

    async def with_prefix(
        self, community_id: str, platform: str, key_prefix: str
    ) -> list[tuple[str, Any]]:
        """Every (key, value) of one community and platform whose key starts with ``key_prefix``."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(adapter_state.c.key, adapter_state.c.value).where(
                    adapter_state.c.community_id == community_id,
                    adapter_state.c.platform == platform,
                    adapter_state.c.key.startswith(key_prefix, autoescape=True),
                )
            )
            return [(row.key, row.value) for row in rows]

    async def prune(self, key_prefix: str, *, updated_before: datetime) -> int:
        """Delete every entry whose key starts with ``key_prefix`` not written since then."""
        async with self._db.write() as connection:
            result = await connection.execute(
                adapter_state.delete().where(
                    adapter_state.c.key.startswith(key_prefix, autoescape=True),
                    adapter_state.c.updated_at < updated_before,
                )
            )
        return result.rowcount or 0
