"""Where am I? ``status``, and the short status at the top of ``profile``.

One line says where the member stands, in their language and time zone:

* waiting — and when the next scheduled round is (the booked ``match_cadence`` item, else the
  configured cadence), or nothing more when the organizers start rounds by hand;
* paused — until when;
* introduced — to whom, the first call still to come;
* in a tandem — with whom, the week of the program ("week 3 of 12", counted from the day the
  tandem became active; ``[program] length_weeks``), and the next meeting in the member's own
  zone once the agreement stands (else where the agreement stands); a paused tandem says until
  when.

``status`` adds what the member can do next. Nothing is stored: every part is read from the
member, their tandem and its agreement when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from bot.config import ProgramSettings
from bot.flow import Action, ActionContext
from bot.intents import Intent
from bot.messages import Msg, msg
from flows.calendar import agreed_rhythm, next_meeting
from flows.pair_view import name_of
from flows.profile_view import refuse_unless_joined, status_in_words
from flows.round_schedule import CADENCE_KEY, next_round_at
from store import Store
from store.agreements import PROPOSED
from store.due_items import CLAIMED, PENDING
from store.members import MemberRecord, MemberStatus
from store.tandems import INTRODUCED, INTRODUCING, PAUSED, TandemRecord


def when_text(instant: datetime, zone: str, locale: str) -> str:
    """ "Monday, January 19, 2026, 7:00 PM" in ``zone``."""
    local = instant.astimezone(ZoneInfo(zone))
    day = format_date(local.date(), "full", locale=locale)
    return f"{day}, {format_time(local, 'short', locale=locale)}"


def program_week(tandem: TandemRecord, now: datetime, program: ProgramSettings) -> Msg:
    """ "week 3 of 12": weeks since the tandem's program round began (when it became active,
    for the first), the first week being week 1."""
    started = tandem.round_began
    week = max(0, (now - started).days) // 7 + 1
    weeks = program.length_weeks
    if weeks == 0:
        return msg("where.week", week=week)
    if week > weeks:
        return msg("where.week_beyond", count=weeks, week=week, weeks=weeks)
    return msg("where.week_of", week=week, weeks=weeks)


@dataclass(frozen=True)
class Standing:
    """Where a member stands: the short line, and what ``status`` suggests next."""

    line: Msg
    hint: Msg | None = None


async def _next_round(
    store: Store, member: MemberRecord, program: ProgramSettings, now: datetime
) -> datetime | None:
    if program.matching.cadence_weeks == 0:
        return None
    booked = await store.due.get(member.community_id, CADENCE_KEY)
    if booked is not None and booked.state in (PENDING, CLAIMED) and booked.due_at >= now:
        return booked.due_at
    return next_round_at(now, program)


async def _without_tandem(context: ActionContext, member: MemberRecord) -> Standing:
    locale = context.locale
    if member.status == MemberStatus.WAITING:
        when = await _next_round(context.store, member, context.program, context.now)
        if when is None:
            return Standing(status_in_words(member, locale), msg("where.hint.waiting"))
        shown = when_text(when, member.timezone or "UTC", locale)
        return Standing(msg("where.waiting_next", when=shown), msg("where.hint.waiting"))
    if member.status == MemberStatus.PAUSED:
        hint = msg("where.hint.paused", resume=context.spell("resume"))
        return Standing(status_in_words(member, locale), hint)
    if member.status == MemberStatus.ALUMNI:
        return Standing(
            status_in_words(member, locale), msg("where.hint.alumni", join=context.spell("join"))
        )
    return Standing(status_in_words(member, locale))


async def standing(context: ActionContext, member: MemberRecord) -> Standing:
    """Where ``member`` (who joined) stands, as the module says."""
    store, now, locale, spell = context.store, context.now, context.locale, context.spell
    tandem = await store.tandems.current_for(member.id)
    if tandem is None:
        return await _without_tandem(context, member)
    other = await store.members.get(tandem.partner_of(member.id))
    partner = name_of(other) if other is not None else "?"
    if tandem.state in (INTRODUCING, INTRODUCED):
        hint = msg("where.hint.decide", decide=spell("decide"))
        return Standing(msg("where.introduced", partner=partner), hint)
    zone = member.timezone or "UTC"
    if tandem.state == PAUSED:
        if tandem.paused_until is None:
            return Standing(msg("where.tandem_paused", partner=partner))
        until = format_date(tandem.paused_until.astimezone(ZoneInfo(zone)), "long", locale=locale)
        return Standing(msg("where.tandem_paused_until", partner=partner, date=until))
    week = program_week(tandem, now, context.program)
    agreed = await agreed_rhythm(store, tandem)
    if agreed is None:
        agreement = await store.agreements.for_tandem(tandem.id)
        state = "proposed" if agreement is not None and agreement.state == PROPOSED else "drafting"
        hint = msg("where.hint.agreement", agreement=spell("agreement"))
        return Standing(msg(f"where.active_{state}", partner=partner, week=week), hint)
    start = await next_meeting(store, tandem.id, agreed.rhythm, now)
    line = msg("where.active", partner=partner, week=week, when=when_text(start, zone, locale))
    return Standing(line, msg("where.hint.calendar", calendar=spell("calendar")))


async def show_status(context: ActionContext) -> list[Intent]:
    member = context.member
    if member is None or not member.joined:
        return [refuse_unless_joined(context)]
    found = await standing(context, member)
    return [context.reply(msg("where.show", status=found.line, hint=found.hint or ""))]


MEMBER_STATUS = Action(command="status", description=msg("command.status"), run=show_status)
