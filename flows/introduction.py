"""The introduction of one pair (the journey's step 4): a private pair space, the intro in it,
a DM to each partner, then the first-call question — exactly once each, after any crash.

``introduce_pair`` is an urgent due item, one per tandem, booked with the tandem when a round
runs (:mod:`flows.rounds`); the due service runs them one after the other, so hundreds of
pairs reach the platform as a steady stream rather than a burst. Each item::

    tandem still introducing? ─no─▶ nothing (done before, or ended: nobody is introduced)
      │ no space recorded ─▶ OpenPairSpace (marker per tandem, key "space")
      │                      ─▶ the space's place recorded BEFORE anything else is said
      │                      (ended meanwhile? the space is closed without a word; done)
      ▼
    the intro in the space, once per language of the two (keys "intro-<locale>")
      ─▶ the pair intro DM to each partner (keys "dm-<member id>")
      ─▶ introduced; the first-call question for each (flows/first_call.py,
         ``first_call_ask_days`` later, when the call could have happened) and the nudge are
         booked in the same transaction

A crash anywhere repeats the item: making a thread or room is not idempotent on any platform,
so the adapter finds the space it made by the marker before making another; everything said
carries its own idempotency key, which the platform or the adapter uses to drop a repeat.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.config import ProgramSettings
from bot.due import DueKind, DueRun
from bot.intents import ClosePairSpace, Intent, OpenPairSpace, Say
from bot.matching import Reasons
from bot.messages import Msg, PlaceLink, msg
from bot.places import Place, PlaceKind
from flows.first_call import ASK_FIRST_CALL, NUDGE_FIRST_CALL, ask_key
from flows.first_call_question import COMMAND
from flows.pair_view import (
    common_times,
    dm_of,
    locale_of,
    name_of,
    ref_of,
    why_lines,
    why_lines_for,
)
from flows.profile_view import profile_line, profile_values
from store.due_items import Booking
from store.members import MemberRecord
from store.tandems import INTRODUCING, TandemRecord, due_prefix

#: Questions to start the first call with; each pair gets one, chosen by its tandem id.
ICEBREAKERS = (
    msg("icebreaker.proud"),
    msg("icebreaker.learned"),
    msg("icebreaker.week"),
    msg("icebreaker.advice"),
    msg("icebreaker.why_topic"),
)
#: What the intro shows of each partner's profile.
INTRO_FIELDS = (
    "offers",
    "offer_text",
    "needs",
    "need_text",
    "goals",
    "expectations",
    "languages",
    "format",
    "city",
)


class PairSpaceMissing(Exception):
    """The platform made no pair space (the item is tried again later)."""


def space_marker(tandem: TandemRecord) -> str:
    """The mark the adapter puts on the tandem's space, to find it again after a crash: short,
    the same on every retry, and nothing but ids."""
    return f"tandem-{tandem.community_id}-{tandem.id}"


def space_name(tandem: TandemRecord) -> Msg:
    """The pair space's name ("Tandem 12"): ids only, as moderators may see the list of spaces
    (and the DM names it, so each partner finds it)."""
    return msg("intro.space_name", number=tandem.id)


def icebreaker(tandem: TandemRecord) -> Msg:
    return ICEBREAKERS[tandem.id % len(ICEBREAKERS)]


def _profile(member: MemberRecord, answers: dict[str, Any], program: ProgramSettings) -> Msg:
    values = profile_values(answers, program)
    lines = [profile_line(field, values[field]) for field in INTRO_FIELDS if values.get(field)]
    return msg("intro.profile", name=name_of(member), lines=lines)


def intro_message(
    tandem: TandemRecord,
    members: tuple[MemberRecord, MemberRecord],
    profiles: tuple[dict[str, Any], dict[str, Any]],
    program: ProgramSettings,
    locale: str,
    decide: str,
) -> Msg:
    """The intro in the pair space, in one language: who, why (both ways), when, a first
    question, and the seed's guidance for a call without obligation."""
    a, b = members
    reasons = Reasons.from_json(tandem.reasons)
    times = [
        msg(
            "intro.times_for",
            name=name_of(member),
            zone=member.timezone or "UTC",
            times=common_times(reasons.common_times, member.timezone, locale),
        )
        for member in members
    ]
    guidance: list[Msg | str] = [msg("intro.guidance", decide=decide)]
    if reasons.in_person:
        guidance += ["", msg("intro.public_places")]  # a paragraph of its own
    return msg(
        "intro.space",
        a=name_of(a),
        b=name_of(b),
        why=why_lines(reasons, a, b, program),
        profile_a=_profile(a, profiles[0], program),
        profile_b=_profile(b, profiles[1], program),
        times=times if reasons.common_times else [msg("intro.no_times")],
        icebreaker=icebreaker(tandem),
        guidance=guidance,
    )


