"""Normalising what a member typed: a number, an option's word in either language, an emoji,
or a control word (back, cancel, help).

This runs in the kernel against the persisted question, so a typed "2", "Deutsch", "german",
"✅" and a clicked button all reach the flow as the same choice id, on every platform and after
a restart. Words come from the catalogs, so translators own them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import cache

from bot.i18n import SUPPORTED_LOCALES, Translator
from bot.intents import Option
from bot.messages import Msg, msg


class Control(StrEnum):
    CANCEL = "cancel"
    BACK = "back"
    HELP = "help"


_CONTROL_WORDS = {
    Control.CANCEL: msg("control.cancel.words"),
    Control.BACK: msg("control.back.words"),
    Control.HELP: msg("control.help.words"),
}
# Lists are split at punctuation and "and"/"und" first (labels may contain spaces:
# "Monday evening, Thursday morning"), then at spaces too ("1 3").
_LIST_SEPARATORS = re.compile(r"\s*(?:[,;/+&\n]|\bund\b|\band\b)\s*", re.IGNORECASE)
_ALL_SEPARATORS = re.compile(r"[\s,;/+&]+|\bund\b|\band\b", re.IGNORECASE)


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for comparing words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.strip().strip("!/.?¿¡:").strip()


def control_word(text: str, translator: Translator) -> Control | None:
    """The control a member typed (in any supported language), if the whole text is one."""
    if text.strip() == "?":
        return Control.HELP
    folded = fold(text)
    if not folded:
        return None
    for control, words in _control_words(translator).items():
        if folded in words:
            return control
    return None


@cache
def _control_words(translator: Translator) -> dict[Control, frozenset[str]]:
    return {control: _words(words, translator) for control, words in _CONTROL_WORDS.items()}


def _words(words: Msg, translator: Translator) -> frozenset[str]:
    """A catalog entry of comma-separated words, in every language, folded."""
    return frozenset(
        fold(word)
        for locale in SUPPORTED_LOCALES
        for word in translator.render(words, locale).split(",")
    )


def is_skip(text: str, translator: Translator) -> bool:
    """Whether the member wants to leave an optional question empty ("-", "skip", "nichts")."""
    stripped = text.strip()
    return stripped == "-" or fold(stripped) in _skip_words(translator)


@cache
def _skip_words(translator: Translator) -> frozenset[str]:
    return _words(msg("control.skip.words"), translator)


def _option_words(option: Option, translator: Translator) -> set[str]:
    words = {fold(option.id)}
    words.update(fold(label) for label in translator.variants(option.label).values())
    if option.emoji:
        words.add(option.emoji)
    return {word for word in words if word}


def parse_choices(
    text: str, options: Iterable[Option], translator: Translator, *, multiple: bool
) -> tuple[str, ...] | None:
    """The option ids a typed answer names, in order, or None if it names none clearly.

    Accepted: the whole text as one option's label/id/emoji; numbers ("2", "1 3", "1,3");
    for several-of questions also a list of labels ("Monday evening, Thursday morning").
    """
    options = tuple(options)
    whole = fold(text)
    for option in options:
        if whole in _option_words(option, translator) or text.strip() == option.emoji:
            return (option.id,)
    for separators in (_LIST_SEPARATORS, _ALL_SEPARATORS):
        parts = [part for part in separators.split(text.strip()) if part and part.strip()]
        if not parts or (len(parts) > 1 and not multiple):
            continue
        chosen: list[str] = []
        for part in parts:
            choice = _one_part(part, options, translator)
            if choice is None:
                break
            if choice not in chosen:
                chosen.append(choice)
        else:
            return tuple(chosen)
    return None


def _one_part(part: str, options: tuple[Option, ...], translator: Translator) -> str | None:
    if part.isdigit():
        index = int(part) - 1
        return options[index].id if 0 <= index < len(options) else None
    folded = fold(part)
    matches = [option.id for option in options if folded in _option_words(option, translator)]
    return matches[0] if len(matches) == 1 else None
