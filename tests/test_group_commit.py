"""The group commit and group read of the store, on SQLite and PostgreSQL: what is batched still
behaves as if each request ran alone (docs/answer-path.md)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from store.answer_batches import INSERT_CAUSE
from store.connections import ALONE_ATTEMPTS
from store.conversations import AlreadyApplied, AppliedEvent
from store.precompiled import Precompiled
from store.schema import consents
from tests.conftest import Database

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


async def _joining(store, count: int):  # type: ignore[no-untyped-def]
    started = []
    for number in range(count):
        member = await store.members.ensure("c1", "memory", f"m{number}", now=NOW)
        started.append(
            await store.conversations.start(
                community_id="c1",
                member_id=member.id,
                flow_id="join",
                flow_version=1,
                step_id="language",
                place={"platform": "memory", "kind": "dm", "user_id": f"m{number}"},
                answers={},
                expires_at=NOW + timedelta(days=1),
                now=NOW,
            )
        )
    return started


def _advance(  # type: ignore[no-untyped-def]
    store,
    conversation,
    cause,
    *,
    step_id="consent",
    answers=None,
    trail=("language",),
    writes=(),
):
    """One answer's change of ``conversation``, from ``cause`` (an applied event)."""
    return store.conversations.advance(
        conversation,
        step_id=step_id,
        answers={"language": "de"} if answers is None else answers,
        trail=list(trail),
        expires_at=NOW,
        now=NOW,
        cause=cause,
        writes=writes,
    )


