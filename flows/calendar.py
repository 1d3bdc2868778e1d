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
from datetime import datetime
from typing import Any

from bot.flow import Action, ActionContext
from bot.i18n import Translator
from bot.intents import AttachFile, Intent
from bot.messages import msg
from flows.agreement_terms import in_zone, occurrence
from flows.agreement_view import format_label, slot_label
from flows.calendar_file import MeetingSeries, meeting_calendar
from flows.pair_view import name_of
from flows.profile_view import refuse_unless_joined
from store import Store
from store.agreements import AGREED
from store.meetings import SKIPPED
from store.tandems import ACTIVE, PAUSED, TandemRecord

FILENAME = "tandem-meetings.ics"
MIME_TYPE = "text/calendar"


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


async def next_meeting(
    store: Store, tandem_id: int, rhythm: dict[str, Any], now: datetime
) -> datetime:
    """The tandem's next meeting (UTC): the one the meetings store planned (moved and skipped
    meetings taken into account; one under way counts until it ends), else the rhythm's next
    occurrence (before the first is planned)."""
    planned = await store.meetings.next_for(tandem_id, now)
    return planned.starts_at if planned is not None else occurrence(_slot(rhythm), now)


async def meeting_changes(
    store: Store, tandem_id: int, since: datetime
) -> tuple[dict[datetime, datetime | None], datetime | None]:
    """The skipped and moved meetings of the series that starts at ``since`` (original start →
    new start, or None), and when the latest of them last changed (for ``SEQUENCE``). Read from
    the tandem's meeting history rather than ``exceptions``, which has no times of change."""
    changes: dict[datetime, datetime | None] = {}
    latest: datetime | None = None
    for meeting in await store.meetings.history(tandem_id):
        if meeting.occurrence_at < since:
            continue  # a meeting of an earlier meeting time: not in this series
        if meeting.state == SKIPPED:
            changes[meeting.occurrence_at] = None
        elif meeting.moved:
            changes[meeting.occurrence_at] = meeting.starts_at
        else:
            continue
        latest = meeting.updated_at if latest is None else max(latest, meeting.updated_at)
    return changes, latest


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
    first = occurrence(_slot(rhythm), agreed.agreed_at)
    changes, changed_at = await meeting_changes(store, tandem.id, first)
    series = MeetingSeries(
        uid=tandem_uid(tandem),
        rhythm=rhythm,
        first=first,
        revised=max(agreed.agreed_at, changed_at or agreed.agreed_at),
        exceptions=changes,
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
