"""Organizer commands after a report: ``end <tandem>`` ends a tandem, ``remove <report>`` takes
the member a report is about out of the program.

``reports`` lists the newest reports (``reports <number>``: one in full, as it was posted):
where no organizer channel or room is configured, or a member reached the daily number posted,
this is where the organizers find them (:mod:`flows.reporting`).

All are ``organizer_only`` (the router refuses them to anyone else, see :mod:`flows.admin`) and
answer only the organizer. The numbers are the ones the report in the organizer channel names
(:mod:`flows.reporting`).

* ``end``: both partners are told kindly that the organizers ended their tandem, both wait
  again, first in line, and are never matched with each other again.
* ``remove``: the member's tandem ends (the partner is told only that they no longer take part,
  and is first in line), they leave the program (status left; their data is purged after the
  retention period, like after ``leave``) and are told so neutrally; the member who reported them
  blocks them (:mod:`store.blocks`), so the two are never matched again even if they join anew.
  Keeping someone out of the community itself is the platform's moderation (kick or ban).
"""

from __future__ import annotations

from bot.commands import CommandArgument
from bot.flow import Action, ActionContext
from bot.i18n import choose_locale
from bot.intents import Intent, Say
from bot.messages import msg, user_text
from bot.text import excerpt
from flows.endings import end_on_departure, end_tandem
from flows.pair_view import dm_of, name_of
from flows.reporting import report_message
from store.members import MemberStatus
from store.tandems import CURRENT


def _number(text: str) -> int | None:
    cleaned = text.strip().lstrip("#").strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) < 10 else None


async def end_a_tandem(context: ActionContext) -> list[Intent]:
    number = _number(context.argument)
    if number is None:
        return [context.reply(msg("admin.end.which", end=context.spell("end")))]
    tandem = await context.store.tandems.get(number)
    if tandem is None or tandem.community_id != context.event.community_id:
        return [context.reply(msg("admin.end.unknown", number=number))]
    if tandem.state not in CURRENT:
        return [context.reply(msg("admin.end.already", number=number))]
    ended = await end_tandem(context.store, tandem, reason="organizer", by=None, now=context.now)
    if ended is None:
        return [context.reply(msg("admin.end.already", number=number))]
    a, b = [await context.store.members.get(member_id) for member_id in tandem.members]
    names = [name_of(m) if m is not None else user_text("?") for m in (a, b)]
    return [context.reply(msg("admin.end.done", number=number, a=names[0], b=names[1]))]


async def remove_after_report(context: ActionContext) -> list[Intent]:
    number = _number(context.argument)
    if number is None:
        return [context.reply(msg("admin.remove.which", remove=context.spell("remove")))]
    report = await context.store.reports.get(context.event.community_id, number)
    if report is None:
        return [context.reply(msg("admin.remove.unknown", number=number))]
    member = None if report.about_id is None else await context.store.members.get(report.about_id)
    if member is None:
        return [context.reply(msg("admin.remove.nobody", number=number))]
    if member.status == MemberStatus.LEFT:
        return [context.reply(msg("admin.remove.already", name=name_of(member)))]
    now = context.now
    await end_on_departure(context.store, member, reason="removed", now=now)
    await context.store.members.update(member.id, now=now, status=MemberStatus.LEFT, left_at=now)
    reporter = await context.store.members.get(report.reporter_id)
    if reporter is not None:
        await context.store.blocks.block(
            reporter, member.platform, member.platform_user_id, now=now
        )
    days = context.program.retention_days_after_leaving
    told = Say(
        target=dm_of(member),
        locale=choose_locale(member.locale, member.platform_locale, context.locale),
        text=msg("admin.remove.told", days=days, forget=context.spell("forget")),
    )
    done = msg("admin.remove.done", name=name_of(member), days=days)
    return [context.reply(done), told]


#: How many reports ``reports`` lists.
LISTED = 10


async def list_reports(context: ActionContext) -> list[Intent]:
    community = context.event.community_id
    if context.argument:
        number = _number(context.argument)
        report = None if number is None else await context.store.reports.get(community, number)
        text = (
            None if report is None else await report_message(context.store, report, context.spell)
        )
        if text is None:
            return [context.reply(msg("admin.reports.unknown", number=context.argument[:20]))]
        return [context.reply(text)]
    newest = await context.store.reports.newest(community, LISTED)
    if not newest:
        return [context.reply(msg("admin.reports.none"))]
    lines = []
    for report in newest:
        reporter = await context.store.members.get(report.reporter_id)
        lines.append(
            msg(
                "admin.reports.line",
                number=report.id,
                when=report.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                reporter=name_of(reporter) if reporter is not None else user_text("–"),
                text=user_text(excerpt(report.text, 120)),
            )
        )
    reports = context.spell("reports")
    return [context.reply(msg("admin.reports.list", lines=lines, reports=reports))]


END = Action(
    command="end",
    description=msg("command.admin.end"),
    run=end_a_tandem,
    argument=CommandArgument("tandem", msg("command.admin.end.tandem")),
    organizer_only=True,
)
REMOVE = Action(
    command="remove",
    description=msg("command.admin.remove"),
    run=remove_after_report,
    argument=CommandArgument("report", msg("command.admin.remove.report")),
    organizer_only=True,
)
REPORTS = Action(
    command="reports",
    description=msg("command.admin.reports"),
    run=list_reports,
    argument=CommandArgument("report", msg("command.admin.reports.report")),
    organizer_only=True,
)
