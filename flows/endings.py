"""How a tandem ends when one partner or the organizers end it, and what the others are told.

Endings: ``rematch`` and ``block`` (one partner ends it), ``leave``, leaving the community,
``forget`` and an organizer's ``remove`` (one partner is gone), an organizer's ``end`` (both
are told). A declined or lapsed introduction is :mod:`flows.tandem_notices`.

:func:`end_tandem` ends the tandem in the store (both members wait again, whoever did not end
it first in line for the next round, and the two are never matched again) and books, in the
same transaction, one ``tandem_ending`` due item. The item carries all it needs as ids (whom
to tell, who ended it, why) and the pair space as its target, so it does its work even when
the one who left is deleted by then: it tells each member kindly and without reasons (a block
is a rematch to the partner, so the blocked person learns nothing of it), says a neutral
farewell in the pair space, in each partner's language, and closes it for both (the adapters:
Matrix takes everyone out, Discord locks the thread).

A tandem still ``introducing`` (the round ran, the introduction was not sent yet) ends
silently: the other was never told whom they were matched with, so nobody is told anything;
they simply are not introduced and wait again, first in line. A partner who had paused the
tandem stays paused until their pause's date when the other ends it (member status
``paused``), and is told so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from bot.due import DueKind, DueRun
from bot.flow import FlowContext
from bot.i18n import choose_locale
from bot.intents import ClosePairSpace, Intent, Say
from bot.messages import Msg, msg
from bot.places import Place
from flows.agreement_notices import FLOW_ID as AGREEMENT_FLOW
from flows.celebration import FLOW_ID as MILESTONE_FLOW
from flows.first_call_question import FLOW_ID as FIRST_CALL_FLOW
from flows.first_call_question import close_open_question
from flows.meeting_notices import FLOW_ID as MEETING_FLOW
from flows.pair_view import dm_of, locale_of, name_of, ref_of
from flows.program_end import FLOW_ID as PROGRAM_END_FLOW
from flows.reflection_notices import FLOW_ID as REFLECT_FLOW
from flows.tandem_pause import member_pause_end, shown_date
from store import Store
from store.due_items import PENDING, Booking
from store.members import MemberRecord, MemberStatus
from store.tandems import ENDED, INTRODUCING, TandemRecord

Reason = Literal["rematch", "left", "removed", "forgotten", "organizer"]
# (A program that ends, "completed", is flows/program_choice.py: it books the closing here.)
#: Endings after which the one who caused them is no longer in the space.
GONE: frozenset[str] = frozenset({"left", "removed", "forgotten"})


#: The conversations about a tandem (its first call, its agreement, its meetings, its
#: milestones and reflections, how to go on after its program): they end with it.
TANDEM_TALK = (
    FIRST_CALL_FLOW,
    AGREEMENT_FLOW,
    MEETING_FLOW,
    MILESTONE_FLOW,
    REFLECT_FLOW,
    PROGRAM_END_FLOW,
)


async def close_tandem_talk(store: Store, member_id: int, now: datetime) -> None:
    """End the member's conversations about their tandem, running or on hold, so that none is
    taken up again for a tandem that has ended."""
    await store.conversations.cancel_flows(member_id, TANDEM_TALK, now=now)


def ending_key(tandem_id: int) -> str:
    # Not under the tandem's own prefix: ending the tandem cancels what is pending there.
    return f"ending:{tandem_id}"


async def leave_untold(store: Store, tandem: TandemRecord, member_id: int, now: datetime) -> bool:
    """Take the member out of those the tandem's ending notice will tell, if it has not run yet
    (they learnt of the ending another way, e.g. ending it themselves at the same moment).
    True if they will not be told."""
    pending = await store.due.get(tandem.community_id, ending_key(tandem.id))
    if pending is None or pending.state != PENDING or member_id not in pending.payload["tell"]:
        return False
    tell = [other for other in pending.payload["tell"] if other != member_id]
    await store.due.schedule(
        community_id=pending.community_id,
        kind=pending.kind,
        key=pending.key,
        due_at=pending.due_at,
        now=now,
        target=pending.target,
        payload={**pending.payload, "tell": tell},
    )
    return True


def _still_paused(tandem: TandemRecord) -> list[Booking]:
    """The end of the pause of the partner who had paused the tandem, now their own."""
    if tandem.paused_by is None or tandem.paused_until is None:
        return []
    return [member_pause_end(tandem.paused_by, tandem.paused_until)]


async def end_tandem(
    store: Store,
    tandem: TandemRecord,
    *,
    reason: Reason,
    by: int | None,
    now: datetime,
    close_space: bool = True,
) -> TandemRecord | None:
    """End ``tandem`` because of ``by`` (None: the organizers). Everyone but ``by`` is told and
    is first in line next round (nobody is told while the introduction was not sent: see the
    module). ``close_space=False`` when the caller closes the space itself (``forget`` closes
    it before the member's data goes). The ended tandem, or None if it had ended already (then
    nothing is booked)."""
    others = [member_id for member_id in tandem.members if member_id != by]
    silent = tandem.state == INTRODUCING
    booking = Booking(
        kind=TANDEM_ENDING.name,
        key=ending_key(tandem.id),
        due_at=now,
        target=tandem.space if close_space else None,
        payload={
            "tandem": tandem.id,
            "reason": reason,
            "by": by,
            "members": list(tandem.members),
            "tell": [] if silent else others,
            "silent": silent,
        },
    )
    ended = await store.tandems.end(
        tandem.id,
        state=ENDED,
        reason=reason,
        now=now,
        book=[booking],
        first_in_line=others,
        still_paused=_still_paused if by is None or tandem.paused_by != by else None,
    )
    if ended is not None and by is not None:
        await close_tandem_talk(store, by, now)  # the others': when they are told
    return ended


async def end_on_departure(
    store: Store, member: MemberRecord, *, reason: Reason, now: datetime
) -> TandemRecord | None:
    """The member leaves (``leave``, declining a new notice, leaving the community, removed by
    the organizers): their tandem, if any, ends and the partner is told."""
    tandem = await store.tandems.current_for(member.id)
    if tandem is None:
        return None
    return await end_tandem(store, tandem, reason=reason, by=member.id, now=now)


async def member_left_community(member: MemberRecord, store: Store, now: datetime) -> list[Intent]:
    """The kernel's hook for a member who left the Discord server or the Matrix room."""
    await end_on_departure(store, member, reason="left", now=now)
    return []


