"""Due items in the store, on SQLite and PostgreSQL: scheduling by key, claiming with a lease,
finishing only what one still holds, cancelling by key and by prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command

from store import Store
from store.due_items import CANCELLED, CLAIMED, DONE, PENDING
from store.migrate import alembic_config
from store.schema import members
from tests.conftest import Database

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
LEASE = timedelta(minutes=5)
KINDS = ["ping"]


async def _schedule(store: Store, key: str, due_in: timedelta, **extra: object) -> int:
    return await store.due.schedule(
        community_id="c1", kind="ping", key=key, due_at=NOW + due_in, now=NOW, **extra
    )


async def _claim(store: Store, worker: str, at: datetime = NOW, limit: int = 100) -> list[str]:
    items = await store.due.claim(
        now=at, worker=worker, lease_until=at + LEASE, limit=limit, kinds=KINDS
    )
    return [item.key for item in items]


async def test_only_items_that_are_due_are_claimed_earliest_first(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        await _schedule(store, "later", timedelta(minutes=10))
        await _schedule(store, "second", timedelta(minutes=-1))
        await _schedule(store, "first", timedelta(minutes=-5))
        assert await _claim(store, "w1") == ["first", "second"]
        assert await _claim(store, "w2") == []  # claimed items are not claimed twice
        assert await store.due.next_wake() == NOW + timedelta(minutes=5)  # w1's lease ends
        item = await store.due.get("c1", "first")
        assert item is not None
        assert (item.state, item.claimed_by, item.attempts) == (CLAIMED, "w1", 1)
    finally:
        await store.close()


async def test_scheduling_a_key_again_moves_the_item_instead_of_adding_one(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        first = await _schedule(store, "meeting:42:reminder", timedelta(hours=1), payload={"a": 1})
        again = await _schedule(store, "meeting:42:reminder", timedelta(hours=3), payload={"a": 2})
        assert first == again
        item = await store.due.get("c1", "meeting:42:reminder")
        assert item is not None
        assert (item.due_at, item.payload, item.state) == (
            NOW + timedelta(hours=3),
            {"a": 2},
            PENDING,
        )
        assert await store.due.next_wake() == NOW + timedelta(hours=3)
    finally:
        await store.close()


async def test_an_item_rescheduled_while_it_runs_keeps_its_new_time(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        await _schedule(store, "meeting:1:reminder", timedelta(0))
        [item] = await store.due.claim(
            now=NOW, worker="w1", lease_until=NOW + LEASE, limit=10, kinds=KINDS
        )
        await _schedule(store, "meeting:1:reminder", timedelta(days=1))  # the meeting moved
        assert await store.due.finish([item.id], worker="w1", now=NOW) == 0
        moved = await store.due.get("c1", "meeting:1:reminder")
        assert moved is not None
        assert (moved.state, moved.due_at) == (PENDING, NOW + timedelta(days=1))
    finally:
        await store.close()


async def test_a_claim_whose_lease_ran_out_is_taken_over_and_the_old_worker_cannot_finish_it(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        await _schedule(store, "k", timedelta(0))
        [lost] = await store.due.claim(
            now=NOW, worker="dead", lease_until=NOW + LEASE, limit=10, kinds=KINDS
        )
        assert await _claim(store, "alive", NOW + LEASE - timedelta(seconds=1)) == []
        assert await _claim(store, "alive", NOW + LEASE) == ["k"]
        assert await store.due.finish([lost.id], worker="dead", now=NOW + LEASE) == 0
        assert await store.due.finish([lost.id], worker="alive", now=NOW + LEASE) == 1
        item = await store.due.get("c1", "k")
        assert item is not None
        assert (item.state, item.attempts) == (DONE, 2)
        assert await store.due.next_wake() is None
    finally:
        await store.close()


async def test_cancelling_by_key_and_by_prefix_stops_only_what_is_pending_for_it(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        for key in ("tandem:7:meeting:1", "tandem:7:meeting:2", "tandem:70:meeting:1", "x_y"):
            await _schedule(store, key, timedelta(hours=1))
        await _schedule(store, "tandem:7:done", timedelta(0))
        [done] = await store.due.claim(
            now=NOW, worker="w", lease_until=NOW + LEASE, limit=10, kinds=KINDS
        )
        await store.due.finish([done.id], worker="w", now=NOW)

        assert await store.due.cancel_prefix("c1", "tandem:7:", now=NOW) == 2
        assert await store.due.cancel_prefix("c1", "x%", now=NOW) == 0  # % is not a wildcard
        assert await store.due.cancel("c1", "x_y", now=NOW) == 1
        states = {
            key: (await store.due.get("c1", key)).state  # type: ignore[union-attr]
            for key in ("tandem:7:meeting:1", "tandem:7:meeting:2", "tandem:70:meeting:1")
        }
        assert states == {
            "tandem:7:meeting:1": CANCELLED,
            "tandem:7:meeting:2": CANCELLED,
            "tandem:70:meeting:1": PENDING,
        }
        assert (await store.due.get("c1", "tandem:7:done")).state == DONE  # type: ignore[union-attr]
        assert await _claim(store, "w", NOW + timedelta(hours=2)) == ["tandem:70:meeting:1"]
    finally:
        await store.close()


async def test_a_claim_that_never_committed_leaves_the_item_pending(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        await _schedule(store, "k", timedelta(0))

        def crash() -> None:
            raise RuntimeError("the process died before the claim committed")

        with pytest.raises(RuntimeError):
            await store.due.claim(
                now=NOW,
                worker="w1",
                lease_until=NOW + LEASE,
                limit=5,
                kinds=KINDS,
                before_commit=crash,
            )
        item = await store.due.get("c1", "k")
        assert item is not None
        assert (item.state, item.claimed_by, item.attempts) == (PENDING, None, 0)
        assert await _claim(store, "w2") == ["k"]
    finally:
        await store.close()


async def test_settled_items_are_pruned_and_running_ones_are_kept(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        await _schedule(store, "done", timedelta(0))
        await _schedule(store, "pending", timedelta(days=30))
        [item] = await store.due.claim(
            now=NOW, worker="w", lease_until=NOW + LEASE, limit=10, kinds=KINDS
        )
        await store.due.finish([item.id], worker="w", now=NOW)
        assert await store.due.prune(settled_before=NOW) == 0
        assert await store.due.prune(settled_before=NOW + timedelta(seconds=1)) == 1
        assert await store.due.count_by_state() == {PENDING: 1}
    finally:
        await store.close()


async def test_pauses_running_before_the_upgrade_get_their_end_booked(any_db: Database) -> None:
    """The migration that brings due items books the end of every dated pause already running,
    so no member stays paused forever after the upgrade."""
    store = await any_db.open_store(migrate=False)
    try:
        async with store.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0004"))
            # Written with the columns of 0004 only: the repositories know the newest schema.
            ids = {}
            for user, until in (("ana", NOW + timedelta(days=3)), ("ben", None)):  # ben: no date
                inserted = await connection.execute(
                    members.insert()
                    .values(
                        community_id="c1",
                        platform="memory",
                        platform_user_id=user,
                        status="paused",
                        paused_until=until,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                    .returning(members.c.id)
                )
                ids[user] = inserted.scalar_one()
        async with store.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
        item = await store.due.get("c1", f"pause_end:{ids['ana']}")
        assert item is not None
        assert (item.kind, item.member_id, item.due_at, item.state) == (
            "pause_end",
            ids["ana"],
            NOW + timedelta(days=3),
            PENDING,
        )
        assert await store.due.get("c1", f"pause_end:{ids['ben']}") is None
    finally:
        await store.close()


async def test_only_kinds_the_process_knows_are_claimed(any_db: Database) -> None:
    """During an upgrade an older process leaves a newer kind to those that know it."""
    store = await any_db.open_store()
    try:
        await _schedule(store, "known", timedelta(0))
        await store.due.schedule(
            community_id="c1", kind="match_round", key="new", due_at=NOW, now=NOW
        )
        assert await _claim(store, "old-process") == ["known"]
        newer = await store.due.claim(
            now=NOW, worker="new", lease_until=NOW + LEASE, limit=5, kinds=["match_round"]
        )
        assert [item.key for item in newer] == ["new"]
    finally:
        await store.close()
