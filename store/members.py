"""Members of a community, their status, saved profile answers and recorded consent."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.precompiled import Precompiled, Writes
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
        When another process creates the member at the same moment, its record is the one.

        Called when the router found no member: the insert comes first (one statement, in a
        write shared with those of others joining meanwhile); if the member exists after all,
        their record is read."""
        created = {
            "community_id": community_id,
            "platform": platform,
            "platform_user_id": user_id,
            "platform_locale": platform_locale,
            "display_name": fit_text(members.c.display_name, display_name),
            "now": now,
        }
        try:
            [rows] = await self._db.grouped([(_CREATE_MEMBER, created)])
            return MemberRecord(**rows[0])
        except sa.exc.IntegrityError:  # the identity's unique key: they exist already
            pass
        return await self._existing(community_id, platform, user_id, now, platform_locale)

    async def _existing(
        self,
        community_id: str,
        platform: str,
        user_id: str,
        now: datetime,
        platform_locale: str | None,
    ) -> MemberRecord:
        async with self._db.write() as connection:
            found = await self._find(connection, community_id, platform, user_id)
            if found is None:
                raise LookupError("the member's insert conflicted, yet no such member exists")
            if platform_locale and platform_locale != found.platform_locale:
                await connection.execute(
                    members.update()
                    .where(members.c.id == found.id)
                    .values(platform_locale=platform_locale, updated_at=now)
                )
                found = await self._find(connection, community_id, platform, user_id)
                assert found is not None
            return found

    async def update(self, member_id: int, *, now: datetime, **values: Any) -> None:
        """Change the member's own fields (not identity or timestamps of creation)."""
        if unknown := set(values) - _UPDATABLE:
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
        """Store profile answers and member fields in one transaction (see
        :meth:`profile_writes`)."""
        writes = self.profile_writes(
            member, answers, now=now, replace_all=replace_all, **member_values
        )
        if writes:
            await self._db.grouped(list(writes))

    def profile_writes(
        self,
        member: MemberRecord,
        answers: dict[str, Any],
        *,
        now: datetime,
        replace_all: bool = False,
        **member_values: Any,
    ) -> Writes:
        """The statements that store profile answers and member fields: each given answer
        replaces the earlier one; with ``replace_all`` every earlier answer goes (a member
        joining again starts from a clean profile). The join questionnaire writes them with
        the step of its confirmation (in its transaction, only if it moves)."""
        if unknown := set(member_values) - _UPDATABLE:
            raise ValueError(f"cannot update {sorted(unknown)} on a member")
        writes: list[tuple[Precompiled, dict[str, Any]]] = []
        if replace_all:
            writes.append((_DELETE_ANSWERS, {"member_id": member.id}))
        elif answers:
            ids = _numbered("question", list(answers), member.id)
            writes.append((_delete_answers(len(answers)), ids))
        for question_id, value in answers.items():
            row = {
                "member_id": member.id,
                "community_id": member.community_id,
                "question_id": question_id,
                "value": value,
                "updated_at": now,
            }
            writes.append((_INSERT_ANSWER, row))
        if member_values:
            if "display_name" in member_values:
                member_values["display_name"] = fit_text(
                    members.c.display_name, member_values["display_name"]
                )
            writes.append(
                (
                    _update_member(frozenset(member_values)),
                    {"member_id": member.id, "now": now}
                    | {f"set_{name}": value for name, value in member_values.items()},
                )
            )
        return tuple(writes)

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
        """Keep the member's consent to ``notice_version`` (see :meth:`consent_writes`)."""
        steps = self.consent_writes(member, notice_version, now=now, onboarding=onboarding)
        await self._db.grouped(steps)

    def consent_writes(
        self,
        member: MemberRecord,
        notice_version: str,
        *,
        now: datetime,
        onboarding: bool = False,
    ) -> Writes:
        """The statements that keep the member's consent to ``notice_version``; with
        ``onboarding``, a new member becomes one who is onboarding, in the same transaction.
        The join questionnaire writes them with the step the consent answers (every member
        gives one, all at once on the day a program opens)."""
        given = {
            "community_id": member.community_id,
            "member_id": member.id,
            "notice_version": notice_version,
            "now": now,
        }
        if onboarding:
            return ((_RECORD_CONSENT, given), (_START_ONBOARDING, given))
        return ((_RECORD_CONSENT, given),)

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
#: The member's own fields (not identity or timestamps of creation): what may be updated.
_UPDATABLE = frozenset(
    {
        "display_name",
        "locale",
        "status",
        "timezone",
        "paused_until",
        "left_at",
        "dm_place",
        "first_in_line_at",
    }
)
_DELETE_ANSWERS = Precompiled(
    profile_answers.delete().where(profile_answers.c.member_id == sa.bindparam("member_id"))
)
_INSERT_ANSWER = Precompiled(
    profile_answers.insert().values(
        {column.name: sa.bindparam(column.name, type_=column.type) for column in profile_answers.c}
    )
)


@functools.cache
def _delete_answers(count: int) -> Precompiled:
    """Delete ``count`` of a member's answers (parameters ``question0`` …, ``member_id``)."""
    return Precompiled(
        profile_answers.delete().where(
            profile_answers.c.member_id == sa.bindparam("member_id"),
            profile_answers.c.question_id.in_(
                [sa.bindparam(f"question{index}") for index in range(count)]
            ),
        )
    )


def _numbered(prefix: str, values: list[Any], member_id: int) -> dict[str, Any]:
    return {"member_id": member_id} | {f"{prefix}{i}": value for i, value in enumerate(values)}


@functools.cache
def _update_member(fields: frozenset[str]) -> Precompiled:
    """Set these member fields (parameters named as the fields, ``member_id`` and ``now``)."""
    return Precompiled(
        members.update()
        .where(members.c.id == sa.bindparam("member_id"))
        .values(
            updated_at=sa.bindparam("now", type_=members.c.updated_at.type),
            **{
                name: sa.bindparam(f"set_{name}", type_=members.c[name].type)
                for name in sorted(fields)
            },
        )
    )


_MEMBER_FIELDS = tuple(field.name for field in fields(MemberRecord))
#: A new member (``ensure``), returned as a :class:`MemberRecord` takes it: no consent yet.
_CREATE_MEMBER = Precompiled(
    members.insert()
    .values(
        community_id=sa.bindparam("community_id"),
        platform=sa.bindparam("platform"),
        platform_user_id=sa.bindparam("platform_user_id"),
        platform_locale=sa.bindparam("platform_locale", type_=members.c.platform_locale.type),
        display_name=sa.bindparam("display_name", type_=members.c.display_name.type),
        status=MemberStatus.NEW.value,
        created_at=sa.bindparam("now", type_=members.c.created_at.type),
        updated_at=sa.bindparam("now", type_=members.c.updated_at.type),
    )
    .returning(
        *(members.c[field.name] for field in fields(MemberRecord) if field.name in members.c)
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