async def end_before_forgetting(context: FlowContext) -> None:
    """``forget`` ends the member's tandem before their data goes: the pair space is closed
    for the partner with a neutral farewell, and the member taken out of it, while the bot still
    knows who they are (sent at once, ahead of the deletion); the partner is then told that the
    tandem ended, without a name or details, and is first in line.

    A tandem that ended just before (``leave``, then ``forget``) whose notice has not run yet is
    closed now too, for the same reason: the notice could no longer name the member to take out
    of the space once they are deleted; the notice then only tells the partner."""
    member, store = context.member, context.store
    tandem = await store.tandems.current_for(member.id)
    if tandem is not None:
        ended = await end_tandem(
            store, tandem, reason="forgotten", by=member.id, now=context.now, close_space=False
        )
        if ended is None or tandem.space is None:
            return
        for intent in await _closing(store, tandem, (member,), context.locale):
            await context.send(intent)
        return
    latest = await store.tandems.latest_for(member.id)
    if latest is None or latest.space is None:
        return
    pending = await store.due.get(latest.community_id, ending_key(latest.id))
    if pending is None or pending.state != PENDING or pending.target is None:
        return
    await store.due.schedule(
        community_id=pending.community_id,
        kind=pending.kind,
        key=pending.key,
        due_at=pending.due_at,
        now=context.now,
        payload=pending.payload,
    )
    for intent in await _closing(store, latest, (member,), context.locale, pending.payload):
        await context.send(intent)


