"""The no-obligation first call (the seed's "Kennenlerngespräch"): after it, each partner says
privately whether to go on.

::

    decide:  answer ──let's do it──▶ END ─▶ partner said yes too? ─▶ active (both told)
               └─────not a fit─▶ declined AT ONCE (partner told, both wait again)
                                  ─▶ reason (optional) ─▶ END ─▶ posted to the organizers

The bot asks by itself ``first_call_ask_days`` after the introduction, when the call could
have happened (``first_call_ask``, one due item per partner, started as a persisted
conversation so a restart never loses it; a member busy with another conversation is asked an
hour later instead of being interrupted); members can also answer with ``decide`` before.
``first_call_days`` after the introduction those who have not answered
get one gentle nudge (``first_call_nudge``), and ``lapse_days`` after that the introduction
lapses (``first_call_lapse``): both wait for the next round again. "Not a fit" ends it without
blame: both wait again and are never matched with each other again; what the partner is told,
and the closing of the pair space, are :mod:`flows.tandem_notices`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.due import DueKind, DueRun
from bot.flow import END, ChoiceQuestion, Flow, FlowContext, Invalid, Step, TextQuestion
from bot.intents import Intent, Say
from bot.messages import Msg, msg, user_text
from flows.agreement_notices import AGREEMENT_START
from flows.first_call_question import (
    ANSWERS,
    COMMAND,
    FLOW_ID,
    ask_prompt,
    close_open_question,
)
from flows.pair_view import dm_of, locale_of
from flows.tandem_notices import TANDEM_ACTIVE, TANDEM_ENDED, TELL_ORGANIZERS_REASON
from store import Store
from store.conversations import AppliedEvent
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus
from store.tandems import INTRODUCED, LAPSED, NO, Outcome, due_prefix

# A member in the middle of another conversation is asked this much later.
BUSY_RETRY = timedelta(hours=1)
REASON_LENGTH = 500


def ask_key(tandem_id: int, member_id: int) -> str:
    return f"{due_prefix(tandem_id)}ask:{member_id}"


def _partner_name(member: MemberRecord | None) -> str:
    if member is None:
        return ""
    return member.display_name or member.platform_user_id


async def tandem_to_answer(member: MemberRecord, store: Store) -> dict[str, Any]:
    """The tandem whose first call the member has not answered, and the partner's name; the
    start is refused when there is none (an active tandem, an answer given already)."""
    tandem = await store.tandems.awaiting_answer(member.id)
    if tandem is None:
        raise Invalid(msg("first_call.nothing_to_answer"))
    partner = await store.members.get(tandem.partner_of(member.id))
    return {"tandem": tandem.id, "partner": _partner_name(partner)}


def in_a_tandem(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    """Only a member in a tandem can have an introduction to answer (asked before anything is
    looked up or stored)."""
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("first_call.nothing_to_answer")


def after_answer(answer: Any, _context: FlowContext) -> str:
    return "reason" if answer == NO else END


def _book_outcome(tandem_id: int, by: int, now: datetime) -> Callable[[Outcome], list[Booking]]:
    """What an answer books with itself: the news for the partner (active or ended), and once
    active the start of the agreement."""

    def book(outcome: Outcome) -> list[Booking]:
        kind = TANDEM_ACTIVE if outcome == "active" else TANDEM_ENDED
        key = due_prefix(tandem_id) + ("active" if outcome == "active" else "ended")
        payload = {"tandem": tandem_id, "by": by}
        booked = [Booking(kind.name, key, now, payload=payload)]
        if outcome == "active":  # then each partner is asked for their part of the agreement
            start = due_prefix(tandem_id) + "agreement:start"
            booked.append(Booking(AGREEMENT_START.name, start, now, payload=payload))
        return booked

    return book


async def decline_at_once(answer: Any, context: FlowContext) -> None:
    """ "Not a fit" is final the moment it is picked: the tandem ends, the partner is told, both
    wait again. The reason asked next is an optional extra: cancelling or ignoring it loses
    nothing."""
    if answer != NO:
        return
    tandem_id, by = context.answers["tandem"], context.member.id
    await context.store.tandems.answer(
        tandem_id,
        by,
        NO,
        reason=None,
        now=context.now,
        book=_book_outcome(tandem_id, by, context.now),
    )


async def finish_first_call(context: FlowContext) -> list[Msg | Intent]:
    tandem_id = context.answers["tandem"]
    answer = context.answers["answer"]
    partner = user_text(context.answers.get("partner") or "")
    by = context.member.id
    if answer == NO:
        return await _finish_decline(context, tandem_id, partner)
    outcome, _tandem = await context.store.tandems.answer(
        tandem_id,
        by,
        answer,
        reason=None,
        now=context.now,
        book=_book_outcome(tandem_id, by, context.now),
    )
    if outcome == "closed":
        return [msg("first_call.closed")]
    if outcome == "active":
        return [msg("first_call.active", partner=partner)]
    return [msg("first_call.recorded", partner=partner)]


async def _finish_decline(
    context: FlowContext, tandem_id: int, partner: Msg | Any
) -> list[Msg | Intent]:
    """After "not a fit" (recorded when picked): the optional reason, kept for the organizers
    and posted to them (never to the partner)."""
    by = context.member.id
    tandem = await context.store.tandems.get(tandem_id)
    if tandem is None or by not in tandem.members or tandem.answer_of(by) != NO:
        return [msg("first_call.closed")]  # the introduction ended before they said it
    reason = context.answers.get("reason")
    if reason:
        tell = Booking(
            TELL_ORGANIZERS_REASON.name,
            due_prefix(tandem_id) + f"reason:{by}",
            context.now,
            payload={"tandem": tandem_id, "by": by},  # for the organizers: not in by's quiet hours
        )
        await context.store.tandems.add_reason(tandem_id, by, reason, now=context.now, book=[tell])
    return [msg("first_call.declined", partner=partner)]


FIRST_CALL = Flow(
    id=FLOW_ID,
    version=1,
    command=COMMAND,
    description=msg("command.decide"),
    guard=in_a_tandem,
    prefill=tandem_to_answer,
    # Answered after a call that may take a while to arrange; the introduction lapses first.
    timeout=timedelta(days=130),
    steps=(
        Step(
            "answer",
            ChoiceQuestion(prompt=ask_prompt, options=ANSWERS),
            next=after_answer,
            on_answer=decline_at_once,
        ),
        Step(
            "reason",
            TextQuestion(
                prompt=msg("first_call.ask_reason"),
                label=msg("first_call.reason_label"),
                optional=True,
                max_length=REASON_LENGTH,
            ),
        ),
    ),
    finish=finish_first_call,
)


# -- asking, nudging, lapsing ----------------------------------------------------------------


async def ask_unless_busy(run: DueRun, member: MemberRecord, tandem_id: int, cause: str) -> bool:
    """Ask the member the first-call question about ``tandem_id`` (started under ``cause``,
    exactly once); False when they are busy with another conversation (they are not
    interrupted), a first-call question about another tandem included."""
    active = await run.store.conversations.active_for(member.id)
    if (
        active is not None
        and active.flow_id == FLOW_ID
        and active.answers.get("tandem") != tandem_id
    ):
        other = await run.store.tandems.get(int(active.answers.get("tandem") or 0))
        if other is not None and other.state == INTRODUCED and other.answer_of(member.id) is None:
            return False  # still a question of its own: this one waits
        locale = locale_of(member, run.settings)
        retired = await close_open_question(run.store, member.id, locale, now=run.now)
        if retired is not None:  # a question left over from an ended introduction
            await run.send(retired, f"retire-{active.id}")
        return await _ask(run, member, cause)
    if active is not None and active.flow_id == FLOW_ID:
        started = await run.store.conversations.applied(
            member.community_id, AppliedEvent(platform=member.platform, event_id=cause)
        )
        if started is None or started.conversation_id != active.id:
            return True  # asked before (by the nudge, or they typed decide): it still stands
    elif active is not None and active.expires_at > run.now:
        return False
    return await _ask(run, member, cause)


async def _ask(run: DueRun, member: MemberRecord, cause: str) -> bool:
    assert run.start_flow is not None, "the due service was started without the flow engine"
    for index, intent in enumerate(await run.start_flow(FLOW_ID, member, cause)):
        await run.send(intent, f"question-{index}")
    return True


async def ask_first_call(run: DueRun) -> list[Intent]:
    """The ``first_call_ask`` due item: the question to one partner, ``first_call_ask_days``
    after the intro."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None or tandem.state != INTRODUCED:
        return []
    if tandem.answer_of(member.id) is not None:
        return []
    if not await ask_unless_busy(run, member, tandem.id, run.key("ask")):
        await run.store.due.schedule(
            community_id=tandem.community_id,
            kind=ASK_FIRST_CALL.name,
            key=run.item.key,
            due_at=run.now + BUSY_RETRY,
            now=run.now,
            member_id=member.id,
            payload=run.item.payload,
        )
    return []


