"""Streak badges when verdicts come out of order (a check-in answered late, a meeting moved
close to the next one): the run a verdict completes is counted as it stands, every meeting of
it that now reaches 4, 8 … earns that level, and a level the run earned already (at another of
its meetings) is not earned again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.badges import streak_bookings
from store.meetings import HELD, MISSED, MeetingRecord

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
SCHEDULED = "scheduled"


def history(*states: str) -> list[MeetingRecord]:
    meetings = []
    for index, state in enumerate(states, 1):
        at = NOW - timedelta(weeks=len(states) - index)
        meetings.append(
            MeetingRecord(
                id=index,
                community_id="memory",
                tandem_id=7,
                member_a=1,
                member_b=2,
                occurrence_at=at,
                starts_at=at,
                ends_at=at + timedelta(hours=1),
                timezone="UTC",
                state=state,
                answer_a=None,
                answer_b=None,
                proposed_at=None,
                proposed_by=None,
                skipped_by=None,
                created_at=at,
                updated_at=at,
            )
        )
    return meetings


def earned(meeting: int, states: list[str]) -> list[tuple[int, int, list[int]]]:
    """(level, the meeting that earns it, the run's held meetings) per booking."""
    meetings = history(*states)
    bookings = streak_bookings(meetings[meeting - 1], meetings, NOW)
    return [(b.payload["level"], b.payload["ref"], b.payload["run"]) for b in bookings]


def test_in_order_the_fourth_held_in_a_row_earns_four() -> None:
    assert earned(4, [HELD, HELD, HELD, HELD]) == [(4, 4, [1, 2, 3, 4])]
    assert earned(3, [HELD, HELD, HELD, SCHEDULED]) == []
    assert earned(5, [HELD, MISSED, HELD, HELD, HELD]) == []


def test_a_late_verdict_earns_what_the_run_now_reaches() -> None:
    # Meeting 4 was held (then 3 in a row: 3 was still open); 3 is held now: 4 reaches 4.
    assert earned(3, [HELD, HELD, HELD, HELD]) == [(4, 4, [1, 2, 3, 4])]
    # A missed meeting turned held joins two runs: 8 is reached at meeting 8.
    states = [HELD, HELD, HELD, HELD, HELD, HELD, HELD, HELD]
    assert earned(4, states) == [(4, 4, list(range(1, 9))), (8, 8, list(range(1, 9)))]
