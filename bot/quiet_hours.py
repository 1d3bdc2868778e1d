"""Quiet hours: the member's night, when the bot holds what is not urgent until morning.

The window is given in the member's local time (``21:00``–``08:00`` by default, per community);
a window whose start is later than its end runs past midnight; equal start and end means none.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def quiet_until(now: datetime, timezone: str, start: time, end: time) -> datetime | None:
    """The instant (UTC) the member's quiet hours end if ``now`` is within them, else None."""
    if start == end:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    overnight = start > end
    inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not inside:
        return None
    day = local.date()
    if overnight and clock >= start:
        day += timedelta(days=1)
    # Built from the wall-clock time, so a change of daylight saving time in the night is right.
    morning = datetime.combine(day, end, tzinfo=zone)
    return morning.astimezone(now.tzinfo)
