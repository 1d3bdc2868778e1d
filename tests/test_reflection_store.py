"""Notes, reflections and milestones in the store, on SQLite and PostgreSQL: two partners
reflecting at once book the side-by-side post once; a milestone marked twice at once is
marked (and celebrated) once; a congratulation is recorded once; a note is deleted only by its
author; everything goes with the member."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.due_items import Booking
from store.members import MemberStatus
from store.milestones import MilestoneRecord
from store.tandems import due_prefix
from tests.conftest import Database
from tests.test_agreements_store import active_tandem
from tests.test_tandems_store import NOW


async def test_reflections_and_milestones_apply_once(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        a, b = tandem.members
        prefix = due_prefix(tandem.id)
        assert await store.reflections.next_for(tandem.id, a) == (1, True)

        def book(number: int, both: bool) -> list[Booking]:
            if not both:
                return []
            return [Booking("reflection_shared", prefix + f"reflect:{number}:shared", NOW)]

        outcomes = await asyncio.gather(
            *(
                store.reflections.save(
                    tandem.id,
                    member,
                    1,
                    final=False,
                    answers={"focus": f"focus of {member}"},
                    shared=["focus"],
                    now=NOW,
                    book=book,
                )
                for member in (a, b)
            )
        )
        assert sorted(outcomes) == ["both", "saved"]
        assert await store.due.get(tandem.community_id, prefix + "reflect:1:shared")
        again = await store.reflections.save(
            tandem.id, a, 1, final=False, answers={}, shared=[], now=NOW, book=book
        )
        assert again == "closed"
        pair = await store.reflections.pair(tandem.id, 1)
        assert sorted(r.answers["focus"] for r in pair) == sorted(f"focus of {m}" for m in (a, b))
        # The next reflection: whoever answers first opens 2, and then waits for the other.
        assert await store.reflections.next_for(tandem.id, a) == (2, True)
        await store.reflections.save(tandem.id, a, 2, final=True, answers={}, shared=[], now=NOW)
        assert await store.reflections.next_for(tandem.id, a) == (2, False)
        assert await store.reflections.next_for(tandem.id, b) == (2, True)

        def celebrate(milestone: MilestoneRecord) -> list[Booking]:
            return [Booking("milestone_reached", prefix + f"milestone:{milestone.id}", NOW)]

        marked = await asyncio.gather(
            *(
                store.milestones.mark(tandem.id, a, 0, 1, "Talk", now=NOW, book=celebrate)
                for _ in range(2)
            )
        )
        (record,) = [m for m in marked if m is not None]
        assert (record.goal_index, record.milestone_index, record.text) == (0, 1, "Talk")
        assert await store.due.get(tandem.community_id, prefix + f"milestone:{record.id}")
        assert await store.milestones.to_congratulate(tandem.id, a) == record
        done = await asyncio.gather(
            *(store.milestones.congratulated(record.id, now=NOW) for _ in range(2))
        )
        assert sorted(done) == [False, True]
        assert await store.milestones.to_congratulate(tandem.id, a) is None

        assert await store.milestones.shoutouts(tandem.id) == {}
        await store.milestones.set_shoutout(tandem.community_id, tandem.id, a, True, now=NOW)
        await store.milestones.set_shoutout(tandem.community_id, tandem.id, b, True, now=NOW)
        await store.milestones.set_shoutout(tandem.community_id, tandem.id, b, False, now=NOW)
        assert await store.milestones.shoutouts(tandem.id) == {a: True, b: False}

        member_a = await store.members.get(a)
        assert member_a is not None
        note = await store.notes.add(member_a, "mine\x00 alone", now=NOW)
        assert note.text == "mine alone"
        assert not await store.notes.delete(b, note.id)
        exported = await store.privacy.export(member_a)
        assert [row["text"] for row in exported["notes"]] == ["mine alone"]
        assert [row["number"] for row in exported["reflections"]] == [1, 2]
        assert [row["text"] for row in exported["milestones"]] == ["Talk"]
        assert [row["opted_in"] for row in exported["shoutouts"]] == [True]

        # Ben leaves; the retention purge takes his notes and reflections with him.
        member_b = await store.members.get(b)
        assert member_b is not None
        await store.notes.add(member_b, "Ben's own", now=NOW)
        await store.members.update(b, now=NOW, status=MemberStatus.LEFT, left_at=NOW)
        assert await store.privacy.purge_if_departed(member_b, NOW + timedelta(days=31))
        assert await store.notes.of(b) == []
        assert {r.member_id for r in await store.reflections.of_tandem(tandem.id)} == set()

        await store.privacy.forget(member_a)
        assert await store.notes.of(a) == []
        assert await store.reflections.of_tandem(tandem.id) == []
        assert await store.milestones.reached(tandem.id) == []
        assert await store.milestones.shoutouts(tandem.id) == {}
    finally:
        await store.close()
