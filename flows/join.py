"""The join conversation, short first version: language, name, a goal, meeting days, confirm.

::

    language ─▶ name ─▶ goal ─▶ days ─▶ confirm ──save──▶ END (profile saved)
                  ▲                        │
                  └────────── change ──────┘

The full onboarding questionnaire (consent, offers and needs, time zone, availability …)
replaces this in its own issue; the seams (steps, validation, persistence) stay.
"""

from __future__ import annotations

from typing import Any

from bot.intents import Option
from bot.messages import Msg, msg
from flows.definition import END, ChoiceQuestion, Flow, FlowContext, Step, TextQuestion

LANGUAGES = (
    Option(id="de", label=msg("language.de")),
    Option(id="en", label=msg("language.en")),
)
WEEKDAYS = (
    Option(id="mon", label=msg("weekday.mon")),
    Option(id="tue", label=msg("weekday.tue")),
    Option(id="wed", label=msg("weekday.wed")),
    Option(id="thu", label=msg("weekday.thu")),
    Option(id="fri", label=msg("weekday.fri")),
    Option(id="sat", label=msg("weekday.sat")),
    Option(id="sun", label=msg("weekday.sun")),
)
CONFIRM = (
    Option(id="save", label=msg("join.confirm.save"), emoji="✅"),
    Option(id="change", label=msg("join.confirm.change"), emoji="✏️"),
)
_DAY_LABELS = {option.id: option.label for option in WEEKDAYS}


def summary(context: FlowContext) -> Msg:
    answers = context.answers
    return msg(
        "join.ask_confirm",
        name=answers["name"],
        goal=answers["goal"],
        days=tuple(_DAY_LABELS[day] for day in answers["days"]),
    )


def after_confirm(answer: Any, _context: FlowContext) -> str:
    return END if answer == "save" else "name"


async def save_profile(context: FlowContext) -> list[Msg]:
    answers = context.answers
    await context.store.members.save_profile(
        context.member,
        {"goal": answers["goal"], "days": answers["days"]},
        now=context.now,
        display_name=answers["name"],
        locale=answers["language"],
        status="waiting",
    )
    return [msg("join.done", name=answers["name"])]


JOIN = Flow(
    id="join",
    version=1,
    command="join",
    description=msg("command.join"),
    intro=msg("join.intro"),
    locale_step="language",
    steps=(
        Step("language", ChoiceQuestion(prompt=msg("join.ask_language"), options=LANGUAGES)),
        Step(
            "name",
            TextQuestion(prompt=msg("join.ask_name"), label=msg("join.label_name"), max_length=64),
        ),
        Step(
            "goal",
            TextQuestion(
                prompt=msg("join.ask_goal"),
                label=msg("join.label_goal"),
                min_length=3,
                max_length=300,
            ),
        ),
        Step(
            "days",
            ChoiceQuestion(prompt=msg("join.ask_days"), options=WEEKDAYS, multiple=True),
        ),
        Step("confirm", ChoiceQuestion(prompt=summary, options=CONFIRM), next=after_confirm),
    ),
    finish=save_profile,
)
