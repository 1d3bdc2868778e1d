"""The tandem agreement (the journey's step 5): goals, milestones, the meeting rhythm and the
conversation rules, agreed privately by each partner, merged, and confirmed by both.

One conversation, ``agreement``, in the member's DM; what it asks depends on where the
agreement stands for them (``mode``, decided when it starts):

::

    part:    goals (keep the profile's / write) ─▶ [goals] ─▶ milestones per goal (1–3 each)
               ─▶ slot (proposed from both members' free time, or "other" ─▶ typed)
               ─▶ duration ─▶ format ─▶ rules (accept) ─▶ END: part saved; both in ─▶ merged
    view:    the agreement ─┬ confirm (while proposed) ─▶ END ─▶ both confirmed? ─▶ agreed
                            ├ keep ─▶ END
                            └ slot | duration | format | goals ─▶ that question ─▶ END:
                                     a change proposed to the partner
    decide:  the partner's proposed change ─▶ accept | decline ─▶ END

The bot starts it by itself (:mod:`flows.agreement_notices`) when the tandem becomes active,
when both parts are merged (to confirm) and when the partner proposes a change; members start
it with ``agreement`` any time. Every start is a persisted conversation, so a restart never
loses a step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.flow import END, FOLLOWING, ChoiceQuestion, Flow, FlowContext, Invalid, Step, TextQuestion
from bot.intents import Intent, Option
from bot.messages import Msg, msg, user_text
from flows.agreement_notices import (
    AGREEMENT_MERGED,
    AGREEMENT_NOTICE,
    CALENDAR,
    COMMAND,
    FLOW_ID,
    ask_booking,
)
from flows.agreement_terms import (
    DURATIONS,
    FORMATS,
    MAX_MILESTONES,
    in_zone,
    merge,
    parse_milestones,
    parse_slot,
    proposed_slots,
    slot_from_id,
    slot_id,
)
from flows.agreement_view import agreement_text, format_label, goal_lines, rules_text, slot_label
from flows.meeting_plan import plan_booking
from flows.questionnaire import parse_goals
from flows.reflection_notices import reflection_bookings
from store import Store
from store.agreements import DRAFTING, PROPOSED, AgreementRecord, ChangeRecord
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus
from store.tandems import ACTIVE, due_prefix

OTHER = "other"
CHANGES = ("slot", "duration", "format", "goals")
#: Changes after which the meetings still to come are planned anew.
RESCHEDULING = ("slot", "duration")
MILESTONE_STEPS = tuple(f"milestones_{index}" for index in range(1, MAX_MILESTONES + 1))


def _name(member: MemberRecord | None) -> str:
    if member is None:
        return ""
    return member.display_name or member.platform_user_id


async def where_it_stands(member: MemberRecord, store: Store) -> dict[str, Any]:
    """What the conversation needs, and its ``mode``; refused (nothing started) without an
    active tandem, or while the member's part waits for the partner's."""
    tandem = await store.tandems.current_for(member.id)
    if tandem is None or tandem.state != ACTIVE:
        raise Invalid(msg("agreement.none"))
    partner = await store.members.get(tandem.partner_of(member.id))
    if partner is None:
        raise Invalid(msg("agreement.none"))
    mine, theirs = await store.members.profile(member.id), await store.members.profile(partner.id)
    answers: dict[str, Any] = {
        "tandem": tandem.id,
        "partner": _name(partner),
        "partner_id": partner.id,
        "my_zone": member.timezone or "UTC",
        "my_free": list(mine.get("availability") or []),
        "partner_zone": partner.timezone or "UTC",
        "partner_free": list(theirs.get("availability") or []),
        "profile_goals": list(mine.get("goals") or []),
    }
    agreement = await store.agreements.for_tandem(tandem.id)
    if agreement is None or agreement.state == DRAFTING:
        if agreement is not None and agreement.part_of(member.id) is not None:
            raise Invalid(msg("agreement.waiting_for_partner", partner=user_text(_name(partner))))
        theirs_part = None if agreement is None else agreement.part_of(partner.id)
        if theirs_part is not None:
            answers["partner_slot"] = theirs_part["slot"]
        return {**answers, "mode": "part"}
    answers |= {
        "agreement": agreement.id,
        "version": agreement.version,
        "terms": agreement.terms,
        "state": agreement.state,
        "confirmed": agreement.confirmed_by(member.id),
    }
    change = await store.agreements.pending_change(agreement.id)
    if change is not None and change.proposed_by == partner.id:
        return {
            **answers,
            "mode": "decide",
            "change": change.id,
            "change_field": change.field,
            "change_terms": change.terms,
        }
    return {**answers, "mode": "view"}


def in_a_tandem(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("agreement.none")


def _mode(context: FlowContext) -> str:
    return str(context.answers["mode"])


# -- the first question: what it asks depends on the mode ------------------------------------

KEEP_GOALS = Option(id="keep", label=msg("agreement.goals_keep"), emoji="✅")
WRITE_GOALS = Option(id="write", label=msg("agreement.goals_write"), emoji="✏️")
CONFIRM = Option(id="confirm", label=msg("agreement.confirm"), emoji="✅")
NOTHING = Option(id="nothing", label=msg("agreement.nothing"), emoji="👍")
# Distinct emojis: Matrix offers each option's emoji as a reaction, and refuses the same one
# twice on a message (M_DUPLICATE_ANNOTATION).
CHANGE_EMOJIS = {"slot": "📅", "duration": "⏱️", "format": "📍", "goals": "🎯"}
CHANGE_OPTIONS = tuple(
    Option(id=field, label=msg(f"agreement.change.{field}"), emoji=CHANGE_EMOJIS[field])
    for field in CHANGES
)
ACCEPT = Option(id="accept", label=msg("agreement.accept_change"), emoji="✅")
DECLINE = Option(id="decline", label=msg("agreement.decline_change"), emoji="↩️")


def _awaits_my_confirmation(context: FlowContext) -> bool:
    return context.answers.get("state") == PROPOSED and not context.answers.get("confirmed")


def start_prompt(context: FlowContext) -> Msg:
    answers = context.answers
    partner = user_text(answers["partner"])
    if _mode(context) == "part":
        goals = [msg("agreement.goal", goal=user_text(goal)) for goal in answers["profile_goals"]]
        return msg(
            "agreement.ask_part",
            partner=partner,
            goals=goals or msg("agreement.no_profile_goals"),
        )
    if _mode(context) == "decide":
        text = _shown(context, answers["change_terms"], answers["version"] + 1)
        field = msg(f"agreement.change.{answers['change_field']}")
        return msg("agreement.ask_decide", partner=partner, field=field, text=text)
    text = _shown(context, answers["terms"], answers["version"])
    if _awaits_my_confirmation(context):
        return msg("agreement.ask_confirm", text=text, partner=partner)
    return msg("agreement.view", text=text)


def _shown(context: FlowContext, terms: dict[str, Any], version: int) -> Msg:
    """The agreement for this member to read: their own zone, their goals first."""
    partner_goals = terms["goals"].get(str(context.answers["partner_id"]), [])
    own = terms["goals"].get(str(context.member.id), [])
    goals = [msg("agreement.goals_yours"), *goal_lines(own)]
    goals += [msg("agreement.goals_of", name=user_text(context.answers["partner"]))]
    goals += goal_lines(partner_goals)
    return agreement_text(
        terms,
        version,
        [context.member],
        context.locale,
        context.now,
        reader=context.member,
        goals=goals,
    )


def start_options(context: FlowContext) -> tuple[Option, ...]:
    if _mode(context) == "part":
        return (KEEP_GOALS, WRITE_GOALS) if context.answers["profile_goals"] else (WRITE_GOALS,)
    if _mode(context) == "decide":
        return (ACCEPT, DECLINE)
    first = (CONFIRM,) if _awaits_my_confirmation(context) else (NOTHING,)
    return (*first, *CHANGE_OPTIONS)


def after_start(answer: Any, context: FlowContext) -> str:
    if _mode(context) == "part":
        return MILESTONE_STEPS[0] if answer == "keep" else "goals"
    if answer in CHANGES:
        return str(answer)
    return END


# -- goals and milestones --------------------------------------------------------------------


def goals_of(context: FlowContext) -> list[str]:
    return list(context.answers.get("goals") or context.answers["profile_goals"])


def has_goal(index: int) -> Callable[[FlowContext], bool]:
    return lambda context: len(goals_of(context)) > index


def milestone_prompt(index: int) -> Callable[[FlowContext], Msg]:
    def prompt(context: FlowContext) -> Msg:
        return msg("agreement.ask_milestones", goal=user_text(goals_of(context)[index]))

    return prompt


def after_goals(_answer: Any, context: FlowContext) -> str:
    return "slot" if _mode(context) == "part" else END


def milestone_step(index: int) -> Step:
    last = index == MAX_MILESTONES - 1
    return Step(
        MILESTONE_STEPS[index],
        TextQuestion(
            prompt=milestone_prompt(index),
            label=msg("agreement.milestones_label"),
            max_length=600,
            check=lambda text, _context: parse_milestones(text),
        ),
        when=has_goal(index),
        next=after_goals if last else FOLLOWING,
    )


# -- the rhythm ------------------------------------------------------------------------------


def slot_options(context: FlowContext) -> tuple[Option, ...]:
    """The partner's pick first (in this member's zone), then the slots the bot proposes from
    both members' common free time, then "another time"."""
    answers = context.answers
    zone = answers["my_zone"]
    slots = []
    picked = answers.get("partner_slot")
    if picked is not None:
        slots.append(in_zone(picked, zone, context.now))
    for slot in proposed_slots(
        (zone, answers["my_free"]), (answers["partner_zone"], answers["partner_free"]), context.now
    ):
        if slot not in slots:
            slots.append(slot)
    options = []
    for index, slot in enumerate(slots):
        when = slot_label(slot, context.locale, context.now)
        if index == 0 and picked is not None:
            label = msg("agreement.slot_partner", when=when, partner=user_text(answers["partner"]))
        else:
            label = msg("agreement.slot_option", when=when)
        options.append(Option(id=slot_id(slot), label=label))  # no emoji: it would repeat
    options.append(Option(id=OTHER, label=msg("agreement.slot_other"), emoji="✏️"))
    return tuple(options)


