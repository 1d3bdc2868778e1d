"""What the bot does by itself around meetings: plans them, reminds, asks "did you meet?",
settles, nudges after two misses, warns of daylight-saving changes and passes on news.

The due kinds (their keys: :mod:`flows.meeting_plan`):

* ``meeting_plan`` (urgent): the next meeting from the agreed rhythm.
* ``meeting_reminder`` (urgent: it comes at a time the member chose to meet, or shortly before
  it): to the member by DM or in the pair space, as they chose; dropped when it runs after the
  meeting began, when the meeting is no longer to come, or while the tandem is paused.
* ``meeting_over`` (urgent): at the meeting's end, the next one is planned; a meeting that
  passed while the tandem was paused is skipped (it never counts as missed).
* ``meeting_ask``: starts the ``meeting`` conversation in the member's DM, for the check-in or
  to decide on the partner's proposed move, if that is still open; never interrupting.
* ``meeting_settle`` (urgent): the check-in deadline; a second miss in a row books the nudge,
  a fourth (eighth …) meeting held in a row the streak's badge (:mod:`flows.badges`).
* ``meeting_nudge``: a gentle word to the pair with three ways on.
* ``meeting_dst``: "the clocks change: your meeting is at … your time now".
* ``meeting_news`` (urgent): the partner skipped, accepted or declined a move.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.due import DueKind, DueRun
from bot.intents import Intent, Say
from bot.messages import msg
from bot.places import Place
from flows.agreement_notices import to_space
from flows.agreement_view import format_label
from flows.badges import streak_bookings
from flows.bot_asks import start_when_free
from flows.meeting_plan import (
    MEETING_ASK,
    MEETING_DST,
    MEETING_NEWS,
    MEETING_NUDGE,
    MEETING_OVER,
    MEETING_PLAN,
    MEETING_REMINDER,
    MEETING_SETTLE,
    pair_of,
    plan_next,
)
from flows.meeting_view import day_label, how_far, time_label, verdict_before, when_label
from flows.pair_view import dm_of, locale_of, name_of
from store.due_items import Booking
from store.meetings import MISSED, REMINDERS_SPACE, UPCOMING, MeetingRecord
from store.members import MemberRecord
from store.tandems import ACTIVE, PAUSED, TandemRecord

FLOW_ID = "meeting"
COMMAND = "meeting"


def verdict_books(now: datetime) -> Callable[[MeetingRecord, list[MeetingRecord]], list[Booking]]:
    """What a verdict books: the nudge, when it is the second miss in a row; the streak's badge,
    when it completes a run of four, eight … meetings held (:mod:`flows.badges`)."""

    def book(meeting: MeetingRecord, history: list[MeetingRecord]) -> list[Booking]:
        if meeting.state == MISSED and verdict_before(meeting, history) == MISSED:
            payload = {"tandem": meeting.tandem_id, "meeting": meeting.id}
            return [Booking(MEETING_NUDGE, f"{meeting.prefix}nudge", now, payload=payload)]
        return streak_bookings(meeting, history, now)

    return book


def news_booking(meeting: MeetingRecord, event: str, by: int, now: datetime) -> Booking:
    """Tell ``by``'s partner that ``by`` skipped the meeting, accepted or declined a move."""
    payload = {"tandem": meeting.tandem_id, "meeting": meeting.id, "event": event, "by": by}
    key = f"{meeting.prefix}news:{event}:{int(now.timestamp())}"
    return Booking(MEETING_NEWS, key, now, payload=payload)


def ask_booking(meeting: MeetingRecord, member_id: int, now: datetime) -> Booking:
    """Ask ``member_id`` to decide on the move their partner proposed."""
    payload = {"tandem": meeting.tandem_id, "meeting": meeting.id, "purpose": "decide"}
    key = f"{meeting.prefix}decide:{member_id}"
    return Booking(MEETING_ASK, key, now, member_id=member_id, payload=payload)


async def _context(
    run: DueRun, *, states: tuple[str, ...] = (ACTIVE,)
) -> tuple[TandemRecord, MeetingRecord, list[MemberRecord]] | None:
    payload = run.item.payload
    tandem = await run.store.tandems.get(int(payload["tandem"]))
    meeting = await run.store.meetings.get(int(payload["meeting"]))
    if tandem is None or meeting is None or tandem.state not in states:
        return None
    return tandem, meeting, await pair_of(run.store, tandem.members)


async def _for_member(
    run: DueRun,
) -> tuple[TandemRecord, MeetingRecord, list[MemberRecord], MemberRecord] | None:
    """As :func:`_context`, with the partner the item is for."""
    found = await _context(run)
    if found is None:
        return None
    member = next((m for m in found[2] if m.id == run.item.member_id), None)
    return None if member is None else (*found, member)


def _partner(members: list[MemberRecord], member: MemberRecord) -> MemberRecord | None:
    return next((other for other in members if other.id != member.id), None)


def _zone(member: MemberRecord, meeting: MeetingRecord) -> str:
    return member.timezone or meeting.timezone


async def _rhythm(run: DueRun, tandem_id: int) -> dict[str, Any] | None:
    agreement = await run.store.agreements.for_tandem(tandem_id)
    return None if agreement is None or agreement.terms is None else agreement.terms["rhythm"]


async def plan_meeting(run: DueRun) -> list[Intent]:
    """The ``meeting_plan`` due item."""
    payload = run.item.payload
    await plan_next(
        run.store,
        run.settings,
        int(payload["tandem"]),
        run.now,
        replace=bool(payload.get("replace")),
    )
    return []


