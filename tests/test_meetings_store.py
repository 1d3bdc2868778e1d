"""Meetings in the store, on SQLite and PostgreSQL: two processes planning at once plan one
meeting; two partners answering at once settle it once; a move is decided once and re-books
the meeting's items; the verdict follows both answers; ending the tandem cancels everything
pending for its meetings."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flows.meeting_view import verdict_before
from store.due_items import Booking
from store.meetings import (
    CANCELLED,
    DIDNT,
    HELD,
    MET,
    MISSED,
    MOVED,
    SKIPPED,
    UNCLEAR,
    MeetingRecord,
    Occurrence,
    verdict,
)
from store.tandems import ENDED, due_prefix
from tests.conftest import Database
from tests.test_agreements_store import active_tandem
from tests.test_tandems_store import NOW

WEEK = timedelta(days=7)
FIRST = NOW + timedelta(days=1)


def weekly(latest: MeetingRecord | None) -> Occurrence:
    start = FIRST if latest is None else latest.occurrence_at + WEEK
    return Occurrence(start, start + timedelta(hours=1), "Europe/Berlin")


def reminder(record: MeetingRecord) -> list[Booking]:
    return [Booking("meeting_reminder", record.prefix + "remind", record.starts_at)]


def test_the_verdict_of_two_check_ins() -> None:
    assert verdict(MET, None, final=False) == HELD
    assert verdict(DIDNT, DIDNT, final=False) == MISSED
    assert verdict(DIDNT, None, final=False) is None
    assert verdict(None, None, final=True) == MISSED
    assert verdict(DIDNT, None, final=True) == UNCLEAR


async def test_meetings_are_planned_moved_answered_and_settled_once(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        a, b = tandem.members
        community = tandem.community_id

        # Two processes plan at once: one meeting, its reminder booked with it.
        planned = await asyncio.gather(
            store.meetings.plan(tandem.id, weekly, now=NOW, book=reminder),
            store.meetings.plan(tandem.id, weekly, now=NOW, book=reminder),
        )
        (first,) = [meeting for meeting in planned if meeting is not None]
        assert first.starts_at == FIRST
        assert (await store.meetings.next_for(tandem.id, NOW)) == first
        key = first.prefix + "remind"
        assert (await store.due.get(community, key)).state == "pending"  # type: ignore[union-attr]

        # Ana proposes a move; Ben accepts, twice at once: moved once, the reminder re-booked.
        later = FIRST + timedelta(days=2)
        await store.meetings.propose_move(first.id, by=a, to=later, now=NOW)
        assert (await store.meetings.move_to_decide(tandem.id, b)) is not None
        assert await store.meetings.move_to_decide(tandem.id, a) is None
        decided = await asyncio.gather(
            store.meetings.decide_move(first.id, by=b, accept=True, now=NOW, book=reminder),
            store.meetings.decide_move(first.id, by=b, accept=True, now=NOW, book=reminder),
        )
        assert sorted(outcome for outcome, _ in decided) == ["accepted", "closed"]
        moved = await store.meetings.get(first.id)
        assert moved is not None
        assert (moved.state, moved.starts_at, moved.duration) == (MOVED, later, 60)
        assert (await store.due.get(community, key)).due_at == later  # type: ignore[union-attr]
        assert await store.meetings.exceptions(tandem.id) == [(FIRST, later)]

        # Ben says it didn't happen; Ana says they met, twice at once: settled once, held.
        after = later + timedelta(hours=1)
        assert (await store.meetings.answer(first.id, b, DIDNT, now=after))[0] == "recorded"
        answered = await asyncio.gather(
            store.meetings.answer(first.id, a, MET, now=after),
            store.meetings.answer(first.id, a, MET, now=after),
        )
        assert sorted(outcome for outcome, _ in answered) == ["closed", "settled"]
        held = await store.meetings.get(first.id)
        assert held is not None
        assert (held.state, held.answer_a, held.answer_b) == (HELD, MET, DIDNT)
        assert (await store.meetings.answer(first.id, a, MET, now=after))[0] == "closed"
        assert await store.meetings.open_check_in(tandem.id, b, after) is None
        assert await store.meetings.settle(first.id, now=after) is None

        # The next one; skipped by Ben; then one nobody answers: missed at the deadline, and
        # the verdict's booking sees the one before it.
        second = await store.meetings.plan(tandem.id, weekly, now=after, book=reminder)
        assert second is not None
        assert second.occurrence_at == FIRST + WEEK
        assert await store.meetings.plan(tandem.id, weekly, now=after) is None
        skipped = await store.meetings.skip(second.id, by=b, now=after)
        assert skipped is not None
        assert skipped.state == SKIPPED
        assert (await store.due.get(community, second.prefix + "remind")).state == CANCELLED  # type: ignore[union-attr]
        third = await store.meetings.plan(tandem.id, weekly, now=after)
        assert third is not None
        seen: list[str | None] = []

        def note(record: MeetingRecord, history: list[MeetingRecord]) -> list[Booking]:
            seen.append(verdict_before(record, history))
            return []

        gone = third.ends_at + timedelta(days=3)
        settled = await store.meetings.settle(third.id, now=gone, book=note)
        assert settled is not None
        assert settled.state == MISSED
        assert seen == [HELD]
        assert await store.meetings.exceptions(tandem.id) == [
            (FIRST, later),
            (FIRST + WEEK, None),
        ]

        # A rhythm change replaces what is to come; ending the tandem cancels its items.
        fourth = await store.meetings.plan(tandem.id, weekly, now=gone, book=reminder)
        assert fourth is not None
        replaced = await store.meetings.plan(
            tandem.id, weekly, now=gone, replace=True, book=reminder
        )
        assert replaced is not None
        assert replaced.id == fourth.id  # the same occurrence, planned again
        await store.tandems.end(tandem.id, state=ENDED, reason="rematch", now=gone)
        pending = await store.due.get(community, replaced.prefix + "remind")
        assert pending is not None
        assert pending.state == CANCELLED
        assert pending.key.startswith(due_prefix(tandem.id))
        assert await store.meetings.plan(tandem.id, weekly, now=gone) is None
        assert [m.state for m in await store.meetings.history(tandem.id)] == [
            HELD,
            SKIPPED,
            MISSED,
            "scheduled",
        ]

        # Where reminders go: DM unless chosen otherwise.
        assert await store.meetings.reminders_in(a) == "dm"
        await store.meetings.set_reminders_in(a, community, "space", now=NOW)
        await store.meetings.set_reminders_in(a, community, "space", now=NOW)
        assert await store.meetings.reminders_in(a) == "space"
    finally:
        await store.close()
