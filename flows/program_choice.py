"""How each partner goes on after a program round, and what the bot does with both answers.

::

    program_end (the bot asks, in the DM):  continue together | finish | be matched anew
       ─▶ END (the answer recorded; both in: acted on at once)

* both "continue": the tandem stays and its next round begins now (its reflections booked
  anew, the round counted); both are told;
* otherwise the tandem ends (``completed``; the two are never matched again) and each is told
  what became of them: "finish" → ``alumni`` (never matched; ``join`` brings them back to
  waiting for a later program), "be matched anew" → waiting. A partner who wanted to continue
  while the other did not is matched anew (told kindly; ``pause`` if they would rather
  rest). A partner who never answered is taken as "finish" (``alumni``): nobody unresponsive
  is handed to a new partner.

The question is asked at the completion (``program_choice_ask``, when the member is free),
asked again once after :data:`flows.program_end.REMIND_AFTER` while unanswered
(``program_choice_remind``), and after :data:`flows.program_end.DECIDE_AFTER` the bot acts on
what it has (``program_choice_default``). The choice is not a command of its own: it is an
answer inside this conversation, which only the bot starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.config import ProgramSettings
from bot.due import DueKind, DueRun
from bot.flow import ChoiceQuestion, Flow, FlowContext, Invalid, Step
from bot.intents import Intent, Option, Say
from bot.messages import Msg, msg, user_text
from flows.bot_asks import start_when_free
from flows.endings import TANDEM_ENDING, close_tandem_talk, ending_key
from flows.pair_view import dm_of, locale_of, name_of
from flows.program_end import ASK_KIND, DECIDE_AFTER, DEFAULT_KIND, FLOW_ID, REMIND_KIND
from flows.reflection_notices import reflection_bookings
from store import Store
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus
from store.program_ends import (
    ANEW,
    COMPLETED,
    CONTINUE,
    CONTINUED,
    ENDED_OUTCOME,
    FINISH,
    ProgramEndRecord,
)
from store.tandems import ACTIVE, PAUSED

CHOICES = (
    Option(id=CONTINUE, label=msg("program_end.choice.continue"), emoji="🔁"),
    Option(id=FINISH, label=msg("program_end.choice.finish"), emoji="🎓"),
    Option(id=ANEW, label=msg("program_end.choice.anew"), emoji="🔀"),
)
OUTCOME_KIND = "program_outcome"


async def open_choice(member: MemberRecord, store: Store) -> dict[str, Any]:
    """The member's tandem whose round ended and waits for their choice; refused otherwise."""
    tandem = await store.tandems.current_for(member.id)
    if tandem is None or tandem.state not in (ACTIVE, PAUSED):
        raise Invalid(msg("program_end.none"))
    record = await store.program_ends.get(tandem.id, tandem.program_round)
    if record is None or record.decided_at is not None:
        raise Invalid(msg("program_end.none"))
    if record.choice_of(member.id) is not None:
        raise Invalid(msg("program_end.answered"))
    partner = await store.members.get(tandem.partner_of(member.id))
    name = "" if partner is None else partner.display_name or partner.platform_user_id
    return {"tandem": tandem.id, "round": tandem.program_round, "partner": name}


def ask(context: FlowContext) -> Msg:
    return msg("program_end.ask", partner=user_text(context.answers["partner"]))


def final_choices(record: ProgramEndRecord) -> dict[int, str]:
    """What becomes of each partner when not both continue: "continue" turns into "anew",
    no answer into "finish"."""
    decided = {}
    for member_id in (record.member_a, record.member_b):
        chosen = record.choice_of(member_id)
        decided[member_id] = ANEW if chosen == CONTINUE else (chosen or FINISH)
    return decided