async def test_of_two_answers_to_one_question_in_one_batch_exactly_one_wins(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        conversations = await _joining(store, 5)
        # Ten changes at once: two for each conversation, both from the same step.
        results = await asyncio.gather(
            *(
                _advance(
                    store,
                    conversation,
                    AppliedEvent("memory", f"{conversation.id}-{attempt}"),
                    step_id=f"next-{attempt}",
                    answers={"language": f"choice-{attempt}"},
                )
                for conversation in conversations
                for attempt in (1, 2)
            )
        )
        for index, conversation in enumerate(conversations):
            first, second = results[2 * index], results[2 * index + 1]
            assert first is not None  # the earlier change wins …
            assert second is None  # … the later saw a step that is over
            stored = await store.conversations.get(conversation.id)
            assert stored == first
            assert (stored.step_id, stored.step_seq, stored.answers) == (
                "next-1",
                2,
                {"language": "choice-1"},
            )
        applied = {row["event_id"] for row in await store.dump_table("applied_events")}
        assert applied == {f"{conversation.id}-1" for conversation in conversations}
    finally:
        await store.close()


async def test_a_replay_in_a_batch_fails_alone(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        first, second, third = await _joining(store, 3)
        replayed = AppliedEvent("memory", "seen-before")

        def advance(conversation, cause):  # type: ignore[no-untyped-def]
            return _advance(store, conversation, cause)

        moved = await advance(first, replayed)
        assert moved is not None

        outcomes = await asyncio.gather(
            advance(second, AppliedEvent("memory", "fresh-2")),
            advance(moved, replayed),  # the same event again, for the next step
            advance(third, AppliedEvent("memory", "fresh-3")),
            return_exceptions=True,
        )
        assert isinstance(outcomes[1], AlreadyApplied)
        assert outcomes[0] is not None
        assert outcomes[2] is not None
        assert not isinstance(outcomes[0], BaseException)
        assert not isinstance(outcomes[2], BaseException)
        assert (await store.conversations.get(second.id)).step_seq == 2  # type: ignore[union-attr]
        assert (await store.conversations.get(third.id)).step_seq == 2  # type: ignore[union-attr]
        assert (await store.conversations.get(first.id)).step_seq == 2  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_grouped_writes_commit_together_and_a_failing_one_fails_alone(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        members = [
            await store.members.ensure("c1", "memory", f"m{number}", now=NOW) for number in range(4)
        ]

        async def consent(member):  # type: ignore[no-untyped-def]
            await store.members.record_consent(member, "v1", now=NOW, onboarding=True)

        async def broken(connection):  # type: ignore[no-untyped-def]
            await connection.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

        outcomes = await asyncio.gather(
            consent(members[0]),
            consent(members[1]),
            store.connections.grouped(broken),
            consent(members[2]),
            consent(members[3]),
            return_exceptions=True,
        )
        assert isinstance(outcomes[2], sa.exc.SQLAlchemyError)
        assert [outcome for index, outcome in enumerate(outcomes) if index != 2] == [None] * 4
        for member in members:
            stored = await store.members.get(member.id)
            assert stored is not None
            assert (stored.consented_version, stored.status) == ("v1", "onboarding")
        assert len(await store.dump_table("consents")) == 4
    finally:
        await store.close()


async def test_a_group_of_statement_units_that_fails_is_rolled_back_and_each_runs_alone(
    any_db: Database,
) -> None:
    """Units of precompiled statements share one transaction (on SQLite one hand-off to the
    write lane, store/sqlite_lanes.py). One of them breaks a unique key: nothing of the group
    stays, each unit runs again alone, only the breaking one fails, and the connection is left
    in no transaction (the next write is its own)."""
    store = await any_db.open_store()
    try:
        [asked] = await _joining(store, 1)
        members = [
            await store.members.ensure("c1", "memory", f"n{number}", now=NOW) for number in range(2)
        ]
        cause = {
            "community_id": "c1",
            "platform": "memory",
            "event_id": "twice",
            "member_id": asked.member_id,
            "conversation_id": asked.id,
            "step_seq": 1,
            "applied_at": NOW,
        }

        async def consent(member):  # type: ignore[no-untyped-def]
            await store.members.record_consent(member, "v1", now=NOW, onboarding=True)

        outcomes = await asyncio.gather(
            consent(members[0]),  # runs at once; the rest queue and go together
            store.connections.grouped([(INSERT_CAUSE, cause)]),
            store.connections.grouped([(INSERT_CAUSE, cause)]),
            consent(members[1]),
            return_exceptions=True,
        )
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(failed) == 1, outcomes
        assert isinstance(failed[0], sa.exc.IntegrityError)
        assert len(await store.dump_table("consents")) == 2
        recorded = [r for r in await store.dump_table("applied_events") if r["event_id"] == "twice"]
        assert len(recorded) == 1
        await store.members.update(members[0].id, now=NOW, display_name="after")  # not stuck
        assert (await store.members.get(members[0].id)).display_name == "after"  # type: ignore[union-attr]
    finally:
        await store.close()


@pytest.mark.parametrize("count", [1, 3, 70])
async def test_a_group_read_finds_each_members_own_state(any_db: Database, count: int) -> None:
    store = await any_db.open_store()
    try:
        conversations = await _joining(store, count)
        found = await asyncio.gather(
            *(
                store.conversations.lookup(
                    "c1", "memory", f"m{number}", AppliedEvent("memory", f"e{number}")
                )
                for number in range(count)
            ),
            store.conversations.lookup("c1", "memory", "nobody", AppliedEvent("memory", "x")),
        )
        for number, conversation in enumerate(conversations):
            assert found[number].member is not None
            assert found[number].member.platform_user_id == f"m{number}"
            assert found[number].active == conversation
            assert found[number].applied is None
        assert (found[-1].member, found[-1].active, found[-1].applied) == (None, None, None)
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_write_that_loses_a_deadlock_to_another_process_runs_again(
    postgres_db: Database,
) -> None:
    """Two processes (two stores) change the same two members in opposite order: PostgreSQL
    aborts one of the two transactions; it runs again by itself, and both changes stand."""
    async with postgres_db.two_stores() as (first, second):
        ana = await first.members.ensure("c1", "memory", "ana", now=NOW)
        ben = await first.members.ensure("c1", "memory", "ben", now=NOW)
        both_hold_one = asyncio.Barrier(2)

        def renaming(order, name):  # type: ignore[no-untyped-def]
            attempts = 0

            async def unit(connection):  # type: ignore[no-untyped-def]
                nonlocal attempts
                attempts += 1
                for index, member in enumerate(order):
                    await connection.execute(
                        sa.text("UPDATE members SET display_name = :name WHERE id = :id"),
                        {"name": name, "id": member.id},
                    )
                    if index == 0 and attempts == 1:
                        await both_hold_one.wait()  # each holds its first row: a deadlock

            return unit, lambda: attempts

        forward, forward_attempts = renaming((ana, ben), "forward")
        backward, backward_attempts = renaming((ben, ana), "backward")
        await asyncio.wait_for(
            asyncio.gather(
                first.connections.grouped(forward), second.connections.grouped(backward)
            ),
            timeout=30,
        )
        # One lost and ran again. Rarely the loser's second run locks a row before the winner
        # wakes and they deadlock once more (either may lose that one): attempts add up to more.
        attempts = sorted([forward_attempts(), backward_attempts()])
        assert 2 <= attempts[1] <= 1 + ALONE_ATTEMPTS, attempts
        names = {(await first.members.get(m.id)).display_name for m in (ana, ben)}  # type: ignore[union-attr]
        assert len(names) == 1  # the one that ran again wrote both rows last


async def test_what_goes_with_a_step_is_written_only_by_the_change_that_moves_it(
    any_db: Database,
) -> None:
    """Two answers to one consent question in one batch (two processes would do it): the one
    that moves the step records the consent in its transaction; the other records nothing."""
    store = await any_db.open_store()
    try:
        [asked] = await _joining(store, 1)
        member = await store.members.get(asked.member_id)
        assert member is not None
        consent = store.members.consent_writes(member, "v1", now=NOW, onboarding=True)

        def agree(event_id):  # type: ignore[no-untyped-def]
            return _advance(
                store,
                asked,
                AppliedEvent("memory", event_id),
                step_id="offers",
                answers={"consent": "agree"},
                trail=("consent",),
                writes=consent,
            )

        first, second = await asyncio.gather(agree("click-1"), agree("click-2"))
        assert [first is None, second is None].count(True) == 1
        assert len(await store.dump_table("consents")) == 1
        stored = await store.members.get(member.id)
        assert stored is not None
        assert (stored.consented_version, stored.status) == ("v1", "onboarding")
    finally:
        await store.close()


async def test_a_cancelled_write_on_the_lane_ends_its_transaction_before_the_next_write(
    sqlite_db: Database,
) -> None:
    """The caller of a write on SQLite's write lane is cancelled while the lane's thread runs
    the transaction: the cancellation reaches the caller only once that transaction has ended,
    so the writer's lock is never free while SQLite still holds its own (store/sqlite_lanes.py)."""
    store = await sqlite_db.open_store()
    try:
        member = await store.members.ensure("c1", "memory", "ana", now=NOW)  # opens the lane
        lane = store.connections._lanes[1]  # type: ignore[index]
        database = lane._connection
        assert database is not None

        def slow(value: str) -> str:
            time.sleep(0.4)
            return value

        await database._execute(database._conn.create_function, "slow", 1, slow)
        slow_consent = Precompiled(
            consents.insert().values(
                community_id="c1",
                member_id=sa.bindparam("member_id"),
                notice_version=sa.func.slow(sa.bindparam("version")),
                given_at=sa.bindparam("now", type_=consents.c.given_at.type),
            )
        )
        given = {"member_id": member.id, "version": "v1", "now": NOW}
        writing = asyncio.create_task(store.connections.transaction([[(slow_consent, given)]]))
        await asyncio.sleep(0.1)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        assert not database._conn.in_transaction
        assert not store.connections._writing.locked()  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_the_read_lane_refuses_a_write(sqlite_db: Database) -> None:
    """A write given to the read lane fails (it is query_only) instead of holding SQLite's
    write lock; the lane reads on."""
    store = await sqlite_db.open_store()
    try:
        [asked] = await _joining(store, 1)
        cause = {
            "community_id": "c1",
            "platform": "memory",
            "event_id": "read-lane",
            "member_id": asked.member_id,
            "conversation_id": asked.id,
            "step_seq": 1,
            "applied_at": NOW,
        }
        with pytest.raises(sa.exc.OperationalError):
            await store.connections.read_together([(INSERT_CAUSE, cause)])
        await store.members.update(asked.member_id, now=NOW, display_name="still writes")
        found = await store.conversations.lookup("c1", "memory", "m0", None)
        assert found.active == asked
    finally:
        await store.close()


def _cause(conversation, event_id: str):  # type: ignore[no-untyped-def]
    return {
        "community_id": "c1",
        "platform": "memory",
        "event_id": event_id,
        "member_id": conversation.member_id,
        "conversation_id": conversation.id,
        "step_seq": 1,
        "applied_at": NOW,
    }


async def test_a_write_whose_caller_gives_up_waiting_for_the_lock_strands_no_one(
    sqlite_db: Database,
) -> None:
    """The first of several grouped writes starts the write lane's thread once it has the
    writer's lock (store/lane_batches.py); its caller is cancelled while it waits for that lock.
    The writes queued behind it still run: nobody waits forever."""
    store = await sqlite_db.open_store()
    try:
        [asked] = await _joining(store, 1)  # opens the lanes
        lock = store.connections._writing
        assert lock is not None
        await lock.acquire()  # a write elsewhere holds it

        def write(event_id: str) -> asyncio.Task[object]:
            return asyncio.create_task(
                store.connections.grouped([(INSERT_CAUSE, _cause(asked, event_id))])
            )

        first = write("first")
        await asyncio.sleep(0.01)  # it waits for the lock, to start the thread
        behind = [write("second"), write("third")]
        await asyncio.sleep(0.01)
        first.cancel()
        lock.release()
        await asyncio.wait_for(asyncio.gather(*behind), timeout=5)
        recorded = {row["event_id"] for row in await store.dump_table("applied_events")}
        assert {"second", "third"} <= recorded
    finally:
        await store.close()


async def test_a_write_after_the_store_closed_fails_at_once_every_time(
    sqlite_db: Database,
) -> None:
    """A closed store's write lane cannot open again: each write says so (it is not left
    waiting for a thread that will never start), the second as the first."""
    store = await sqlite_db.open_store()
    [asked] = await _joining(store, 1)
    await store.close()
    for event_id in ("after", "again"):
        with pytest.raises(sa.exc.InvalidRequestError):
            await asyncio.wait_for(
                store.connections.grouped([(INSERT_CAUSE, _cause(asked, event_id))]), timeout=5
            )


async def test_a_write_that_arrives_while_the_store_closes_fails_and_frees_the_writers_lock(
    sqlite_db: Database,
) -> None:
    """A write reaches the write lane while another write holds the writer's lock and the
    store is closing: once the lanes are closed it is told so, and the lock is free again for
    the writer behind it (it was held forever: an outside review's reproduction)."""
    store = await sqlite_db.open_store()
    [asked] = await _joining(store, 1)
    await store.conversations.lookup("c1", "memory", "m0", None)  # both lanes are open
    connections = store.connections
    release = asyncio.Event()

    async def other_writer() -> None:  # a repository's own write, in flight at shutdown
        async with connections.write():
            await release.wait()

    holder = asyncio.create_task(other_writer())
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(store.close())
    await asyncio.sleep(0)
    late = asyncio.create_task(connections.grouped([(INSERT_CAUSE, _cause(asked, "late"))]))
    await asyncio.sleep(0.1)  # the lanes close meanwhile
    release.set()
    with pytest.raises(sa.exc.InvalidRequestError):
        await asyncio.wait_for(late, timeout=5)
    await holder
    lock = connections._writing
    assert lock is not None
    await asyncio.wait_for(lock.acquire(), timeout=5)
    lock.release()
    await closing


async def test_a_write_whose_batch_raises_stopiteration_is_told_and_frees_the_writers_lock(
    sqlite_db: Database,
) -> None:
    """A unit whose parameters raise ``StopIteration`` on the write lane's thread (which an
    asyncio future refuses as its exception): its caller gets an error instead of waiting
    forever, and the writer's lock is free for the next write (an outside review's
    reproduction hung both)."""
    store = await sqlite_db.open_store()
    try:
        [asked] = await _joining(store, 1)

        def stops(_done: object) -> dict[str, object]:
            raise StopIteration

        with pytest.raises(RuntimeError, match="StopIteration"):
            await asyncio.wait_for(store.connections.grouped([(INSERT_CAUSE, stops)]), timeout=5)
        await asyncio.wait_for(
            store.connections.grouped([(INSERT_CAUSE, _cause(asked, "after"))]), timeout=5
        )
        recorded = {row["event_id"] for row in await store.dump_table("applied_events")}
        assert "after" in recorded
    finally:
        await store.close()


async def test_a_batch_of_a_size_not_seen_before_compiles_nothing_while_answering(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every size of the batch statements is compiled when the store opens: a burst that makes
    the first batch of 64 holds no thread up compiling it (store/answer_batches.py)."""
    store = await any_db.open_store()
    try:
        conversations = await _joining(store, 40)

        def compiling(self: Precompiled, dialect: object) -> None:
            raise AssertionError(f"compiled while answering: {self._statement}")

        monkeypatch.setattr(Precompiled, "_compile", compiling)
        found = await asyncio.gather(
            *(
                store.conversations.lookup(
                    "c1", "memory", f"m{number}", AppliedEvent("memory", f"e{number}")
                )
                for number in range(40)
            )
        )
        assert [lookup.active for lookup in found] == conversations
        changed = await asyncio.gather(
            *(
                _advance(store, conversation, AppliedEvent("memory", f"e{number}"))
                for number, conversation in enumerate(conversations)
            )
        )
        assert [conversation.step_id for conversation in changed] == ["consent"] * 40
        assert len(await store.dump_table("applied_events")) == 40
    finally:
        await store.close()
