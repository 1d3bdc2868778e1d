"""Text rendering shared by the adapters: a question as a numbered list, long text split.

Adapters without buttons (Matrix, the console, the text-only memory profile) draw an
:class:`~bot.intents.Ask` with :func:`question_as_text`; an answer by number or word is then
normalised by :mod:`bot.answers`.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.intents import Ask
from bot.messages import msg


def question_as_text(ask: Ask, translator: Translator) -> str:
    """The question, its numbered options and a one-line hint on how to answer."""
    lines = [translator.render(ask.question, ask.locale)]
    if ask.options:
        lines.append("")
        for number, option in enumerate(ask.options, start=1):
            emoji = f" {option.emoji}" if option.emoji else ""
            lines.append(f"{number}. {translator.render(option.label, ask.locale)}{emoji}")
        hint = msg("ask.hint_many") if ask.kind == "many" else msg("ask.hint_one")
        lines.append("")
        lines.append(translator.render(hint, ask.locale))
    if ask.optional:
        lines.append(translator.render(msg("ask.hint_optional"), ask.locale))
    return "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so every part fits ``limit``."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
