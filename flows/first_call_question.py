"""The first-call question itself: its answers, its prompt, and how an open one is closed when
the introduction ends before the member answered it.

Kept apart from :mod:`flows.first_call` (the conversation and its schedule) so that
:mod:`flows.tandem_notices`, which closes the question when a tandem ends, needs nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.flow import FlowContext
from bot.intents import Option, RetireQuestion
from bot.messages import Msg, msg, user_text
from bot.places import Place
from bot.prompts import make_prompt_id
from store import Store
from store.tandems import NO, YES

FLOW_ID = "first_call"
COMMAND = "decide"

ANSWERS = (
    Option(id=YES, label=msg("first_call.yes"), emoji="✅"),
    Option(id=NO, label=msg("first_call.no"), emoji="🙅"),
)


def question_for(answers: dict[str, Any], step_id: str = "answer") -> Msg:
    """The question a step of the conversation asks, from its stored answers."""
    if step_id == "reason":
        return msg("first_call.ask_reason")
    partner = answers.get("partner")
    if not partner:
        return msg("first_call.ask_any")
    return msg("first_call.ask", partner=user_text(partner))


def ask_prompt(context: FlowContext) -> Msg:
    return question_for(dict(context.answers))


async def close_open_question(
    store: Store, member_id: int, locale: str, *, now: datetime
) -> RetireQuestion | None:
    """End the member's first-call conversation if one is open; the question to retire."""
    active = await store.conversations.active_for(member_id)
    if active is None or active.flow_id != FLOW_ID:
        return None
    if await store.conversations.end(active, status="cancelled", now=now) is None:
        return None  # they answered at this very moment
    return RetireQuestion(
        target=Place.model_validate(active.place),
        locale=locale,
        prompt_id=make_prompt_id(active.id, active.step_seq),
        question=question_for(active.answers, active.step_id),
        answered=False,
    )