def _outcome_booking(
    record: ProgramEndRecord, member_id: int, became: str, now: datetime
) -> Booking:
    """Telling the member what became of them: ``continued``, ``finish`` or ``anew``."""
    partner_id = record.member_b if member_id == record.member_a else record.member_a
    return Booking(
        OUTCOME_KIND,
        # Not under the tandem's prefix: an ending cancels what is pending there.
        f"program_outcome:{record.tandem_id}:{record.round}:{member_id}",
        now,
        member_id=member_id,
        payload={
            "tandem": record.tandem_id,
            "round": record.round,
            "partner": partner_id,
            "became": became,
            "chose": record.choice_of(member_id),
            "partner_answered": record.choice_of(partner_id) is not None,
        },
    )


async def act(
    store: Store,
    record: ProgramEndRecord,
    program: ProgramSettings,
    now: datetime,
    *,
    running_key: str | None = None,
) -> bool:
    """Act on the round's answers (see the module), once; False if it was acted on before."""
    tandem = await store.tandems.get(record.tandem_id)
    if tandem is None:
        return False
    if record.choice_a == CONTINUE and record.choice_b == CONTINUE:
        told = [_outcome_booking(record, m, CONTINUED, now) for m in tandem.members]
        bookings = reflection_bookings(tandem.id, now, program, now, round_=record.round + 1)
        return await store.program_ends.decide(
            tandem.id,
            record.round,
            outcome=CONTINUED,
            seen=(record.choice_a, record.choice_b),
            now=now,
            book=[*told, *bookings],
        )
    decided = final_choices(record)
    told = [_outcome_booking(record, m, choice, now) for m, choice in decided.items()]
    closing = Booking(
        TANDEM_ENDING.name,
        ending_key(tandem.id),
        now,
        target=tandem.space,
        payload={
            "tandem": tandem.id,
            "reason": COMPLETED,
            "by": None,
            "members": list(tandem.members),
            "tell": [],  # each is told by their own outcome
            "silent": False,
        },
    )
    return await store.program_ends.decide(
        tandem.id,
        record.round,
        outcome=ENDED_OUTCOME,
        seen=(record.choice_a, record.choice_b),
        now=now,
        alumni=[member_id for member_id, choice in decided.items() if choice == FINISH],
        book=[*told, closing],
        running_key=running_key,
    )


async def finish_choice(context: FlowContext) -> list[Msg]:
    answers, store = context.answers, context.store
    tandem_id, round_ = int(answers["tandem"]), int(answers["round"])
    recorded, record = await store.program_ends.answer(
        tandem_id, round_, context.member.id, str(answers["choice"]), now=context.now
    )
    if not recorded or record is None:
        return [msg("program_end.closed")]
    if record.both_answered:
        await act(store, record, context.program, context.now)
        return [msg("program_end.saved_both")]
    return [msg("program_end.saved_wait", partner=user_text(answers["partner"]))]


PROGRAM_END = Flow(
    id=FLOW_ID,
    version=1,
    command="program-end",
    description=msg("program_end.command"),
    prefill=open_choice,
    timeout=DECIDE_AFTER + timedelta(days=1),
    steps=(Step("choice", ChoiceQuestion(prompt=ask, options=CHOICES)),),
    finish=finish_choice,
    asked_only=True,
)


async def _waiting_for(run: DueRun) -> tuple[ProgramEndRecord, MemberRecord] | None:
    """The round's record and the item's member, while the member's answer is still open."""
    tandem_id, round_ = int(run.item.payload["tandem"]), int(run.item.payload["round"])
    record = await run.store.program_ends.get(tandem_id, round_)
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if record is None or member is None or record.decided_at is not None:
        return None
    if record.choice_of(member.id) is not None:
        return None
    return record, member


async def ask_choice(run: DueRun) -> list[Intent]:
    """``program_choice_ask``: the question, when the member is free."""
    if (waiting := await _waiting_for(run)) is not None:
        await start_when_free(run, FLOW_ID, waiting[1])
    return []