def slot_prompt(context: FlowContext) -> Msg:
    return msg("agreement.ask_slot", zone=context.answers["my_zone"])


def after_rhythm(_answer: Any, context: FlowContext) -> str:
    return FOLLOWING if _mode(context) == "part" else END


def after_slot(answer: Any, context: FlowContext) -> str:
    if answer == OTHER:
        return "slot_other"
    return "duration" if _mode(context) == "part" else END


def chosen_slot(context: FlowContext) -> dict[str, str]:
    answers = context.answers
    if answers.get("slot") == OTHER:
        return dict(answers["slot_other"])
    return slot_from_id(str(answers["slot"]), answers["my_zone"])


def duration_options(context: FlowContext) -> tuple[Option, ...]:
    default = context.program.agreement.default_duration
    ordered = (default, *(minutes for minutes in DURATIONS if minutes != default))
    return tuple(
        Option(id=str(minutes), label=msg("agreement.minutes", minutes=minutes))
        for minutes in ordered
    )


FORMAT_OPTIONS = tuple(Option(id=chosen, label=format_label(chosen)) for chosen in FORMATS)
ACCEPT_RULES = (Option(id="accept", label=msg("agreement.rules_accept"), emoji="🤝"),)


def rules_prompt(context: FlowContext) -> Msg:
    in_person = context.answers.get("format") == "in_person"
    return msg(
        "agreement.ask_rules",
        rules=rules_text(context.program.agreement.rules()),
        places=msg("agreement.public_places") if in_person else "",
    )


