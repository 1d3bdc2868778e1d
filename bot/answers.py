"""Normalising what a member typed: a number, an option's word in either language, an emoji,
or a control word (back, cancel, help).

This runs in the kernel against the persisted question, so a typed "2", "Deutsch", "german",
"✅" and a clicked button all reach the flow as the same choice id, on every platform and after
a restart. Words come from the catalogs, so translators own them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
    """Whether the member wants to leave an optional question empty: "-" (or an en or em dash,
    or a dot, as phones and habits write it), "skip", "nichts" …"""
    stripped = text.strip()
    return stripped in _SKIP_MARKS or fold(stripped) in _skip_words(translator)


_SKIP_MARKS = frozenset({"-", "–", "—", ".", "…", "--"})


@cache
def _skip_words(translator: Translator) -> frozenset[str]:
    return _words(msg("control.skip.words"), translator)


def is_yes(text: str, translator: Translator) -> bool:
    """Whether the whole text is an everyday "yes" in any language ("ok", "ja", "yes")."""
    return fold(text) in _words(YES_WORDS, translator)


#: The everyday yes and no of every language: options of a confirmation carry them as words.
YES_WORDS = msg("answer.yes.words")
NO_WORDS = msg("answer.no.words")


def _compact(word: str) -> str:
    """Without spaces and hyphens, so "Donnerstag abend" meets "Donnerstagabend"."""
    return word.replace(" ", "").replace("-", "")


def _option_words(option: Option, translator: Translator) -> frozenset[str]:
    words = {fold(option.id)}
    words.update(fold(label) for label in translator.variants(option.label).values())
    for extra in option.words:
        words.update(_words(extra, translator))
    if option.emoji:
        words.add(option.emoji)
    words.discard("")
    return frozenset(words | {_compact(word) for word in words})


# A part of the answer → the option ids it names, or None; for what only the flow knows how
# to read ("wed evening" for a weekly slot).
PartReader = Callable[[str], tuple[str, ...] | None]
_RANGE = re.compile(r"^(\d+)\s*[-–—]\s*(\d+)$")


@dataclass(frozen=True)
class Reading:
    """What a typed choice answer names: the option ids understood, in order, and the parts
    of it that named none (quoted back to the member)."""

    chosen: tuple[str, ...]
    unclear: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unclear


def read_choices(
    text: str,
    options: Iterable[Option],
    translator: Translator,
    *,
    multiple: bool,
    read_part: PartReader | None = None,
) -> Reading:
    """Read a typed answer against ``options``.

    Accepted: the whole text as one option's label, id, emoji or word; numbers ("2", "1 3",
    "1,3") and, for several-of questions, ranges ("1-3") and lists of labels ("Monday evening,
    Thursday morning"; "Donnerstag abend" as "Donnerstagabend"); what ``read_part`` reads.
    A list of which some parts name nothing gives what the others named and those parts.
    """
    vocabulary = tuple((option, _option_words(option, translator)) for option in options)
    whole = _one_part(text, vocabulary, read_part)
    if whole is not None and (multiple or len(whole) == 1):
        return Reading(whole)
    best: Reading | None = None
    for separators in (_LIST_SEPARATORS, _ALL_SEPARATORS):
        parts = [part.strip() for part in separators.split(text.strip()) if part and part.strip()]
        if not parts or (len(parts) > 1 and not multiple):
            continue
        chosen: list[str] = []
        unclear: list[str] = []
        for part in parts:
            named = _one_part(part, vocabulary, read_part)
            if named is None:
                unclear.append(part)
            chosen.extend(choice for choice in named or () if choice not in chosen)
        reading = Reading(tuple(chosen), tuple(unclear))
        if reading.complete:
            return reading
        best = best or reading  # the list read at punctuation says best what was unclear
    return best or Reading((), (text.strip(),))


def parse_choices(
    text: str, options: Iterable[Option], translator: Translator, *, multiple: bool
) -> tuple[str, ...] | None:
    """The option ids a typed answer names, in order, or None if it names none clearly."""
    reading = read_choices(text, options, translator, multiple=multiple)
    return reading.chosen if reading.complete and reading.chosen else None


def _one_part(
    part: str,
    vocabulary: tuple[tuple[Option, frozenset[str]], ...],
    read_part: PartReader | None,
) -> tuple[str, ...] | None:
    part = part.strip()
    if part.isdigit():
        index = int(part) - 1
        return (vocabulary[index][0].id,) if 0 <= index < len(vocabulary) else None
    if numbers := _RANGE.match(part):
        first, last = int(numbers.group(1)), int(numbers.group(2))
        if 1 <= first <= last <= len(vocabulary):
            return tuple(option.id for option, _words in vocabulary[first - 1 : last])
        return None
    folded = fold(part)
    for key in (folded, _compact(folded), part):
        matches = [option.id for option, words in vocabulary if key and key in words]
        if len(matches) == 1:
            return (matches[0],)
    return read_part(part) if read_part is not None else None
