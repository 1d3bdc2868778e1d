"""Everything held about one member, in one place: export it, delete it, purge the departed.

When a later feature adds a table with personal data, it adds that table here too; the
data-rights tests scan every table of the database after :meth:`PrivacyRepository.forget`,
so a table left out fails them.

Adapter records name a member in two ways: records *about* them carry their id in
``platform_user_id`` (their DM, their questions) and are deleted with them; records about
something shared name them inside the value (a pair space lists its members) and are scrubbed:
the member's id is taken out and the record stays for the others.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.connections import Connections
from store.forget_traces import scrub_member_id
from store.members import MemberRecord, MemberStatus, member_from_row
from store.rounds import discard_previews_on
from store.schema import (
    adapter_state,
    agreement_changes,
    agreements,
    applied_events,
    badges,
    blocks,
    consents,
    conversations,
    due_items,
    match_rounds,
    meeting_settings,
    meetings,
    members,
    milestones_reached,
    notes,
    profile_answers,
    program_ends,
    reflections,
    reports,
    shoutout_optins,
    status_is,
    tandems,
)
from store.tandems import CURRENT


def _plain(value: Any) -> Any:
    """Times and days (a round's week) as ISO text, the rest as it is."""
    return value.isoformat() if isinstance(value, date) else value


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
                "applied_events": await self._rows(
                    connection, applied_events, applied_events.c.member_id == member.id
                ),
                "adapter_state": [
                    row
                    for row in await self._rows(
                        connection, adapter_state, self._adapter_rows_naming(member)
                    )
                    if row["platform_user_id"] == member.platform_user_id
                    or _key_names(row["key"], member.platform_user_id)
                    or _without(row["value"], member.platform_user_id) != row["value"]
                ],
                "due_items": await self._rows(
                    connection, due_items, due_items.c.member_id == member.id
                ),
                "tandems": await self._tandems(connection, member),
                "agreements": await self._agreements(connection, member),
                "meetings": await self._meetings(connection, member),
                "meeting_settings": await self._rows(
                    connection, meeting_settings, meeting_settings.c.member_id == member.id
                ),
                "rounds": await self._rounds(connection, member),
                # Whom they blocked is a keyed hash of the other person's identity: meaningless
                # to them, so left out (flows/data_rights.py names the person where it can).
                # Blocks of them by others are not theirs and are not here.
                "blocks": await self._rows(
                    connection,
                    blocks,
                    blocks.c.blocker_id == member.id,
                    columns=(blocks.c.id, blocks.c.created_at),
                ),
                "reports": await self._rows(
                    connection, reports, reports.c.reporter_id == member.id
                ),
                # The member's own: a partner's reflections and milestones are the partner's.
                "notes": await self._rows(connection, notes, notes.c.member_id == member.id),
                "reflections": await self._rows(
                    connection, reflections, reflections.c.member_id == member.id
                ),
                "milestones": await self._rows(
                    connection, milestones_reached, milestones_reached.c.member_id == member.id
                ),
                "shoutouts": await self._rows(
                    connection, shoutout_optins, shoutout_optins.c.member_id == member.id
                ),
                # Earned by the pair together: both partners' data.
                "badges": await self._rows(
                    connection,
                    badges,
                    badges.c.tandem_id.in_(
                        sa.select(tandems.c.id).where(
                            sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id)
                        )
                    ),
                ),
                "program_ends": await self._program_ends(connection, member),
            }

    async def _program_ends(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[dict[str, Any]]:
        """The ends of the member's program rounds with their own choice (the partner's is
        the partner's)."""
        rows = await connection.execute(
            sa.select(program_ends, tandems.c.member_a)
            .join(tandems, tandems.c.id == program_ends.c.tandem_id)
            .where(sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id))
            .order_by(program_ends.c.id)
        )
        exported = []
        for row in rows:
            side = "a" if row.member_a == member.id else "b"
            exported.append(
                {
                    "tandem_id": row.tandem_id,
                    "round": row.round,
                    "completed_at": _plain(row.completed_at),
                    "my_choice": row._mapping[f"choice_{side}"],
                    "answered_at": _plain(row._mapping[f"answered_{side}_at"]),
                    "outcome": row.outcome,
                    "decided_at": _plain(row.decided_at),
                }
            )
        return exported

    async def _agreements(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[dict[str, Any]]:
        """The agreements of the member's tandems: the member's own part, the agreement both
        confirmed (shared in their pair space) and its history."""
        rows = await connection.execute(
            sa.select(agreements, tandems.c.member_a)
            .join(tandems, tandems.c.id == agreements.c.tandem_id)
            .where(sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id))
        )
        exported = []
        for row in rows:
            side = "a" if row.member_a == member.id else "b"
            history = await self._rows(
                connection, agreement_changes, agreement_changes.c.agreement_id == row.id
            )
            shared = ("id", "tandem_id", "state", "version", "terms", "created_at", "agreed_at")
            exported.append(
                {
                    **{key: _plain(row._mapping[key]) for key in shared},
                    "my_part": _plain(row._mapping[f"part_{side}"]),
                    "my_confirmation": row._mapping[f"confirmed_{side}"],
                    "history": history,
                }
            )
        return exported

    async def _meetings(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[dict[str, Any]]:
        """The meetings of the member's tandems with their own check-in answer (the partner's
        answer is the partner's)."""
        rows = await connection.execute(
            sa.select(meetings, tandems.c.member_a)
            .join(tandems, tandems.c.id == meetings.c.tandem_id)
            .where(sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id))
            .order_by(meetings.c.occurrence_at)
        )
        shared = (
            "id",
            "tandem_id",
            "occurrence_at",
            "starts_at",
            "ends_at",
            "timezone",
            "state",
            "created_at",
        )
        exported = []
        for row in rows:
            side = "a" if row.member_a == member.id else "b"
            exported.append(
                {
                    **{key: _plain(row._mapping[key]) for key in shared},
                    "my_check_in": row._mapping[f"answer_{side}"],
                }
            )
        return exported

    async def _tandems(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[dict[str, Any]]:
        """The member's tandems with their own answer and reason only: the partner's private
        reason is theirs (and the organizers'), not part of this member's data."""
        rows = await self._rows(
            connection,
            tandems,
            sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id),
        )
        shared = ("id", "round_id", "state", "score", "reasons", "space", "created_at")
        times = ("introduced_at", "active_at", "ended_at", "end_reason", "paused_until")
        rounds = ("program_round", "round_started_at")
        exported = []
        for row in rows:
            side = "a" if row["member_a"] == member.id else "b"
            paused_by = row["paused_by"]
            exported.append(
                {
                    **{key: row[key] for key in (*shared, *times, *rounds)},
                    # Who paused it, as the member sees it (not the partner's number).
                    "paused_by": None
                    if paused_by is None
                    else ("me" if paused_by == member.id else "partner"),
                    "my_answer": row[f"answer_{side}"],
                    "my_reason": row[f"reason_{side}"],
                }
            )
        return exported

    async def _rounds(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[dict[str, Any]]:
        """The match rounds that introduced the member: when and for which week (not whom else
        they proposed: that is other members' data)."""
        theirs = sa.select(tandems.c.round_id).where(
            sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id)
        )
        return await self._rows(
            connection,
            match_rounds,
            match_rounds.c.id.in_(theirs),
            columns=(
                match_rounds.c.id,
                match_rounds.c.started_by,
                match_rounds.c.week_start,
                match_rounds.c.created_at,
                match_rounds.c.run_at,
            ),
        )

    async def _rows(
        self,
        connection: AsyncConnection,
        table: sa.Table,
        where: sa.ColumnElement[bool],
        columns: tuple[sa.Column[Any], ...] | None = None,
    ) -> list[dict[str, Any]]:
        selected = sa.select(*columns) if columns else sa.select(table)
        result = await connection.execute(selected.where(where))
        return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]

    def _adapter_rows_of(self, member: MemberRecord) -> sa.ColumnElement[bool]:
        """Records about the member alone."""
        return sa.and_(
            adapter_state.c.community_id == member.community_id,
            adapter_state.c.platform == member.platform,
            adapter_state.c.platform_user_id == member.platform_user_id,
        )

    def _adapter_rows_naming(self, member: MemberRecord) -> sa.ColumnElement[bool]:
        """Records about the member, and records whose key or value mentions their id (a
        candidate filter: :func:`_without` decides what exactly names them)."""
        # Values are stored as JSON text, so the id is searched for as JSON spells it.
        spelled = json.dumps(member.platform_user_id)[1:-1]
        pattern = "%" + _escape_like(spelled) + "%"
        return sa.and_(
            adapter_state.c.community_id == member.community_id,
            adapter_state.c.platform == member.platform,
            sa.or_(
                adapter_state.c.platform_user_id == member.platform_user_id,
                adapter_state.c.key.like("%" + _escape_like(member.platform_user_id) + "%", "\\"),
                sa.cast(adapter_state.c.value, sa.Text).like(pattern, "\\"),
            ),
        )

    async def _forget_adapter_records(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> None:
        """Delete the records about the member; take their id out of shared ones."""
        await connection.execute(adapter_state.delete().where(self._adapter_rows_of(member)))
        user_id = member.platform_user_id
        rows = await connection.execute(
            sa.select(adapter_state.c.key, adapter_state.c.value).where(
                self._adapter_rows_naming(member)
            )
        )
        for key, value in rows.all():
            where = sa.and_(
                adapter_state.c.community_id == member.community_id,
                adapter_state.c.platform == member.platform,
                adapter_state.c.key == key,
            )
            if _key_names(key, user_id):
                await connection.execute(adapter_state.delete().where(where))
                continue
            scrubbed = _without(value, user_id)
            if scrubbed != value:
                await connection.execute(adapter_state.update().where(where).values(value=scrubbed))

    async def forget(self, member: MemberRecord) -> None:
        """Delete the member for real: their row and, by cascade, everything keyed to it."""
        await self._delete(member, sa.true())

    async def purge_if_departed(self, member: MemberRecord, cutoff: datetime) -> bool:
        """Delete a member who left before ``cutoff`` and has not come back since.

        The condition is checked in the delete itself, so a member who rejoins in the
        meantime, or another process purging first, is never deleted twice or wrongly.
        """
        still_gone = sa.and_(members.c.status == MemberStatus.LEFT, members.c.left_at <= cutoff)
        return await self._delete(member, still_gone)

    async def purge_if_abandoned(self, member: MemberRecord, cutoff: datetime) -> bool:
        """Delete someone who never finished joining and has not answered since ``cutoff``."""
        return await self._delete(member, self._abandoned(cutoff))

    async def departed_before(self, cutoff: datetime) -> list[MemberRecord]:
        """Members who left before ``cutoff`` (candidates; see :meth:`purge_if_departed`)."""
        return await self._select(
            sa.and_(members.c.status == MemberStatus.LEFT, members.c.left_at < cutoff)
        )

    async def abandoned_before(self, cutoff: datetime) -> list[MemberRecord]:
        """People who never finished joining (no consent, or consent but no profile) and have
        neither been seen nor answered a question since ``cutoff``."""
        return await self._select(self._abandoned(cutoff))

    def _abandoned(self, cutoff: datetime) -> sa.ColumnElement[bool]:
        recently_answering = sa.exists().where(
            conversations.c.member_id == members.c.id,
            status_is(conversations.c.status, "active"),
            conversations.c.updated_at >= cutoff,
        )
        return sa.and_(
            members.c.status.in_([MemberStatus.NEW, MemberStatus.ONBOARDING]),
            members.c.updated_at < cutoff,
            ~recently_answering,
        )

    async def _delete(self, member: MemberRecord, condition: sa.ColumnElement[bool]) -> bool:
        async with self._db.write() as connection:
            partners = await self._current_partners(connection, member)
            result = await connection.execute(
                members.delete().where(members.c.id == member.id, condition)
            )
            if not result.rowcount:
                return False
            await self._forget_adapter_records(connection, member)
            await scrub_member_id(connection, member.community_id, member.id)
            await self._release_partners(connection, member, partners)
        await self._db.empty_write_ahead_log()
        return True

    async def _current_partners(
        self, connection: AsyncConnection, member: MemberRecord
    ) -> list[int]:
        rows = await connection.execute(
            sa.select(tandems.c.member_a, tandems.c.member_b).where(
                sa.or_(tandems.c.member_a == member.id, tandems.c.member_b == member.id),
                tandems.c.state.in_(CURRENT),
            )
        )
        return [a if b == member.id else b for a, b in rows]

    async def _release_partners(
        self, connection: AsyncConnection, member: MemberRecord, partners: list[int]
    ) -> None:
        """The tandems went with the member (cascade): their partners wait again, first in
        line; previews that may name the member are discarded (a run must preview anew)."""
        now = datetime.now(UTC)
        if partners:
            await connection.execute(
                members.update()
                .where(members.c.id.in_(partners), members.c.status == MemberStatus.IN_TANDEM)
                .values(status=MemberStatus.WAITING, first_in_line_at=now, updated_at=now)
            )
        await discard_previews_on(connection, member.community_id, now=now)

    async def _select(self, where: sa.ColumnElement[bool]) -> list[MemberRecord]:
        async with self._db.read() as connection:
            rows = await connection.execute(sa.select(members).where(where))
            return [member_from_row(row) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _key_names(key: str, user_id: str) -> bool:
    """Whether a record's key is about the member, as ``dm:<user id>`` is."""
    return key == user_id or key.endswith(":" + user_id)


def _without(value: Any, user_id: str) -> Any:
    """``value`` with every list item, mapping entry and key that is exactly ``user_id``
    taken out (a pair space's ``members``, a map keyed by member)."""
    if isinstance(value, list):
        return [_without(item, user_id) for item in value if item != user_id]
    if isinstance(value, dict):
        return {
            key: _without(item, user_id)
            for key, item in value.items()
            if key != user_id and item != user_id
        }
    return value
