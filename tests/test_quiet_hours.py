"""Quiet hours: the member's night in their own time zone, daylight saving time included."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.quiet_hours import quiet_until

NIGHT = (time(21, 0), time(8, 0))


@pytest.mark.parametrize(
    ("now", "timezone", "expected"),
    [
        # 23:30 in Berlin (winter, UTC+1): held until 08:00 the next morning, 07:00 UTC.
        (datetime(2026, 1, 7, 22, 30, tzinfo=UTC), "Europe/Berlin", datetime(2026, 1, 8, 7, 0)),
        # 05:00 in Berlin: held until 08:00 the same morning.
        (datetime(2026, 1, 8, 4, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 1, 8, 7, 0)),
        # 10:00 in Berlin: not night, runs now.
        (datetime(2026, 1, 8, 9, 0, tzinfo=UTC), "Europe/Berlin", None),
        # The same instant is evening in New York (17:00): runs now.
        (datetime(2026, 1, 8, 22, 0, tzinfo=UTC), "America/New_York", None),
        # … and 07:00 in Tokyo: held for an hour.
        (datetime(2026, 1, 8, 22, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2026, 1, 8, 23, 0)),
        # The night the clocks go forward in Berlin (29 March 2026): 08:00 is 06:00 UTC.
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "Europe/Berlin", datetime(2026, 3, 29, 6, 0)),
        # A time zone the bot does not know holds nothing.
        (datetime(2026, 1, 7, 22, 30, tzinfo=UTC), "Mars/Olympus", None),
    ],
)
def test_night_is_the_members_own(now: datetime, timezone: str, expected: datetime | None) -> None:
    held = quiet_until(now, timezone, *NIGHT)
    assert held == (None if expected is None else expected.replace(tzinfo=UTC))


def test_a_window_within_one_day_and_an_empty_window() -> None:
    siesta = (time(13, 0), time(15, 0))
    at_two = datetime(2026, 1, 8, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
    assert quiet_until(at_two, "Europe/Berlin", *siesta) == datetime(2026, 1, 8, 14, 0, tzinfo=UTC)
    assert quiet_until(at_two, "Europe/Berlin", time(0, 0), time(0, 0)) is None