def pair_intro_dm(
    tandem: TandemRecord,
    me: MemberRecord,
    partner: MemberRecord,
    program: ProgramSettings,
    locale: str,
    space: Place,
) -> Msg:
    """The DM to one partner: who, why (addressed to them), when in their own time zone, and
    where their pair space is (a link to it where the platform has one)."""
    reasons = Reasons.from_json(tandem.reasons)
    return msg(
        "intro.dm",
        partner=name_of(partner),
        space=PlaceLink(place=space, name=space_name(tandem)),
        why=why_lines_for(reasons, me, partner, program),
        times=common_times(reasons.common_times, me.timezone, locale) or [msg("intro.no_times")],
    )


async def introduce_pair(run: DueRun) -> list[Intent]:
    """The ``introduce_pair`` due item (see the module's diagram)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    if tandem is None or tandem.state != INTRODUCING:
        return []
    a, b = (
        await run.store.members.get(tandem.member_a),
        await run.store.members.get(tandem.member_b),
    )
    if a is None or b is None:
        return []  # forgotten meanwhile: the tandem went with them
    program = run.settings.program_for(tandem.community_id)
    locales = {member.id: locale_of(member, run.settings) for member in (a, b)}
    if tandem.space is None:
        tandem = await _open_space(run, tandem, a, b, locales[a.id])
    space = Place.model_validate(tandem.space)
    if not await _still_introducing(run, tandem.id):
        # Ended meanwhile (a block, a rematch, a partner leaving): nobody is introduced, and a
        # space opened after the ending is closed again, without a word.
        await run.send(ClosePairSpace(target=space, locale=locales[a.id], private=False), "close")
        return []
    profiles = (await run.store.members.profile(a.id), await run.store.members.profile(b.id))
    decide = run.spell(a.platform, COMMAND)
    for locale in dict.fromkeys(locales.values()):  # each language once, a's first
        text = intro_message(tandem, (a, b), profiles, program, locale, decide)
        await _say(run, space, locale, text, f"intro-{locale}")
    if not await _still_introducing(run, tandem.id):
        return []  # ended while the intro was posted: no DM names the partner
    for me, partner in ((a, b), (b, a)):
        text = pair_intro_dm(tandem, me, partner, program, locales[me.id], space)
        await _say(run, dm_of(me), locales[me.id], text, f"dm-{me.id}")
    ask_at = run.now + timedelta(days=program.matching.first_call_ask_days)
    first_call = timedelta(days=program.matching.first_call_days)
    await run.store.tandems.mark_introduced(
        tandem.id,
        now=run.now,
        book=[
            *(
                Booking(
                    ASK_FIRST_CALL.name,
                    ask_key(tandem.id, member.id),
                    ask_at,
                    member_id=member.id,
                    payload={"tandem": tandem.id},
                )
                for member in (a, b)
            ),
            Booking(
                NUDGE_FIRST_CALL.name,
                due_prefix(tandem.id) + "nudge",
                run.now + first_call,
                payload={"tandem": tandem.id},
            ),
        ],
    )
    return []


async def _still_introducing(run: DueRun, tandem_id: int) -> bool:
    tandem = await run.store.tandems.get(tandem_id)
    return tandem is not None and tandem.state == INTRODUCING


async def _open_space(
    run: DueRun, tandem: TandemRecord, a: MemberRecord, b: MemberRecord, locale: str
) -> TandemRecord:
    """Open the pair space (or find the one made before a crash) and record it at once."""
    opening = OpenPairSpace(
        target=Place(platform=a.platform, kind=PlaceKind.ROOM),
        locale=locale,
        private=False,
        community_id=tandem.community_id,
        members=(ref_of(a), ref_of(b)),
        name=space_name(tandem),
        marker=space_marker(tandem),
        idempotency_key=run.key("space"),
    )
    delivery = await run.deliver(opening)
    if delivery is None or delivery.place is None:
        raise PairSpaceMissing(f"tandem {tandem.id}: the platform made no pair space")
    place = delivery.place.model_dump(mode="json", exclude_none=True)
    recorded = await run.store.tandems.record_space(tandem.id, place, now=run.now)
    if recorded is None or recorded.space is None:
        raise PairSpaceMissing(f"tandem {tandem.id} is gone")
    return recorded


async def _say(run: DueRun, target: Place, locale: str, text: Msg, part: str) -> None:
    await run.send(Say(target=target, locale=locale, text=text, private=False), part)


INTRODUCE_PAIR = DueKind("introduce_pair", introduce_pair, urgent=True)