async def nudge_first_call(run: DueRun) -> list[Intent]:
    """The ``first_call_nudge`` due item: one gentle reminder to whoever has not answered, and
    the lapse booked ``lapse_days`` later."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    if tandem is None or tandem.state != INTRODUCED:
        return []
    program = run.settings.program_for(tandem.community_id)
    await run.store.due.schedule(
        community_id=tandem.community_id,
        kind=LAPSE_FIRST_CALL.name,
        key=due_prefix(tandem.id) + "lapse",
        due_at=run.now + timedelta(days=program.matching.lapse_days),
        now=run.now,
        payload={"tandem": tandem.id},
    )
    for member_id in tandem.members:
        member = await run.store.members.get(member_id)
        if member is None or tandem.answer_of(member_id) is not None:
            continue
        partner = await run.store.members.get(tandem.partner_of(member_id))
        text = msg(
            "first_call.nudge",
            partner=user_text(_partner_name(partner)),
            count=program.matching.lapse_days,
            decide=run.spell(member.platform, COMMAND),
        )
        locale = locale_of(member, run.settings)
        await run.send(Say(target=dm_of(member), locale=locale, text=text), f"nudge-{member_id}")
        await ask_unless_busy(run, member, tandem.id, run.key(f"ask-{member_id}"))
    return []


async def lapse_first_call(run: DueRun) -> list[Intent]:
    """The ``first_call_lapse`` due item: nobody answered (or only one did): the introduction
    lapses, both wait again; :data:`~flows.tandem_notices.TANDEM_ENDED` tells them."""
    tandem_id = int(run.item.payload["tandem"])
    await run.store.tandems.end(
        tandem_id,
        state=LAPSED,
        reason="lapsed",
        now=run.now,
        from_states=(INTRODUCED,),
        book=[
            Booking(
                TANDEM_ENDED.name,
                due_prefix(tandem_id) + "ended",
                run.now,
                payload={"tandem": tandem_id},
            )
        ],
        running_key=run.item.key,
    )
    return []


ASK_FIRST_CALL = DueKind("first_call_ask", ask_first_call, urgent=True)
NUDGE_FIRST_CALL = DueKind("first_call_nudge", nudge_first_call)
LAPSE_FIRST_CALL = DueKind("first_call_lapse", lapse_first_call)
