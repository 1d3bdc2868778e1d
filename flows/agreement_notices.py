"""What the bot does by itself around the agreement: asks each partner (their part, to
confirm, to decide on a change) and tells the pair space and the partners what came of it.

Four due kinds, each booked in the same transaction as the change that calls for it:

* ``agreement_start`` (booked when the tandem becomes active): one ``agreement_ask`` per
  partner for their part.
* ``agreement_ask``: starts the ``agreement`` conversation in the member's DM (exactly once
  per item, as a persisted conversation), if what it was booked for is still open; a member
  busy in another conversation is asked an hour later, never interrupted.
* ``agreement_merged`` (both parts are in): the agreement in the pair space, in each
  partner's language with each one's meeting time in their own zone, and a request to confirm
  to each.
* ``agreement_notice``: agreed by both, a change accepted (the new version in the space) or
  declined (the proposer is told).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.due import DueKind, DueRun
from bot.intents import Intent, Say
from bot.messages import Msg, msg
from bot.places import Place
from flows.agreement_view import agreement_text
from flows.bot_asks import start_when_free
from flows.pair_view import dm_of, locale_of, name_of
from store.agreements import DRAFTING, PROPOSED
from store.due_items import Booking
from store.members import MemberRecord
from store.tandems import ACTIVE, TandemRecord, due_prefix

FLOW_ID = "agreement"
COMMAND = "agreement"
CALENDAR = "calendar"


def ask_booking(
    tandem_id: int, member_id: int, now: datetime, *, purpose: str, **payload: Any
) -> Booking:
    """An ``agreement_ask`` for one member: ``purpose`` "part", "confirm" (with ``version``)
    or "decide" (with ``change``)."""
    detail = "".join(f":{value}" for value in payload.values())
    return Booking(
        AGREEMENT_ASK.name,
        due_prefix(tandem_id) + f"agreement:ask:{member_id}:{purpose}{detail}",
        now,
        member_id=member_id,
        payload={"tandem": tandem_id, "purpose": purpose, **payload},
    )


async def _members(run: DueRun, tandem: TandemRecord) -> list[MemberRecord]:
    found = [await run.store.members.get(member_id) for member_id in tandem.members]
    return [member for member in found if member is not None]


async def _active_tandem(run: DueRun) -> TandemRecord | None:
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    return tandem if tandem is not None and tandem.state == ACTIVE else None


async def _book(run: DueRun, tandem: TandemRecord, booking: Booking) -> None:
    await run.store.due.schedule(
        community_id=tandem.community_id,
        kind=booking.kind,
        key=booking.key,
        due_at=booking.due_at,
        now=run.now,
        member_id=booking.member_id,
        payload=booking.payload,
    )


async def start_agreement(run: DueRun) -> list[Intent]:
    """The ``agreement_start`` due item: each partner is asked for their part."""
    tandem = await _active_tandem(run)
    if tandem is None:
        return []
    for member_id in tandem.members:
        await _book(run, tandem, ask_booking(tandem.id, member_id, run.now, purpose="part"))
    return []


async def _still_open(run: DueRun, tandem: TandemRecord, member: MemberRecord) -> bool:
    """Whether what the item was booked for still waits for this member."""
    payload = run.item.payload
    agreement = await run.store.agreements.for_tandem(tandem.id)
    purpose = payload["purpose"]
    if purpose == "part":
        return agreement is None or (
            agreement.state == DRAFTING and agreement.part_of(member.id) is None
        )
    if agreement is None:
        return False
    if purpose == "confirm":
        return (
            agreement.state == PROPOSED
            and agreement.version == payload["version"]
            and not agreement.confirmed_by(member.id)
        )
    pending = await run.store.agreements.pending_change(agreement.id)
    return pending is not None and pending.id == payload["change"]


async def ask_for_agreement(run: DueRun) -> list[Intent]:
    """The ``agreement_ask`` due item (see the module)."""
    tandem = await _active_tandem(run)
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None or not await _still_open(run, tandem, member):
        return []
    await start_when_free(run, FLOW_ID, member)
    return []


async def to_space(
    run: DueRun, tandem: TandemRecord, members: list[MemberRecord], text: Any, part: str
) -> None:
    """Say ``text`` (a Msg, or a function of the locale giving one) in the pair space, once in
    each language of the two."""
    if tandem.space is None:
        return
    space = Place.model_validate(tandem.space)
    for locale in dict.fromkeys(locale_of(member, run.settings) for member in members):
        said = text(locale) if callable(text) else text
        await run.send(
            Say(target=space, locale=locale, text=said, private=False), f"{part}-{locale}"
        )


def _calendar_offer(run: DueRun, member: MemberRecord, message_id: str) -> Msg:
    """Where the member gets their meetings as a calendar file (``calendar``)."""
    return msg(message_id, calendar=run.spell(member.platform, CALENDAR))


async def _dm(run: DueRun, member: MemberRecord, text: Msg, part: str) -> None:
    locale = locale_of(member, run.settings)
    await run.send(Say(target=dm_of(member), locale=locale, text=text), part)


async def show_merged(run: DueRun) -> list[Intent]:
    """The ``agreement_merged`` due item (see the module)."""
    tandem = await _active_tandem(run)
    agreement = None if tandem is None else await run.store.agreements.for_tandem(tandem.id)
    if tandem is None or agreement is None or agreement.terms is None:
        return []
    members = await _members(run, tandem)
    terms, version = agreement.terms, agreement.version
    by = next((m for m in members if m.id == terms["rhythm_by"]), None)

    def text(locale: str) -> Msg:
        shown = agreement_text(terms, version, members, locale, run.now)
        if terms.get("rhythm_differs") and by is not None:
            return msg("agreement.space_merged_differs", text=shown, by=name_of(by))
        return msg("agreement.space_merged", text=shown)

    await to_space(run, tandem, members, text, "space")
    if agreement.state == PROPOSED:
        for member in members:
            booking = ask_booking(tandem.id, member.id, run.now, purpose="confirm", version=version)
            await _book(run, tandem, booking)
    return []


async def tell_agreement_news(run: DueRun) -> list[Intent]:
    """The ``agreement_notice`` due item (see the module)."""
    tandem = await _active_tandem(run)
    agreement = None if tandem is None else await run.store.agreements.for_tandem(tandem.id)
    if tandem is None or agreement is None or agreement.terms is None:
        return []
    members = await _members(run, tandem)
    event, by = run.item.payload["event"], run.item.payload.get("by")
    decider = next((m for m in members if m.id == by), None)
    others = [m for m in members if m.id != by]
    if decider is None:
        return []
    if event == "agreed":
        a, b = (name_of(member) for member in members)
        await to_space(run, tandem, members, msg("agreement.space_agreed", a=a, b=b), "space")
        for member in others:
            await _dm(
                run,
                member,
                msg(
                    "agreement.partner_confirmed",
                    partner=name_of(decider),
                    calendar=_calendar_offer(run, member, "calendar.offer"),
                ),
                f"dm-{member.id}",
            )
    elif event == "accepted":
        terms, version = agreement.terms, agreement.version

        def text(locale: str) -> Msg:
            shown = agreement_text(terms, version, members, locale, run.now)
            return msg("agreement.space_changed", text=shown)

        await to_space(run, tandem, members, text, "space")
        for member in others:
            await _dm(
                run,
                member,
                msg(
                    "agreement.partner_accepted",
                    partner=name_of(decider),
                    calendar=_calendar_offer(run, member, "calendar.offer_again"),
                ),
                f"dm-{member.id}",
            )
    else:
        for member in others:
            await _dm(
                run,
                member,
                msg("agreement.partner_declined", partner=name_of(decider)),
                f"dm-{member.id}",
            )
    return []


AGREEMENT_START = DueKind("agreement_start", start_agreement, urgent=True)
AGREEMENT_ASK = DueKind("agreement_ask", ask_for_agreement, urgent=True)
AGREEMENT_MERGED = DueKind("agreement_merged", show_merged, urgent=True)
AGREEMENT_NOTICE = DueKind("agreement_notice", tell_agreement_news, urgent=True)
