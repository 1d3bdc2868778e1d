"""Meetings from the agreed rhythm: which occurrence comes next, and what is booked with it.

The rhythm (``terms.rhythm`` of the agreement: weekday, local time, the agreed IANA zone,
duration, format) recurs at that local time in the agreed zone. Only the next meeting is
materialised (:func:`plan_next`): when the agreement is agreed or its time or length changes
(``replace``: what was to come is cancelled), when a meeting is skipped, and when one ends. With
it, in the same transaction, its due items are booked (:func:`meeting_bookings`), each under
the meeting's key prefix (:func:`store.meetings.meeting_prefix`):

* ``remind:<lead>:<member>``: a reminder per configured lead time and partner;
* ``over``: at its end, the next meeting is planned;
* ``checkin:<member>``: at its end, "did you meet?" to each partner;
* ``settle``: three days after its end, the verdict from what was answered;
* ``dst:<member>``: three days before, to a partner whose local time of the meeting is not
  what it was the week before (a daylight-saving change in the agreed zone or in theirs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from flows.agreement_terms import Slot, occurrence
from store import Store
from store.agreements import AGREED
from store.due_items import Booking
from store.meetings import MeetingRecord, Occurrence
from store.members import MemberRecord
from store.tandems import due_prefix

MEETING_PLAN = "meeting_plan"
MEETING_REMINDER = "meeting_reminder"
MEETING_OVER = "meeting_over"
MEETING_ASK = "meeting_ask"
MEETING_SETTLE = "meeting_settle"
MEETING_NUDGE = "meeting_nudge"
MEETING_DST = "meeting_dst"
MEETING_NEWS = "meeting_news"

#: How long after a meeting's end its check-ins are waited for.
CHECK_IN_DAYS = 3
#: How long before the meeting a partner hears that the clocks moved it for them.
DST_NOTICE_DAYS = 3


def plan_key(tandem_id: int) -> str:
    return f"{due_prefix(tandem_id)}meetings:plan"


def plan_booking(tandem_id: int, now: datetime, *, replace: bool = False) -> Booking:
    """Plan the tandem's next meeting now (``replace``: the rhythm changed)."""
    payload = {"tandem": tandem_id, "replace": replace}
    return Booking(MEETING_PLAN, plan_key(tandem_id), now, payload=payload)


def slot_of(rhythm: dict[str, Any]) -> Slot:
    return {key: rhythm[key] for key in ("weekday", "time", "timezone")}


def next_occurrence(
    rhythm: dict[str, Any], latest: MeetingRecord | None, now: datetime
) -> Occurrence:
    """The rhythm's first occurrence after ``now`` and after the latest meeting's."""
    after = now if latest is None else max(now, latest.occurrence_at + timedelta(minutes=1))
    start = occurrence(slot_of(rhythm), after)
    return Occurrence(start, start + timedelta(minutes=int(rhythm["duration"])), rhythm["timezone"])


def regular_after(rhythm: dict[str, Any], meeting: MeetingRecord) -> datetime:
    """The rhythm's occurrence after ``meeting``'s own (a move must come before it)."""
    return occurrence(slot_of(rhythm), meeting.occurrence_at + timedelta(minutes=1))


def week_before(meeting: MeetingRecord) -> datetime:
    """The same local time in the agreed zone a week before the meeting's occurrence."""
    zone = ZoneInfo(meeting.timezone)
    local = meeting.occurrence_at.astimezone(zone).replace(tzinfo=None) - timedelta(days=7)
    return local.replace(tzinfo=zone).astimezone(meeting.occurrence_at.tzinfo)


def _wall(instant: datetime, zone: str) -> tuple[int, int, int]:
    local = instant.astimezone(ZoneInfo(zone))
    return (local.weekday(), local.hour, local.minute)


def meeting_bookings(
    members: list[MemberRecord], leads: Iterable[int], now: datetime, *, clocks: bool = True
) -> Callable[[MeetingRecord], list[Booking]]:
    """What to book with a meeting (see the module); ``clocks``: with the daylight-saving
    notices (not for a moved meeting: its time is what the pair just agreed on)."""

    def book(meeting: MeetingRecord) -> list[Booking]:
        payload = {"tandem": meeting.tandem_id, "meeting": meeting.id}
        prefix = meeting.prefix
        bookings = []
        for lead in leads:
            due = meeting.starts_at - timedelta(minutes=lead)
            if due <= now:
                continue  # planned too late for this one
            for member in members:
                bookings.append(
                    Booking(
                        MEETING_REMINDER,
                        f"{prefix}remind:{lead}:{member.id}",
                        due,
                        member_id=member.id,
                        payload={**payload, "lead": lead},
                    )
                )
        bookings.append(Booking(MEETING_OVER, f"{prefix}over", meeting.ends_at, payload=payload))
        for member in members:
            bookings.append(
                Booking(
                    MEETING_ASK,
                    f"{prefix}checkin:{member.id}",
                    meeting.ends_at,
                    member_id=member.id,
                    payload={**payload, "purpose": "checkin"},
                )
            )
        settle_at = meeting.ends_at + timedelta(days=CHECK_IN_DAYS)
        bookings.append(Booking(MEETING_SETTLE, f"{prefix}settle", settle_at, payload=payload))
        if not clocks:
            return bookings
        before = week_before(meeting)
        for member in members:
            zone = member.timezone
            if not zone or _wall(before, zone) == _wall(meeting.starts_at, zone):
                continue
            due = max(now, meeting.starts_at - timedelta(days=DST_NOTICE_DAYS))
            bookings.append(
                Booking(
                    MEETING_DST,
                    f"{prefix}dst:{member.id}",
                    due,
                    member_id=member.id,
                    payload={**payload, "was": before.isoformat()},
                )
            )
        return bookings

    return book


async def pair_of(store: Store, members: Iterable[int]) -> list[MemberRecord]:
    found = [await store.members.get(member_id) for member_id in members]
    return [member for member in found if member is not None]


async def plan_next(
    store: Store, settings: Settings, tandem_id: int, now: datetime, *, replace: bool = False
) -> MeetingRecord | None:
    """Materialise the tandem's next meeting from its agreed rhythm (see the module); None
    when there is none to plan (not agreed, ended, or one is still to come)."""
    tandem = await store.tandems.get(tandem_id)
    agreement = await store.agreements.for_tandem(tandem_id)
    if tandem is None or agreement is None or agreement.state != AGREED:
        return None
    assert agreement.terms is not None
    rhythm = agreement.terms["rhythm"]
    members = await pair_of(store, tandem.members)
    leads = settings.program_for(tandem.community_id).meetings.reminder_leads
    return await store.meetings.plan(
        tandem_id,
        lambda latest: next_occurrence(rhythm, latest, now),
        now=now,
        replace=replace,
        book=meeting_bookings(members, leads, now),
    )
