"""The end of a program round in the store, on SQLite and PostgreSQL: the completion is
celebrated by one run only (its own retries go on); two partners answering at the same moment
are both recorded and acted on once; both continuing starts the next round once; finishing
makes the finisher alumni and the other waiting, the tandem ended; a restart keeps every
answer; the rows go with a member (``forget``, the retention purge)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.due_items import Booking
from store.members import MemberStatus
from store.program_ends import ANEW, CONTINUE, CONTINUED, ENDED_OUTCOME, FINISH
from tests.conftest import Database
from tests.test_agreements_store import active_tandem, merged, part
from tests.test_tandems_store import NOW


async def test_completion_and_choices_apply_once(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        a, b = tandem.members
        completed = await asyncio.gather(
            *(store.program_ends.complete(tandem.id, 1, by=run, now=NOW) for run in ("x", "y"))
        )
        assert sorted(completed) == [False, True]
        winner = "x" if completed[0] else "y"
        assert await store.program_ends.complete(tandem.id, 1, by=winner, now=NOW)  # its retry
        assert not await store.program_ends.complete(tandem.id, 2, by="z", now=NOW)  # not yet

        # Both answer "continue" at the same moment: both recorded; acting happens once.
        answered = await asyncio.gather(
            *(store.program_ends.answer(tandem.id, 1, m, CONTINUE, now=NOW) for m in (a, b))
        )
        assert [recorded for recorded, _ in answered] == [True, True]
        assert any(record is not None and record.both_answered for _, record in answered)
        again, _ = await store.program_ends.answer(tandem.id, 1, a, FINISH, now=NOW)
        assert not again  # recorded once

        def told(member: int) -> Booking:
            return Booking("program_outcome", f"program_outcome:{tandem.id}:1:{member}", NOW)

        later = NOW + timedelta(minutes=1)
        decided = await asyncio.gather(
            *(
                store.program_ends.decide(
                    tandem.id,
                    1,
                    outcome=CONTINUED,
                    seen=(CONTINUE, CONTINUE),
                    now=later,
                    book=[told(a), told(b)],
                )
                for _ in range(2)
            )
        )
        assert sorted(decided) == [False, True]
        went_on = await store.tandems.get(tandem.id)
        assert went_on is not None
        assert (went_on.state, went_on.program_round, went_on.round_started_at) == (
            "active",
            2,
            later,
        )
        assert went_on.round_began == later
        assert await store.due.get(tandem.community_id, f"program_outcome:{tandem.id}:1:{a}")

        # Round 2 ends: a finishes, b would be matched anew; a restart loses no answer.
        assert await store.program_ends.complete(tandem.id, 2, by="w", now=later)
        await store.program_ends.answer(tandem.id, 2, a, FINISH, now=later)
        await store.close()
        store = await any_db.open_store()
        record = await store.program_ends.get(tandem.id, 2)
        assert record is not None
        assert (record.choice_of(a), record.choice_of(b)) == (FINISH, None)
        # Deciding on what was seen before b answered does nothing: b's answer counts.
        await store.program_ends.answer(tandem.id, 2, b, ANEW, now=later)
        assert not await store.program_ends.decide(
            tandem.id, 2, outcome=ENDED_OUTCOME, seen=(FINISH, None), now=later, alumni=[a, b]
        )
        assert await store.program_ends.decide(
            tandem.id, 2, outcome=ENDED_OUTCOME, seen=(FINISH, ANEW), now=later, alumni=[a]
        )
        ended = await store.tandems.get(tandem.id)
        assert ended is not None
        assert (ended.state, ended.end_reason) == ("ended", "completed")
        member_a, member_b = await store.members.get(a), await store.members.get(b)
        assert member_a is not None
        assert member_b is not None
        assert (member_a.status, member_b.status) == (MemberStatus.ALUMNI, MemberStatus.WAITING)
        assert (a, b) in await store.tandems.pairs_met(tandem.community_id)
        assert not await store.program_ends.decide(
            tandem.id, 2, outcome=CONTINUED, seen=(FINISH, ANEW), now=later
        )

        # mydata: each only their own choice; forget takes the rows with the tandem.
        exported = await store.privacy.export(member_a)
        assert [(r["round"], r["my_choice"]) for r in exported["program_ends"]] == [
            (1, CONTINUE),
            (2, FINISH),
        ]
        assert "choice_b" not in exported["program_ends"][0]
        await store.privacy.forget(member_b)
        assert await store.program_ends.get(tandem.id, 2) is None
    finally:
        await store.close()


async def test_running_agreed_tandems_without_a_booked_completion_are_found(
    any_db: Database,
) -> None:
    """The maintenance run's catch-up finds a tandem agreed before completions were booked,
    and no longer once the completion is booked or the round complete."""
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        a, b = tandem.members
        assert await store.program_ends.without_completion() == []  # nothing agreed yet
        await store.agreements.save_part(tandem.id, a, part("17:00"), now=NOW, merge=merged)
        await store.agreements.save_part(tandem.id, b, part("19:00"), now=NOW, merge=merged)
        agreement = await store.agreements.for_tandem(tandem.id)
        assert agreement is not None
        for member in (a, b):
            await store.agreements.confirm(agreement.id, member, 1, now=NOW)
        assert [t.id for t in await store.program_ends.without_completion()] == [tandem.id]
        key = f"tandem:{tandem.id}:program:1:complete"
        await store.due.schedule(
            community_id=tandem.community_id, kind="program_complete", key=key, due_at=NOW, now=NOW
        )
        assert await store.program_ends.without_completion() == []
        await store.due.cancel(tandem.community_id, key, now=NOW)  # booked, in any state
        assert await store.program_ends.without_completion() == []
        assert await store.program_ends.complete(tandem.id, 1, by="x", now=NOW)
        await store.program_ends.answer(tandem.id, 1, a, CONTINUE, now=NOW)
        await store.program_ends.answer(tandem.id, 1, b, CONTINUE, now=NOW)
        await store.program_ends.decide(
            tandem.id, 1, outcome=CONTINUED, seen=(CONTINUE, CONTINUE), now=NOW
        )
        # Round 2 without its completion (as bookings made outside the store would be).
        assert [t.program_round for t in await store.program_ends.without_completion()] == [2]
    finally:
        await store.close()
