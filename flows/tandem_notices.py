"""What partners are told when their tandem starts or ends, and the closing of the pair space.

Two due kinds, booked in the same transaction as the change they tell of (so a crash never
loses the message), each message under its own idempotency key:

* ``tandem_active``: both said "let's do it". The one who answered first hears that the other
  did too (the other was told when answering), and the pair space celebrates, in each
  partner's language.
* ``tandem_ended``: the introduction ended: "not a fit" (the partner hears it kindly and
  neutrally, never the reason; the one who said it was told when answering) or lapsed (both
  hear it). An open first-call question is closed, a farewell said in the space, the space
  closed. Later endings (rematch, a partner leaving) add their reason here.
* ``first_call_reason``: the optional private reason for "not a fit", given after the decline
  was recorded, posted to the organizers with both names and the round.
"""

from __future__ import annotations

from bot.due import DueKind, DueRun
from bot.intents import ClosePairSpace, Intent, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from flows.first_call_question import close_open_question
from flows.pair_view import dm_of, locale_of, name_of
from store.members import MemberRecord
from store.tandems import ACTIVE, DECLINED, LAPSED, YES, TandemRecord


async def _members(run: DueRun, tandem: TandemRecord) -> list[MemberRecord]:
    found = [await run.store.members.get(member_id) for member_id in tandem.members]
    return [member for member in found if member is not None]


async def _to_space(
    run: DueRun, tandem: TandemRecord, members: list[MemberRecord], text: Msg
) -> None:
    """Say ``text`` in the pair space once in each language of the two."""
    if tandem.space is None:
        return
    space = Place.model_validate(tandem.space)
    for locale in dict.fromkeys(locale_of(member, run.settings) for member in members):
        await run.send(
            Say(target=space, locale=locale, text=text, private=False), f"space-{locale}"
        )


async def tell_tandem_active(run: DueRun) -> list[Intent]:
    """The ``tandem_active`` due item (see the module)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    if tandem is None or tandem.state != ACTIVE:
        return []
    members = await _members(run, tandem)
    by = run.item.payload.get("by")
    for member in members:
        if member.id == by:
            continue
        partner = next((m for m in members if m.id != member.id), None)
        if partner is None:
            continue
        text = msg("first_call.partner_said_yes", partner=name_of(partner))
        locale = locale_of(member, run.settings)
        await run.send(Say(target=dm_of(member), locale=locale, text=text), f"dm-{member.id}")
    if len(members) == 2:
        a, b = members
        await _to_space(
            run, tandem, members, msg("first_call.active_space", a=name_of(a), b=name_of(b))
        )
    return []


async def tell_tandem_ended(run: DueRun) -> list[Intent]:
    """The ``tandem_ended`` due item (see the module)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    if tandem is None or tandem.state not in (DECLINED, LAPSED):
        return []
    members = await _members(run, tandem)
    by = run.item.payload.get("by")
    for member in members:
        locale = locale_of(member, run.settings)
        if member.id != by:  # who said "not a fit" may be giving the optional reason now
            retired = await close_open_question(run.store, member.id, locale, now=run.now)
            if retired is not None:
                await run.send(retired, f"retire-{member.id}")
        partner = next((m for m in members if m.id != member.id), None)
        partner_name = name_of(partner) if partner is not None else ""
        if tandem.state == LAPSED and tandem.answer_of(member.id) == YES:
            text: Msg | None = msg("first_call.lapsed_partner_silent", partner=partner_name)
        elif tandem.state == LAPSED:
            text = msg("first_call.lapsed", partner=partner_name)
        elif member.id != by:
            text = msg("first_call.partner_declined", partner=partner_name)
        else:
            text = None  # the one who said "not a fit" was told when they said it
        if text is not None:
            await run.send(Say(target=dm_of(member), locale=locale, text=text), f"dm-{member.id}")
    await _to_space(run, tandem, members, msg("first_call.space_farewell"))
    if tandem.space is not None:
        space = Place.model_validate(tandem.space)
        locale = locale_of(members[0], run.settings) if members else run.settings.bot.default_locale
        await run.send(ClosePairSpace(target=space, locale=locale, private=False), "close")
    return []


async def tell_organizers_reason(run: DueRun) -> list[Intent]:
    """The ``first_call_reason`` due item: the private reason a member gave for "not a fit",
    with both names and the round, posted to the organizers (never to the partner) where the
    community has an organizer channel or room."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    by_id = run.item.payload.get("by")
    if tandem is None or by_id not in tandem.members:
        return []
    by, partner = (
        await run.store.members.get(by_id),
        await run.store.members.get(tandem.partner_of(by_id)),
    )
    reason = tandem.reason_a if by_id == tandem.member_a else tandem.reason_b
    if by is None or not reason:
        return []
    if not run.settings.has_organizer_place(by.platform):
        return []  # no organizer channel or room configured: the reason stays in the store
    week = None if tandem.round_id is None else await run.store.rounds.get(tandem.round_id)
    text = msg(
        "first_call.reason_for_organizers",
        by=name_of(by),
        partner=name_of(partner) if partner is not None else user_text("–"),
        round=tandem.round_id or "–",
        week=week.week_start.isoformat() if week is not None else "–",
        reason=user_text(reason),
    )
    organizers = Place.organizers(by.platform)
    locale = run.settings.bot.default_locale
    return [Say(target=organizers, locale=locale, text=text, private=False)]


TANDEM_ACTIVE = DueKind("tandem_active", tell_tandem_active, urgent=True)
TANDEM_ENDED = DueKind("tandem_ended", tell_tandem_ended, urgent=True)
TELL_ORGANIZERS_REASON = DueKind("first_call_reason", tell_organizers_reason)
