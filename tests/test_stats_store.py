"""The organizers' counts in the store, on SQLite and PostgreSQL: reflections fall into their
week, and an active tandem is quiet after three weeks without a check-in or a reflection."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Database
from tests.test_agreements_store import active_tandem
from tests.test_tandems_store import NOW


async def test_weekly_counts_and_quiet_pairs(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        member = tandem.members[0]
        community = tandem.community_id

        counts = await store.stats.community(community, now=NOW + timedelta(days=20), weeks=4)
        assert counts.members == {"in_tandem": 2}
        assert counts.tandems == {"active": 1}
        assert counts.quiet_pairs == 0  # active for less than three weeks
        assert (counts.meetings_held, counts.meetings_per_week) == (0, (0, 0, 0, 0))

        later = NOW + timedelta(weeks=4)
        counts = await store.stats.community(community, now=later, weeks=4)
        assert counts.quiet_pairs == 1
        assert counts.reflections_per_week == (0, 0, 0, 0)

        # A reflection two weeks ago: no longer quiet, and counted in its week only.
        reflected = later - timedelta(weeks=2, hours=1)
        await store.reflections.save(
            tandem.id, member, 1, final=False, answers={"focus": "x"}, shared=[], now=reflected
        )
        counts = await store.stats.community(community, now=later, weeks=4)
        assert counts.quiet_pairs == 0
        assert (counts.reflections, counts.reflections_per_week) == (1, (0, 1, 0, 0))
        assert counts.week_starts[1] <= reflected < counts.week_starts[2]
        # Another community counts nothing of it.
        other = await store.stats.community("elsewhere", now=later, weeks=4)
        assert (other.members, other.tandems, other.reflections) == ({}, {}, 0)
    finally:
        await store.close()


async def test_a_resumed_or_kept_tandem_is_not_quiet_for_three_weeks(any_db: Database) -> None:
    """The one definition (store/quiet.py) that ``admin stats`` counts and the nudge follows:
    a pause ends quietness, and so does a resume or "keep going", for three weeks."""
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        community = tandem.community_id
        later = NOW + timedelta(weeks=4)
        assert await store.quiet.quiet(later) == [(community, tandem.id)]
        assert await store.tandems.pause(tandem.id, by=None, until=None, now=later)
        assert await store.quiet.quiet(later) == []  # paused: not quiet
        assert await store.tandems.resume(tandem.id, now=later)
        counts = await store.stats.community(community, now=later + timedelta(weeks=2), weeks=4)
        assert counts.quiet_pairs == 0  # resumed two weeks ago
        assert await store.quiet.quiet(later + timedelta(weeks=3, hours=1)) == [
            (community, tandem.id)
        ]
        assert await store.tandems.keep_going(tandem.id, now=later + timedelta(weeks=3, hours=1))
        assert not await store.quiet.still_quiet(tandem.id, later)
        assert await store.quiet.quiet(later + timedelta(weeks=4)) == []
    finally:
        await store.close()