async def remind(run: DueRun) -> list[Intent]:
    """``program_choice_remind``: once, while unanswered: a reminder beside the open question,
    or the question again if it is not open any more."""
    if (waiting := await _waiting_for(run)) is None:
        return []
    record, member = waiting
    active = await run.store.conversations.active_for(member.id)
    if active is not None and active.flow_id == FLOW_ID:
        partner = await run.store.members.get(
            record.member_b if member.id == record.member_a else record.member_a
        )
        text = msg("program_end.reminder", partner="" if partner is None else name_of(partner))
        await run.send(
            Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text), "reminder"
        )
        return []
    await start_when_free(run, FLOW_ID, member)
    return []


async def decide_by_default(run: DueRun) -> list[Intent]:
    """``program_choice_default``: the bot acts on the answers it has (see the module)."""
    tandem_id, round_ = int(run.item.payload["tandem"]), int(run.item.payload["round"])
    for _ in range(3):  # again if an answer came in while deciding
        record = await run.store.program_ends.get(tandem_id, round_)
        if record is None or record.decided_at is not None:
            return []
        program = run.settings.program_for(record.community_id)
        if await act(run.store, record, program, run.now, running_key=run.item.key):
            return []
    return []


def _names_partner(payload: dict[str, Any]) -> bool:
    """Whether the outcome's text is about the partner: going on together, or going on
    without them though the member wanted to continue."""
    return payload["became"] == CONTINUED or payload.get("chose") == CONTINUE


def _outcome_text(run: DueRun, member: MemberRecord, partner: MemberRecord | None) -> Msg:
    payload = run.item.payload
    program = run.settings.program_for(member.community_id)
    platform = member.platform
    name = "" if partner is None else name_of(partner)
    became, chose = payload["became"], payload.get("chose")
    if became == CONTINUED:
        return msg(
            "program_end.outcome.continued",
            count=program.length_weeks,
            partner=name,
            weeks=program.length_weeks,
            agreement=run.spell(platform, "agreement"),
        )
    if became == FINISH:
        key = "program_end.outcome.alumni" if chose else "program_end.outcome.alumni_unanswered"
        return msg(key, join=run.spell(platform, "join"), forget=run.spell(platform, "forget"))
    status = run.spell(platform, "status")
    if chose == CONTINUE:
        key = (
            "program_end.outcome.anew_after_continue"
            if payload.get("partner_answered")
            else "program_end.outcome.anew_no_answer"
        )
        return msg(key, partner=name, status=status, pause=run.spell(platform, "pause"))
    return msg("program_end.outcome.anew", status=status)


async def tell_outcome(run: DueRun) -> list[Intent]:
    """``program_outcome``: what became of the member, in their DM; their conversations about
    an ended tandem end."""
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if member is None or member.status == MemberStatus.LEFT:
        return []
    partner_id = run.item.payload["partner"]
    partner = None if partner_id is None else await run.store.members.get(int(partner_id))
    if run.item.payload["became"] != CONTINUED:
        await close_tandem_talk(run.store, member.id, run.now)
    if partner is None and _names_partner(run.item.payload):
        # The partner was forgotten since the decision (the tandem went with them): the
        # member waits again, first in line, and hears so, without a name.
        await close_tandem_talk(run.store, member.id, run.now)
        text = msg("ending.partner_gone", next=msg("ending.next_first"))
    else:
        text = _outcome_text(run, member, partner)
    return [Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text)]


PROGRAM_CHOICE_ASK = DueKind(ASK_KIND, ask_choice)
PROGRAM_CHOICE_REMIND = DueKind(REMIND_KIND, remind)
PROGRAM_CHOICE_DEFAULT = DueKind(DEFAULT_KIND, decide_by_default, urgent=True)
PROGRAM_OUTCOME = DueKind(OUTCOME_KIND, tell_outcome, urgent=True)
PROGRAM_KINDS = (PROGRAM_CHOICE_ASK, PROGRAM_CHOICE_REMIND, PROGRAM_CHOICE_DEFAULT, PROGRAM_OUTCOME)
