"""The join questionnaire (the journey's steps 1–3): self-reflection, consent, profile.

::

    language ─▶ consent ──decline──▶ END (everything deleted)
                  │agree (recorded with the notice's version)
                  ▼
    [keep: someone who left and comes back] ──keep──▶ confirm (the old profile)
                  │start over
                  ▼
    offers ─▶ offer_text ─▶ needs ─▶ need_text ─▶ goals ─▶ expectations ─▶ languages
      ─▶ timezone ─▶ availability ─▶ format ─▶ [city] ─▶ [extra questions] ─▶ confirm
                                                                   ▲            │ save ─▶ END
                                              change_which ─▶ that question ◀──┘ change

Nothing personal is stored before consent: until then there is only the member's record (their
platform id and display name) and the running conversation (its step and the language chosen);
declining deletes both, and silence purges them after a week. The profile is saved at the end.

Someone who left keeps their profile until it is purged (``docs/privacy.md``); coming back with
``join`` they are offered to keep it (and change what they like at the summary) or to start over.
Until they save, they stay "left": a re-join they cancel changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answers import NO_WORDS, YES_WORDS
from bot.config import Settings
from bot.flow import (
    END,
    FOLLOWING,
    ChoiceQuestion,
    Flow,
    FlowContext,
    NextStep,
    Step,
)
from bot.i18n import in_every_language
from bot.intents import Option
from bot.messages import Msg, msg
from flows.profile_view import profile_lines
from flows.questionnaire import (
    CONSENT,
    LANGUAGES,
    after_format,
    chosen_timezone,
    editable_fields,
    profile_answers,
    profile_steps,
)
from store import Store
from store.members import MemberRecord, MemberStatus
from store.precompiled import Writes

KEEP_OR_RESTART = (
    Option(id="keep", label=msg("join.keep.keep"), emoji="👍", words=(YES_WORDS,)),
    Option(id="restart", label=msg("join.keep.restart"), emoji="🔄", words=(NO_WORDS,)),
)
CONFIRM = (
    Option(id="save", label=msg("join.confirm.save"), emoji="✅", words=(YES_WORDS,)),
    Option(id="change", label=msg("join.confirm.change"), emoji="✏️", words=(NO_WORDS,)),
)


def privacy_notice(context: FlowContext) -> Msg:
    program = context.program
    contact = (
        msg("privacy.contact", contact=program.privacy_contact) if program.privacy_contact else ""
    )
    return msg(
        "join.privacy_notice",
        version=program.privacy_notice_version,
        days=program.retention_days_after_leaving,
        contact=contact,
        mydata=context.spell("mydata"),
        forget=context.spell("forget"),
        note=context.spell("note"),
    )


def summary(context: FlowContext) -> Msg:
    return msg("join.ask_confirm", lines=profile_lines(shown_profile(context), context.program))


def shown_profile(context: FlowContext) -> dict[str, Any]:
    """The profile as it would be saved now: the kept one with what was answered since."""
    answers = dict(context.answers)
    answered = {**answers, "timezone": chosen_timezone(answers)}
    if answers.get("keep") != "keep":
        return answered
    changed = {key: value for key, value in answered.items() if key in answers}
    return {**answers.get("previous", {}), **changed}


async def previous_profile(member: MemberRecord, store: Store) -> dict[str, Any]:
    """For someone who left, or finished a program (alumni), and comes back: the profile they
    had, to offer keeping it."""
    if member.status not in (MemberStatus.LEFT, MemberStatus.ALUMNI):
        return {}
    profile = await store.members.profile(member.id)
    return {"previous": profile} if profile else {}


def has_previous(context: FlowContext) -> bool:
    return bool(context.answers.get("previous"))


def keep_prompt(context: FlowContext) -> Msg:
    lines = profile_lines(dict(context.answers.get("previous", {})), context.program)
    return msg("join.ask_keep", lines=lines)


def after_keep(answer: Any, _context: FlowContext) -> str:
    return "confirm" if answer == "keep" else FOLLOWING


def hello(context: FlowContext) -> Msg:
    """The greeting; in every language while the bot cannot know the member's."""
    return msg("join.hello") if context.locale_known else in_every_language(msg("join.hello"))


