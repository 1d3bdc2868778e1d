"""Quiet pairs: a tandem that stops answering check-ins and reflections is nudged kindly, then
each partner is asked whether to keep going, pause or end; nothing ends without telling both.

What "quiet" means is :mod:`store.quiet` (the definition ``admin stats`` counts too)::

    quiet_watch (every hour, bot-wide): each quiet active tandem without a spell under way
      └─▶ tandem:<id>:quiet  step nudge ─▶ both: the kind nudge (quiet_nudge, their morning)
            7 days, still quiet ─▶ step ask ─▶ both: the question in ``pause`` (quiet_ask,
                                                when they are free)
            7 more days, still quiet ─▶ step settle ─▶ the tandem pauses; both are told how
                                                to resume (quiet_paused)

Each step first asks the store whether the tandem is still quiet since the spell began (since
three weeks before it was found): a check-in answered, a reflection, a resume or "keep going"
ends the spell, and so does a pause or an ending (the tandem is no longer active). The spell's
item is under the tandem's prefix, so ending the tandem cancels it; the items of one step are
booked in one transaction with the next step, so a crash repeats a step whole or not at all.

The question is the first step of ``pause`` (no new command): "keep going" (a sign of life: not
quiet for another three weeks), "pause for a while" (the tandem pause of
:mod:`flows.tandem_pause`: until when, and the partner is told), "end our tandem" (the ending of
:mod:`flows.endings`: the partner is told kindly and is first in line). A member who types
``pause`` while they are being asked gets the same question.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.due import BOT_WIDE, DueKind, DueRun
from bot.flow import END, ChoiceQuestion, FlowContext, Step
from bot.intents import Intent, Option, Say
from bot.messages import Msg, msg, user_text
from flows.agreement_hold import hold_agreement
from flows.bot_asks import start_when_free
from flows.endings import end_tandem
from flows.pair_view import dm_of, locale_of, name_of
from flows.tandem_pause import tandem_to_pause
from store import Store
from store.due_items import CLAIMED, PENDING, Booking
from store.members import MemberRecord
from store.quiet import QUIET_AFTER
from store.tandems import ACTIVE, PAUSED, TandemRecord, due_prefix

#: How often the store is asked for quiet tandems (one query for all communities).
WATCH_EVERY = timedelta(hours=1)
#: From the nudge to the question, and from the question to the pause.
ASK_AFTER = timedelta(days=7)
SETTLE_AFTER = timedelta(days=7)

NUDGE, ASK, SETTLE = "nudge", "ask", "settle"
KEEP, PAUSE, END_TANDEM = "keep", "pause", "end"

ANSWERS = (
    Option(id=KEEP, label=msg("quiet.keep"), emoji="🌱"),
    Option(id=PAUSE, label=msg("quiet.pause"), emoji="⏸️"),
    Option(id=END_TANDEM, label=msg("quiet.end"), emoji="👋"),
)


def spell_key(tandem_id: int) -> str:
    return f"{due_prefix(tandem_id)}quiet"


def _member_key(tandem_id: int, what: str, member_id: int) -> str:
    return f"{spell_key(tandem_id)}:{what}:{member_id}"


def _since(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(payload["since"]))


# -- finding quiet pairs and the steps of a spell --------------------------------------------


async def watch(run: DueRun) -> list[Intent]:
    """The ``quiet_watch`` item: books its next run, then a spell for each quiet tandem that has
    none under way."""
    await run.store.due.schedule(
        community_id=BOT_WIDE,
        kind=QUIET_WATCH.name,
        key=QUIET_WATCH.name,
        due_at=run.now + WATCH_EVERY,
        now=run.now,
    )
    for community_id, tandem_id in await run.store.quiet.quiet(run.now):
        key = spell_key(tandem_id)
        under_way = await run.store.due.get(community_id, key)
        if under_way is not None and under_way.state in (PENDING, CLAIMED):
            continue
        payload = {"tandem": tandem_id, "step": NUDGE, "since": (run.now - QUIET_AFTER).isoformat()}
        await run.store.due.schedule(
            community_id=community_id,
            kind=QUIET_STEP.name,
            key=key,
            due_at=run.now,
            now=run.now,
            payload=payload,
        )
    return []


def _each(
    tandem: TandemRecord, kind: DueKind, what: str, payload: dict[str, Any], now: datetime
) -> list[Booking]:
    """One item of ``kind`` for each partner."""
    return [
        Booking(
            kind.name,
            _member_key(tandem.id, what, member_id),
            now,
            member_id=member_id,
            payload=payload,
        )
        for member_id in tandem.members
    ]


async def quiet_step(run: DueRun) -> list[Intent]:
    """The ``quiet_step`` item (``tandem:<id>:quiet``): one step of the spell (see the module)."""
    payload = dict(run.item.payload)
    tandem = await run.store.tandems.get(int(payload["tandem"]))
    if tandem is None or not await run.store.quiet.still_quiet(tandem.id, _since(payload)):
        return []  # the spell is over: they answered, reflected, paused, resumed or ended
    step, about = payload["step"], {"tandem": tandem.id, "since": payload["since"]}
    if step == SETTLE:
        told = _each(tandem, QUIET_PAUSED, "paused", about, run.now)
        if await run.store.tandems.pause(tandem.id, by=None, until=None, now=run.now, book=told):
            await hold_agreement(run.store, tandem, run.now)
        return []
    if step == NUDGE:
        following, after, kind = ASK, ASK_AFTER, QUIET_NUDGE
    else:
        following, after, kind = SETTLE, SETTLE_AFTER, QUIET_ASK
    again = Booking(
        QUIET_STEP.name, run.item.key, run.now + after, payload={**payload, "step": following}
    )
    await run.store.due.book(
        tandem.community_id, [again, *_each(tandem, kind, step, about, run.now)], now=run.now
    )
    return []


async def _spell_member(
    run: DueRun,
) -> tuple[TandemRecord, MemberRecord, MemberRecord | None] | None:
    """The tandem, the member and their partner of a per-member item, while the spell lasts."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None:
        return None
    if not await run.store.quiet.still_quiet(tandem.id, _since(run.item.payload)):
        return None
    return tandem, member, await run.store.members.get(tandem.partner_of(member.id))