def in_part(context: FlowContext) -> bool:
    return _mode(context) == "part"


STEPS = (
    Step("start", ChoiceQuestion(prompt=start_prompt, options=start_options), next=after_start),
    Step(
        "goals",
        TextQuestion(
            prompt=msg("agreement.ask_goals"),
            label=msg("agreement.goals_label"),
            max_length=700,
            check=parse_goals,
        ),
        next=MILESTONE_STEPS[0],
    ),
    *(milestone_step(index) for index in range(MAX_MILESTONES)),
    Step("slot", ChoiceQuestion(prompt=slot_prompt, options=slot_options), next=after_slot),
    Step(
        "slot_other",
        TextQuestion(
            prompt=msg("agreement.ask_slot_other"),
            label=msg("agreement.slot_label"),
            max_length=60,
            check=lambda text, context: parse_slot(text, context.answers["my_zone"]),
        ),
        next=after_rhythm,
    ),
    Step(
        "duration",
        ChoiceQuestion(prompt=msg("agreement.ask_duration"), options=duration_options),
        next=after_rhythm,
    ),
    Step(
        "format",
        ChoiceQuestion(prompt=msg("agreement.ask_format"), options=FORMAT_OPTIONS),
        next=after_rhythm,
    ),
    Step("rules", ChoiceQuestion(prompt=rules_prompt, options=ACCEPT_RULES), when=in_part),
)