def ask_language(context: FlowContext) -> Msg:
    question = msg("join.ask_language")
    return question if context.locale_known else in_every_language(question)


def after_consent(answer: Any, _context: FlowContext) -> str:
    return FOLLOWING if answer == "agree" else END


async def record_consent(answer: Any, context: FlowContext) -> Writes | None:
    """The consent, written with the step it answers (in its transaction, only if it moves)."""
    if answer != "agree":
        return None
    # A new member is onboarding from now on; someone coming back stays "left" until they
    # save: cancelling changes nothing.
    return context.store.members.consent_writes(
        context.member, context.program.privacy_notice_version, now=context.now, onboarding=True
    )


def after_confirm(answer: Any, _context: FlowContext) -> str:
    return END if answer == "save" else "change_which"


def choose_step(answer: Any, _context: FlowContext) -> str:
    return str(answer)


def next_in_join(step_id: str) -> NextStep:
    """In order at first; back to the summary once the member corrects from there."""

    def go(answer: Any, context: FlowContext) -> str:
        if not context.answers.get("change_which"):
            return FOLLOWING
        back_to_summary = after_format("confirm") if step_id == "format" else "confirm"
        return back_to_summary(answer, context) if callable(back_to_summary) else back_to_summary

    return go


def not_twice(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    """Refuses those who joined, but alumni: ``join`` brings them back for a later program."""
    if member is not None and member.joined and member.status != MemberStatus.ALUMNI:
        return msg("join.already_joined", profile=spell("profile"), edit=spell("edit"))
    return None


def build_join(settings: Settings) -> Flow:
    questions = profile_steps(settings, next_in_join)

    async def save_on_confirm(answer: Any, context: FlowContext) -> Writes | None:
        """The profile, written with the step of the confirmation (in its transaction, only
        if it moves): the flow's end is then one write less for every member who joins."""
        if answer != "save":
            return None
        answers = dict(context.answers)
        kept = answers.get("previous", {}) if answers.get("keep") == "keep" else {}
        profile = {**kept, **profile_answers(answers, questions)}
        return context.store.members.profile_writes(
            context.member,
            profile,
            now=context.now,
            replace_all=True,
            locale=answers["language"],
            timezone=profile.get("timezone"),
            status=MemberStatus.WAITING,
            left_at=None,
            paused_until=None,
            dm_place=context.place.model_dump(mode="json", exclude_none=True),
        )

    async def finish(context: FlowContext) -> list[Msg]:
        if context.answers.get("consent") != "agree":
            await context.store.privacy.forget(context.member)
            return [msg("join.declined")]
        # Saved with the confirmation (save_on_confirm): the only way here with a consent.
        return [
            msg(
                "join.done",
                profile=context.spell("profile"),
                edit=context.spell("edit"),
                pause=context.spell("pause"),
            )
        ]

    return Flow(
        id="join",
        version=2,
        command="join",
        description=msg("command.join"),
        intro=hello,
        locale_step="language",
        guard=not_twice,
        prefill=previous_profile,
        steps=(
            Step("language", ChoiceQuestion(prompt=ask_language, options=LANGUAGES)),
            Step(
                "consent",
                ChoiceQuestion(
                    prompt=privacy_notice, options=CONSENT, again=msg("consent.ask_again")
                ),
                before=msg("join.welcome"),
                next=after_consent,
                on_answer=record_consent,
            ),
            Step(
                "keep",
                ChoiceQuestion(prompt=keep_prompt, options=KEEP_OR_RESTART),
                next=after_keep,
                when=has_previous,
            ),
            *questions,
            Step(
                "confirm",
                ChoiceQuestion(prompt=summary, options=CONFIRM),
                next=after_confirm,
                on_answer=save_on_confirm,
            ),
            Step(
                "change_which",
                ChoiceQuestion(prompt=msg("join.ask_change_which"), options=editable_fields),
                next=choose_step,
            ),
        ),
        finish=finish,
    )
