"""Taking part, pausing and stopping: ``language``, ``pause`` [until], ``resume``, ``leave``.

``pause`` asks until when (a date in the member's words, read by :mod:`flows.dates`, or
"open-ended"); ``pause 24.12.`` answers at once. A pause with a date books a ``pause_end`` due
item (:data:`PAUSE_END`), which ends the pause on time and books the "welcome back" for the
member's morning (:data:`PAUSE_OVER_NOTICE`); ``resume`` or an open-ended pause cancels it.

In a tandem, ``pause`` and ``resume`` pause and resume the tandem (:mod:`flows.tandem_pause`),
and ``leave`` ends it first (the partner is told kindly: :mod:`flows.endings`).

::

    language:  language ─▶ END (saved; also in a ``join`` on hold meanwhile)
    pause:     [quiet ─keep/end─▶ END] ─▶ until ─▶ END (paused, until the date or open-ended;
               the question of a quiet tandem first: :mod:`flows.quiet_pairs`)
    leave:     confirm ──leave──▶ END (status left; data purged after the retention period)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers import NO_WORDS, YES_WORDS
from bot.commands import CommandArgument
from bot.due import DueKind, DueRun
from bot.flow import (
    Action,
    ActionContext,
    ChoiceQuestion,
    Flow,
    FlowContext,
    Invalid,
    Step,
    TextQuestion,
)
from bot.i18n import choose_locale
from bot.intents import Intent, Option, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from bot.text import excerpt
from flows.dates import is_open_ended, parse_end_date
from flows.endings import end_on_departure
from flows.profile import must_have_joined
from flows.questionnaire import LANGUAGES
from flows.quiet_pairs import (
    QUESTION,
    answered_keep_or_end,
    begin_at,
    being_asked,
    finish_answer,
)
from flows.tandem_pause import (
    MEMBER_PAUSE_END,
    member_pause_end_key,
    pause_tandem,
    resume_tandem,
    shown_date,
)
from store.members import MemberRecord, MemberStatus

MAX_PAUSE = timedelta(days=366)


async def save_language(context: FlowContext) -> list[Msg]:
    """The member's language, from now on: also in the ``join`` they put on hold for this."""
    chosen = context.answers["language"]
    await context.store.members.update(context.member.id, now=context.now, locale=chosen)
    waiting = await context.store.conversations.suspended_for(context.member.id)
    if waiting is not None and "language" in waiting.answers:
        await context.store.conversations.set_suspended_answer(
            waiting, "language", chosen, context.now
        )
    return [msg("language.saved")]


def has_a_record(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    """Nothing is stored for people the bot does not know: they choose it in ``join``."""
    return None if member is not None else msg("profile.not_joined", join=spell("join"))


LANGUAGE = Flow(
    id="language",
    version=1,
    command="language",
    description=msg("command.language"),
    guard=has_a_record,
    locale_step="language",
    steps=(Step("language", ChoiceQuestion(prompt=msg("join.ask_language"), options=LANGUAGES)),),
    finish=save_language,
)

# A step away is no success: no green tick on it.
LEAVE_CHOICES = (
    Option(
        id="leave", label=msg("leave.confirm"), emoji="👋", words=(YES_WORDS, msg("leave.words"))
    ),
    Option(
        id="stay", label=msg("leave.stay"), emoji="🤝", words=(NO_WORDS, msg("leave.stay.words"))
    ),
)


async def leave_now(context: FlowContext) -> list[Msg]:
    """The member leaves the program: status left; the maintenance job purges their data after
    the retention period. (``leave``, and declining a changed privacy notice.)"""
    # The tandem ends first; the partner is told kindly, without a reason.
    await end_on_departure(context.store, context.member, reason="left", now=context.now)
    await context.store.members.update(
        context.member.id, now=context.now, status=MemberStatus.LEFT, left_at=context.now
    )
    return [
        msg(
            "leave.done",
            days=context.program.retention_days_after_leaving,
            forget=context.spell("forget"),
        )
    ]


async def finish_leaving(context: FlowContext) -> list[Msg]:
    if context.answers["confirm"] != "leave":
        return [msg("leave.stayed")]
    return await leave_now(context)


LEAVE = Flow(
    id="leave",
    version=1,
    command="leave",
    description=msg("command.leave"),
    guard=must_have_joined,
    steps=(Step("confirm", ChoiceQuestion(prompt=msg("leave.ask"), options=LEAVE_CHOICES)),),
    finish=finish_leaving,
)


# The answer to "until when?" that names no date.
OPEN_ENDED = "open"


def _local_midnight(day: date, timezone: str | None) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone or "UTC"))


def check_until(text: str, context: FlowContext) -> str:
    """A day in the future, at most a year away (ISO), or :data:`OPEN_ENDED`."""
    if is_open_ended(text):
        return OPEN_ENDED
    timezone = context.member.timezone
    day = parse_end_date(text, now=context.now, timezone=timezone, locale=context.locale)
    if day is None:
        raise Invalid(msg("pause.bad_date", typed=user_text(excerpt(text))))
    until = _local_midnight(day, timezone)
    if not context.now < until <= context.now + MAX_PAUSE:
        raise Invalid(msg("pause.date_out_of_range"))
    return day.isoformat()


