"""Badges in the store, on SQLite and PostgreSQL: an event earns its badge once, however often
(or however concurrently) it is recorded; a once-only kind is not earned again by another
event; a badge earned within a day of the pair's last celebration is celebrated a day after
it; badges go with the tandem (forget)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.badges import Earned
from tests.conftest import Database
from tests.test_agreements_store import active_tandem
from tests.test_tandems_store import NOW

DAY = timedelta(hours=24)


async def test_an_event_earns_its_badge_once_and_celebrations_are_a_day_apart(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        four = Earned("streak", 4, ref=11)

        # The same event recorded three times at once (a repeated verdict, two processes): one
        # badge, celebrated at once.
        results = await asyncio.gather(
            *(store.badges.earn(tandem.id, [four], now=NOW, spacing=DAY) for _ in range(3))
        )
        assert len({badge.id for (badge,) in results}) == 1
        (badge,) = await store.badges.for_tandem(tandem.id)
        assert (badge.kind, badge.level, badge.ref) == ("streak", 4, 11)
        assert badge.earned_at == badge.celebrate_at == NOW
        assert badge.celebrated_at is None
        await store.badges.celebrated([badge.id], now=NOW)
        await store.badges.celebrated([badge.id], now=NOW + DAY)  # the first time counts
        assert (await store.badges.get(badge.id)).celebrated_at == NOW  # type: ignore[union-attr]

        # The first milestone and every goal, two hours later: both earned by the same event,
        # celebrated together a day after the streak's celebration.
        later = NOW + timedelta(hours=2)
        first, every = await store.badges.earn(
            tandem.id,
            [Earned("first_milestone", 1, 5, once=True), Earned("all_goals", 1, 5, once=True)],
            now=later,
            spacing=DAY,
        )
        assert first.earned_at == every.earned_at == later
        assert first.celebrate_at == every.celebrate_at == NOW + DAY

        # Another milestone is not the first: nothing; a new run of four (another meeting)
        # earns the four again, a day after the last celebration.
        again = Earned("first_milestone", 1, 6, once=True)
        assert await store.badges.earn(tandem.id, [again], now=later, spacing=DAY) == []
        (second_four,) = await store.badges.earn(
            tandem.id, [Earned("streak", 4, 19)], now=later, spacing=DAY
        )
        assert second_four.celebrate_at == NOW + 2 * DAY
        assert [(b.kind, b.ref) for b in await store.badges.for_tandem(tandem.id)] == [
            ("streak", 11),
            ("first_milestone", 5),
            ("all_goals", 5),
            ("streak", 19),
        ]

        # Badges go with the tandem, and so with either member.
        member = await store.members.get(tandem.member_a)
        assert member is not None
        exported = await store.privacy.export(member)
        assert sorted(row["kind"] for row in exported["badges"]) == [
            "all_goals",
            "first_milestone",
            "streak",
            "streak",
        ]
        await store.privacy.forget(member)
        assert await store.badges.for_tandem(tandem.id) == []
    finally:
        await store.close()


async def test_a_level_the_run_earned_at_another_meeting_is_not_earned_again(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        run = tuple(range(1, 9))
        (four,) = await store.badges.earn(
            tandem.id, [Earned("streak", 4, ref=8, alike=(5, 6, 7, 8))], now=NOW, spacing=DAY
        )
        # Meeting 4 turned held late and joined the runs: its 4 is the run's 4, its 8 is new.
        again, eight = await store.badges.earn(
            tandem.id,
            [Earned("streak", 4, ref=4, alike=run), Earned("streak", 8, ref=8, alike=run)],
            now=NOW + DAY,
            spacing=DAY,
        )
        assert again == four
        assert [(b.level, b.ref) for b in await store.badges.for_tandem(tandem.id)] == [
            (4, 8),
            (8, 8),
        ]
        assert eight.level == 8
    finally:
        await store.close()
