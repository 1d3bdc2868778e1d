"""``rematch``: a member ends their tandem kindly, at any time, to be matched anew.

::

    rematch:  confirm ──end──▶ END (tandem ended; the partner is told kindly; both wait again,
                 │                   the partner first in line; the two are never matched again)
                 └────keep──▶ END (nothing changes)

The confirmation understands the everyday yes and no of both languages, like ``leave``. While
the introduction is still being sent there is nothing to end yet (and nobody to name): the
member hears that it is on its way. When both partners end the tandem at the same moment, the
one who comes second hears that it ended, and is not told again by the ending notice.

What the partner is told, and the closing of the pair space: :mod:`flows.endings`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answers import NO_WORDS, YES_WORDS
from bot.flow import ChoiceQuestion, Flow, FlowContext, Invalid, Step
from bot.intents import Option
from bot.messages import Msg, msg, user_text
from flows.endings import end_tandem, leave_untold
from store import Store
from store.members import MemberRecord, MemberStatus
from store.tandems import INTRODUCING

CHOICES = (
    Option(id="end", label=msg("rematch.confirm"), emoji="✅", words=(YES_WORDS,)),
    Option(id="keep", label=msg("rematch.keep"), emoji="❌", words=(NO_WORDS,)),
)


def in_a_tandem(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("rematch.no_tandem", status=spell("profile"))


async def current_partner(member: MemberRecord, store: Store) -> dict[str, Any]:
    """The member's tandem that has not ended, and the partner's name; refused at once while
    the introduction is still being sent (the member does not know whom yet)."""
    tandem = await store.tandems.current_for(member.id)
    if tandem is None:
        return {}
    if tandem.state == INTRODUCING:
        raise Invalid(msg("rematch.introducing"))
    partner = await store.members.get(tandem.partner_of(member.id))
    name = "" if partner is None else partner.display_name or partner.platform_user_id
    return {"tandem": tandem.id, "partner": name}


def ask_to_confirm(context: FlowContext) -> Msg:
    return msg("rematch.ask", partner=user_text(context.answers.get("partner") or ""))


async def finish_rematch(context: FlowContext) -> list[Msg]:
    if context.answers["confirm"] != "end":
        return [msg("rematch.kept")]
    tandem_id = context.answers.get("tandem")
    tandem = None if tandem_id is None else await context.store.tandems.get(int(tandem_id))
    if tandem is None or context.member.id not in tandem.members:
        return [msg("rematch.no_tandem", status=context.spell("profile"))]
    ended = await end_tandem(
        context.store, tandem, reason="rematch", by=context.member.id, now=context.now
    )
    partner = user_text(context.answers.get("partner") or "")
    if ended is not None:
        return [msg("rematch.done", partner=partner)]
    now = await context.store.tandems.get(tandem.id)
    if (
        now is not None
        and now.end_reason == "rematch"
        and await leave_untold(context.store, now, context.member.id, context.now)
    ):
        # The partner ended it a moment before: this answer is the member's ending notice.
        return [msg("rematch.done_both", partner=partner)]
    return [msg("rematch.already_ended")]


REMATCH = Flow(
    id="rematch",
    version=1,
    command="rematch",
    description=msg("command.rematch"),
    guard=in_a_tandem,
    prefill=current_partner,
    steps=(Step("confirm", ChoiceQuestion(prompt=ask_to_confirm, options=CHOICES)),),
    finish=finish_rematch,
)