# -- the end of each mode ----------------------------------------------------------------------


def _goals_with_milestones(context: FlowContext) -> list[dict[str, Any]]:
    return [
        {"goal": goal, "milestones": context.answers[MILESTONE_STEPS[index]]}
        for index, goal in enumerate(goals_of(context))
    ]


async def finish_agreement(context: FlowContext) -> list[Msg | Intent]:
    mode = _mode(context)
    if mode == "part":
        return await _save_part(context)
    if mode == "decide":
        return await _decide(context)
    answer = context.answers["start"]
    if answer == "confirm":
        return await _confirm(context)
    if answer in CHANGES:
        return await _propose(context, str(answer))
    return [msg("agreement.nothing_changed", agreement=context.spell(COMMAND))]


async def _save_part(context: FlowContext) -> list[Msg | Intent]:
    answers, me, now = context.answers, context.member.id, context.now
    tandem_id = int(answers["tandem"])
    part = {
        "goals": _goals_with_milestones(context),
        "slot": chosen_slot(context),
        "duration": int(answers["duration"]),
        "format": answers["format"],
        "rules_accepted": True,
    }
    rules = context.program.agreement.rules()

    def merged(record: AgreementRecord) -> dict[str, Any]:
        parts = {record.member_a: record.part_a, record.member_b: record.part_b}
        return merge({member: dict(part or {}) for member, part in parts.items()}, me, rules, now)

    def book(_record: AgreementRecord) -> list[Booking]:
        key = due_prefix(tandem_id) + "agreement:merged"
        return [Booking(AGREEMENT_MERGED.name, key, now, payload={"tandem": tandem_id})]

    outcome, _record = await context.store.agreements.save_part(
        tandem_id, me, part, now=now, merge=merged, book=book
    )
    partner = user_text(answers["partner"])
    if outcome == "closed":
        return [msg("agreement.closed", agreement=context.spell(COMMAND))]
    if outcome == "merged":
        return [msg("agreement.part_merged", partner=partner)]
    return [msg("agreement.part_saved", partner=partner)]


