"""Milestones reached, and how they are celebrated (the journey's step 8).

A milestone is one of the member's own in the agreement (``terms["goals"][member]``), named
``g<goal>_m<milestone>`` (indexes from 0) in questions. Marking one (``milestone``, or at
reflection time) books ``milestone_reached`` in the same transaction, at most once per
milestone. That item:

* posts the celebration in the pair space, naming what was reached, in each partner's
  language, with the line of a badge it earned (the first milestone, every goal reached; see
  :mod:`flows.badges`);
* with both partners' opt-in (none by default), posts a short shout-out to the community's
  celebration channel or room (``discord.celebration_channel_id``, ``matrix.celebration_room``)
  naming only the two: no goal, no milestone, nothing else;
* asks the partner, in their DM, whether to add their congratulations (the ``milestone``
  conversation, when they are free; see :mod:`flows.milestones`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.due import DueKind, DueRun
from bot.flow import Invalid
from bot.intents import Intent, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from flows.badges import celebrate_later, folded, milestone_badges, with_badges
from flows.bot_asks import start_when_free
from flows.pair_view import locale_of, name_of
from store import Store
from store.due_items import Booking
from store.members import MemberRecord
from store.milestones import MilestoneRecord
from store.tandems import ACTIVE, PAUSED, TandemRecord, due_prefix

FLOW_ID = "milestone"


@dataclass(frozen=True)
class AgreedTandem:
    """The member's active tandem, its agreed terms and the partner."""

    tandem: TandemRecord
    terms: dict[str, Any]
    partner: MemberRecord

    @property
    def partner_name(self) -> str:
        return self.partner.display_name or self.partner.platform_user_id


async def agreed_tandem(member: MemberRecord, store: Store, refusal: Msg) -> AgreedTandem:
    """The member's active tandem with an agreement; else ``refusal`` (nothing is started)."""
    tandem = await store.tandems.current_for(member.id)
    agreement = None if tandem is None else await store.agreements.for_tandem(tandem.id)
    if tandem is None or tandem.state != ACTIVE or agreement is None or agreement.terms is None:
        raise Invalid(refusal)
    partner = await store.members.get(tandem.partner_of(member.id))
    if partner is None:
        raise Invalid(refusal)
    return AgreedTandem(tandem, agreement.terms, partner)


def milestone_id(goal: int, milestone: int) -> str:
    return f"g{goal}_m{milestone}"


def open_milestones(
    terms: dict[str, Any], member_id: int, reached: list[MilestoneRecord]
) -> list[dict[str, Any]]:
    """The member's milestones in the agreement not marked reached yet, in order."""
    done = {(m.goal_index, m.milestone_index) for m in reached}
    found = []
    for goal_index, goal in enumerate(terms.get("goals", {}).get(str(member_id), [])):
        for index, milestone in enumerate(goal.get("milestones") or []):
            if (goal_index, index) not in done:
                found.append(
                    {
                        "id": milestone_id(goal_index, index),
                        "goal": goal_index,
                        "milestone": index,
                        "text": milestone["text"],
                        "goal_text": goal["goal"],
                    }
                )
    return found


def milestone_label(milestone: dict[str, Any]) -> Msg:
    return msg(
        "milestone.option",
        milestone=user_text(milestone["text"]),
        goal=user_text(milestone["goal_text"]),
    )


async def mark_reached(
    store: Store,
    tandem_id: int,
    member_id: int,
    milestones: list[dict[str, Any]],
    picked: list[str],
    *,
    now: datetime,
) -> list[MilestoneRecord]:
    """Mark the ``picked`` milestones (ids among ``milestones``) reached; each books its
    celebration. Those marked before are left out of what is returned."""
    marked = []
    for milestone in milestones:
        if milestone["id"] not in picked:
            continue

        def book(record: MilestoneRecord) -> list[Booking]:
            key = due_prefix(tandem_id) + f"milestone:{record.id}"
            payload = {"tandem": tandem_id, "milestone": record.id}
            return [Booking(MILESTONE_REACHED.name, key, now, payload=payload)]

        record = await store.milestones.mark(
            tandem_id,
            member_id,
            milestone["goal"],
            milestone["milestone"],
            milestone["text"],
            now=now,
            book=book,
        )
        if record is not None:
            marked.append(record)
    return marked


async def celebrate(run: DueRun) -> list[Intent]:
    """The ``milestone_reached`` due item (see the module)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    milestone = await run.store.milestones.get(int(run.item.payload["milestone"]))
    if tandem is None or milestone is None or tandem.state not in (ACTIVE, PAUSED):
        return []
    members = [await run.store.members.get(member_id) for member_id in tandem.members]
    if None in members:
        return []
    reacher = next(m for m in members if m is not None and m.id == milestone.member_id)
    partner = next(m for m in members if m is not None and m.id != milestone.member_id)
    badges = await milestone_badges(run.store, tandem, milestone, run.now)
    await celebrate_later(run, tandem, badges)
    if tandem.space is not None:
        space = Place.model_validate(tandem.space)
        shown = folded(badges, tandem)
        text = msg(
            "milestone.space",
            name=name_of(reacher),
            partner=name_of(partner),
            milestone=user_text(milestone.text),
        )
        text = with_badges(text, shown, name_of(reacher), name_of(partner))
        for locale in dict.fromkeys(locale_of(m, run.settings) for m in (reacher, partner)):
            said = Say(target=space, locale=locale, text=text, private=False)
            await run.send(said, f"space-{locale}")
        await run.store.badges.celebrated([badge.id for badge in shown], now=run.now)
    opted = await run.store.milestones.shoutouts(tandem.id)
    platform = reacher.platform
    if all(opted.get(m.id) for m in (reacher, partner)) and run.settings.has_celebration_place(
        platform
    ):
        a, b = (name_of(m) for m in members if m is not None)
        shoutout = msg("milestone.shoutout", a=a, b=b)
        locale = run.settings.bot.default_locale
        target = Place.celebration(platform)
        await run.send(Say(target=target, locale=locale, text=shoutout, private=False), "shoutout")
    await run.store.due.schedule(
        community_id=tandem.community_id,
        kind=MILESTONE_CONGRATULATE.name,
        key=due_prefix(tandem.id) + f"milestone:{milestone.id}:congratulate",
        due_at=run.now,
        now=run.now,
        member_id=partner.id,
        payload={"tandem": tandem.id},
    )
    return []


async def ask_partner(run: DueRun) -> list[Intent]:
    """The ``milestone_congratulate`` due item: the partner is asked whether to congratulate
    (when free), if a milestone still waits for it."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None or tandem.state != ACTIVE:
        return []
    waiting = await run.store.milestones.to_congratulate(tandem.id, tandem.partner_of(member.id))
    if waiting is not None:
        await start_when_free(run, FLOW_ID, member)
    return []


MILESTONE_REACHED = DueKind("milestone_reached", celebrate, urgent=True)
MILESTONE_CONGRATULATE = DueKind("milestone_congratulate", ask_partner)
