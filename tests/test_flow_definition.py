"""Flows are checked when they are built, not in front of a member."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.flow import (
    END,
    ChoiceQuestion,
    Flow,
    FlowContext,
    FlowDefinitionError,
    Step,
    TextQuestion,
)
from bot.intents import Option
from bot.messages import Msg, msg
from bot.registry import FlowRegistry
from flows import build_registry


async def _finish(_context: FlowContext) -> list[Msg]:
    return []


def build(*steps: Step, **fields: object) -> Flow:
    values: dict[str, object] = {
        "id": "demo",
        "version": 1,
        "command": "demo",
        "description": msg("command.help"),
        "steps": steps,
        "finish": _finish,
    }
    values.update(fields)
    return Flow(**values)  # type: ignore[arg-type]


def test_a_step_going_to_an_unknown_step_is_refused() -> None:
    with pytest.raises(FlowDefinitionError, match="goes to unknown step 'nowhere'"):
        build(Step("name", TextQuestion(prompt=msg("join.ask_goals")), next="nowhere"))


def test_duplicate_steps_and_options_are_refused() -> None:
    twice = Option(id="a", label=msg("language.de"))
    with pytest.raises(FlowDefinitionError) as caught:
        build(
            Step("name", TextQuestion(prompt=msg("join.ask_goals"))),
            Step(
                "name", ChoiceQuestion(prompt=msg("join.ask_availability"), options=(twice, twice))
            ),
        )
    assert "step id 'name' is used twice" in str(caught.value)
    assert "duplicate option ids" in str(caught.value)


def test_bad_ids_versions_and_lengths_are_refused() -> None:
    with pytest.raises(FlowDefinitionError) as caught:
        build(
            Step("Bad-Id", TextQuestion(prompt=msg("join.ask_goals"), min_length=9, max_length=3)),
            id="Demo",
            version=0,
            locale_step="missing",
        )
    text = str(caught.value)
    for problem in (
        "id must be lower_snake_case",
        "version must be ≥ 1",
        "step id 'Bad-Id' must be lower_snake_case",
        "min_length > max_length",
        "locale_step 'missing' is not a step",
    ):
        assert problem in text


def test_two_flows_cannot_share_a_command() -> None:
    one = build(Step("a", TextQuestion(prompt=msg("join.ask_goals")), next=END))
    two = build(Step("a", TextQuestion(prompt=msg("join.ask_goals"))), id="other")
    with pytest.raises(FlowDefinitionError, match="use the command 'demo'"):
        FlowRegistry([one, two])


def test_the_shipped_flows_are_registered_by_command() -> None:
    registry = build_registry(load_settings(None))
    join = registry.for_command("join")
    assert isinstance(join, Flow)
    assert [step.id for step in join.steps][:4] == ["language", "consent", "keep", "offers"]
    assert [spec.name for spec in registry.commands()] == [
        "join",
        "profile",
        "status",
        "edit",
        "pause",
        "resume",
        "language",
        "decide",
        "agreement",
        "calendar",
        "note",
        "milestone",
        "reflect",
        "meeting",
        "rematch",
        "block",
        "report",
        "mydata",
        "leave",
        "consent",
        "forget",
        "status",
        "stats",
        "match",
        "waiting",
        "end",
        "remove",
        "reports",
        "help",
        "cancel",
        "back",
    ]


def test_a_command_may_not_shadow_a_conversation_control() -> None:
    with pytest.raises(FlowDefinitionError, match="command 'help'"):
        FlowRegistry([build(Step("a", TextQuestion(prompt=msg("join.ask_goals"))), command="help")])
