"""A member's profile as lines a person reads: in the join summary, ``profile`` and ``mydata``."""

from __future__ import annotations

from typing import Any

from bot.config import ProgramSettings
from bot.messages import Msg, UserText, msg, organizer_text, user_text
from flows.questionnaire import (
    FIELD_LABELS,
    FORMATS,
    IN_PERSON,
    LANGUAGE_NAMES,
    SLOTS,
    extra_step_id,
)

_FORMAT_LABELS = {option.id: option.label for option in FORMATS}
_SLOT_LABELS = {option.id: option.label for option in SLOTS}
STATUS_LABELS: dict[str, Msg] = {
    "new": msg("status.new"),
    "onboarding": msg("status.onboarding"),
    "waiting": msg("status.waiting"),
    "paused": msg("status.paused"),
    "in_tandem": msg("status.in_tandem"),
    "left": msg("status.left"),
}
NOT_GIVEN = msg("profile.not_given")


def profile_lines(answers: dict[str, Any], program: ProgramSettings) -> list[Msg]:
    """One "• Label: value" line per answered question, in questionnaire order."""
    topics = {topic.id: organizer_text(topic.texts()) for topic in program.topics}
    values: dict[str, Any] = {
        "offers": _each(answers.get("offers"), topics),
        "offer_text": _written(answers.get("offer_text")),
        "needs": _each(answers.get("needs"), topics),
        "need_text": _written(answers.get("need_text")),
        "goals": _written(" · ".join(answers.get("goals") or [])),
        "expectations": _written(answers.get("expectations")),
        "languages": _each(answers.get("languages"), LANGUAGE_NAMES),
        "timezone": answers.get("timezone"),
        "availability": _each(answers.get("availability"), _SLOT_LABELS),
        "format": _FORMAT_LABELS.get(answers.get("format") or ""),
    }
    lines = []
    for field, label in FIELD_LABELS.items():
        if field == "city" and answers.get("format") not in IN_PERSON:
            continue
        value = _written(answers.get("city")) if field == "city" else values[field]
        lines.append(msg("profile.line", label=label, value=value or NOT_GIVEN))
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


def _each(ids: list[str] | None, labels: dict[str, Msg]) -> tuple[Msg | str, ...]:
    return tuple(labels.get(item, item) for item in ids or ())


def _written(text: str | None) -> UserText | None:
    """A member's own words, marked so each platform shows them as written (never as markup)."""
    return user_text(text) if text else None
