"""The profile questions, written once and used by ``join`` (all in a row) and ``edit`` (one).

Each question's answer is stored under its step id in the member's profile. Topics, tandem
languages and extra questions come from the community's program (``[program]`` in the config).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.answers import NO_WORDS, YES_WORDS
from bot.config import ExtraQuestionSetting, ProgramSettings, Settings
from bot.flow import (
    ChoiceQuestion,
    FlowContext,
    Invalid,
    NextStep,
    Step,
    TextQuestion,
    Understood,
)
from bot.intents import Option
from bot.messages import Msg, msg, organizer_text, user_text
from bot.text import excerpt
from flows.slots import SLOTS, read_slots
from flows.timezones import (
    SeveralZones,
    local_time,
    understand_timezone,
    zone_example,
    zone_title,
    zones_of,
)

MAX_TOPICS = 5
MAX_GOALS = 3
GOAL_LENGTH = 200

LANGUAGES = (
    Option(id="de", label=msg("language.de")),
    Option(id="en", label=msg("language.en")),
)
LANGUAGE_NAMES: dict[str, Msg] = {
    "de": msg("lang.de"),
    "en": msg("lang.en"),
    "fr": msg("lang.fr"),
    "es": msg("lang.es"),
    "it": msg("lang.it"),
    "nl": msg("lang.nl"),
    "pl": msg("lang.pl"),
    "pt": msg("lang.pt"),
    "tr": msg("lang.tr"),
    "uk": msg("lang.uk"),
    "ar": msg("lang.ar"),
    "ru": msg("lang.ru"),
}
FORMATS = (
    Option(id="video", label=msg("format.video")),
    Option(id="in_person", label=msg("format.in_person")),
    Option(id="either", label=msg("format.either")),
)
CONSENT = (
    Option(id="agree", label=msg("consent.agree"), emoji="✅", words=(YES_WORDS,)),
    Option(id="decline", label=msg("consent.decline"), emoji="❌", words=(NO_WORDS,)),
)

# The questions a member can change later, in the order they are asked.
EDITABLE = (
    "offers",
    "offer_text",
    "needs",
    "need_text",
    "goals",
    "expectations",
    "languages",
    "timezone",
    "availability",
    "format",
    "city",
)
FIELD_LABELS: dict[str, Msg] = {
    "offers": msg("field.offers"),
    "offer_text": msg("field.offer_text"),
    "needs": msg("field.needs"),
    "need_text": msg("field.need_text"),
    "goals": msg("field.goals"),
    "expectations": msg("field.expectations"),
    "languages": msg("field.languages"),
    "timezone": msg("field.timezone"),
    "availability": msg("field.availability"),
    "format": msg("field.format"),
    "city": msg("field.city"),
}


#: The options of each list of topics seen, by the identity of its topics (holding them, so
#: that no identity is reused): the topic questions are asked and answered by every member who
#: joins, and building their options was a tenth of the answer path's time (bench.flows).
#: Settings are read once and never changed in place (a new configuration is new objects).
_TOPIC_OPTIONS: dict[tuple[int, ...], tuple[tuple[object, ...], tuple[Option, ...]]] = {}
_TOPIC_OPTIONS_KEPT = 64


def topic_options(context: FlowContext) -> tuple[Option, ...]:
    return program_topics(context.program)


def program_topics(program: ProgramSettings) -> tuple[Option, ...]:
    """The community's topics as options, each labelled in every language (built once per
    configuration: every question about topics and every profile shown needs them)."""
    topics = tuple(program.topics)
    key = tuple(map(id, topics))
    known = _TOPIC_OPTIONS.get(key)
    if known is None:
        if len(_TOPIC_OPTIONS) >= _TOPIC_OPTIONS_KEPT:
            _TOPIC_OPTIONS.clear()
        options = tuple(
            Option(id=topic.id, label=organizer_text(topic.texts())) for topic in topics
        )
        known = _TOPIC_OPTIONS[key] = (topics, options)
    return known[1]


def tandem_language_options(context: FlowContext) -> tuple[Option, ...]:
    return tuple(
        Option(id=code, label=LANGUAGE_NAMES[code]) for code in context.program.tandem_languages
    )


def parse_goals(text: str, _context: FlowContext) -> list[str]:
    """One to three goals, one per line (or separated by ";")."""
    goals = [goal.strip(" -•*\t") for line in text.splitlines() for goal in line.split(";")]
    goals = [goal for goal in goals if goal]
    if not goals:
        raise Invalid(msg("answer.empty"))
    if len(goals) > MAX_GOALS:
        raise Invalid(msg("join.goals_too_many", goals=len(goals)))
    for goal in goals:
        if len(goal) > GOAL_LENGTH:
            raise Invalid(msg("join.goal_too_long", limit=GOAL_LENGTH, length=len(goal)))
    return goals


def check_timezone(text: str, context: FlowContext) -> Understood | str:
    """A zone, told back in words ("Munich — Central European Time, now 14:05"); for a
    country with several clocks, ``country:<code>`` (the next question asks which)."""
    found = understand_timezone(text)
    if found is None:
        raise Invalid(msg("join.timezone_unknown", typed=user_text(excerpt(text, 60))))
    if isinstance(found, SeveralZones):
        return f"{COUNTRY}{found.country}"
    understood = msg(
        "join.timezone_understood",
        place=user_text(excerpt(found.place, 60)),
        zone=zone_title(found.zone),
        time=local_time(found.zone, context.now),
    )
    return Understood(found.zone, understood)


# The answer to the time zone question that names a country with several clocks.
COUNTRY = "country:"


def names_country(context: FlowContext) -> bool:
    return str(context.answers.get("timezone") or "").startswith(COUNTRY)


def zones_of_country(context: FlowContext) -> tuple[Option, ...]:
    """One option per clock of the country named, with an example city and its time now."""
    found = zones_of(str(context.answers.get("timezone"))[len(COUNTRY) :])
    return tuple(
        Option(
            id=zone,
            label=msg(
                "join.timezone_option",
                zone=zone_title(zone),
                city=zone_example(zone),
                time=local_time(zone, context.now),
            ),
        )
        for zone in found
    )


def chosen_timezone(answers: Mapping[str, Any]) -> str | None:
    """The member's zone: as typed, or picked among their country's."""
    typed = answers.get("timezone")
    if isinstance(typed, str) and typed.startswith(COUNTRY):
        return answers.get("timezone_pick")
    return typed


IN_PERSON = frozenset({"in_person", "either"})


def meets_in_person(context: FlowContext) -> bool:
    return context.answers.get("format") in IN_PERSON


def extra_step_id(question: ExtraQuestionSetting) -> str:
    return f"extra_{question.id}"


def _extra_question(question: ExtraQuestionSetting, next_step: NextStep) -> Step:
    prompt = organizer_text(question.texts())
    asked: TextQuestion | ChoiceQuestion
    if question.kind == "text":
        asked = TextQuestion(
            prompt=prompt, optional=question.optional, max_length=question.max_length
        )
    else:
        asked = ChoiceQuestion(
            prompt=prompt,
            options=tuple(
                Option(id=option.id, label=organizer_text(option.texts()))
                for option in question.options
            ),
            multiple=question.kind == "many",
            min_choices=0 if question.optional else 1,
        )

    def asked_here(context: FlowContext) -> bool:
        return any(q.id == question.id for q in context.program.extra_questions)

    return Step(extra_step_id(question), asked, next=next_step, when=asked_here)


def all_extra_questions(settings: Settings) -> list[ExtraQuestionSetting]:
    """Every extra question of any community, once each (a step exists for each)."""
    seen: dict[str, ExtraQuestionSetting] = {}
    programs: list[ProgramSettings] = [settings.program, *settings.communities.values()]
    for program in programs:
        for question in program.extra_questions:
            seen.setdefault(question.id, question)
    return list(seen.values())


def profile_steps(settings: Settings, next_of: Callable[[str], NextStep]) -> tuple[Step, ...]:
    """The profile questions; ``next_of(step_id)`` says where each goes once answered."""

    def topics(step_id: str, prompt: Msg) -> Step:
        question = ChoiceQuestion(
            prompt=prompt, options=topic_options, multiple=True, max_choices=MAX_TOPICS
        )
        return Step(step_id, question, next=next_of(step_id))

    def optional_text(step_id: str, prompt: Msg, limit: int) -> Step:
        question = TextQuestion(
            prompt=prompt, label=FIELD_LABELS[step_id], optional=True, max_length=limit
        )
        return Step(step_id, question, next=next_of(step_id))

    return (
        topics("offers", msg("join.ask_offers", most=MAX_TOPICS)),
        optional_text("offer_text", msg("join.ask_offer_text"), 300),
        topics("needs", msg("join.ask_needs", most=MAX_TOPICS)),
        optional_text("need_text", msg("join.ask_need_text"), 300),
        Step(
            "goals",
            TextQuestion(
                prompt=msg("join.ask_goals"),
                label=msg("field.goals"),
                min_length=3,
                max_length=MAX_GOALS * (GOAL_LENGTH + 2),
                check=parse_goals,
            ),
            next=next_of("goals"),
        ),
        optional_text("expectations", msg("join.ask_expectations"), 500),
        Step(
            "languages",
            ChoiceQuestion(
                prompt=msg("join.ask_languages"),
                options=tandem_language_options,
                multiple=True,
            ),
            next=next_of("languages"),
        ),
        Step(
            "timezone",
            TextQuestion(
                prompt=msg("join.ask_timezone"),
                label=msg("field.timezone"),
                max_length=60,
                check=check_timezone,
            ),
            next=after_timezone(next_of("timezone")),
        ),
        Step(
            "timezone_pick",
            ChoiceQuestion(prompt=msg("join.ask_timezone_pick"), options=zones_of_country),
            next=next_of("timezone"),
            when=names_country,
        ),
        Step(
            "availability",
            ChoiceQuestion(
                prompt=msg("join.ask_availability"),
                options=SLOTS,
                multiple=True,
                too_few=msg("join.availability_needed"),
                read_part=read_slots,
            ),
            next=next_of("availability"),
        ),
        Step(
            "format",
            ChoiceQuestion(prompt=msg("join.ask_format"), options=FORMATS),
            next=next_of("format"),
        ),
        Step(
            "city",
            TextQuestion(
                prompt=msg("join.ask_city"),
                label=FIELD_LABELS["city"],
                optional=True,
                max_length=100,
            ),
            next=next_of("city"),
            when=meets_in_person,
        ),
        *(
            _extra_question(question, next_of(extra_step_id(question)))
            for question in all_extra_questions(settings)
        ),
    )


def editable_fields(context: FlowContext) -> tuple[Option, ...]:
    fields = [name for name in EDITABLE if name != "city" or meets_in_person(context)]
    options = [Option(id=name, label=FIELD_LABELS[name]) for name in fields]
    options += [
        Option(id=extra_step_id(q), label=organizer_text(q.texts()))
        for q in context.program.extra_questions
    ]
    return tuple(options)


def profile_answers(answers: dict[str, Any], settings_steps: tuple[Step, ...]) -> dict[str, Any]:
    """Only the answers that belong in the profile (not language, consent or confirmation);
    a place to meet is dropped once the member chose video only."""
    keep = {step.id for step in settings_steps} - {"timezone_pick"}
    if answers.get("format") not in IN_PERSON:
        keep.discard("city")
    kept = {key: value for key, value in answers.items() if key in keep}
    if "timezone" in kept:
        kept["timezone"] = chosen_timezone(answers)
    return kept


def after_timezone(default: NextStep) -> NextStep:
    """A country with several clocks is asked which; otherwise ``default``."""

    def go(answer: Any, context: FlowContext) -> str:
        if isinstance(answer, str) and answer.startswith(COUNTRY):
            return "timezone_pick"
        return default(answer, context) if callable(default) else default

    return go


def after_format(default: NextStep) -> NextStep:
    """Someone who now meets in person is asked where; otherwise ``default``."""

    def go(answer: Any, context: FlowContext) -> str:
        if answer in IN_PERSON:
            return "city"
        return default(answer, context) if callable(default) else default

    return go