def may_pause(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    """``pause``'s guard: a member who joined, but no alumnus (never matched: nothing to
    pause, and pausing would make them wait for a partner when it ends)."""
    if member is not None and member.status == MemberStatus.ALUMNI:
        return msg("pause.alumni", join=spell("join"))
    return must_have_joined(member, spell)


async def pause_until(context: FlowContext) -> list[Msg | Intent]:
    if answered_keep_or_end(context):  # the question of a quiet spell, answered
        return await finish_answer(context)
    member = context.member
    if member.status == MemberStatus.ALUMNI:  # finished the program since pause was asked
        return [msg("pause.alumni", join=context.spell("join"))]
    answer = context.answers["until"]
    until = (
        None
        if answer == OPEN_ENDED
        else _local_midnight(date.fromisoformat(answer), member.timezone)
    )
    if member.status == MemberStatus.IN_TANDEM:
        return await pause_tandem(context, until)
    values: dict[str, Any] = {"status": MemberStatus.PAUSED, "paused_until": until}
    await context.store.members.update(member.id, now=context.now, **values)
    if until is None:
        await context.store.due.cancel(
            member.community_id, member_pause_end_key(member.id), now=context.now
        )
    else:
        await context.store.due.schedule(
            community_id=member.community_id,
            kind=PAUSE_END.name,
            key=member_pause_end_key(member.id),
            member_id=member.id,
            due_at=until,
            now=context.now,
        )
    resume = context.spell("resume")
    if until is None:
        return [msg("pause.done", resume=resume)]
    shown = shown_date(until, member, context.locale)
    return [msg("pause.done_until", date=shown, resume=resume)]


async def resume(context: ActionContext) -> list[Intent]:
    member = context.member
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        back = await resume_tandem(context, member)
        if back is not None:
            return back
    if member is not None and member.status == MemberStatus.ALUMNI:
        return [context.reply(msg("resume.alumni", join=context.spell("join")))]
    if member is None or member.status != MemberStatus.PAUSED:
        return [context.reply(msg("resume.not_paused"))]
    await context.store.members.update(
        member.id, now=context.now, status=MemberStatus.WAITING, paused_until=None
    )
    await context.store.due.cancel(
        member.community_id, member_pause_end_key(member.id), now=context.now
    )
    return [context.reply(msg("resume.done"))]


async def end_pause(run: DueRun) -> list[Intent]:
    """The ``pause_end`` due item: the member is back at once, at the date they chose (even at
    midnight, so a match round that morning counts them in); being told waits for their morning
    (:data:`PAUSE_OVER_NOTICE`). A late run still ends the pause. A member who resumed, paused
    anew or left meanwhile is left alone.
    """
    if run.item.member_id is None:
        return []
    member = await run.store.members.end_pause_if_due(run.item.member_id, run.now)
    if member is not None:
        await run.store.due.schedule(
            community_id=member.community_id,
            kind=PAUSE_OVER_NOTICE.name,
            key=f"pause_over:{member.id}",
            member_id=member.id,
            due_at=run.now,
            now=run.now,
        )
    return []


async def tell_pause_over(run: DueRun) -> list[Intent]:
    """The ``pause_over`` due item: "welcome back", in the member's DM and their morning (not
    urgent). Said only while they are still back: not to someone who paused again or left."""
    member = None if run.item.member_id is None else await run.store.members.get(run.item.member_id)
    if member is None or member.status != MemberStatus.WAITING or not member.dm_place:
        return []
    locale = choose_locale(member.locale, member.platform_locale, run.settings.bot.default_locale)
    place = Place.model_validate(member.dm_place)
    return [Say(target=place, locale=locale, text=msg("pause.ended"))]


PAUSE_END = DueKind(MEMBER_PAUSE_END, end_pause, urgent=True)
PAUSE_OVER_NOTICE = DueKind("pause_over", tell_pause_over)


PAUSE = Flow(
    id="pause",
    version=1,
    command="pause",
    description=msg("command.pause"),
    guard=may_pause,
    # In a tandem, the tandem pauses; refused at once when there is nothing to pause. While
    # a quiet tandem is being asked how to go on, that question comes first.
    prefill=being_asked,
    argument=CommandArgument("until", msg("command.pause.until")),
    argument_step="until",
    begin_at=begin_at,
    steps=(
        QUESTION,
        Step(
            "until",
            TextQuestion(
                prompt=msg("pause.ask_until"),
                label=msg("field.pause_until"),
                max_length=100,
                check=check_until,
            ),
        ),
    ),
    finish=pause_until,
)
RESUME = Action(command="resume", description=msg("command.resume"), run=resume)
