"""The tandem's weekly meetings as a calendar file (RFC 5545 ``.ics``), built on demand.

One ``VCALENDAR`` (``METHOD:PUBLISH``, a file to import, not an invitation) with a
``VTIMEZONE`` for the **agreed zone** (generated from the IANA database by ``icalendar``) and
one recurring ``VEVENT``: ``DTSTART;TZID=<agreed zone>`` at the agreed local time, a
``DURATION``, ``RRULE:FREQ=WEEKLY;BYDAY=<day>`` (open-ended: a tandem goes on until it ends),
the tandem's stable ``UID``, and the summary and description in the reader's language.
Because the series recurs in the agreed zone, a daylight-saving change there keeps the local
time for the partner whose zone it is and moves it for the other, as the chat shows it.

**Exceptions** (from the meetings kept by the bot): an original start (UTC) mapped to
``None`` is skipped (``EXDATE``), mapped to another start is moved (a second ``VEVENT`` with
the same ``UID`` and a ``RECURRENCE-ID``).

**Versions.** A calendar app recognises a re-sent file as the same entry by its ``UID`` and
takes it as newer by its ``SEQUENCE``: the whole seconds from :data:`EPOCH` to the last
change (``revised``), so every later change gives a higher number (it fits a signed 32-bit
integer, as some apps store it, until 2094). ``DTSTAMP`` and ``LAST-MODIFIED`` are that change too,
so the same agreement gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.matching.hours import WEEKDAYS

PRODID = "-//Tandem//Tandem peer mentoring//EN"
#: SEQUENCE counts seconds from here (any fixed instant before the first tandem would do).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# The VTIMEZONE spells out the zone's transitions from a year before the first meeting to
# five years after; calendar apps that know the IANA name use their own rules anyway.
_ZONE_BEFORE, _ZONE_AFTER = timedelta(days=366), timedelta(days=5 * 366)
_BYDAY = {day: day[:2].upper() for day in WEEKDAYS}

#: Original start (UTC) → the new start (UTC), or None for a skipped meeting.
Exceptions = Mapping[datetime, datetime | None]


@dataclass(frozen=True)
class MeetingSeries:
    """What the file says: the series (from the agreement's rhythm) and its texts."""

    uid: str
    rhythm: dict[str, Any]  # weekday, time, timezone, duration (minutes)
    first: datetime  # the first meeting (aware), at the rhythm's weekday and time
    revised: datetime  # when the agreement or a meeting last changed
    summary: str
    description: str
    exceptions: Exceptions = field(default_factory=dict)


def sequence_of(revised: datetime) -> int:
    """``SEQUENCE``: whole seconds from :data:`EPOCH` to the last change (never negative)."""
    return max(0, int((revised - EPOCH).total_seconds()))


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    """``instant`` as a wall-clock time in the agreed zone (``DTSTART;TZID=…``)."""
    return instant.astimezone(zone).replace(second=0, microsecond=0)


def _event(series: MeetingSeries, zone: ZoneInfo, start: datetime) -> Event:
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", series.revised.astimezone(UTC))
    event.add("last-modified", series.revised.astimezone(UTC))
    event.add("sequence", sequence_of(series.revised))
    event.add("dtstart", _local(start, zone))
    event.add("duration", timedelta(minutes=int(series.rhythm["duration"])))
    event.add("summary", series.summary)
    event.add("description", series.description)
    return event


def meeting_calendar(series: MeetingSeries) -> bytes:
    """The ``.ics`` file of ``series`` (see the module)."""
    zone = ZoneInfo(series.rhythm["timezone"])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    main = _event(series, zone, series.first)
    main.add("rrule", {"freq": "weekly", "byday": _BYDAY[series.rhythm["weekday"]]})
    skipped = sorted(start for start, moved in series.exceptions.items() if moved is None)
    if skipped:
        main.add("exdate", [_local(start, zone) for start in skipped])
    calendar.add_component(main)
    for original, moved in sorted(series.exceptions.items()):
        if moved is None:
            continue
        override = _event(series, zone, moved)
        override.add("recurrence-id", _local(original, zone))
        calendar.add_component(override)
    first = series.first.astimezone(zone).date()
    calendar.add_missing_timezones(first_date=first - _ZONE_BEFORE, last_date=first + _ZONE_AFTER)
    return calendar.to_ical()
