"""``calendar``: the member's tandem meetings as a calendar file, sent in their DM.

Built on demand from the agreed rhythm (:mod:`flows.calendar_file`), in the reader's language
("Tandem with Ben"); nothing is stored. The series starts with the first meeting after the
current version of the agreement was agreed, so a file sent again after a change replaces the
entry in the member's calendar (same ``UID``, a higher ``SEQUENCE``). Refused, with what to do
instead, before the member joined, without a tandem that is active or paused, and while the
agreement is not agreed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.flow import Action, ActionContext
from bot.i18n import Translator
from bot.intents import AttachFile, Intent
from bot.messages import msg
from flows.agreement_terms import in_zone, occurrence
from flows.agreement_view import format_label, slot_label
from flows.calendar_file import Exceptions, MeetingSeries, meeting_calendar
from flows.pair_view import name_of
from flows.profile_view import refuse_unless_joined
from store import Store
from store.agreements import AGREED
from store.tandems import ACTIVE, PAUSED, TandemRecord

FILENAME = "tandem-meetings.ics"
MIME_TYPE = "text/calendar"
# A start that is the meeting itself is skipped by looking a minute later.
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class AgreedRhythm:
    """The rhythm of an agreed agreement and when its current version was agreed."""

    rhythm: dict[str, Any]
    agreed_at: datetime


async def agreed_rhythm(store: Store, tandem: TandemRecord) -> AgreedRhythm | None:
    """The tandem's agreed rhythm, or None while the agreement is not agreed."""
    agreement = await store.agreements.for_tandem(tandem.id)
    if agreement is None or agreement.state != AGREED or agreement.terms is None:
        return None
    return AgreedRhythm(
        dict(agreement.terms["rhythm"]), agreement.agreed_at or agreement.created_at
    )


def _slot(rhythm: dict[str, Any]) -> dict[str, str]:
    return {key: str(rhythm[key]) for key in ("weekday", "time", "timezone")}


def next_meeting(
    rhythm: dict[str, Any], now: datetime, exceptions: Exceptions | None = None
) -> datetime:
    """The next meeting of ``rhythm`` at or after ``now`` (UTC), skipped and moved meetings
    taken into account."""
    exceptions = exceptions or {}
    start = occurrence(_slot(rhythm), now)
    while start in exceptions:
        start = occurrence(_slot(rhythm), start + _MINUTE)
    moved = [new for new in exceptions.values() if new is not None and new >= now]
    return min([start, *moved])


def tandem_uid(tandem: TandemRecord) -> str:
    """The same for every file of one tandem (ids only, nothing about the people)."""
    return f"tandem-{tandem.community_id}-{tandem.id}@tandem.invalid"


async def send_calendar(context: ActionContext) -> list[Intent]:
    member = context.member
    if member is None or not member.joined:
        return [refuse_unless_joined(context)]
    store = context.store
    tandem = await store.tandems.current_for(member.id)
    if tandem is None or tandem.state not in (ACTIVE, PAUSED):
        return [context.reply(msg("calendar.no_tandem", status=context.spell("status")))]
    agreed = await agreed_rhythm(store, tandem)
    if agreed is None:
        return [context.reply(msg("calendar.not_agreed", agreement=context.spell("agreement")))]
    other = await store.members.get(tandem.partner_of(member.id))
    partner = name_of(other) if other is not None else "?"
    rhythm, locale = agreed.rhythm, context.locale
    render = Translator().render
    description = msg(
        "calendar.description",
        partner=partner,
        format=format_label(rhythm["format"]),
        duration=rhythm["duration"],
        zone=rhythm["timezone"],
        agreement=context.spell("agreement"),
    )
    series = MeetingSeries(
        uid=tandem_uid(tandem),
        rhythm=rhythm,
        first=occurrence(_slot(rhythm), agreed.agreed_at),
        revised=agreed.agreed_at,
        summary=render(msg("calendar.summary", partner=partner), locale),
        description=render(description, locale),
    )
    zone = member.timezone or rhythm["timezone"]
    when = slot_label(
        in_zone(_slot(rhythm), zone, context.now), locale, context.now, rhythm["duration"]
    )
    place = context.dm_place()
    intents: list[Intent] = []
    if context.private_place != place:
        intents.append(context.reply(msg("calendar.sent_privately")))
    caption = msg(
        "calendar.caption",
        partner=partner,
        when=when,
        zone=zone,
        calendar=context.spell("calendar"),
    )
    intents.append(
        AttachFile(
            target=place,
            locale=locale,
            filename=FILENAME,
            content=meeting_calendar(series),
            mime_type=MIME_TYPE,
            caption=caption,
        )
    )
    return intents


CALENDAR = Action(command="calendar", description=msg("command.calendar"), run=send_calendar)
