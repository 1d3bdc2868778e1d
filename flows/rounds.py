"""Match rounds (the journey's step 4, first half): organizers preview and run them.

::

    match [preview] ─▶ proposal stored (a "preview"), shown to the organizer only; nobody told
    match run ──────▶ preview younger than a day and of this round's week? (else: preview again)
                      same members and profiles as previewed?
                        ├ yes ─▶ ONE transaction: tandems (introducing), members in_tandem,
                        │        sit-outs first in line, one due item per pair (introduce_pair,
                        │        flows/introduction.py) and per sit-out (round_sit_out)
                        └ no ──▶ "members changed since your preview: preview again"
    waiting ────────▶ who waits, first in line first

Both commands are ``organizer_only`` (the router refuses everyone else). The pairs come from
:func:`bot.matching.propose`, given the people of :mod:`flows.match_people`. The community's
own schedule of rounds is :mod:`flows.round_schedule`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import matching
from bot.commands import CommandArgument
from bot.config import ProgramSettings
from bot.due import DueKind, DueRun
from bot.flow import Action, ActionContext
from bot.intents import Intent, Say
from bot.matching import Pair, Proposal, Reasons
from bot.messages import Msg, UserText, msg, user_text
from flows.introduction import INTRODUCE_PAIR
from flows.match_people import fingerprint, round_seed, round_week, waiting_people
from flows.pair_view import common_hours, dm_of, locale_of, name_of
from flows.profile_view import topic_labels
from flows.questionnaire import LANGUAGE_NAMES
from store import Store
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus
from store.rounds import (
    CADENCE,
    ORGANIZER,
    PREVIEW,
    MembersChanged,
    PairToIntroduce,
    RoundRecord,
)
from store.tandems import TandemRecord, due_prefix

#: A preview older than this (or one whose week has begun since) is not run: the organizer is
#: asked to preview again, so nobody is introduced on free times and a waiting list that moved on.
PREVIEW_LIFETIME = timedelta(hours=24)
PREVIEW_ACTION = "preview"
RUN_ACTION = "run"
CADENCE_KEY = "match_cadence"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Preview:
    """A stored preview and what it proposes, with the members it names."""

    round: RoundRecord
    proposal: Proposal
    members: dict[int, MemberRecord]
    waiting: int


def proposal_to_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "pairs": [
            {"a": p.a, "b": p.b, "score": p.score, "reasons": p.reasons.to_json()}
            for p in proposal.pairs
        ],
        "sit_out": list(proposal.sit_out),
        "sit_out_reasons": {str(k): v for k, v in proposal.sit_out_reasons.items()},
    }


def proposal_from_json(data: Mapping[str, Any]) -> Proposal:
    pairs = tuple(
        Pair(a=p["a"], b=p["b"], score=p["score"], reasons=Reasons.from_json(p["reasons"]))
        for p in data["pairs"]
    )
    reasons = {int(k): v for k, v in data["sit_out_reasons"].items()}
    return Proposal(pairs=pairs, sit_out=tuple(data["sit_out"]), sit_out_reasons=reasons)


async def make_preview(
    store: Store,
    program: ProgramSettings,
    community_id: str,
    *,
    now: datetime,
    started_by: str,
    by: str | None = None,
) -> Preview:
    """Propose the pairs for everyone who may be matched now and store them as a preview
    (``by``: the organizer's name, shown when the preview is run)."""
    people = await waiting_people(store, community_id, program)
    week = round_week(now, program)
    seed = round_seed(community_id, week)
    persons = [person for _member, _profile, person in people]
    proposal = (
        matching.propose(persons, week_start=week, seed=seed) if persons else Proposal(pairs=())
    )
    stored = await store.rounds.save_preview(
        community_id=community_id,
        started_by=started_by,
        seed=seed,
        week_start=week,
        fingerprint=fingerprint(persons, week, seed),
        proposal={**proposal_to_json(proposal), "by": by},
        pairs=len(proposal.pairs),
        sit_outs=len(proposal.sit_out),
        now=now,
    )
    members = {member.id: member for member, _profile, _person in people}
    return Preview(stored, proposal, members, len(people))


def preview_message(preview: Preview, program: ProgramSettings, match: str) -> Msg:
    """What the organizer reads: every proposed pair with its score and reasons, who sits out
    and why, and how to run it."""
    proposal, members = preview.proposal, preview.members
    if not proposal.pairs and not proposal.sit_out:
        return msg("match.preview.nobody")
    lines = [_pair_line(pair, members, program) for pair in proposal.pairs]
    for member_id in proposal.sit_out:
        why = proposal.sit_out_reasons.get(member_id, "odd_number")
        reason = msg("match.sit_out.no_fit") if why == "no_fit" else msg("match.sit_out.odd")
        lines.append(msg("match.preview.sit_out", name=name_of(members[member_id]), why=reason))
    if not proposal.pairs:
        return msg(
            "match.preview.no_pair",
            count=len(proposal.sit_out),
            lines=lines,
            run=f"{match} {RUN_ACTION}",
        )
    return msg(
        "match.preview",
        week=preview.round.week_start.isoformat(),
        pairs=len(proposal.pairs),
        sit_outs=len(proposal.sit_out),
        lines=lines,
        run=f"{match} {RUN_ACTION}",
    )


def _pair_line(pair: Pair, members: dict[int, MemberRecord], program: ProgramSettings) -> Msg:
    a, b = members[pair.a], members[pair.b]
    nothing = msg("match.preview.nothing")
    reasons = pair.reasons
    return msg(
        "match.preview.pair",
        a=name_of(a),
        b=name_of(b),
        score=pair.score,
        a_helps_b=topic_labels(reasons.a_helps_b, program) or nothing,
        b_helps_a=topic_labels(reasons.b_helps_a, program) or nothing,
        languages=tuple(LANGUAGE_NAMES.get(code, code) for code in reasons.languages) or nothing,
        hours=common_hours(reasons.common_times),
    )


async def load_preview(store: Store, stored: RoundRecord) -> Preview:
    """A stored preview again, with the members it names (those still there)."""
    proposal = proposal_from_json(stored.proposal or proposal_to_json(Proposal(pairs=())))
    ids = {member_id for pair in proposal.pairs for member_id in (pair.a, pair.b)}
    ids |= set(proposal.sit_out)
    members = {member_id: await store.members.get(member_id) for member_id in sorted(ids)}
    found = {member_id: member for member_id, member in members.items() if member is not None}
    return Preview(stored, proposal, found, len(ids))


async def run_preview(
    store: Store, program: ProgramSettings, community_id: str, *, now: datetime, match: str
) -> Msg:
    """Introduce exactly the pairs of the community's preview, if nothing changed since."""
    preview = await store.rounds.latest(community_id, states=[PREVIEW])
    if preview is None or preview.proposal is None:
        return msg("match.run.no_preview", preview=f"{match} {PREVIEW_ACTION}")
    if preview_expired(preview, now, program):
        return msg(
            "match.run.expired",
            who=previewed_by(preview),
            when=made_at(preview, now, program),
            preview=f"{match} {PREVIEW_ACTION}",
        )
    people = await waiting_people(store, community_id, program)
    persons = [person for _member, _profile, person in people]
    again = msg("match.run.changed", preview=f"{match} {PREVIEW_ACTION}")
    if fingerprint(persons, preview.week_start, preview.seed) != preview.fingerprint:
        return again
    proposal = proposal_from_json(preview.proposal)
    try:
        made = await store.rounds.run(
            preview.id,
            pairs=[PairToIntroduce(p.a, p.b, p.score, p.reasons.to_json()) for p in proposal.pairs],
            sit_out=proposal.sit_out,
            now=now,
            book=_bookings(preview, proposal, now),
        )
    except MembersChanged:
        return again
    if made is None:
        return msg("match.run.no_preview", preview=f"{match} {PREVIEW_ACTION}")
    return ran_message(preview, len(made), len(proposal.sit_out), now, program)


def preview_expired(preview: RoundRecord, now: datetime, program: ProgramSettings) -> bool:
    """Older than :data:`PREVIEW_LIFETIME`, or made for a week that is no longer the one a
    round made now is for."""
    return (
        now - preview.created_at > PREVIEW_LIFETIME
        or round_week(now, program) != preview.week_start
    )


def previewed_by(preview: RoundRecord) -> UserText | Msg:
    """Who made the preview: the organizer's name, or the community's schedule."""
    name = (preview.proposal or {}).get("by")
    if name:
        return user_text(str(name))
    if preview.started_by == CADENCE:
        return msg("match.by_schedule")
    return msg("match.by_organizer")


def made_at(preview: RoundRecord, now: datetime, program: ProgramSettings) -> str:
    """When the preview was made, in the community's time zone: "10:04" today, else with the
    date ("2026-01-05 10:04")."""
    zone = ZoneInfo(program.timezone)
    made, today = preview.created_at.astimezone(zone), now.astimezone(zone).date()
    return made.strftime("%H:%M" if made.date() == today else "%Y-%m-%d %H:%M")


def ran_message(
    preview: RoundRecord, pairs: int, sit_outs: int, now: datetime, program: ProgramSettings
) -> Msg:
    """What the organizers read once a preview was run: whose preview from when, how many
    pairs are being introduced, how many sit out (or that nobody could be paired)."""
    if pairs == 0 and sit_outs == 0:
        return msg("match.run.nobody")
    if pairs == 0:
        return msg("match.run.no_pair", count=sit_outs)
    nobody = msg("match.run.nobody_sits_out")
    return msg(
        "match.run.done",
        count=pairs,
        who=previewed_by(preview),
        when=made_at(preview, now, program),
        sit_outs=msg("match.run.sit_outs", count=sit_outs) if sit_outs else nobody,
    )


def _bookings(
    preview: RoundRecord, proposal: Proposal, now: datetime
) -> Callable[[TandemRecord | None, int | None], list[Booking]]:
    """The due items a run books with its tandems: one introduction per pair (urgent, run one
    after the other), one kind word per member who sits out."""

    def book(tandem: TandemRecord | None, member_id: int | None) -> list[Booking]:
        if tandem is not None:
            key = due_prefix(tandem.id) + "intro"
            return [Booking(INTRODUCE_PAIR.name, key, now, payload={"tandem": tandem.id})]
        assert member_id is not None
        why = proposal.sit_out_reasons.get(member_id, "odd_number")
        return [
            Booking(
                SIT_OUT_NOTICE.name,
                f"round:{preview.id}:sit_out:{member_id}",
                now,
                member_id=member_id,
                payload={"reason": why},
            )
        ]

    return book


# -- the organizer commands ------------------------------------------------------------------


async def match_command(context: ActionContext) -> list[Intent]:
    """``match`` / ``match preview``: propose and show; ``match run``: introduce the preview."""
    action = context.argument.casefold() or PREVIEW_ACTION
    community_id = context.event.community_id
    match = context.spell(MATCH.command)
    if action == PREVIEW_ACTION:
        organizer = context.event.member
        preview = await make_preview(
            context.store,
            context.program,
            community_id,
            now=context.now,
            started_by=ORGANIZER,
            by=organizer.display_name or organizer.user_id,
        )
        return [context.reply(preview_message(preview, context.program, match))]
    if action == RUN_ACTION:
        outcome = await run_preview(
            context.store, context.program, community_id, now=context.now, match=match
        )
        return [context.reply(outcome)]
    return [
        context.reply(
            msg(
                "match.usage",
                preview=f"{match} {PREVIEW_ACTION}",
                run=f"{match} {RUN_ACTION}",
            )
        )
    ]


async def waiting_list(context: ActionContext) -> list[Intent]:
    """Who waits for a partner: first in line first, then by when they joined."""
    found = await context.store.members.with_status(
        context.event.community_id, MemberStatus.WAITING
    )
    if not found:
        return [context.reply(msg("admin.waiting.nobody"))]
    members = sorted(
        (member for member, _profile in found),
        key=lambda m: (m.first_in_line_at is None, m.first_in_line_at or m.id, m.id),
    )
    lines = []
    version = context.program.privacy_notice_version
    for member in members:
        notes = []
        if member.first_in_line_at is not None:
            notes.append(msg("admin.waiting.first_in_line"))
        if member.consented_version != version:
            notes.append(msg("admin.waiting.needs_consent"))
        line = msg("admin.waiting.line", name=name_of(member), notes=tuple(notes))
        lines.append(line if notes else msg("admin.waiting.line_plain", name=name_of(member)))
    return [context.reply(msg("admin.waiting", number=len(members), lines=lines))]


MATCH = Action(
    command="match",
    description=msg("command.admin.match"),
    run=match_command,
    argument=CommandArgument(
        "action", msg("command.admin.match.action"), choices=(PREVIEW_ACTION, RUN_ACTION)
    ),
    organizer_only=True,
)
WAITING = Action(
    command="waiting",
    description=msg("command.admin.waiting"),
    run=waiting_list,
    organizer_only=True,
)


# -- who sits out ----------------------------------------------------------------------------


async def tell_sitting_out(run: DueRun) -> list[Intent]:
    """The ``round_sit_out`` due item: a kind word to a member left without a partner, in their
    morning; not said to someone paired, paused or gone since."""
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if member is None or member.status != MemberStatus.WAITING:
        return []
    if run.item.payload.get("reason") == "no_fit":
        text = msg("sit_out.no_fit", edit=run.spell(member.platform, "edit"))
    else:
        text = msg("sit_out.odd_number")
    return [Say(target=dm_of(member), locale=locale_of(member, run.settings), text=text)]


SIT_OUT_NOTICE = DueKind("round_sit_out", tell_sitting_out)
