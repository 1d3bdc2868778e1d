"""Consent to a changed privacy notice: ``consent``, and the gate that asks for it.

::

    consent ──agree──▶ END (the new notice version recorded; "please repeat what you asked")
       └────decline──▶ END (the same as ``leave``: status left, purged after the retention period)

When an organizer raises ``privacy_notice_version``, every member who joined under an older
notice is asked this before anything else at their next interaction (:data:`GATE`): their
command or answer is not carried out, and after agreeing they are asked to give it again (a
running conversation it replaced is not resumed: it is rare, short, and repeating it is
clearer than continuing something the member no longer sees). Data-rights commands (``mydata``,
``forget``) are exempt: nobody has to consent to get or delete their data. Members can also run
``consent`` themselves to read the notice again or withdraw their consent.
"""

from __future__ import annotations

from bot.config import ProgramSettings
from bot.flow import ChoiceQuestion, Flow, FlowContext, Gate, Step
from bot.messages import Msg, msg
from flows.join import privacy_notice
from flows.membership import leave_now
from flows.profile import must_have_joined
from flows.questionnaire import CONSENT
from store.members import MemberRecord


def needs_new_consent(member: MemberRecord, program: ProgramSettings) -> bool:
    """A member who joined, whose latest consent is to another notice than the current one.

    Someone still answering the join questions is not asked: they consented in this join, and
    are asked at their next interaction after it if the notice changed meanwhile.
    """
    return member.joined and member.consented_version != program.privacy_notice_version


def why_asked(context: FlowContext) -> Msg:
    if needs_new_consent(context.member, context.program):
        version = context.program.privacy_notice_version
        return msg("consent.changed", version=version, leave=context.spell("leave"))
    return msg("consent.again", leave=context.spell("leave"))


async def finish_consent(context: FlowContext) -> list[Msg]:
    if context.answers["consent"] == "agree":
        version = context.program.privacy_notice_version
        if context.member.consented_version != version:
            await context.store.members.record_consent(context.member, version, now=context.now)
        return [msg("consent.recorded", help=context.spell("help"))]
    return await leave_now(context)


CONSENT_FLOW = Flow(
    id="consent",
    version=1,
    command="consent",
    description=msg("command.consent"),
    guard=must_have_joined,
    steps=(
        Step(
            "consent",
            ChoiceQuestion(prompt=privacy_notice, options=CONSENT),
            before=why_asked,
        ),
    ),
    finish=finish_consent,
)

GATE = Gate(flow=CONSENT_FLOW, due=needs_new_consent)
