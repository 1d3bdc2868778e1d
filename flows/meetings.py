"""``meeting``: a partner's say about the meetings, and the check-in after each one.

One conversation in the member's DM. Its first question depends on what is open for the
member when it is asked (its options' ids say which, so an answer is read rightly whenever it
comes):

::

    a meeting began and they have not checked in ─▶ did you meet? met | moved | missed ─▶ END
    the partner proposed a move ─▶ accept | decline ─▶ END
    otherwise ─▶ the next meeting ─┬ skip ─▶ END (the partner is told; the next one planned)
                                   ├ move ─▶ when instead? ─▶ END (the partner is asked)
                                   ├ reminders dm | reminders space ─▶ END
                                   └ nothing ─▶ END

The bot starts it by itself for the check-in and for deciding on a move
(:mod:`flows.meeting_notices`); members start it with ``meeting`` (``meeting skip``,
``meeting move``, ``meeting reminders dm``, ``meeting reminders space`` answer at once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.commands import CommandArgument
from bot.flow import END, ChoiceQuestion, Flow, FlowContext, Invalid, Step, TextQuestion
from bot.intents import Intent, Option
from bot.messages import Msg, msg, user_text
from flows.agreement_terms import occurrence, parse_slot
from flows.meeting_notices import (
    COMMAND,
    FLOW_ID,
    ask_booking,
    news_booking,
    verdict_books,
)
from flows.meeting_plan import CHECK_IN_DAYS, meeting_bookings, pair_of, plan_booking, slot_of
from flows.meeting_view import meeting_line, streak, when_label
from flows.pair_view import name_of
from store import Store
from store.agreements import AGREED
from store.due_items import Booking
from store.meetings import (
    ANSWERS,
    HELD,
    MISSED,
    REMINDERS_DM,
    REMINDERS_SPACE,
    UPCOMING,
    MeetingRecord,
)
from store.members import MemberRecord, MemberStatus
from store.tandems import ACTIVE, PAUSED


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def what_is_open(member: MemberRecord, store: Store) -> dict[str, Any]:
    """The tandem, the partner and the meetings still open; refused (nothing started) before
    the agreement is agreed."""
    tandem = await store.tandems.current_for(member.id)
    agreement = None if tandem is None else await store.agreements.for_tandem(tandem.id)
    if tandem is None or tandem.state not in (ACTIVE, PAUSED) or agreement is None:
        raise Invalid(msg("meetings.none"))
    if agreement.state != AGREED or agreement.terms is None:
        raise Invalid(msg("meetings.none"))
    partner = await store.members.get(tandem.partner_of(member.id))
    open_meetings = [
        {
            "id": meeting.id,
            "starts": _iso(meeting.starts_at),
            "occurrence": _iso(meeting.occurrence_at),
            "ends": _iso(meeting.ends_at),
            "answered": meeting.answer_of(member.id) is not None,
            "proposed": _iso(meeting.proposed_at),
            "proposed_by": meeting.proposed_by,
        }
        for meeting in await store.meetings.history(tandem.id)
        if meeting.state in UPCOMING
    ]
    return {
        "tandem": tandem.id,
        "partner": "" if partner is None else (partner.display_name or partner.platform_user_id),
        "partner_id": tandem.partner_of(member.id),
        "my_zone": member.timezone or agreement.terms["rhythm"]["timezone"],
        "rhythm": agreement.terms["rhythm"],
        "meetings": open_meetings,
        "reminders": await store.meetings.reminders_in(member.id),
    }


async def meeting_still_fits(context: FlowContext) -> list[Msg]:
    """After a member changed their time zone or free time (``edit``): their next meeting in
    their (new) zone, and whether it still fits them (if not, ``agreement`` proposes another
    time to the partner)."""
    member = await context.store.members.get(context.member.id)
    tandem = None if member is None else await context.store.tandems.current_for(member.id)
    if member is None or tandem is None:
        return []
    meeting = await context.store.meetings.next_for(tandem.id, context.now)
    partner = await context.store.members.get(tandem.partner_of(member.id))
    if meeting is None or partner is None:
        return []
    zone = member.timezone or meeting.timezone
    return [
        msg(
            "meetings.zone_changed",
            partner=name_of(partner),
            line=meeting_line(meeting, zone, context.locale),
            agreement=context.spell("agreement"),
        )
    ]


def in_a_tandem(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("meetings.none")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _check_in(context: FlowContext) -> dict[str, Any] | None:
    """The meeting that began and that this member has not checked in for."""
    begun = [
        meeting
        for meeting in context.answers["meetings"]
        if _at(meeting["starts"]) <= context.now and not meeting["answered"]
    ]
    return begun[-1] if begun else None


def _to_decide(context: FlowContext) -> dict[str, Any] | None:
    partner = context.answers["partner_id"]
    for meeting in context.answers["meetings"]:
        proposed = meeting["proposed"] and meeting["proposed_by"] == partner
        if proposed and _at(meeting["starts"]) > context.now:
            return meeting
    return None


def _next(context: FlowContext) -> dict[str, Any] | None:
    coming = [m for m in context.answers["meetings"] if _at(m["starts"]) > context.now]
    return coming[0] if coming else None


def _when(context: FlowContext, value: str) -> str:
    return when_label(_at(value), context.answers["my_zone"], context.locale)


CHECK_IN_OPTIONS = (
    Option(id="met", label=msg("meetings.check_in.met"), emoji="✅"),
    Option(id="moved", label=msg("meetings.check_in.moved"), emoji="🔁"),
    Option(id="missed", label=msg("meetings.check_in.missed"), emoji="❌"),
)
DECIDE_OPTIONS = (
    Option(id="accept", label=msg("meetings.accept_move"), emoji="✅"),
    Option(id="decline", label=msg("meetings.decline_move"), emoji="↩️"),
)
SKIP = Option(id="skip", label=msg("meetings.skip"), emoji="⏭️")
MOVE = Option(id="move", label=msg("meetings.move"), emoji="📅")
TO_DM = Option(id="reminders-dm", label=msg("meetings.reminders_dm"), emoji="✉️")
TO_SPACE = Option(id="reminders-space", label=msg("meetings.reminders_space"), emoji="👥")
NOTHING = Option(id="nothing", label=msg("meetings.nothing"), emoji="👍")


def start_prompt(context: FlowContext) -> Msg:
    partner = user_text(context.answers["partner"])
    if (meeting := _check_in(context)) is not None:
        return msg("meetings.ask_check_in", partner=partner, when=_when(context, meeting["starts"]))
    if (meeting := _to_decide(context)) is not None:
        return msg(
            "meetings.ask_decide",
            partner=partner,
            old=_when(context, meeting["starts"]),
            new=_when(context, meeting["proposed"]),
        )
    where = msg(f"meetings.where.{context.answers['reminders']}")
    if (meeting := _next(context)) is None:
        return msg("meetings.menu_none", partner=partner, where=where)
    return msg(
        "meetings.menu",
        partner=partner,
        when=_when(context, meeting["starts"]),
        zone=context.answers["my_zone"],
        where=where,
    )


def start_options(context: FlowContext) -> tuple[Option, ...]:
    if _check_in(context) is not None:
        return CHECK_IN_OPTIONS
    if _to_decide(context) is not None:
        return DECIDE_OPTIONS
    other_place = TO_SPACE if context.answers["reminders"] == REMINDERS_DM else TO_DM
    if _next(context) is None:
        return (other_place, NOTHING)
    return (SKIP, MOVE, other_place, NOTHING)


def after_start(answer: Any, _context: FlowContext) -> str:
    return "move_to" if answer == "move" else END


def _regular_after(context: FlowContext, meeting: dict[str, Any]) -> datetime:
    """The regular meeting after this one: a move must come before it."""
    after = _at(meeting["occurrence"]) + timedelta(minutes=1)
    return occurrence(slot_of(context.answers["rhythm"]), after)


def read_move(text: str, context: FlowContext) -> str:
    """A new time typed like a weekly slot ("Wed 18:30"): its next occurrence, which must
    come before the next regular meeting."""
    meeting = _next(context)
    if meeting is None:
        raise Invalid(msg("meetings.closed", meeting=context.spell(COMMAND)))
    slot = parse_slot(text, context.answers["my_zone"])
    new = occurrence(slot, context.now)
    limit = _regular_after(context, meeting)
    if new >= limit:
        raise Invalid(msg("meetings.move_too_late", limit=_when(context, limit.isoformat())))
    return new.isoformat()


def move_prompt(context: FlowContext) -> Msg:
    meeting = _next(context)
    limit = "" if meeting is None else _when(context, _regular_after(context, meeting).isoformat())
    return msg("meetings.ask_move", zone=context.answers["my_zone"], limit=limit)


STEPS = (
    Step("start", ChoiceQuestion(prompt=start_prompt, options=start_options), next=after_start),
    Step(
        "move_to",
        TextQuestion(
            prompt=move_prompt, label=msg("meetings.move_label"), max_length=60, check=read_move
        ),
        next=END,
    ),
)


async def finish_meeting(context: FlowContext) -> list[Msg | Intent]:
    answer = str(context.answers["start"])
    if answer in ANSWERS:
        return await _check_in_answer(context, answer)
    if answer in ("accept", "decline"):
        return await _decide(context, answer == "accept")
    if answer in ("skip", "move"):
        return await _skip_or_move(context, answer)
    if answer in (TO_DM.id, TO_SPACE.id):
        where = REMINDERS_DM if answer == TO_DM.id else REMINDERS_SPACE
        await context.store.meetings.set_reminders_in(
            context.member.id, context.community_id, where, now=context.now
        )
        return [msg(f"meetings.reminders_set.{where}")]
    return [msg("meetings.nothing_done")]


def _closed(context: FlowContext) -> list[Msg | Intent]:
    return [msg("meetings.closed", meeting=context.spell(COMMAND))]


async def _check_in_answer(context: FlowContext, answer: str) -> list[Msg | Intent]:
    store, me, now = context.store, context.member.id, context.now
    tandem_id = int(context.answers["tandem"])
    meeting = await store.meetings.open_check_in(tandem_id, me, now)
    if meeting is None:
        return _closed(context)
    outcome, record = await store.meetings.answer(
        meeting.id, me, answer, now=now, book=verdict_books(now)
    )
    partner = user_text(context.answers["partner"])
    if outcome == "closed" or record is None:
        return _closed(context)
    if outcome == "recorded":
        return [msg("meetings.check_in_recorded", partner=partner)]
    if record.state == HELD:
        count = streak(await store.meetings.history(tandem_id))
        return [msg("meetings.check_in_held", number=count)]
    if record.state == MISSED:
        return [msg("meetings.check_in_missed", partner=partner)]
    return [msg("meetings.check_in_recorded", partner=partner)]


async def _decide(context: FlowContext, accept: bool) -> list[Msg | Intent]:
    store, me, now = context.store, context.member.id, context.now
    tandem_id = int(context.answers["tandem"])
    meeting = await store.meetings.move_to_decide(tandem_id, me)
    tandem = await store.tandems.get(tandem_id)
    if meeting is None or tandem is None:
        return _closed(context)
    members = await pair_of(store, tandem.members)
    leads = context.program.meetings.reminder_leads
    booked = meeting_bookings(members, leads, now, clocks=False)

    def book(record: MeetingRecord) -> list[Booking]:
        event = "accepted" if accept else "declined"
        return [*(booked(record) if accept else []), news_booking(record, event, me, now)]

    outcome, record = await store.meetings.decide_move(
        meeting.id, by=me, accept=accept, now=now, book=book
    )
    if outcome == "closed" or record is None:
        return _closed(context)
    partner = user_text(context.answers["partner"])
    when = _when(context, record.starts_at.isoformat())
    if outcome == "accepted":
        return [msg("meetings.move_accepted", when=when)]
    return [msg("meetings.move_declined", when=when, partner=partner)]


async def _skip_or_move(context: FlowContext, answer: str) -> list[Msg | Intent]:
    store, me, now = context.store, context.member.id, context.now
    tandem_id = int(context.answers["tandem"])
    chosen = _next(context)
    if chosen is None:
        return _closed(context)
    partner = user_text(context.answers["partner"])
    if answer == "skip":

        def skipped(record: MeetingRecord) -> list[Booking]:
            return [plan_booking(tandem_id, now), news_booking(record, "skipped", me, now)]

        record = await store.meetings.skip(chosen["id"], by=me, now=now, book=skipped)
        if record is None:
            return _closed(context)
        when = _when(context, chosen["starts"])
        return [msg("meetings.skipped", when=when, partner=partner)]
    to = _at(context.answers["move_to"])
    partner_id = int(context.answers["partner_id"])
    record = await store.meetings.propose_move(
        chosen["id"],
        by=me,
        to=to,
        now=now,
        book=lambda record: [ask_booking(record, partner_id, now)],
    )
    if record is None:
        return _closed(context)
    return [msg("meetings.move_proposed", partner=partner, when=_when(context, to.isoformat()))]


MEETING = Flow(
    id=FLOW_ID,
    version=1,
    command=COMMAND,
    description=msg("command.meeting"),
    guard=in_a_tandem,
    prefill=what_is_open,
    # As long as a check-in is waited for: an unanswered one never holds up the next.
    timeout=timedelta(days=CHECK_IN_DAYS),
    steps=STEPS,
    finish=finish_meeting,
    argument=CommandArgument(
        "action",
        msg("command.meeting.action"),
        choices=("skip", "move", "reminders dm", "reminders space"),
    ),
)
