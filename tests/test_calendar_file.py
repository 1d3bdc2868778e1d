"""The calendar file, parsed back with icalendar: the agreed zone's VTIMEZONE, the weekly
RRULE, the start at the agreed local time; its meetings across a daylight-saving change in the
agreed zone, seen from a zone nine hours away; skipped and moved meetings; a re-sent file after
a change is the same entry, newer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar

from flows.calendar_file import MeetingSeries, meeting_calendar

BERLIN, LOS_ANGELES = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles")
RHYTHM = {"weekday": "mon", "time": "19:00", "timezone": "Europe/Berlin", "duration": 60}
#: Monday 2 March 2026, 19:00 in Berlin; agreed the Friday before.
FIRST = datetime(2026, 3, 2, 19, 0, tzinfo=BERLIN)
AGREED = datetime(2026, 2, 27, 10, 0, tzinfo=UTC)


def series(**changes: object) -> MeetingSeries:
    fields: dict = {
        "uid": "tandem-memory-7@tandem.invalid",
        "rhythm": RHYTHM,
        "first": FIRST,
        "revised": AGREED,
        "summary": "Tandem with Ben",
        "description": "Your weekly tandem meeting with Ben: video call, 60 minutes.",
    }
    return MeetingSeries(**(fields | changes))


def parsed(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def meetings(calendar: Calendar, count: int) -> list[datetime]:
    """The first ``count`` meetings of the file, as a calendar app computes them: the RRULE
    from DTSTART in the agreed zone, less EXDATEs, with RECURRENCE-ID overrides."""
    main, *overrides = calendar.walk("VEVENT")
    start = main.decoded("dtstart")
    rule = rrulestr(main["rrule"].to_ical().decode(), dtstart=start)
    skipped = {d.dt for exdate in _list(main.get("exdate")) for d in exdate.dts}
    moved = {o.decoded("recurrence-id"): o.decoded("dtstart") for o in overrides}
    found = []
    for when in islice(rule, count + len(skipped)):
        if when in skipped:
            continue
        found.append(moved.get(when, when))
    return found[:count]


def _list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def test_the_file_holds_the_zone_the_rule_and_the_start_in_the_agreed_zone() -> None:
    data = meeting_calendar(series())
    text = data.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260302T190000" in text
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO" in text
    assert "DURATION:PT1H" in text
    calendar = parsed(data)
    assert str(calendar["prodid"]).startswith("-//Tandem//")
    assert str(calendar["method"]) == "PUBLISH"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Berlin"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == "tandem-memory-7@tandem.invalid"
    assert str(event["summary"]) == "Tandem with Ben"
    assert event.decoded("dtstart") == FIRST
    assert event.decoded("dtstart").tzinfo is not None
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["MO"]
    assert event.decoded("duration") == timedelta(minutes=60)


def test_across_summer_time_the_meeting_keeps_berlin_time_and_moves_in_los_angeles() -> None:
    calendar = parsed(meeting_calendar(series()))
    found = meetings(calendar, 6)
    # Berlin keeps 19:00 through its change (29 March) …
    assert [m.astimezone(BERLIN).strftime("%m-%d %H:%M") for m in found] == [
        "03-02 19:00", "03-09 19:00", "03-16 19:00", "03-23 19:00", "03-30 19:00", "04-06 19:00",
    ]  # fmt: skip
    # … while in Los Angeles (9 hours behind in winter) it is 10:00, then 11:00 in the three
    # weeks between the US change (8 March) and Europe's, then 10:00 again.
    assert [m.astimezone(LOS_ANGELES).strftime("%m-%d %H:%M") for m in found] == [
        "03-02 10:00", "03-09 11:00", "03-16 11:00", "03-23 11:00", "03-30 10:00", "04-06 10:00",
    ]  # fmt: skip


def test_a_skipped_meeting_is_left_out_and_a_moved_one_comes_at_its_new_time() -> None:
    skipped = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)  # 19:00 in Berlin
    moved_from = datetime(2026, 3, 16, 18, 0, tzinfo=UTC)
    moved_to = datetime(2026, 3, 18, 17, 30, tzinfo=UTC)  # Wednesday 18:30 in Berlin
    data = meeting_calendar(series(exceptions={skipped: None, moved_from: moved_to}))
    text = data.decode()
    assert "EXDATE;TZID=Europe/Berlin:20260309T190000" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260316T190000" in text
    found = meetings(parsed(data), 3)
    assert [m.astimezone(BERLIN).strftime("%a %m-%d %H:%M") for m in found] == [
        "Mon 03-02 19:00", "Wed 03-18 18:30", "Mon 03-23 19:00",
    ]  # fmt: skip
    uids = {str(event["uid"]) for event in parsed(data).walk("VEVENT")}
    assert uids == {"tandem-memory-7@tandem.invalid"}


def test_a_file_sent_again_after_a_change_is_the_same_entry_with_a_higher_sequence() -> None:
    first = parsed(meeting_calendar(series()))
    later = AGREED + timedelta(days=10)
    changed = dict(RHYTHM, duration=90)
    second = parsed(meeting_calendar(series(rhythm=changed, revised=later)))
    (before,), (after,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert before["uid"] == after["uid"]
    assert int(after["sequence"]) > int(before["sequence"])
    assert after.decoded("dtstamp") == later
    assert after.decoded("duration") == timedelta(minutes=90)
    # The same agreement gives the same file.
    assert meeting_calendar(series()) == meeting_calendar(series())