async def nudge(run: DueRun) -> list[Intent]:
    """The ``quiet_nudge`` item: the kind nudge in the member's DM (in their morning)."""
    found = await _spell_member(run)
    if found is None:
        return []
    _tandem, member, partner = found
    spell = run.spell
    text = msg(
        "quiet.nudge",
        partner=name_of(partner) if partner is not None else "",
        pause=spell(member.platform, "pause"),
        meeting=spell(member.platform, "meeting"),
        reflect=spell(member.platform, "reflect"),
    )
    return [Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text)]


async def ask(run: DueRun) -> list[Intent]:
    """The ``quiet_ask`` item: the question (``pause``'s first step), when the member is free."""
    found = await _spell_member(run)
    if found is None or not await start_when_free(run, "pause", found[1]):
        return []
    # A member busy in another conversation is asked later: the week to answer counts from
    # when they were asked.
    tandem = found[0]
    spell = await run.store.due.get(tandem.community_id, spell_key(tandem.id))
    answer_by = run.now + SETTLE_AFTER
    if spell is not None and spell.state == PENDING and spell.due_at < answer_by:
        await run.store.due.schedule(
            community_id=tandem.community_id,
            kind=QUIET_STEP.name,
            key=spell.key,
            due_at=answer_by,
            now=run.now,
            payload=spell.payload,
        )
    return []


