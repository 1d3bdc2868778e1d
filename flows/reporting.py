"""``report``: a member tells the organizers about a problem, privately.

::

    report:  what ─▶ [about: "about your tandem with Ben?" yes / something else] ─▶ END
             (the about step only when the member has or had a tandem partner)

The report is stored (:mod:`store.reports`) and, in the same transaction, a
``report_to_organizers`` due item is booked: it posts the report to the community's organizer
channel or room on the member's platform (``discord.organizer_channel_id``,
``matrix.organizer_room``, the console's organizers), retried if the platform fails, and never
to the partner. The member is thanked and pointed to professional counselling, as the seed asks
for sensitive topics (the community's ``[program] counselling``, else a general pointer to
telephone counselling). Reports never wait for consent to a changed notice
(``exempt_from_gate``), and members who left may report too.

No report is ever lost, and none is posted where nobody reads it:

* without an organizer channel or room on the member's platform the report is kept, and the
  member is told honestly that it cannot be passed on by itself; organizers find it with
  ``reports`` (:mod:`flows.admin_safety`);
* at most :data:`POSTED_PER_DAY` reports of one member a day are posted; further ones are kept
  the same way, and the member is told that the organizers already have their reports.

The about step is asked only about a partner the member was introduced to (never one of an
introduction still being sent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.due import DueKind, DueRun
from bot.flow import ChoiceQuestion, Flow, FlowContext, Step, TextQuestion
from bot.intents import Intent, Option, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from flows.blocking import may_ask_for_safety
from flows.pair_view import name_of
from store import Store
from store.due_items import Booking
from store.members import MemberRecord
from store.reports import ReportRecord

#: As long as the store keeps (``reports.text``): nothing the member wrote is cut or refused.
REPORT_LENGTH = 2000
#: Reports of one member posted to the organizers per :data:`POST_WINDOW`; more are kept.
POSTED_PER_DAY = 3
POST_WINDOW = timedelta(hours=24)
ABOUT = (
    Option(id="partner", label=msg("report.about_partner"), emoji="🤝"),
    Option(id="other", label=msg("report.about_other"), emoji="💬"),
)


async def partner_to_report(member: MemberRecord, store: Store) -> dict[str, Any]:
    """The member's current or latest tandem partner they were introduced to, whom the report
    may be about."""
    tandem = await store.tandems.latest_introduced_for(member.id)
    if tandem is None:
        return {}
    partner = await store.members.get(tandem.partner_of(member.id))
    if partner is None:
        return {}
    return {
        "partner_id": partner.id,
        "partner": partner.display_name or partner.platform_user_id,
        "tandem": tandem.id,
    }


def has_partner(context: FlowContext) -> bool:
    return "partner_id" in context.answers


def ask_about(context: FlowContext) -> Msg:
    return msg("report.ask_about", partner=user_text(context.answers["partner"]))


async def file_report(context: FlowContext) -> list[Msg | Intent]:
    answers = context.answers
    about = answers.get("partner_id") if answers.get("about") == "partner" else None
    reachable = context.organizers_reachable

    def posting(report_id: int, recent: int) -> list[Booking]:
        if not reachable or recent >= POSTED_PER_DAY:
            return []  # kept for the organizers' ``reports``
        return [
            Booking(
                kind=REPORT_TO_ORGANIZERS.name,
                key=f"report:{report_id}",
                due_at=context.now,
                # With the reporter: a report they delete (forget) is never posted.
                member_id=context.member.id,
                payload={"report": report_id},
            )
        ]

    report, recent = await context.store.reports.add(
        context.member,
        answers["what"],
        about_id=about,
        now=context.now,
        book=posting,
        recent_since=context.now - POST_WINDOW,
    )
    counselling = context.program.counselling
    pointer = (
        msg("report.counselling_contact", contact=counselling)
        if counselling
        else msg("report.counselling_default")
    )
    if not reachable:
        return [msg("report.thanks_kept", number=report.id, counselling=pointer)]
    if recent >= POSTED_PER_DAY:
        return [msg("report.thanks_held", number=report.id, counselling=pointer)]
    return [msg("report.thanks", number=report.id, counselling=pointer)]


REPORT = Flow(
    id="report",
    version=1,
    command="report",
    description=msg("command.report"),
    guard=may_ask_for_safety,
    prefill=partner_to_report,
    # Safety never waits for consent to a changed privacy notice (docs/privacy.md).
    exempt_from_gate=True,
    steps=(
        Step(
            "what",
            TextQuestion(
                prompt=msg("report.ask_what"),
                label=msg("report.what_label"),
                max_length=REPORT_LENGTH,
            ),
        ),
        Step("about", ChoiceQuestion(prompt=ask_about, options=ABOUT), when=has_partner),
    ),
    finish=file_report,
)


async def report_message(
    store: Store, report: ReportRecord, spell: Callable[[str], str]
) -> Msg | None:
    """The report as the organizers read it (with the numbers to act on), or None when its
    author is gone (``forget``: the report went with them)."""
    reporter = await store.members.get(report.reporter_id)
    if reporter is None:
        return None
    about = None if report.about_id is None else await store.members.get(report.about_id)
    if about is None:
        regarding: Msg | str = ""
    else:
        tandem = await store.tandems.latest_between(reporter.id, about.id)
        regarding = msg(
            "report.organizers_about",
            name=name_of(about),
            account=user_text(about.platform_user_id),
            tandem=tandem.id if tandem is not None else "–",
            end=spell("end"),
            remove=spell("remove"),
            number=report.id,
        )
    return msg(
        "report.to_organizers",
        number=report.id,
        reporter=name_of(reporter),
        account=user_text(reporter.platform_user_id),
        about=regarding,
        text=user_text(report.text),
    )


async def post_report(run: DueRun) -> list[Intent]:
    """The ``report_to_organizers`` due item: the report, in the organizers' place on the
    reporter's platform, in the bot's default language. Urgent: it is nobody's night."""
    report = await run.store.reports.get(run.item.community_id, int(run.item.payload["report"]))
    reporter = None if report is None else await run.store.members.get(report.reporter_id)
    if report is None or reporter is None:
        return []  # the reporter used forget meanwhile: the report went with them
    platform = reporter.platform
    text = await report_message(run.store, report, lambda name: run.spell(platform, name))
    if text is None:
        return []
    locale = run.settings.bot.default_locale
    return [Say(target=Place.organizers(platform), locale=locale, text=text, private=False)]


REPORT_TO_ORGANIZERS = DueKind("report_to_organizers", post_report, urgent=True)
