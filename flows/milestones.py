"""``milestone``: mark one of my milestones reached, or congratulate my partner on theirs.

What it asks depends on where things stand when it starts (``mode``):

::

    congratulate (the partner reached a milestone I have not answered yet):
        start: cheer | own words ─▶ words | skip ─▶ END (posted in the pair space)
    mark:
        start: one of my open milestones ─▶ [shoutout: yes | no, asked once] ─▶ END (marked:
               celebrated in the pair space, see flows.celebration)
             | shout-outs on / off ─▶ END
             | nothing yet ─▶ END

The bot starts it for the partner after a milestone was celebrated (``milestone_congratulate``);
members start it with ``milestone`` any time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.flow import END, ChoiceQuestion, Flow, FlowContext, Step, TextQuestion
from bot.i18n import choose_locale
from bot.intents import Intent, Option, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from flows.celebration import (
    FLOW_ID,
    agreed_tandem,
    mark_reached,
    milestone_label,
    open_milestones,
)
from store import Store
from store.members import MemberRecord, MemberStatus

COMMAND = "milestone"
SHOUTOUT_ON = "shoutout_on"
SHOUTOUT_OFF = "shoutout_off"
NOTHING = "nothing"


def _name(member: MemberRecord) -> str:
    return member.display_name or member.platform_user_id


async def where_milestones_stand(member: MemberRecord, store: Store) -> dict[str, Any]:
    found = await agreed_tandem(member, store, msg("milestone.none"))
    tandem, partner = found.tandem, found.partner
    answers: dict[str, Any] = {
        "tandem": tandem.id,
        "partner": found.partner_name,
        "partner_id": partner.id,
        "space": tandem.space,
        "partner_locale": partner.locale or partner.platform_locale,
    }
    theirs = await store.milestones.to_congratulate(tandem.id, partner.id)
    if theirs is not None:
        return {**answers, "mode": "congratulate", "reached": theirs.id, "text": theirs.text}
    reached = await store.milestones.reached(tandem.id, member.id)
    shoutouts = await store.milestones.shoutouts(tandem.id)
    return {
        **answers,
        "mode": "mark",
        "open": open_milestones(found.terms, member.id, reached),
        "opted_in": shoutouts.get(member.id),
    }


def in_a_tandem(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    if member is not None and member.status == MemberStatus.IN_TANDEM:
        return None
    return msg("milestone.none")


def _congratulating(context: FlowContext) -> bool:
    return context.answers["mode"] == "congratulate"


def start_prompt(context: FlowContext) -> Msg:
    answers = context.answers
    partner = user_text(answers["partner"])
    if _congratulating(context):
        return msg(
            "milestone.ask_congratulate", partner=partner, milestone=user_text(answers["text"])
        )
    if not answers["open"]:
        return msg("milestone.all_reached", partner=partner)
    return msg("milestone.ask_which", partner=partner)


CHEER = Option(id="cheer", label=msg("milestone.cheer"), emoji="🎉")
WORDS = Option(id="words", label=msg("milestone.words"), emoji="✏️")
SKIP = Option(id="skip", label=msg("milestone.skip"), emoji="👋")
NOT_YET = Option(id=NOTHING, label=msg("milestone.not_yet"), emoji="⏳")
TURN_ON = Option(id=SHOUTOUT_ON, label=msg("milestone.shoutout_turn_on"), emoji="📣")
TURN_OFF = Option(id=SHOUTOUT_OFF, label=msg("milestone.shoutout_turn_off"), emoji="🔕")
YES = Option(id="yes", label=msg("milestone.shoutout_yes"), emoji="📣")
NO = Option(id="no", label=msg("milestone.shoutout_no"), emoji="🔒")


def start_options(context: FlowContext) -> tuple[Option, ...]:
    if _congratulating(context):
        return (CHEER, WORDS, SKIP)
    picks = tuple(
        Option(id=milestone["id"], label=milestone_label(milestone))
        for milestone in context.answers["open"]
    )
    toggle = TURN_OFF if context.answers["opted_in"] else TURN_ON
    return (*picks, toggle, NOT_YET)


def after_start(answer: Any, context: FlowContext) -> str:
    if answer == "words":
        return "words"
    picked_milestone = answer not in (NOTHING, SHOUTOUT_ON, SHOUTOUT_OFF, "cheer", "skip")
    if picked_milestone and context.answers.get("opted_in") is None:
        return "shoutout"
    return END


async def finish_milestone(context: FlowContext) -> list[Msg | Intent]:
    answers, store, now = context.answers, context.store, context.now
    tandem_id, answer = int(answers["tandem"]), answers["start"]
    partner = user_text(answers["partner"])
    if _congratulating(context):
        if not await store.milestones.congratulated(int(answers["reached"]), now=now):
            return [msg("milestone.congratulated_before")]
        if answer == "skip":
            return [msg("milestone.skipped")]
        return [*_cheers(context), msg("milestone.congratulation_sent", partner=partner)]
    if answer in (SHOUTOUT_ON, SHOUTOUT_OFF):
        await _set_shoutout(context, answer == SHOUTOUT_ON)
        if answer == SHOUTOUT_ON:
            return [msg("milestone.shoutout_on", partner=partner)]
        return [msg("milestone.shoutout_off")]
    if answer == NOTHING:
        return [msg("milestone.keep_going")]
    if "shoutout" in answers:  # asked once, with the first milestone
        await _set_shoutout(context, answers["shoutout"] == "yes")
    marked = await mark_reached(
        store, tandem_id, context.member.id, list(answers["open"]), [answer], now=now
    )
    if not marked:
        return [msg("milestone.marked_before")]
    return [msg("milestone.marked", partner=partner, milestone=user_text(marked[0].text))]


async def _set_shoutout(context: FlowContext, opted_in: bool) -> None:
    await context.store.milestones.set_shoutout(
        context.community_id,
        int(context.answers["tandem"]),
        context.member.id,
        opted_in,
        now=context.now,
    )


def _cheers(context: FlowContext) -> list[Intent]:
    """The congratulation in the pair space, in each partner's language."""
    answers = context.answers
    if answers.get("space") is None:
        return []
    space = Place.model_validate(answers["space"])
    me, partner = user_text(_name(context.member)), user_text(answers["partner"])
    words = answers.get("words")
    text = (
        msg("milestone.cheer_words", name=me, partner=partner, words=user_text(words))
        if words
        else msg("milestone.cheer_space", name=me, partner=partner)
    )
    partner_locale = choose_locale(answers.get("partner_locale"), None, context.locale)
    return [
        Say(target=space, locale=locale, text=text, private=False)
        for locale in dict.fromkeys((context.locale, partner_locale))
    ]


MILESTONE = Flow(
    id=FLOW_ID,
    version=1,
    command=COMMAND,
    description=msg("command.milestone"),
    guard=in_a_tandem,
    prefill=where_milestones_stand,
    timeout=timedelta(days=14),
    steps=(
        Step("start", ChoiceQuestion(prompt=start_prompt, options=start_options), next=after_start),
        Step(
            "words",
            TextQuestion(
                prompt=lambda context: msg(
                    "milestone.ask_words", partner=user_text(context.answers["partner"])
                ),
                label=msg("milestone.words_label"),
                max_length=500,
            ),
            next=END,
        ),
        Step(
            "shoutout",
            ChoiceQuestion(
                prompt=lambda context: msg(
                    "milestone.ask_shoutout", partner=user_text(context.answers["partner"])
                ),
                options=(YES, NO),
            ),
        ),
    ),
    finish=finish_milestone,
)
