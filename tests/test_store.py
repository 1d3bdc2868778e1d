"""The store on SQLite and on PostgreSQL: migrations, members, conversations, refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from store import DatabaseTooNew
from store.migrate import alembic_config, current_revision, head_revision
from store.schema import conversations
from tests.conftest import Database

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


async def test_migrations_bring_a_new_database_to_the_newest_schema(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        assert await current_revision(store.engine) == head_revision()
        tables = set(await store.table_names())
        assert {"members", "profile_answers", "conversations", "adapter_state"} <= tables
    finally:
        await store.close()


async def test_every_table_with_community_data_carries_the_community_id(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        async with store.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    table: {c["name"] for c in sa.inspect(sync).get_columns(table)}
                    for table in sa.inspect(sync).get_table_names()
                    if table != "alembic_version"
                }
            )
        assert columns
        assert all("community_id" in names for names in columns.values()), columns
    finally:
        await store.close()


async def test_a_database_from_a_newer_tandem_is_refused(any_db: Database) -> None:
    store = await any_db.open_store()
    async with store.engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    await store.close()
    with pytest.raises(DatabaseTooNew, match="newer Tandem"):
        await any_db.open_store()


async def test_member_is_created_once_and_keeps_the_platform_locale(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        first = await store.members.ensure("c1", "discord", "42", now=NOW, platform_locale="de")
        again = await store.members.ensure("c1", "discord", "42", now=NOW)
        other_community = await store.members.ensure("c2", "discord", "42", now=NOW)
        assert first.id == again.id
        assert again.platform_locale == "de"
        assert other_community.id != first.id
        assert first.status == "new"
    finally:
        await store.close()


async def test_profile_answers_are_replaced_not_duplicated(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        member = await store.members.ensure("c1", "matrix", "@a:x", now=NOW)
        await store.members.save_profile(member, {"goal": "first", "days": ["mon"]}, now=NOW)
        await store.members.save_profile(
            member, {"goal": "second"}, now=NOW, display_name="Ada", status="waiting"
        )
        assert await store.members.profile(member.id) == {"goal": "second", "days": ["mon"]}
        saved = await store.members.get(member.id)
        assert saved is not None
        assert (saved.display_name, saved.status) == ("Ada", "waiting")
    finally:
        await store.close()


async def test_only_one_of_two_concurrent_answers_moves_a_conversation(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        member = await store.members.ensure("c1", "console", "alex", now=NOW)
        started = await store.conversations.start(
            community_id="c1",
            member_id=member.id,
            flow_id="join",
            flow_version=1,
            step_id="language",
            place={"platform": "console", "kind": "dm", "user_id": "alex"},
            answers={},
            expires_at=NOW + timedelta(days=7),
            now=NOW,
        )
        winner = await store.conversations.advance(
            started,
            step_id="name",
            answers={"language": "de"},
            trail=["language"],
            expires_at=NOW + timedelta(days=7),
            now=NOW,
        )
        loser = await store.conversations.advance(
            started,
            step_id="name",
            answers={"language": "en"},
            trail=["language"],
            expires_at=NOW + timedelta(days=7),
            now=NOW,
        )
        assert winner is not None
        assert loser is None
        active = await store.conversations.active_for(member.id)
        assert active is not None
        assert (active.step_id, active.step_seq, active.answers) == ("name", 2, {"language": "de"})
        assert active.expires_at == NOW + timedelta(days=7)
        assert active.expires_at.tzinfo is not None
    finally:
        await store.close()


async def test_starting_a_conversation_replaces_the_running_one(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        member = await store.members.ensure("c1", "console", "alex", now=NOW)
        common = {
            "community_id": "c1",
            "member_id": member.id,
            "flow_id": "join",
            "flow_version": 1,
            "step_id": "language",
            "place": {"platform": "console", "kind": "dm"},
            "answers": {},
            "expires_at": NOW + timedelta(days=1),
            "now": NOW,
        }
        first = await store.conversations.start(**common)
        second = await store.conversations.start(**common)
        replaced = await store.conversations.get(first.id)
        assert replaced is not None
        assert replaced.status == "replaced"
        active = await store.conversations.active_for(member.id)
        assert active is not None
        assert active.id == second.id
    finally:
        await store.close()


@pytest.mark.postgres
async def test_two_processes_starting_at_once_leave_one_running_conversation(
    postgres_db: Database,
) -> None:
    """Two stores (two processes) start a conversation for the same members at the same
    moment: each member ends with exactly one running conversation, the later start's, and
    both starts return; without the unique key on the running one both stayed active."""
    async with postgres_db.two_stores() as (first, second):
        members = [
            await first.members.ensure("c1", "memory", f"m{index}", now=NOW) for index in range(20)
        ]

        def start(store, member, step_id):  # type: ignore[no-untyped-def]
            return store.conversations.start(
                community_id="c1",
                member_id=member.id,
                flow_id="join",
                flow_version=1,
                step_id=step_id,
                place={"platform": "memory", "kind": "dm"},
                answers={},
                expires_at=NOW + timedelta(days=1),
                now=NOW,
            )

        # All members at once (each store's starts share a transaction), then one member at a
        # time: a start alone in its transaction is the one that must run again by itself.
        started = await asyncio.gather(
            *(start(first, member, "language") for member in members),
            *(start(second, member, "consent") for member in members),
        )
        assert len(started) == 2 * len(members)
        for _ in range(2):
            for member in members:
                pair = await asyncio.gather(
                    start(first, member, "language"), start(second, member, "consent")
                )
                assert [started.member_id for started in pair] == [member.id, member.id]
        rows = await first.dump_table("conversations")
        for member in members:
            running = [r for r in rows if r["member_id"] == member.id and r["status"] == "active"]
            assert len(running) == 1, running
            newest = max(r["id"] for r in rows if r["member_id"] == member.id)
            assert running[0]["id"] == newest


async def test_running_conversations_stored_twice_before_the_upgrade_keep_the_newest(
    any_db: Database,
) -> None:
    """The upgrade that allows one running conversation per member resolves duplicates a
    race left behind as the start would have: the newest runs on, the older are replaced."""
    store = await any_db.open_store(migrate=False)
    try:
        async with store.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0011"))
        member = await store.members.ensure("c1", "memory", "ana", now=NOW)
        other = await store.members.ensure("c1", "memory", "ben", now=NOW)
        async with store.engine.begin() as connection:
            for owner, status in ((member, "active"), (member, "active"), (other, "active")):
                await connection.execute(
                    conversations.insert().values(
                        community_id="c1",
                        member_id=owner.id,
                        flow_id="join",
                        flow_version=1,
                        step_id="language",
                        step_seq=1,
                        answers={"language": "de"},
                        trail=[],
                        place={},
                        status=status,
                        expires_at=NOW,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
        async with store.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
        rows = sorted(await store.dump_table("conversations"), key=lambda row: row["id"])
        assert [(row["member_id"], row["status"], row["answers"]) for row in rows] == [
            (member.id, "replaced", {}),
            (member.id, "active", {"language": "de"}),
            (other.id, "active", {"language": "de"}),
        ]
    finally:
        await store.close()


async def test_adapter_state_round_trips_json(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        await store.adapter_state.put(
            "c1", "matrix", "dm:@a:x", {"room": "!r:x"}, now=NOW, platform_user_id="@a:x"
        )
        await store.adapter_state.put("c1", "matrix", "dm:@a:x", {"room": "!s:x"}, now=NOW)
        assert await store.adapter_state.get("c1", "matrix", "dm:@a:x") == {"room": "!s:x"}
        rows = await store.dump_table("adapter_state")
        assert [row["platform_user_id"] for row in rows] == ["@a:x"]  # forget still finds it
        await store.adapter_state.delete("c1", "matrix", "dm:@a:x")
        assert await store.adapter_state.get("c1", "matrix", "dm:@a:x") is None
    finally:
        await store.close()


async def test_deleting_a_member_deletes_their_conversations(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        member = await store.members.ensure("c1", "console", "alex", now=NOW)
        await store.conversations.start(
            community_id="c1",
            member_id=member.id,
            flow_id="join",
            flow_version=1,
            step_id="language",
            place={},
            answers={"name": "Alex"},
            expires_at=NOW,
            now=NOW,
        )
        async with store.engine.begin() as connection:
            await connection.execute(
                sa.text("DELETE FROM members WHERE id = :id"), {"id": member.id}
            )
        assert await store.dump_table("conversations") == []
    finally:
        await store.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    store = await sqlite_db.open_store()
    try:
        async with store.engine.connect() as connection:
            journal = (await connection.execute(sa.text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await connection.execute(sa.text("PRAGMA foreign_keys"))).scalar()
        assert (journal, foreign_keys) == ("wal", 1)
    finally:
        await store.close()


async def test_a_failing_statement_names_no_value_in_its_error(any_db: Database) -> None:
    """Database errors end up in the operators' log: they name the statement, never the values
    (a member's answers)."""
    store = await any_db.open_store()
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            async with store.connections.write() as connection:
                await connection.execute(
                    sa.text("INSERT INTO no_such_table (answer) VALUES (:answer)"),
                    {"answer": "my secret hope 4711"},
                )
        assert "4711" not in str(raised.value)
    finally:
        await store.close()