async def remind(run: DueRun) -> list[Intent]:
    """The ``meeting_reminder`` due item (see the module)."""
    found = await _for_member(run)
    if found is None:
        return []
    tandem, meeting, members, member = found
    if meeting.state not in UPCOMING or run.now >= meeting.starts_at:
        return []  # moved, skipped, or late: a reminder after the start helps nobody
    partner = _partner(members, member)
    rhythm = await _rhythm(run, tandem.id)
    locale = locale_of(member, run.settings)
    zone = _zone(member, meeting)
    details: dict[str, Any] = {
        "partner": name_of(partner) if partner is not None else "",
        "left": how_far(meeting.starts_at, run.now, locale),
        "when": when_label(meeting.starts_at, zone, locale),
        "zone": zone,
        "duration": meeting.duration,
        "format": format_label(rhythm["format"]) if rhythm else "",
    }
    where = await run.store.meetings.reminders_in(member.id)
    if where == REMINDERS_SPACE and tandem.space is not None:
        text = msg("meetings.reminder_space", name=name_of(member), **details)
        space = Place.model_validate(tandem.space)
        return [Say(target=space, locale=locale, text=text, private=False)]
    return [Say(target=dm_of(member), locale=locale, text=msg("meetings.reminder", **details))]


async def meeting_over(run: DueRun) -> list[Intent]:
    """The ``meeting_over`` due item (see the module)."""
    found = await _context(run, states=(ACTIVE, PAUSED))
    if found is None:
        return []
    tandem, meeting, _members = found
    if tandem.state == PAUSED and meeting.state in UPCOMING:
        await run.store.meetings.skip(meeting.id, by=None, now=run.now, running_key=run.item.key)
    await plan_next(run.store, run.settings, tandem.id, run.now)
    return []


async def ask_about_meeting(run: DueRun) -> list[Intent]:
    """The ``meeting_ask`` due item: the check-in, or the decision on a proposed move."""
    found = await _for_member(run)
    if found is None:
        return []
    _tandem, meeting, _members, member = found
    if meeting.state not in UPCOMING:
        return []
    if run.item.payload["purpose"] == "checkin":
        still_open = meeting.answer_of(member.id) is None
    else:
        still_open = meeting.proposed_at is not None and meeting.proposed_by != member.id
    if still_open:
        await start_when_free(run, FLOW_ID, member)
    return []


async def settle(run: DueRun) -> list[Intent]:
    """The ``meeting_settle`` due item."""
    await run.store.meetings.settle(
        int(run.item.payload["meeting"]), now=run.now, book=verdict_books(run.now)
    )
    return []


async def nudge(run: DueRun) -> list[Intent]:
    """The ``meeting_nudge`` due item: in the pair space (each partner's language), or by DM
    where there is no space."""
    found = await _context(run)
    if found is None:
        return []
    tandem, _meeting, members = found
    if len(members) != 2:
        return []
    a, b = (name_of(member) for member in members)
    platform = members[0].platform
    text = msg(
        "meetings.nudge",
        a=a,
        b=b,
        agreement=run.spell(platform, "agreement"),
        pause=run.spell(platform, "pause"),
        rematch=run.spell(platform, "rematch"),
    )
    if tandem.space is not None:
        await to_space(run, tandem, members, text, "space")
        return []
    return [
        Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text)
        for member in members
    ]


async def clocks_changed(run: DueRun) -> list[Intent]:
    """The ``meeting_dst`` due item."""
    found = await _for_member(run)
    if found is None:
        return []
    _tandem, meeting, members, member = found
    if meeting.state not in UPCOMING or meeting.moved or run.now >= meeting.starts_at:
        return []
    partner = _partner(members, member)
    locale = locale_of(member, run.settings)
    zone = _zone(member, meeting)
    was = datetime.fromisoformat(run.item.payload["was"])
    if time_label(was, zone, locale) == time_label(meeting.starts_at, zone, locale):
        return []  # their zone changed since: for them the meeting did not move
    text = msg(
        "meetings.clocks_changed",
        partner=name_of(partner) if partner is not None else "",
        day=day_label(meeting.starts_at, zone, locale),
        new=time_label(meeting.starts_at, zone, locale),
        old=time_label(was, zone, locale),
        zone=zone,
    )
    return [Say(target=dm_of(member), locale=locale, text=text)]


async def tell_news(run: DueRun) -> list[Intent]:
    """The ``meeting_news`` due item: to the partner of whoever skipped, accepted or declined."""
    found = await _context(run, states=(ACTIVE, PAUSED))
    if found is None:
        return []
    _tandem, meeting, members = found
    by = int(run.item.payload["by"])
    actor = next((member for member in members if member.id == by), None)
    told = next((member for member in members if member.id != by), None)
    if actor is None or told is None:
        return []
    locale = locale_of(told, run.settings)
    shown = meeting.occurrence_at if run.item.payload["event"] == "skipped" else meeting.starts_at
    text = msg(
        f"meetings.partner_{run.item.payload['event']}",
        partner=name_of(actor),
        when=when_label(shown, _zone(told, meeting), locale),
    )
    return [Say(target=dm_of(told), locale=locale, text=text)]


MEETING_KINDS = (
    DueKind(MEETING_PLAN, plan_meeting, urgent=True),
    DueKind(MEETING_REMINDER, remind, urgent=True),
    DueKind(MEETING_OVER, meeting_over, urgent=True),
    DueKind(MEETING_ASK, ask_about_meeting),
    DueKind(MEETING_SETTLE, settle, urgent=True),
    DueKind(MEETING_NUDGE, nudge),
    DueKind(MEETING_DST, clocks_changed),
    DueKind(MEETING_NEWS, tell_news, urgent=True),
)
