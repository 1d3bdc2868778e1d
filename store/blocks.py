"""Blocks: whom a member never wants to be matched with, kept beyond the blocked person's data.

The blocked person is stored only as a keyed hash of their identity in the community
(:func:`identity_digest`: HMAC-SHA256 of community, platform and platform user id). So a block
holds whether the blocked person has a record or not: before they ever joined, while they take
part, and after they used ``forget`` and joined again. The key is not in the database; the
repository gets a function that returns it (``bot/identity_key.py`` says where it lives) and
calls it only when it hashes.

A block is one-way in the table and two-way in effect: :meth:`BlockRepository.blocked_pairs`
gives every pair of the given members in which either blocked the other.

Blocks go with the member who made them (``forget``, retention purge: the foreign key
cascades). The blocked person's own data never holds a trace of being blocked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from store.connections import Connections
from store.members import MEMBER_COLUMNS, MemberRecord, member_from_row
from store.schema import blocks, members

KeySource = Callable[[], bytes]
_KEY_ID_INPUT = b"tandem identity key id"


def identity_digest(key: bytes, community_id: str, platform: str, user_id: str) -> str:
    """The keyed hash a block keeps of a person (NUL never occurs in the three parts)."""
    message = "\x00".join((community_id, platform, user_id)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short name of ``key`` that does not give it away (a hash of a constant under it)."""
    return hmac.new(key, _KEY_ID_INPUT, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Identity:
    """A member's id and who they are on their platform: what blocks are matched against."""

    member_id: int
    platform: str
    user_id: str

    @classmethod
    def of(cls, member: MemberRecord) -> Identity:
        return cls(member.id, member.platform, member.platform_user_id)


class NoIdentityKey(RuntimeError):
    """The store was opened without a key, and a block needed one."""


class BlockRepository:
    def __init__(self, db: Connections, key: KeySource | None = None) -> None:
        self._db = db
        self._key = key

    def _key_bytes(self) -> bytes:
        if self._key is None:
            raise NoIdentityKey("the store was opened without an identity key (Store.open)")
        return self._key()

    def digest(self, community_id: str, platform: str, user_id: str) -> str:
        return identity_digest(self._key_bytes(), community_id, platform, user_id)

    async def block(
        self, blocker: MemberRecord, platform: str, user_id: str, *, now: datetime
    ) -> bool:
        """``blocker`` blocks the person ``user_id`` on ``platform`` in their community (who
        may have no record at all). True if new, False if they had blocked them already."""
        key = self._key_bytes()
        values = {
            "community_id": blocker.community_id,
            "blocker_id": blocker.id,
            "blocked_digest": identity_digest(key, blocker.community_id, platform, user_id),
            "key_id": key_id(key),
            "created_at": now,
        }
        async with self._db.write() as connection:
            insert = (
                postgresql.insert(blocks)
                if connection.dialect.name == "postgresql"
                else sqlite.insert(blocks)
            )
            result = await connection.execute(
                insert.values(**values).on_conflict_do_nothing(
                    index_elements=["blocker_id", "blocked_digest"]
                )
            )
            return bool(result.rowcount)

    async def blocked_pairs(
        self, community_id: str, people: Iterable[Identity]
    ) -> set[tuple[int, int]]:
        """Every pair ``(smaller id, larger id)`` of ``people`` in which one blocked the other.

        All blocks of the community are read (they are few next to its members) and each
        person is hashed once, so this costs one query and one hash per person."""
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    sa.select(blocks.c.blocker_id, blocks.c.blocked_digest).where(
                        blocks.c.community_id == community_id
                    )
                )
            ).all()
        if not rows:
            return set()
        key = self._key_bytes()
        by_digest = {
            identity_digest(key, community_id, person.platform, person.user_id): person.member_id
            for person in people
        }
        pairs = set()
        for blocker_id, digest in rows:
            blocked_id = by_digest.get(digest)
            if blocked_id is not None and blocked_id != blocker_id:
                pairs.add((min(blocker_id, blocked_id), max(blocker_id, blocked_id)))
        return pairs

    async def between(self, a: MemberRecord, b: MemberRecord) -> bool:
        """Whether either of the two blocked the other."""
        return bool(await self.blocked_pairs(a.community_id, [Identity.of(a), Identity.of(b)]))

    async def people_blocked_by(
        self, blocker: MemberRecord
    ) -> list[tuple[datetime, MemberRecord | None]]:
        """The blocks ``blocker`` made, oldest first, each with the member it names if that
        person has a record in the community now (None: someone without one, e.g. forgotten)."""
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    sa.select(blocks.c.blocked_digest, blocks.c.created_at)
                    .where(blocks.c.blocker_id == blocker.id)
                    .order_by(blocks.c.id)
                )
            ).all()
            if not rows:
                return []
            community = (
                await connection.execute(
                    sa.select(*MEMBER_COLUMNS).where(members.c.community_id == blocker.community_id)
                )
            ).all()
        key = self._key_bytes()
        by_digest = {
            identity_digest(key, row.community_id, row.platform, row.platform_user_id): row
            for row in community
        }
        found = []
        for row in rows:
            member = by_digest.get(row.blocked_digest)
            found.append((row.created_at, None if member is None else member_from_row(member)))
        return found

    async def any_made(self) -> bool:
        """Whether any block is kept (in any community)."""
        async with self._db.read() as connection:
            return (await connection.execute(sa.select(blocks.c.id).limit(1))).first() is not None

    async def made_with_this_key(self) -> bool:
        """False if some block was made with another key (the key was changed or lost): those
        blocks would silently stop holding. True when there are no blocks at all."""
        async with self._db.read() as connection:
            used = (await connection.execute(sa.select(blocks.c.key_id).distinct().limit(2))).all()
        if not used:
            return True
        return [row.key_id for row in used] == [key_id(self._key_bytes())]
