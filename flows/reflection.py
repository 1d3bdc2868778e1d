"""``reflect``: a structured reflection (the journey's step 7), answered privately.

For each of my goals: progress on a 1–5 scale and an optional note; then what helped, what we
should change and my focus until the next reflection (each optional); which of my milestones I
reached (when any are open); and last, which parts I share with my partner. Nothing of it
reaches the pair space but the parts chosen there, shown beside the partner's once both
reflected (:mod:`flows.reflection_notices`).

::

    progress_1 ─▶ note_1 ─▶ [progress_2 ─▶ note_2 ─▶ [progress_3 ─▶ note_3]]
      ─▶ helped ─▶ change ─▶ focus ─▶ [milestones] ─▶ share ─▶ END (saved; both in: shown
                                                                side by side)

The bot starts it at the community's intervals (``reflection_due``), and for the partner when
one reflects on demand; members start it with ``reflect`` any time. A reflection of the
partner that this member has not answered is the one answered (``number``); after answering,
a member waits for the partner's before starting another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.flow import ChoiceQuestion, Flow, FlowContext, Invalid, Step, TextQuestion
from bot.intents import Intent, Option
from bot.messages import Msg, msg, user_text
from flows.celebration import agreed_tandem, mark_reached, milestone_label, open_milestones
from flows.reflection_notices import FLOW_ID, ask_partner_booking, shared_booking
from store import Store
from store.due_items import Booking
from store.members import MemberRecord, MemberStatus

COMMAND = "reflect"
MAX_GOALS = 3
SCALE = range(1, 6)
PARTS = ("progress", "notes", "helped", "change", "focus")
NOTHING = "nothing"


async def where_reflection_stands(member: MemberRecord, store: Store) -> dict[str, Any]:
    found = await agreed_tandem(member, store, msg("reflect.none"))
    tandem, partner = found.tandem, found.partner
    number, open_for_me = await store.reflections.next_for(tandem.id, member.id)
    if not open_for_me:
        raise Invalid(msg("reflect.waiting_for_partner", partner=user_text(found.partner_name)))
    goals = found.terms["goals"].get(str(member.id), [])
    reached = await store.milestones.reached(tandem.id, member.id)
    return {
        "tandem": tandem.id,
        "number": number,
        # The program's length counts from when its current round began.
        "active_at": tandem.round_began.isoformat(),
        "partner": found.partner_name,
        "partner_id": partner.id,
        "goals": [goal["goal"] for goal in goals][:MAX_GOALS],
        "open": open_milestones(found.terms, member.id, reached),
    }


def in_a_tandem(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("reflect.none")


def is_final(context: FlowContext) -> bool:
    """The program's last reflection: its length has run (a day early counts); never
    without a set length."""
    if not context.program.length_weeks:
        return False
    began = datetime.fromisoformat(context.answers["active_at"])
    length = timedelta(weeks=context.program.length_weeks)
    return context.now >= began + length - timedelta(days=1)


def intro(context: FlowContext) -> Msg:
    partner = user_text(context.answers["partner"])
    if is_final(context):
        return msg("reflect.intro_final", partner=partner)
    return msg("reflect.intro", partner=partner, number=context.answers["number"])


def has_goal(index: int) -> Callable[[FlowContext], bool]:
    return lambda context: len(context.answers["goals"]) > index


def progress_step(index: int) -> Step:
    def prompt(context: FlowContext) -> Msg:
        goal = context.answers["goals"][index]
        return msg("reflect.ask_progress", goal=user_text(goal))

    options = tuple(Option(id=str(value), label=msg(f"reflect.scale_{value}")) for value in SCALE)
    return Step(
        f"progress_{index + 1}",
        ChoiceQuestion(prompt=prompt, options=options),
        when=has_goal(index),
    )


def note_step(index: int) -> Step:
    return Step(
        f"note_{index + 1}",
        TextQuestion(
            prompt=msg("reflect.ask_note"),
            label=msg("reflect.note_label"),
            max_length=500,
            optional=True,
        ),
        when=has_goal(index),
    )


def optional_text(step_id: str) -> Step:
    return Step(
        step_id,
        TextQuestion(
            prompt=msg(f"reflect.ask_{step_id}"),
            label=msg(f"reflect.{step_id}_label"),
            max_length=800,
            optional=True,
        ),
    )


def milestone_options(context: FlowContext) -> tuple[Option, ...]:
    return tuple(
        Option(id=milestone["id"], label=milestone_label(milestone))
        for milestone in context.answers["open"]
    )


def _notes(answers: dict[str, Any] | Any) -> list[str | None]:
    return [answers.get(f"note_{index + 1}") for index in range(len(answers["goals"]))]


def share_options(context: FlowContext) -> tuple[Option, ...]:
    """Only what was answered can be shared; "nothing" keeps all of it private."""
    answers = context.answers
    given = {
        "progress": bool(answers["goals"]),
        "notes": any(_notes(answers)),
        "helped": bool(answers.get("helped")),
        "change": bool(answers.get("change")),
        "focus": bool(answers.get("focus")),
    }
    emoji = {"progress": "📈", "notes": "📝", "helped": "🙌", "change": "🔧", "focus": "🎯"}
    parts = tuple(
        Option(id=part, label=msg(f"reflect.share.{part}"), emoji=emoji[part])
        for part in PARTS
        if given[part]
    )
    return (*parts, Option(id=NOTHING, label=msg("reflect.share.nothing"), emoji="🔒"))


STEPS = (
    *(step for index in range(MAX_GOALS) for step in (progress_step(index), note_step(index))),
    optional_text("helped"),
    optional_text("change"),
    optional_text("focus"),
    Step(
        "milestones",
        ChoiceQuestion(
            prompt=msg("reflect.ask_milestones"),
            options=milestone_options,
            multiple=True,
            min_choices=0,
        ),
        when=lambda context: bool(context.answers["open"]),
    ),
    Step(
        "share",
        ChoiceQuestion(
            prompt=lambda context: msg(
                "reflect.ask_share", partner=user_text(context.answers["partner"])
            ),
            options=share_options,
            multiple=True,
        ),
    ),
)


def reflection_answers(answers: dict[str, Any] | Any) -> dict[str, Any]:
    """What is stored: per goal its progress and note, then the three open questions."""
    return {
        "goals": [
            {
                "goal": goal,
                "progress": int(answers[f"progress_{index + 1}"]),
                "note": answers.get(f"note_{index + 1}"),
            }
            for index, goal in enumerate(answers["goals"])
        ],
        **{key: answers.get(key) for key in ("helped", "change", "focus")},
    }


async def finish_reflection(context: FlowContext) -> list[Msg | Intent]:
    answers, now = context.answers, context.now
    tandem_id, number = int(answers["tandem"]), int(answers["number"])
    chosen = list(answers.get("share") or [])
    shared = [] if NOTHING in chosen else [part for part in PARTS if part in chosen]
    final = is_final(context)
    partner_id = int(answers["partner_id"])

    def book(number: int, both: bool) -> list[Booking]:
        # Both in: shown side by side; else the partner is asked to reflect too.
        if both:
            return [shared_booking(tandem_id, number, now)]
        return [ask_partner_booking(tandem_id, partner_id, number, now)]

    outcome = await context.store.reflections.save(
        tandem_id,
        context.member.id,
        number,
        final=final,
        answers=reflection_answers(answers),
        shared=shared,
        now=now,
        book=book,
    )
    partner = user_text(answers["partner"])
    agreement = context.spell("agreement")
    if outcome == "closed":
        return [msg("reflect.closed")]
    said: list[Msg | Intent] = []
    marked = await mark_reached(
        context.store,
        tandem_id,
        context.member.id,
        list(answers["open"]),
        list(answers.get("milestones") or []),
        now=now,
    )
    if marked:
        said.append(msg("reflect.milestones_marked", partner=partner))
    if outcome == "both":
        said.append(msg("reflect.saved_both", partner=partner, agreement=agreement))
        return said
    said.append(msg("reflect.saved_first", partner=partner, agreement=agreement))
    return said


REFLECT = Flow(
    id=FLOW_ID,
    version=1,
    command=COMMAND,
    description=msg("command.reflect"),
    guard=in_a_tandem,
    prefill=where_reflection_stands,
    intro=intro,
    timeout=timedelta(days=14),
    steps=STEPS,
    finish=finish_reflection,
)
