"""The agreement waits while its tandem is paused, and goes on when the tandem does.

A paused tandem asks nothing about its agreement: when it pauses, the partners' agreement
conversations end (running or on hold, so none is taken up again after the next command), and
the bot's own asks find the tandem not active and do nothing. When it goes on (``resume``, or
the pause's date), each partner is asked again for what is still open: their part, their
confirmation of the merged agreement, their decision on a change the other proposed
(:func:`flows.agreement_notices.ask_booking`, the same items the journey books).
"""

from __future__ import annotations

from datetime import datetime

from flows.agreement_notices import FLOW_ID, ask_booking
from store import Store
from store.agreements import DRAFTING, PROPOSED
from store.due_items import Booking
from store.tandems import TandemRecord


async def hold_agreement(store: Store, tandem: TandemRecord, now: datetime) -> None:
    """The tandem paused: the partners' agreement conversations end."""
    for member_id in tandem.members:
        await store.conversations.cancel_flows(member_id, (FLOW_ID,), now=now)


async def asks_to_resume(store: Store, tandem: TandemRecord, now: datetime) -> list[Booking]:
    """What each partner is asked again when the tandem goes on."""
    agreement = await store.agreements.for_tandem(tandem.id)
    if agreement is None:
        return []  # not started yet: the journey asks when it starts
    pending = await store.agreements.pending_change(agreement.id)
    asks = []
    for member_id in tandem.members:
        if agreement.state == DRAFTING and agreement.part_of(member_id) is None:
            asks.append(ask_booking(tandem.id, member_id, now, purpose="part"))
        elif agreement.state == PROPOSED and not agreement.confirmed_by(member_id):
            asks.append(
                ask_booking(tandem.id, member_id, now, purpose="confirm", version=agreement.version)
            )
        elif pending is not None and pending.proposed_by not in (None, member_id):
            asks.append(ask_booking(tandem.id, member_id, now, purpose="decide", change=pending.id))
    return asks


async def resume_agreement(store: Store, tandem: TandemRecord, now: datetime) -> None:
    """The tandem goes on: what is still open of its agreement is asked again."""
    for booking in await asks_to_resume(store, tandem, now):
        await store.due.schedule(
            community_id=tandem.community_id,
            kind=booking.kind,
            key=booking.key,
            due_at=booking.due_at,
            now=now,
            member_id=booking.member_id,
            payload=booking.payload,
        )