async def _confirm(context: FlowContext) -> list[Msg | Intent]:
    answers, now = context.answers, context.now
    tandem_id = int(answers["tandem"])
    tandem = await context.store.tandems.get(tandem_id)
    began = now if tandem is None or tandem.active_at is None else tandem.active_at

    def book(record: AgreementRecord) -> list[Booking]:
        key = due_prefix(tandem_id) + f"agreement:agreed:{record.version}"
        payload = {"tandem": tandem_id, "event": "agreed", "by": context.member.id}
        # Agreed: the tandem's reflections are booked (docs/reflection.md), its meetings planned
        # (docs/meetings.md).
        reflections = reflection_bookings(tandem_id, began, context.program, now)
        return [
            Booking(AGREEMENT_NOTICE.name, key, now, payload=payload),
            *reflections,
            plan_booking(tandem_id, now, replace=True),
        ]

    outcome, _record = await context.store.agreements.confirm(
        int(answers["agreement"]), context.member.id, int(answers["version"]), now=now, book=book
    )
    partner = user_text(answers["partner"])
    if outcome == "agreed":
        offer = msg("calendar.offer", calendar=context.spell(CALENDAR))
        return [msg("agreement.agreed_you", partner=partner, calendar=offer)]
    if outcome == "confirmed":
        return [msg("agreement.confirmed_wait", partner=partner)]
    return [msg("agreement.closed", agreement=context.spell(COMMAND))]


async def _propose(context: FlowContext, field: str) -> list[Msg | Intent]:
    answers, me, now = context.answers, context.member.id, context.now
    tandem_id, partner_id = int(answers["tandem"]), int(answers["partner_id"])
    terms = dict(answers["terms"])
    rhythm = dict(terms["rhythm"])
    if field == "slot":
        rhythm |= chosen_slot(context)
        terms["rhythm_by"] = me
    elif field == "duration":
        rhythm["duration"] = int(answers["duration"])
    elif field == "format":
        rhythm["format"] = answers["format"]
    else:
        terms["goals"] = {**terms["goals"], str(me): _goals_with_milestones(context)}
    terms["rhythm"] = rhythm

    def book(change: ChangeRecord) -> list[Booking]:
        return [ask_booking(tandem_id, partner_id, now, purpose="decide", change=change.id)]

    change = await context.store.agreements.propose(
        int(answers["agreement"]), me, field, terms, now=now, book=book
    )
    if change is None:
        return [msg("agreement.closed", agreement=context.spell(COMMAND))]
    said = [msg("agreement.change_proposed", partner=user_text(answers["partner"]))]
    if field == "format" and rhythm["format"] == "in_person":
        said.append(msg("agreement.public_places"))
    return said


async def _decide(context: FlowContext) -> list[Msg | Intent]:
    answers, now = context.answers, context.now
    tandem_id, change_id = int(answers["tandem"]), int(answers["change"])
    accept = answers["start"] == "accept"

    def book(_record: AgreementRecord) -> list[Booking]:
        key = due_prefix(tandem_id) + f"agreement:decided:{change_id}"
        payload = {
            "tandem": tandem_id,
            "event": "accepted" if accept else "declined",
            "by": context.member.id,
            "change": change_id,
        }
        bookings = [Booking(AGREEMENT_NOTICE.name, key, now, payload=payload)]
        if accept and answers["change_field"] in RESCHEDULING:
            bookings.append(plan_booking(tandem_id, now, replace=True))
        return bookings

    outcome, _record = await context.store.agreements.decide(
        change_id, context.member.id, accept=accept, now=now, book=book
    )
    partner = user_text(answers["partner"])
    if outcome == "accepted":
        offer = msg("calendar.offer_again", calendar=context.spell(CALENDAR))
        return [msg("agreement.change_accepted", partner=partner, calendar=offer)]
    if outcome == "declined":
        return [msg("agreement.change_declined", partner=partner)]
    return [msg("agreement.closed", agreement=context.spell(COMMAND))]


AGREEMENT = Flow(
    id=FLOW_ID,
    version=1,
    command=COMMAND,
    description=msg("command.agreement"),
    guard=in_a_tandem,
    prefill=where_it_stands,
    timeout=timedelta(days=14),
    steps=STEPS,
    finish=finish_agreement,
)
