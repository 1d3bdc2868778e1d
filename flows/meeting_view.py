"""How meetings are shown: a meeting's time in the reader's zone and language, how far off it
is, and the pair's streaks of meetings held."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, format_timedelta

from bot.messages import Msg, msg
from store.meetings import HELD, MISSED, SETTLED, MeetingRecord


def day_label(instant: datetime, zone: str, locale: str) -> str:
    """ "Monday, Jan 12, 2026" in ``zone`` (the reader's)."""
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    day = format_datetime(local, "EEEE", tzinfo=tz, locale=locale)
    return f"{day}, {format_date(local.date(), 'medium', locale=locale)}"


def when_label(instant: datetime, zone: str, locale: str) -> str:
    """ "Monday, Jan 12, 2026, 7:00 PM" in ``zone`` (the reader's)."""
    return f"{day_label(instant, zone, locale)}, {time_label(instant, zone, locale)}"


def time_label(instant: datetime, zone: str, locale: str) -> str:
    """ "7:00 PM" in ``zone``."""
    tz = ZoneInfo(zone)
    return format_time(instant.astimezone(tz), "short", tzinfo=tz, locale=locale)


def how_far(start: datetime, now: datetime, locale: str) -> str:
    """ "in 15 minutes", "in 1 day" (the time left, rounded to the minute)."""
    left = timedelta(minutes=round((start - now).total_seconds() / 60))
    return format_timedelta(left, add_direction=True, threshold=1.5, locale=locale)


def meeting_line(meeting: MeetingRecord, zone: str, locale: str) -> Msg:
    """The meeting for one reader: when (their zone), how long."""
    return msg(
        "meetings.line",
        when=when_label(meeting.starts_at, zone, locale),
        zone=zone,
        duration=meeting.duration,
    )


def held_runs(history: list[MeetingRecord]) -> list[int]:
    """The runs of meetings held in a row, oldest first (the last one still going): a missed
    meeting ends a run; skipped, unclear and coming ones neither count nor break one."""
    runs = [0]
    for meeting in history:
        if meeting.state == HELD:
            runs[-1] += 1
        elif meeting.state == MISSED:
            runs.append(0)
    return runs


def streak(history: list[MeetingRecord]) -> int:
    """How many meetings in a row the pair held, counting back from the latest settled one."""
    return held_runs(history)[-1]


def longest_streak(history: list[MeetingRecord]) -> int:
    """The most meetings the pair held in a row."""
    return max(held_runs(history))


def verdict_before(meeting: MeetingRecord, history: list[MeetingRecord]) -> str | None:
    """The verdict of the latest settled meeting before ``meeting`` in ``history``, if any."""
    earlier = [
        other.state
        for other in history
        if other.occurrence_at < meeting.occurrence_at and other.state in SETTLED
    ]
    return earlier[-1] if earlier else None


def meeting_lines(
    data: dict[str, Any], when: Callable[[Any], str], line: Callable[[Msg], str]
) -> list[str]:
    """``mydata``'s readable lines about meetings: each one, and where reminders go."""
    lines = []
    for row in data.get("meetings", []):
        answer = row["my_check_in"]
        lines.append(
            line(
                msg(
                    "mydata.md.meeting",
                    when=when(row["starts_at"]),
                    state=msg(f"meetings.state.{row['state']}"),
                    answer=msg(f"meetings.check_in.{answer}" if answer else "meetings.answer.none"),
                )
            )
        )
    for row in data.get("meeting_settings", []):
        where = msg(f"meetings.where.{row['reminders']}")
        lines.append(line(msg("mydata.md.reminders", where=where)))
    return lines