async def _closing(
    store: Store,
    tandem: TandemRecord,
    removed: tuple[MemberRecord, ...],
    fallback: str,
    payload: dict[str, Any] | None = None,
) -> list[Intent]:
    """What closes the tandem's space: the farewell in each partner's language (the last one
    with the closing itself), and who must lose the space at once. Silent (no farewell) for an
    introduction never sent."""
    gone = {member.id for member in removed}
    # Whoever stays reads the last farewell, with the closing itself.
    ids = sorted(tandem.members, key=lambda member_id: member_id not in gone)
    people = [await store.members.get(member_id) for member_id in ids]
    locales = list(
        dict.fromkeys(
            choose_locale(p.locale, p.platform_locale, fallback) for p in people if p is not None
        )
    ) or [fallback]
    silent = tandem.state == INTRODUCING or bool(payload and payload.get("silent"))
    return _close_intents(Place.model_validate(tandem.space), locales, removed, silent=silent)


def _close_intents(
    space: Place, locales: list[str], removed: tuple[MemberRecord, ...], *, silent: bool
) -> list[Intent]:
    farewell = None if silent else msg("ending.space_farewell")
    said: list[Intent] = []
    if farewell is not None:
        said = [
            Say(target=space, locale=locale, text=farewell, private=False)
            for locale in locales[:-1]
        ]
    close = ClosePairSpace(
        target=space,
        locale=locales[-1],
        private=False,
        farewell=farewell,
        removed=tuple(ref_of(member) for member in removed),
    )
    return [*said, close]


def _next_round(member: MemberRecord, locale: str, resume: str) -> Msg:
    """What comes next for a member whose tandem ended: first in line, or the pause they had
    chosen goes on."""
    if member.status == MemberStatus.PAUSED:
        if member.paused_until is None:
            return msg("ending.next_paused", resume=resume)
        return msg("ending.next_paused_until", date=shown_date(member.paused_until, member, locale))
    return msg("ending.next_first")


def _told_text(reason: str, other: MemberRecord | None, then: Msg) -> Msg:
    if other is None:
        return msg("ending.partner_gone", next=then)
    if reason in GONE:
        return msg("ending.partner_left", partner=name_of(other), next=then)
    if reason == "organizer":
        return msg("ending.by_organizers", partner=name_of(other), next=then)
    return msg("ending.partner_ended", partner=name_of(other), next=then)


async def tell_ending(run: DueRun) -> list[Intent]:
    """The ``tandem_ending`` due item (see the module)."""
    payload = run.item.payload
    reason = str(payload["reason"])
    by = payload.get("by")
    ids = [member_id for member_id in payload["members"] if member_id is not None]
    members = {member_id: await run.store.members.get(member_id) for member_id in ids}
    told: list[MemberRecord] = []
    for member_id in payload["tell"]:
        member = members.get(member_id)
        if member is None:
            continue  # gone meanwhile (forget): nobody to tell
        told.append(member)
        side = "ab"[payload["members"].index(member_id)]  # a part key naming no member id
        locale = locale_of(member, run.settings)
        retired = await close_open_question(run.store, member.id, locale, now=run.now)
        if retired is not None:
            await run.send(retired, f"retire-{side}")
        await close_tandem_talk(run.store, member.id, run.now)
        if member.status == MemberStatus.LEFT:
            continue  # taken out of the program meanwhile, and told so: no "first in line"
        other_id = next((m for m in payload["members"] if m != member_id), None)
        other = None if reason == "forgotten" or other_id is None else members.get(other_id)
        then = _next_round(member, locale, run.spell(member.platform, "resume"))
        text = _told_text(reason, other, then)
        await run.send(Say(target=dm_of(member), locale=locale, text=text), f"dm-{side}")
    if run.item.target is not None:
        space = Place.model_validate(run.item.target)
        gone = members.get(by) if by is not None and reason in GONE else None
        present = [member for member in members.values() if member is not None]
        # The one told reads the last farewell, with the closing itself.
        readers = [*(m for m in present if m not in told), *told]
        locales = list(dict.fromkeys(locale_of(member, run.settings) for member in readers)) or [
            run.settings.bot.default_locale
        ]
        intents = _close_intents(
            space, locales, () if gone is None else (gone,), silent=bool(payload.get("silent"))
        )
        for index, intent in enumerate(intents):
            part = "close" if isinstance(intent, ClosePairSpace) else f"farewell-{index}"
            await run.send(intent, part)
    return []


TANDEM_ENDING = DueKind("tandem_ending", tell_ending, urgent=True)
