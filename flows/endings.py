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
farewell in the pair space and closes it, taking out whoever is gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
from flows.pair_view import dm_of, locale_of, name_of, ref_of
from flows.reflection_notices import FLOW_ID as REFLECT_FLOW
from store import Store
from store.due_items import Booking
from store.members import MemberRecord
from store.tandems import ENDED, TandemRecord

Reason = Literal["rematch", "left", "removed", "forgotten", "organizer"]
#: Endings after which the one who caused them is no longer in the space.
GONE: frozenset[str] = frozenset({"left", "removed", "forgotten"})


#: The conversations about a tandem (its first call, its agreement, its milestones and
#: reflections): they end with it.
TANDEM_TALK = (FIRST_CALL_FLOW, AGREEMENT_FLOW, MILESTONE_FLOW, REFLECT_FLOW)


async def close_tandem_talk(store: Store, member_id: int, now: datetime) -> None:
    """End the member's conversations about their tandem, running or on hold, so that none is
    taken up again for a tandem that has ended."""
    await store.conversations.cancel_flows(member_id, TANDEM_TALK, now=now)


def ending_key(tandem_id: int) -> str:
    # Not under the tandem's own prefix: ending the tandem cancels what is pending there.
    return f"ending:{tandem_id}"


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
    is first in line next round. ``close_space=False`` when the caller closes the space itself
    (``forget`` closes it before the member's data goes). The ended tandem, or None if it had
    ended already (then nothing is booked)."""
    told = [member_id for member_id in tandem.members if member_id != by]
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
            "tell": told,
        },
    )
    ended = await store.tandems.end(
        tandem.id, state=ENDED, reason=reason, now=now, book=[booking], first_in_line=told
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
    tandem ended, without a name or details, and is first in line."""
    member, store = context.member, context.store
    tandem = await store.tandems.current_for(member.id)
    if tandem is None:
        return
    ended = await end_tandem(
        store, tandem, reason="forgotten", by=member.id, now=context.now, close_space=False
    )
    if ended is None or tandem.space is None:
        return
    partner = await store.members.get(tandem.partner_of(member.id))
    locale = (
        context.locale
        if partner is None
        else choose_locale(partner.locale, partner.platform_locale, context.locale)
    )
    close = ClosePairSpace(
        target=Place.model_validate(tandem.space),
        locale=locale,
        private=False,
        farewell=msg("ending.space_farewell"),
        removed=(ref_of(member),),
    )
    await context.send(close)


def _told_text(reason: str, other: MemberRecord | None) -> Msg:
    if other is None:
        return msg("ending.partner_gone")
    if reason in GONE:
        return msg("ending.partner_left", partner=name_of(other))
    if reason == "organizer":
        return msg("ending.by_organizers", partner=name_of(other))
    return msg("ending.partner_ended", partner=name_of(other))


async def tell_ending(run: DueRun) -> list[Intent]:
    """The ``tandem_ending`` due item (see the module)."""
    payload = run.item.payload
    reason = str(payload["reason"])
    by = payload.get("by")
    members = {
        member_id: await run.store.members.get(member_id) for member_id in payload["members"]
    }
    told: list[MemberRecord] = []
    for member_id in payload["tell"]:
        member = members.get(member_id)
        if member is None:
            continue  # gone meanwhile (forget): nobody to tell
        told.append(member)
        locale = locale_of(member, run.settings)
        retired = await close_open_question(run.store, member.id, locale, now=run.now)
        if retired is not None:
            await run.send(retired, f"retire-{member.id}")
        await close_tandem_talk(run.store, member.id, run.now)
        other_id = next((m for m in payload["members"] if m != member_id), None)
        other = None if reason == "forgotten" or other_id is None else members.get(other_id)
        text = _told_text(reason, other)
        await run.send(Say(target=dm_of(member), locale=locale, text=text), f"dm-{member.id}")
    if run.item.target is not None:
        space = Place.model_validate(run.item.target)
        gone = members.get(by) if by is not None and reason in GONE else None
        locale = locale_of(told[0], run.settings) if told else run.settings.bot.default_locale
        close = ClosePairSpace(
            target=space,
            locale=locale,
            private=False,
            farewell=msg("ending.space_farewell"),
            removed=() if gone is None else (ref_of(gone),),
        )
        await run.send(close, "close")
    return []


TANDEM_ENDING = DueKind("tandem_ending", tell_ending, urgent=True)
