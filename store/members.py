"""Members of a community, their status, saved profile answers and recorded consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.precompiled import Precompiled, run_together
from store.schema import consents, fit_text, members, profile_answers


class MemberStatus(StrEnum):
    """Where a member stands; shown in ``profile`` and used by matching."""

    NEW = "new"  # has talked to the bot, has not consented: nothing personal is kept
    ONBOARDING = "onboarding"  # consented, answering the questionnaire
    WAITING = "waiting"  # profile saved, waiting for a match
    PAUSED = "paused"  # not matched until resumed (or paused_until)
    IN_TANDEM = "in_tandem"
    # Finished a program and chose not to go on: never matched, data kept like any member's;
    # ``join`` brings them back to waiting for a later program (flows/program_choice.py).
    ALUMNI = "alumni"
    LEFT = "left"  # ended participation or left the community; purged after retention


JOINED = frozenset(
    {MemberStatus.WAITING, MemberStatus.PAUSED, MemberStatus.IN_TANDEM, MemberStatus.ALUMNI}
)


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
    timezone: str | None = None
    paused_until: datetime | None = None
    left_at: datetime | None = None
    dm_place: dict[str, Any] | None = None
    # The privacy notice version of the member's latest consent (None: never consented).
    consented_version: str | None = None
    # Since when the member is first in line for a partner (they sat out a round), or None.
    first_in_line_at: datetime | None = None

    @property
    def joined(self) -> bool:
        return self.status in JOINED


def member_from_row(row: sa.Row[Any]) -> MemberRecord:
    return MemberRecord(
        id=row.id,
        community_id=row.community_id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        display_name=row.display_name,
        locale=row.locale,
        platform_locale=row.platform_locale,
        status=row.status,
        timezone=row.timezone,
        paused_until=row.paused_until,
        left_at=row.left_at,
        dm_place=row.dm_place,
        consented_version=row._mapping.get("consented_version"),
        first_in_line_at=row._mapping.get("first_in_line_at"),
    )


#: The version of the member's latest consent, read with the member in the same query (the
#: router reads it for every event, to ask again when the notice changed).
_latest_consent = (
    sa.select(consents.c.notice_version)
    .where(consents.c.member_id == members.c.id)
    .order_by(consents.c.id.desc())
    .limit(1)
    .correlate(members)
    .scalar_subquery()
    .label("consented_version")
)
MEMBER_COLUMNS = (*members.c, _latest_consent)


class MemberRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def find(self, community_id: str, platform: str, user_id: str) -> MemberRecord | None:
        async with self._db.read() as connection:
            return await self._find(connection, community_id, platform, user_id)

    async def _find(
        self, connection: AsyncConnection, community_id: str, platform: str, user_id: str
    ) -> MemberRecord | None:
        row = (
            await connection.execute(
                sa.select(*MEMBER_COLUMNS).where(
                    members.c.community_id == community_id,
                    members.c.platform == platform,
                    members.c.platform_user_id == user_id,
                )
            )
        ).first()
        return None if row is None else member_from_row(row)

    async def get(self, member_id: int) -> MemberRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    sa.select(*MEMBER_COLUMNS).where(members.c.id == member_id)
                )
            ).first()
        return None if row is None else member_from_row(row)

    async def ensure(
        self,
        community_id: str,
        platform: str,
        user_id: str,
        *,
        now: datetime,
        platform_locale: str | None = None,
        display_name: str | None = None,
    ) -> MemberRecord:
        """The member's record, created on first contact; the platform locale kept current.
        When another process creates the member at the same moment, its record is the one."""
        try:
            return await self._ensure(
                community_id,
                platform,
                user_id,
                now=now,
                platform_locale=platform_locale,
                display_name=display_name,
            )
        except sa.exc.IntegrityError:  # the identity's unique key: the other insert won
            found = await self.find(community_id, platform, user_id)
            if found is None:
                raise
            return found

    async def _ensure(
        self,
        community_id: str,
        platform: str,
        user_id: str,
        *,
        now: datetime,
        platform_locale: str | None,
        display_name: str | None,
    ) -> MemberRecord:
        async with self._db.write() as connection:
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
                    display_name=fit_text(members.c.display_name, display_name),
                    status=MemberStatus.NEW,
                    created_at=now,
                    updated_at=now,
                )
            )
            created = await self._find(connection, community_id, platform, user_id)
            assert created is not None
            return created

    async def update(self, member_id: int, *, now: datetime, **values: Any) -> None:
        """Change the member's own fields (not identity or timestamps of creation)."""
        allowed = {
            "display_name",
            "locale",
            "status",
            "timezone",
            "paused_until",
            "left_at",
            "dm_place",
            "first_in_line_at",
        }
        if unknown := set(values) - allowed:
            raise ValueError(f"cannot update {sorted(unknown)} on a member")
        if "display_name" in values:
            values["display_name"] = fit_text(members.c.display_name, values["display_name"])
        async with self._db.write() as connection:
            await connection.execute(
                members.update().where(members.c.id == member_id).values(updated_at=now, **values)
            )

    async def save_profile(
        self,
        member: MemberRecord,
        answers: dict[str, Any],
        *,
        now: datetime,
        replace_all: bool = False,
        **member_values: Any,
    ) -> None:
        """Store profile answers and member fields in one transaction.

        Each given answer replaces the earlier one; with ``replace_all`` every earlier answer
        goes (a member joining again starts from a clean profile).
        """
        async with self._db.write() as connection:
            stale = profile_answers.c.member_id == member.id
            if not replace_all:
                stale = stale & profile_answers.c.question_id.in_(list(answers))
            await connection.execute(profile_answers.delete().where(stale))
            if answers:
                await connection.execute(
                    profile_answers.insert(),
                    [
                        {
                            "member_id": member.id,
                            "community_id": member.community_id,
                            "question_id": question_id,
                            "value": value,
                            "updated_at": now,
                        }
                        for question_id, value in answers.items()
                    ],
                )
            if member_values:
                await connection.execute(
                    members.update()
                    .where(members.c.id == member.id)
                    .values(updated_at=now, **member_values)
                )

    async def delete_answers(self, member_id: int, question_ids: list[str]) -> None:
        async with self._db.write() as connection:
            await connection.execute(
                profile_answers.delete().where(
                    profile_answers.c.member_id == member_id,
                    profile_answers.c.question_id.in_(question_ids),
                )
            )

    async def record_consent(
        self,
        member: MemberRecord,
        notice_version: str,
        *,
        now: datetime,
        onboarding: bool = False,
    ) -> None:
        """Keep the member's consent to ``notice_version``; with ``onboarding``, a new member
        becomes one who is onboarding, in the same transaction."""
        # Both in one hand-off (store/precompiled.py), in a transaction shared with the other
        # consents given meanwhile (``grouped``): every member gives one, all at once on the
        # day a program opens, and they queued for the writer one by one in bench.flows.
        given = {
            "community_id": member.community_id,
            "member_id": member.id,
            "notice_version": notice_version,
            "now": now,
        }
        steps = [(_RECORD_CONSENT, given)]
        if onboarding:
            steps.append((_START_ONBOARDING, given))
        await self._db.grouped(lambda connection: run_together(connection, steps))

    async def consents(self, member_id: int) -> list[tuple[str, datetime]]:
        """(notice version, when) for every consent the member gave, oldest first."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(consents.c.notice_version, consents.c.given_at)
                .where(consents.c.member_id == member_id)
                .order_by(consents.c.id)
            )
            return [(row.notice_version, row.given_at) for row in rows]

    async def import_many(self, rows: list[dict[str, Any]], *, now: datetime) -> None:
        """Create many members with their profiles in one transaction (imports, benchmarks).

        Each row: ``community_id``, ``platform``, ``platform_user_id``, optional member fields
        (``display_name``, ``locale``, ``timezone``, ``status``) and ``profile`` (answers).
        """
        async with self._db.write() as connection:
            for row in rows:
                fields = {key: value for key, value in row.items() if key != "profile"}
                result = await connection.execute(
                    members.insert()
                    .values(created_at=now, updated_at=now, **fields)
                    .returning(members.c.id)
                )
                member_id = result.scalar_one()
                answers = row.get("profile", {})
                if answers:
                    await connection.execute(
                        profile_answers.insert(),
                        [
                            {
                                "member_id": member_id,
                                "community_id": row["community_id"],
                                "question_id": question_id,
                                "value": value,
                                "updated_at": now,
                            }
                            for question_id, value in answers.items()
                        ],
                    )

    async def end_pause_if_due(self, member_id: int, now: datetime) -> MemberRecord | None:
        """End the member's pause if its date has come; the member, or None if it had not (or
        they resumed or left meanwhile). The update is the claim: two runs never both end it."""
        async with self._db.write() as connection:
            row = (
                await connection.execute(
                    members.update()
                    .where(
                        members.c.id == member_id,
                        members.c.status == MemberStatus.PAUSED,
                        members.c.paused_until <= now,
                    )
                    .values(status=MemberStatus.WAITING, paused_until=None, updated_at=now)
                    .returning(*members.c)
                )
            ).first()
            return None if row is None else member_from_row(row)

    async def platforms(self) -> set[str]:
        """The platforms the stored members come from (all communities)."""
        async with self._db.read() as connection:
            rows = await connection.execute(sa.select(members.c.platform).distinct())
            return {row[0] for row in rows}

    async def count_by_status(self, community_id: str) -> dict[str, int]:
        """How many members the community has in each status (every status, zeros too)."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(members.c.status, sa.func.count())
                .where(members.c.community_id == community_id)
                .group_by(members.c.status)
            )
            counted = {row[0]: row[1] for row in rows}
        return {status.value: counted.get(status.value, 0) for status in MemberStatus}

    async def with_status(
        self, community_id: str, status: str
    ) -> list[tuple[MemberRecord, dict[str, Any]]]:
        """Every member of the community in ``status``, each with their profile answers, in
        two queries whatever their number (a match round reads all who wait)."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(*MEMBER_COLUMNS)
                .where(members.c.community_id == community_id, members.c.status == status)
                .order_by(members.c.id)
            )
            found = [member_from_row(row) for row in rows]
            answers = await connection.execute(
                sa.select(
                    profile_answers.c.member_id,
                    profile_answers.c.question_id,
                    profile_answers.c.value,
                )
                .join(members, members.c.id == profile_answers.c.member_id)
                .where(members.c.community_id == community_id, members.c.status == status)
            )
            profiles: dict[int, dict[str, Any]] = {member.id: {} for member in found}
            for member_id, question_id, value in answers:
                if member_id in profiles:
                    profiles[member_id][question_id] = value
        return [(member, profiles[member.id]) for member in found]

    async def profile(self, member_id: int) -> dict[str, Any]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(profile_answers.c.question_id, profile_answers.c.value).where(
                    profile_answers.c.member_id == member_id
                )
            )
            return {row.question_id: row.value for row in rows}


_RECORD_CONSENT = Precompiled(
    consents.insert().values(
        community_id=sa.bindparam("community_id"),
        member_id=sa.bindparam("member_id"),
        notice_version=sa.bindparam("notice_version"),
        given_at=sa.bindparam("now", type_=consents.c.given_at.type),
    )
)
_START_ONBOARDING = Precompiled(
    members.update()
    .where(
        members.c.id == sa.bindparam("member_id"),
        members.c.status == MemberStatus.NEW.value,
    )
    .values(
        status=MemberStatus.ONBOARDING.value,
        updated_at=sa.bindparam("now", type_=members.c.updated_at.type),
    )
)
