"""How a pair is shown to people: names, why the two were matched (in both directions), their
common free times in each one's own time zone, and where to reach each of them.

Shared by the organizer's preview (:mod:`flows.rounds`), the introduction
(:mod:`flows.introduction`) and the first call (:mod:`flows.first_call`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from bot.config import ProgramSettings, Settings
from bot.i18n import choose_locale
from bot.matching import CommonTime, Reasons
from bot.messages import Msg, UserText, msg, user_text
from bot.places import MemberRef, Place
from flows.profile_view import topic_labels
from flows.questionnaire import LANGUAGE_NAMES
from store.members import MemberRecord


def name_of(member: MemberRecord) -> UserText:
    """The member's display name as the platform gave it (never read as markup or a ping)."""
    return user_text(member.display_name or member.platform_user_id)


def locale_of(member: MemberRecord, settings: Settings) -> str:
    """The language to write to a member in when they did not just write to the bot."""
    return choose_locale(member.locale, member.platform_locale, settings.bot.default_locale)


def ref_of(member: MemberRecord) -> MemberRef:
    return MemberRef(
        platform=member.platform,
        user_id=member.platform_user_id,
        display_name=member.display_name,
    )


def dm_of(member: MemberRecord) -> Place:
    """The member's DM: where they talked to the bot, or one opened by their platform id."""
    if member.dm_place:
        return Place.model_validate(member.dm_place)
    return Place.dm(ref_of(member))


def why_lines(
    reasons: Reasons, a: MemberRecord, b: MemberRecord, program: ProgramSettings
) -> list[Msg]:
    """Why ``a`` and ``b`` were matched, for both to read: each direction, then what they
    share."""
    lines = []
    for helper, helped, topics in ((a, b, reasons.a_helps_b), (b, a, reasons.b_helps_a)):
        if topics:
            lines.append(
                msg(
                    "pair.why.helps",
                    helper=name_of(helper),
                    helped=name_of(helped),
                    topics=topic_labels(topics, program),
                )
            )
    return lines + _shared_lines(reasons, program)


def why_lines_for(
    reasons: Reasons, me: MemberRecord, partner: MemberRecord, program: ProgramSettings
) -> list[Msg]:
    """Why the member was matched with ``partner``, addressed to the member: "Alex can help
    you with public speaking; you can help Alex with time management"."""
    mine, theirs = reasons.a_helps_b, reasons.b_helps_a
    if me.id != min(me.id, partner.id):  # the smaller id is "a"
        mine, theirs = theirs, mine
    lines = []
    if theirs:
        lines.append(
            msg(
                "pair.why.helps_you",
                partner=name_of(partner),
                topics=topic_labels(theirs, program),
            )
        )
    if mine:
        lines.append(
            msg(
                "pair.why.you_help",
                partner=name_of(partner),
                topics=topic_labels(mine, program),
            )
        )
    return lines + _shared_lines(reasons, program)


def _shared_lines(reasons: Reasons, program: ProgramSettings) -> list[Msg]:
    lines = []
    if reasons.shared_needs:
        lines.append(
            msg("pair.why.shared_needs", topics=topic_labels(reasons.shared_needs, program))
        )
    if reasons.languages:
        names = tuple(LANGUAGE_NAMES.get(code, code) for code in reasons.languages)
        lines.append(msg("pair.why.languages", languages=names))
    if reasons.in_person:
        lines.append(msg("pair.why.in_person"))
    return lines


def common_times(times: tuple[CommonTime, ...], timezone: str | None, locale: str) -> list[str]:
    """Each common free stretch as "• Monday 18:00 – 21:00", in ``timezone``, in ``locale``."""
    zone = ZoneInfo(timezone or "UTC")
    return [f"• {_stretch(time.start, time.end, zone, locale)}" for time in times]


def _stretch(start: datetime, end: datetime, zone: ZoneInfo, locale: str) -> str:
    begins, ends = start.astimezone(zone), end.astimezone(zone)
    day = format_datetime(begins, "EEEE", tzinfo=zone, locale=locale)
    first = format_time(begins, "short", tzinfo=zone, locale=locale)
    last = format_time(ends, "short", tzinfo=zone, locale=locale)
    if ends.date() == begins.date():
        return f"{day} {first} – {last}"
    next_day = format_datetime(ends, "EEEE", tzinfo=zone, locale=locale)
    return f"{day} {first} – {next_day} {last}"


def common_hours(times: tuple[CommonTime, ...]) -> int:
    """How many whole hours a week the two have in common."""
    return int(sum((time.end - time.start).total_seconds() for time in times) // 3600)
