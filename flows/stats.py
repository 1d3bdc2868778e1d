"""The organizers' view of their community: ``admin stats``.

Members by status, tandems by state and how many are quiet, meetings held, reflections
answered and milestones reached, in all and week by week for the last :data:`WEEKS` weeks, as
a text and as a PNG chart (:mod:`flows.stats_chart`, drawn in a thread). Counts only
(:mod:`store.stats`): no reflection, note or milestone text is read for it.
``organizer_only``: the router refuses it to anyone else.
"""

from __future__ import annotations

import asyncio

from babel.dates import format_skeleton

from bot.flow import Action, ActionContext
from bot.i18n import Translator
from bot.intents import AttachFile, Intent
from bot.messages import Msg, msg
from flows.profile_view import STATUS_LABELS
from flows.stats_chart import Chart, draw
from store.quiet import QUIET_AFTER
from store.stats import CommunityCounts
from store.tandems import ACTIVE, DECLINED, ENDED, INTRODUCED, INTRODUCING, LAPSED, PAUSED

WEEKS = 12
TANDEM_STATES = (ACTIVE, PAUSED, INTRODUCING, INTRODUCED, ENDED, DECLINED, LAPSED)
CHART_FILE = "tandem-stats.png"


def _week_label(counts: CommunityCounts, index: int, locale: str) -> str:
    return format_skeleton("MMMd", counts.week_starts[index], locale=locale)


def summary(counts: CommunityCounts, locale: str) -> Msg:
    """The figures as text: every status and state (zeros too), the totals, and the weeks in
    which something happened, oldest first."""
    members = [
        msg("admin.status.line", status=label, number=counts.members.get(status, 0))
        for status, label in STATUS_LABELS.items()
    ]
    tandems = [
        msg(
            "admin.status.line",
            status=msg(f"stats.tandem.{state}"),
            number=counts.tandems.get(state, 0),
        )
        for state in TANDEM_STATES
    ]
    weeks = [
        msg(
            "stats.week",
            week=_week_label(counts, index, locale),
            meetings=held,
            reflections=reflected,
            milestones=reached,
        )
        for index, (held, reflected, reached) in enumerate(
            zip(
                counts.meetings_per_week,
                counts.reflections_per_week,
                counts.milestones_per_week,
                strict=True,
            )
        )
        if held or reflected or reached
    ]
    return msg(
        "stats.summary",
        members=sum(counts.members.values()),
        member_lines=members,
        tandem_lines=tandems,
        quiet=counts.quiet_pairs,
        quiet_weeks=QUIET_AFTER.days // 7,
        meetings=counts.meetings_held,
        recent_meetings=sum(counts.meetings_per_week),
        reflections=counts.reflections,
        milestones=counts.milestones,
        weeks=WEEKS,
        recent_reflections=sum(counts.reflections_per_week),
        recent_milestones=sum(counts.milestones_per_week),
        week_lines=weeks or [msg("stats.week.none")],
    )


def chart_of(counts: CommunityCounts, locale: str) -> Chart:
    text = Translator().render
    return Chart(
        title=text(msg("stats.chart.title", weeks=WEEKS), locale),
        weekly_title=text(msg("stats.chart.weekly"), locale),
        week_labels=tuple(_week_label(counts, i, locale) for i in range(len(counts.week_starts))),
        series=(
            (text(msg("stats.chart.meetings"), locale), counts.meetings_per_week),
            (text(msg("stats.chart.reflections"), locale), counts.reflections_per_week),
            (text(msg("stats.chart.milestones"), locale), counts.milestones_per_week),
        ),
        members_title=text(msg("stats.chart.members"), locale),
        members=tuple(
            (text(label, locale), counts.members.get(status, 0))
            for status, label in STATUS_LABELS.items()
        ),
    )


async def community_stats(context: ActionContext) -> list[Intent]:
    counts = await context.store.stats.community(
        context.event.community_id, now=context.now, weeks=WEEKS
    )
    png = await asyncio.to_thread(draw, chart_of(counts, context.locale))
    return [
        context.reply(summary(counts, context.locale)),
        AttachFile(
            target=context.private_place,
            locale=context.locale,
            in_reply_to=context.event.event_id,
            filename=CHART_FILE,
            content=png,
            mime_type="image/png",
            caption=msg("stats.chart.caption", weeks=WEEKS),
        ),
    ]


STATS = Action(
    command="stats",
    description=msg("command.admin.stats"),
    run=community_stats,
    organizer_only=True,
)