async def tell_paused(run: DueRun) -> list[Intent]:
    """The ``quiet_paused`` item: the tandem was paused because nobody answered; how to resume."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None or tandem.state != PAUSED or tandem.paused_by is not None:
        return []  # resumed, taken over by a partner's own pause, or ended meanwhile
    partner = await run.store.members.get(tandem.partner_of(member.id))
    text = msg(
        "quiet.paused",
        partner=name_of(partner) if partner is not None else "",
        resume=run.spell(member.platform, "resume"),
        rematch=run.spell(member.platform, "rematch"),
    )
    return [Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text)]


QUIET_WATCH = DueKind("quiet_watch", watch, urgent=True)
QUIET_STEP = DueKind("quiet_step", quiet_step, urgent=True)
QUIET_NUDGE = DueKind("quiet_nudge", nudge)
QUIET_ASK = DueKind("quiet_ask", ask)
QUIET_PAUSED = DueKind("quiet_paused", tell_paused)
QUIET_KINDS = (QUIET_WATCH, QUIET_STEP, QUIET_NUDGE, QUIET_ASK, QUIET_PAUSED)


async def schedule_quiet_watch(store: Store, now: datetime) -> None:
    """At start-up: the watch exists (due now if it never ran or was lost)."""
    await store.due.schedule_if_absent(
        community_id=BOT_WIDE, kind=QUIET_WATCH.name, key=QUIET_WATCH.name, due_at=now, now=now
    )


# -- the question, as the first step of ``pause`` ----------------------------------------------


async def being_asked(member: MemberRecord, store: Store) -> dict[str, Any]:
    """``pause``'s prefill: the refusals of :func:`flows.tandem_pause.tandem_to_pause`, and, while
    the member's tandem is being asked about its quiet spell, the tandem and the partner's name
    (then the question comes first)."""
    prefilled = await tandem_to_pause(member, store)
    tandem = await store.tandems.current_for(member.id)
    if tandem is None or tandem.state != ACTIVE:
        return prefilled
    spell = await store.due.get(tandem.community_id, spell_key(tandem.id))
    if spell is None or spell.state not in (PENDING, CLAIMED) or spell.payload["step"] != SETTLE:
        return prefilled
    if not await store.quiet.still_quiet(tandem.id, _since(spell.payload)):
        return prefilled
    partner = await store.members.get(tandem.partner_of(member.id))
    name = "" if partner is None else partner.display_name or partner.platform_user_id
    return {**prefilled, "quiet_tandem": tandem.id, "partner": name}


def _ask_prompt(context: FlowContext) -> Msg:
    return msg("quiet.ask", partner=user_text(context.answers.get("partner") or ""))


def _after_answer(answer: Any, _context: FlowContext) -> str:
    return "until" if answer == PAUSE else END


QUESTION = Step("quiet", ChoiceQuestion(prompt=_ask_prompt, options=ANSWERS), next=_after_answer)


def begin_at(answers: Mapping[str, Any]) -> str:
    """``pause`` begins with the question only while the member is being asked it."""
    return "quiet" if "quiet_tandem" in answers else "until"


def answered_keep_or_end(context: FlowContext) -> bool:
    return context.answers.get("quiet") in (KEEP, END_TANDEM)


async def finish_answer(context: FlowContext) -> list[Msg | Intent]:
    """ "Keep going" or "end our tandem" ("pause for a while" is ``pause``'s own finish)."""
    store, member = context.store, context.member
    tandem = await store.tandems.get(int(context.answers["quiet_tandem"]))
    partner = user_text(context.answers.get("partner") or "")
    gone = msg("quiet.gone", status=context.spell("status"))
    if tandem is None or member.id not in tandem.members:
        return [gone]
    if context.answers["quiet"] == KEEP:
        if not await store.tandems.keep_going(tandem.id, now=context.now):
            return [gone]
        return [msg("quiet.kept", meeting=context.spell("meeting"))]
    ended = await end_tandem(store, tandem, reason="rematch", by=member.id, now=context.now)
    if ended is None:
        return [gone]
    return [msg("rematch.done", partner=partner)]
