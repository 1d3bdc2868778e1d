"""Stable, namespaced ``custom_id`` values for every component and modal the bot sends.

A ``custom_id`` carries the prompt id of the persisted conversation step it answers
(``"<conversation id>.<step seq>"``, see :mod:`bot.engine`), so a click after a restart maps
straight back to the stored state; nothing about it is kept in memory. The scheme::

    tandem:c:<prompt id>:<choice id>   a button: pick that option
    tandem:s:<prompt id>               a select menu: the picked values are option ids
    tandem:t:<prompt id>               the "Answer" button of a free-text question: open the form
    tandem:m:<prompt id>               the form (modal) of a free-text question

Discord refuses a ``custom_id`` over 100 characters, so :func:`fits` is checked before an
option is drawn as a button; the renderer falls back to a numbered list when it does not fit.
This module is pure (no discord.py) so the scheme is easy to test and to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

NAMESPACE = "tandem"
MAX_CUSTOM_ID = 100
#: The text input of a question's form; the flows read the first value of a form anyway.
ANSWER_FIELD = "answer"

Kind = Literal["c", "s", "t", "m"]
_PROMPT = r"[^:]+"
CHOICE_TEMPLATE = rf"{NAMESPACE}:c:(?P<prompt>{_PROMPT}):(?P<choice>.+)"
SELECT_TEMPLATE = rf"{NAMESPACE}:s:(?P<prompt>{_PROMPT})"
ANSWER_TEMPLATE = rf"{NAMESPACE}:t:(?P<prompt>{_PROMPT})"
MODAL_TEMPLATE = rf"{NAMESPACE}:m:(?P<prompt>{_PROMPT})"
_ANY = re.compile(rf"{NAMESPACE}:(?P<kind>[cstm]):(?P<prompt>{_PROMPT})(?::(?P<choice>.+))?")


@dataclass(frozen=True)
class CustomId:
    kind: Kind
    prompt_id: str
    choice_id: str | None = None

    def __str__(self) -> str:
        tail = f":{self.choice_id}" if self.choice_id is not None else ""
        return f"{NAMESPACE}:{self.kind}:{self.prompt_id}{tail}"


def choice(prompt_id: str, choice_id: str) -> str:
    return str(CustomId("c", prompt_id, choice_id))


def select(prompt_id: str) -> str:
    return str(CustomId("s", prompt_id))


def answer_button(prompt_id: str) -> str:
    return str(CustomId("t", prompt_id))


def modal(prompt_id: str) -> str:
    return str(CustomId("m", prompt_id))


def fits(custom_id: str) -> bool:
    return 0 < len(custom_id) <= MAX_CUSTOM_ID


def parse(raw: str) -> CustomId | None:
    """The parts of one of our ids, or None for anything else (another bot's, a typo)."""
    match = _ANY.fullmatch(raw)
    if match is None:
        return None
    kind = match.group("kind")
    choice_id = match.group("choice")
    if (kind == "c") != (choice_id is not None):
        return None
    return CustomId(kind, match.group("prompt"), choice_id)  # type: ignore[arg-type]
