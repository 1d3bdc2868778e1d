"""Seeing and changing one's profile: ``profile`` (an action) and ``edit`` (one question again).

::

    edit:  field ─▶ that question ─▶ END (saved)    (format → city when meeting in person)
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.flow import END, Action, ActionContext, ChoiceQuestion, Flow, FlowContext, Step
from bot.intents import Intent
from bot.messages import Msg, msg
from flows.join import choose_step
from flows.meetings import meeting_still_fits
from flows.profile_view import must_have_joined, profile_lines, refuse_unless_joined
from flows.questionnaire import after_format, chosen_timezone, editable_fields, profile_steps
from flows.where import standing
from store import Store
from store.members import MemberRecord


async def show_profile(context: ActionContext) -> list[Intent]:
    member = context.member
    running = context.running
    if (member is None or not member.joined) and running is not None and running.flow_id == "join":
        number = len(running.trail) + 1
        joining = msg("profile.while_joining", number=number, profile=context.spell("profile"))
        return [context.reply(joining)]
    if member is None or not member.joined:
        return [refuse_unless_joined(context)]
    answers = await context.store.members.profile(member.id)
    found = await standing(context, member)
    return [
        context.reply(
            msg(
                "profile.show",
                status=found.line,
                lines=profile_lines(answers, context.program),
                edit=context.spell("edit"),
                pause=context.spell("pause"),
                mydata=context.spell("mydata"),
            )
        )
    ]


PROFILE = Action(command="profile", description=msg("command.profile"), run=show_profile)


async def saved_profile(member: MemberRecord, store: Store) -> dict[str, Any]:
    return await store.members.profile(member.id)


def build_edit(settings: Settings) -> Flow:
    def next_of(step_id: str) -> Any:
        return after_format(END) if step_id == "format" else END

    questions = profile_steps(settings, next_of)
    profile_ids = {step.id for step in questions}

    async def finish(context: FlowContext) -> list[Msg]:
        answers = dict(context.answers)
        field = answers["field"]
        changed = {field: chosen_timezone(answers) if field == "timezone" else answers.get(field)}
        if field == "format":
            if answers["format"] == "video":
                await context.store.members.delete_answers(context.member.id, ["city"])
            else:
                changed["city"] = answers.get("city")
        saved = {key: value for key, value in changed.items() if key in profile_ids}
        extra: dict[str, Any] = {}
        if "timezone" in saved:
            extra["timezone"] = saved["timezone"]
        await context.store.members.save_profile(context.member, saved, now=context.now, **extra)
        profile = await context.store.members.profile(context.member.id)
        said = [msg("edit.saved", lines=profile_lines(profile, context.program))]
        if field in ("timezone", "availability"):
            said += await meeting_still_fits(context)
        return said

    return Flow(
        id="edit",
        version=1,
        command="edit",
        description=msg("command.edit"),
        guard=must_have_joined,
        prefill=saved_profile,
        steps=(
            Step(
                "field",
                ChoiceQuestion(prompt=msg("edit.ask_field"), options=editable_fields),
                next=choose_step,
            ),
            *questions,
        ),
        finish=finish,
    )
