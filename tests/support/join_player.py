"""Answering a flow's questions like a member would, on any adapter: a transcript player.

Tests that walk a whole conversation (the join questionnaire has a dozen steps and grows with
the program) should not hard-code its questions. The player looks at each :class:`Ask` the app
delivered, picks an answer (preferring e.g. English, "agree", "save"), and says how a member
types it: by number, by the option's word, or with its emoji (a reaction on Matrix). The same
choices on two adapters must give the same stored result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.app import App
from bot.i18n import Translator
from bot.intents import Ask, IntentBase, Say

How = Literal["number", "word", "reaction"]

#: Answers to text questions, by the question's message id; anything else gets DEFAULT_TEXT.
TEXT_ANSWERS = {
    "join.ask_timezone": "Europe/Berlin",
    "join.ask_city": "Berlin",
    "join.ask_goals": "Give better feedback to my team",
}
DEFAULT_TEXT = "Sharing what I know about teamwork"
#: Option ids picked when offered (else the first option, or the first two of a many-question).
PREFERRED = ("en", "agree", "save", "video", "yes")
KEYCAPS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]
_ONE_WORD = re.compile(r"^\w+$")


def record_intents(app: App, into: list[IntentBase] | None = None) -> list[IntentBase]:
    """Every intent the app delivers from now on, in order (the kernel's side of the chat);
    pass ``into`` to keep one list across a restarted app."""
    seen: list[IntentBase] = [] if into is None else into
    deliver = app.deliver

    async def recording(intent: IntentBase) -> Any:
        seen.append(intent)
        return await deliver(intent)

    app.deliver = recording  # type: ignore[method-assign]
    return seen


def message_ids(intents: Sequence[IntentBase]) -> list[tuple[str, str]]:
    """``("ask", "join.ask_language")``, ``("say", "join.done")`` … in order."""
    result = []
    for intent in intents:
        if isinstance(intent, Ask):
            result.append(("ask", intent.question.id))
        elif isinstance(intent, Say):
            result.append(("say", intent.text.id))
    return result


def text_answer(ask: Ask, default: str = DEFAULT_TEXT) -> str:
    answer = TEXT_ANSWERS.get(ask.question.id, default)
    return answer[: ask.max_length] if ask.max_length else answer


def choose(ask: Ask) -> list[int]:
    """1-based numbers of the options to pick."""
    ids = [option.id for option in ask.options]
    for preferred in PREFERRED:
        if preferred in ids:
            return [ids.index(preferred) + 1]
    if ask.kind == "many":
        return list(range(1, min(len(ids), max(2, ask.min_choices)) + 1))
    return [1]


def can_react(ask: Ask) -> bool:
    return ask.kind == "one" and bool(ask.options) and len(ask.options) <= len(KEYCAPS)


def reaction_key(ask: Ask, number: int) -> str:
    """The option's own emoji if it has one, else the keycap of its number."""
    return ask.options[number - 1].emoji or KEYCAPS[number - 1]


@dataclass
class Player:
    """Decides each answer of a member; ``used`` lists how each choice was given."""

    translator: Translator
    hows: tuple[How, ...] = ("number", "word", "reaction")
    used: list[How] = field(default_factory=list)
    #: The answer to free-text questions without an entry in TEXT_ANSWERS.
    default_text: str = DEFAULT_TEXT

    def answer(self, ask: Ask) -> tuple[How | Literal["text"], str]:
        """``(how, what)``: the text to type, or for ``reaction`` the emoji.

        Each choice question is answered the least-used way that fits it, so a transcript
        uses every way at least once where the questions allow.
        """
        if ask.kind == "text":
            return "text", text_answer(ask, self.default_text)
        numbers = choose(ask)
        labels = [self.translator.render(ask.options[n - 1].label, ask.locale) for n in numbers]
        fitting = [how for how in self.hows if self._fits(how, ask, labels)] or ["number"]
        how = min(fitting, key=self.used.count)
        self.used.append(how)
        if how == "reaction":
            return how, reaction_key(ask, numbers[0])
        if how == "word":
            return how, ", ".join(labels)
        return how, " ".join(str(n) for n in numbers)

    @staticmethod
    def _fits(how: How, ask: Ask, labels: list[str]) -> bool:
        if how == "reaction":
            return can_react(ask)
        if how == "word" and ask.kind == "many":
            return all(_ONE_WORD.match(label) for label in labels)
        return True


def last_ask(intents: Sequence[IntentBase], since: int) -> Ask | None:
    """The question among the intents delivered since ``since``, if the bot asked one."""
    asks = [intent for intent in intents[since:] if isinstance(intent, Ask)]
    return asks[-1] if asks else None
