"""``pause`` and ``resume`` in a tandem: the tandem pauses, and ``resume`` returns to it.

A member whose tandem runs (``active``) and who pauses pauses the *tandem*: it is ``paused``
(with who paused it and until when), both stay in it (neither is matched meanwhile), and the
partner is told neutrally; its agreement waits meanwhile (:mod:`flows.agreement_hold`).
``resume`` by the one who paused makes it active again and tells the partner (a tandem the
bot paused because it had gone quiet, :mod:`flows.quiet_pairs`, either partner resumes); a
dated pause ends by itself on its date (``tandem_pause_end``, under the tandem's due-item
prefix, so a tandem that ends meanwhile cancels it). The partner cannot end someone else's
pause (but can end the tandem kindly with ``rematch``). While an introduction still waits for
the first call there is nothing to pause: the member decides instead. Both are refused before
``pause`` asks until when (:func:`tandem_to_pause`, its prefill).

:mod:`flows.membership` hands ``pause`` and ``resume`` here when the member is in a tandem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.due import DueKind, DueRun
from bot.flow import ActionContext, FlowContext, Invalid
from bot.i18n import choose_locale
from bot.intents import Intent, Say
from bot.messages import Msg, msg
from flows.agreement_hold import hold_agreement, resume_agreement
from flows.badges import celebrate_after_pause
from flows.pair_view import dm_of, locale_of, name_of
from store import Store
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus
from store.tandems import ACTIVE, PAUSED, TandemRecord, due_prefix


def pause_end_key(tandem_id: int) -> str:
    return f"{due_prefix(tandem_id)}pause_end"


#: The kind of the due item that ends a member's own pause (:data:`flows.membership.PAUSE_END`).
MEMBER_PAUSE_END = "pause_end"


def member_pause_end_key(member_id: int) -> str:
    return f"pause_end:{member_id}"


def member_pause_end(member_id: int, until: datetime) -> Booking:
    """The end of a member's own pause, as a booking (a tandem the partner ended leaves the one
    who had paused it paused until their date)."""
    return Booking(
        MEMBER_PAUSE_END, member_pause_end_key(member_id), until, member_id=member_id, payload={}
    )


def shown_date(until: datetime, pauser: MemberRecord, locale: str) -> str:
    """The pause's end as the day the one who paused chose: it is stored as midnight in their
    time zone, so it is read back there (a partner elsewhere sees the same date, not that
    midnight converted into their zone, which can be the day before)."""
    local = until.astimezone(ZoneInfo(pauser.timezone or "UTC"))
    return format_date(local.date(), format="long", locale=locale)


def _partner_locale(partner: MemberRecord, fallback: str) -> str:
    return choose_locale(partner.locale, partner.platform_locale, fallback)


async def tandem_to_pause(member: MemberRecord, store: Store) -> dict[str, Any]:
    """``pause``'s prefill: nothing to add for a member without a tandem; for one in a tandem,
    the start is refused at once when there is nothing they may pause (an introduction still
    waiting for the first call, or a pause of the partner's)."""
    if member.status != MemberStatus.IN_TANDEM:
        return {}
    tandem = await store.tandems.current_for(member.id)
    if tandem is None:
        raise Invalid(msg("tandem_pause.nothing"))
    partner = await store.members.get(tandem.partner_of(member.id))
    partner_name = name_of(partner) if partner is not None else ""
    if tandem.state not in (ACTIVE, PAUSED):
        raise Invalid(msg("tandem_pause.introduced", partner=partner_name))
    if tandem.state == PAUSED and tandem.paused_by not in (None, member.id):
        raise Invalid(msg("tandem_pause.by_partner", partner=partner_name))
    return {}


async def pause_tandem(context: FlowContext, until: datetime | None) -> list[Msg | Intent]:
    """The member (in a tandem) pauses: the tandem pauses, and the partner is told."""
    member, store = context.member, context.store
    tandem = await store.tandems.current_for(member.id)
    booking = []
    if tandem is not None and until is not None:
        booking = [
            Booking(
                kind=TANDEM_PAUSE_END.name,
                key=pause_end_key(tandem.id),
                due_at=until,
                payload={"tandem": tandem.id},
            )
        ]
    paused = tandem is not None and await store.tandems.pause(
        tandem.id,
        by=member.id,
        until=until,
        now=context.now,
        book=booking,
        cancel=pause_end_key(tandem.id) if until is None else None,
    )
    if not paused or tandem is None:  # ended or changed since the question was asked
        return [msg("tandem_pause.nothing")]
    await hold_agreement(store, tandem, context.now)
    partner = await store.members.get(tandem.partner_of(member.id))
    partner_name = name_of(partner) if partner is not None else ""
    resume = context.spell("resume")
    if until is None:
        answer = msg("tandem_pause.done", partner=partner_name, resume=resume)
        told = msg("tandem_pause.partner_paused", partner=name_of(member))
    else:
        answer = msg(
            "tandem_pause.done_until",
            partner=partner_name,
            date=shown_date(until, member, context.locale),
            resume=resume,
        )
        told = msg(
            "tandem_pause.partner_paused_until",
            partner=name_of(member),
            date=shown_date(until, member, _partner_locale(partner, context.locale))
            if partner is not None
            else "",
        )
    if partner is None:
        return [answer]
    locale = _partner_locale(partner, context.locale)
    return [answer, Say(target=dm_of(partner), locale=locale, text=told)]


async def _goes_on(store: Store, tandem: TandemRecord, now: datetime) -> None:
    """The paused tandem is active again: what is still open of its agreement is asked again,
    and what it earned meanwhile is celebrated."""
    await resume_agreement(store, tandem, now)
    await celebrate_after_pause(store, tandem, now)


async def resume_tandem(context: ActionContext, member: MemberRecord) -> list[Intent] | None:
    """``resume`` in a tandem: back to the paused tandem. None when the tandem is not paused
    (then ``resume`` answers as for anyone who is not paused)."""
    store = context.store
    tandem = await store.tandems.current_for(member.id)
    if tandem is None or tandem.state != PAUSED:
        return None
    partner = await store.members.get(tandem.partner_of(member.id))
    partner_name = name_of(partner) if partner is not None else ""
    if tandem.paused_by not in (None, member.id):  # None: the bot paused it, for both
        return [context.reply(msg("tandem_pause.by_partner", partner=partner_name))]
    if not await store.tandems.resume(tandem.id, now=context.now, cancel=pause_end_key(tandem.id)):
        return None
    await _goes_on(store, tandem, context.now)
    answer = context.reply(msg("tandem_pause.resumed", partner=partner_name))
    if partner is None:
        return [answer]
    told = msg("tandem_pause.partner_back", partner=name_of(member))
    locale = _partner_locale(partner, context.locale)
    return [answer, Say(target=dm_of(partner), locale=locale, text=told)]


async def end_tandem_pause(run: DueRun) -> list[Intent]:
    """The ``tandem_pause_end`` due item: the tandem goes on at the pause's date; both hear it.
    A tandem resumed, paused anew without a date, or ended meanwhile is left alone."""
    tandem_id = int(run.item.payload["tandem"])
    tandem: TandemRecord | None = await run.store.tandems.end_pause_if_due(tandem_id, run.now)
    if tandem is None:
        return []
    await _goes_on(run.store, tandem, run.now)
    members = [await run.store.members.get(member_id) for member_id in tandem.members]
    intents: list[Intent] = []
    for member, other in ((members[0], members[1]), (members[1], members[0])):
        if member is None:
            continue
        text = msg("tandem_pause.over", partner=name_of(other) if other is not None else "")
        intents.append(Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text))
    return intents


TANDEM_PAUSE_END = DueKind("tandem_pause_end", end_tandem_pause)
