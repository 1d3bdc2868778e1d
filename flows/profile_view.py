"""A member's profile as lines a person reads: in the join summary, ``profile`` and ``mydata``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.config import ProgramSettings
from bot.flow import ActionContext
from bot.intents import Say
from bot.messages import Msg, UserText, msg, organizer_text, user_text
from flows.questionnaire import (
    FIELD_LABELS,
    FORMATS,
    IN_PERSON,
    LANGUAGE_NAMES,
    SLOTS,
    extra_step_id,
    program_topics,
)
from flows.timezones import zone_title
from store.members import MemberRecord, MemberStatus

_FORMAT_LABELS = {option.id: option.label for option in FORMATS}
_SLOT_LABELS = {option.id: option.label for option in SLOTS}
STATUS_LABELS: dict[str, Msg] = {
    "new": msg("status.new"),
    "onboarding": msg("status.onboarding"),
    "waiting": msg("status.waiting"),
    "paused": msg("status.paused"),
    "in_tandem": msg("status.in_tandem"),
    "alumni": msg("status.alumni"),
    "left": msg("status.left"),
}
NOT_GIVEN = msg("profile.not_given")


def must_have_joined(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    """None for a member who joined; else what they can do instead."""
    if member is not None and member.joined:
        return None
    if member is None:
        return msg("profile.not_joined", join=spell("join"))
    if member.status == MemberStatus.LEFT:
        return msg("profile.left", join=spell("join"))
    return msg("profile.not_finished", join=spell("join"))


def refuse_unless_joined(context: ActionContext) -> Say:
    """The answer to a member command from someone who has not joined (what to do instead)."""
    refusal = must_have_joined(context.member, context.spell)
    assert refusal is not None, "only for members who have not joined"
    return context.reply(refusal)


def status_in_words(member: MemberRecord, locale: str) -> Msg:
    """ "paused until 24 December 2026" (in the member's time zone), else the status' name."""
    if member.status == MemberStatus.PAUSED and member.paused_until is not None:
        local = member.paused_until.astimezone(ZoneInfo(member.timezone or "UTC"))
        day = format_date(local.date(), format="long", locale=locale)
        return msg("status.paused_until", date=day)
    return STATUS_LABELS.get(member.status, msg("status.unknown", status=member.status))


def topic_labels(
    ids: list[str] | tuple[str, ...] | None, program: ProgramSettings
) -> tuple[Msg | str, ...]:
    """The community's labels of topic ids (an id no longer configured shows as itself)."""
    labels = {option.id: option.label for option in program_topics(program)}
    return _each(list(ids or ()), labels)


def profile_values(answers: dict[str, Any], program: ProgramSettings) -> dict[str, Any]:
    """Each profile question's answer as a person reads it (None when not given)."""
    return {
        "offers": topic_labels(answers.get("offers"), program),
        "offer_text": _written(answers.get("offer_text")),
        "needs": topic_labels(answers.get("needs"), program),
        "need_text": _written(answers.get("need_text")),
        "goals": _written(" · ".join(answers.get("goals") or [])),
        "expectations": _written(answers.get("expectations")),
        "languages": _each(answers.get("languages"), LANGUAGE_NAMES),
        "timezone": _zone(answers.get("timezone")),
        "availability": _each(answers.get("availability"), _SLOT_LABELS),
        "format": _FORMAT_LABELS.get(answers.get("format") or ""),
        "city": _written(answers.get("city")) if answers.get("format") in IN_PERSON else None,
    }


def profile_line(field: str, value: Any) -> Msg:
    """ "• Label: value" for one profile question."""
    return msg("profile.line", label=FIELD_LABELS[field], value=value or NOT_GIVEN)


def profile_lines(answers: dict[str, Any], program: ProgramSettings) -> list[Msg]:
    """One "• Label: value" line per answered question, in questionnaire order."""
    values = profile_values(answers, program)
    lines = []
    for field in FIELD_LABELS:
        if field == "city" and answers.get("format") not in IN_PERSON:
            continue
        lines.append(profile_line(field, values[field]))
    for question in program.extra_questions:
        answer = answers.get(extra_step_id(question))
        options = {o.id: organizer_text(o.texts()) for o in question.options}
        if isinstance(answer, list):
            answer = _each(answer, options)
        elif isinstance(answer, str) and answer in options:
            answer = options[answer]
        elif isinstance(answer, str):
            answer = _written(answer)
        label = organizer_text(question.texts())
        lines.append(msg("profile.line", label=label, value=answer or NOT_GIVEN))
    return lines


def _zone(zone: str | None) -> Msg | None:
    """ "Central European Time (Europe/Berlin)": the name a person knows, and the exact one."""
    return None if not zone else msg("profile.timezone", zone=zone_title(zone), name=zone)


def _each(ids: list[str] | None, labels: dict[str, Msg]) -> tuple[Msg | str, ...]:
    return tuple(labels.get(item, item) for item in ids or ())


def _written(text: str | None) -> UserText | None:
    """A member's own words, marked so each platform shows them as written (never as markup)."""
    return user_text(text) if text else None
