"""The weekly time slots of the availability question, and reading them as members write them.

A slot is a weekday and a part of the day (``"mon_evening"``). Besides the numbers and the
labels the kernel reads ("3", "Monday evening", "Montagabend", "Donnerstag abend"), members
write slots in their own words, which :func:`read_slots` understands in English and German:

* abbreviations and plurals: "wed evening", "Mi abends", "mondays mornings";
* one word: "Dienstagabend", "sonntagnachmittags";
* several days sharing a part of the day: "Montag und Mittwoch abends", "tue and thu mornings";
* groups of days: "weekday evenings", "am Wochenende vormittags".

The words come from the catalogs (``weekday.mon.words`` …), so translators own them.
"""

from __future__ import annotations

from functools import cache

from bot.answers import fold
from bot.i18n import SUPPORTED_LOCALES, Translator
from bot.intents import Option
from bot.messages import Msg, msg

WEEKDAYS: dict[str, Msg] = {
    "mon": msg("weekday.mon"),
    "tue": msg("weekday.tue"),
    "wed": msg("weekday.wed"),
    "thu": msg("weekday.thu"),
    "fri": msg("weekday.fri"),
    "sat": msg("weekday.sat"),
    "sun": msg("weekday.sun"),
}
DAY_PARTS: dict[str, Msg] = {
    "morning": msg("daypart.morning"),
    "afternoon": msg("daypart.afternoon"),
    "evening": msg("daypart.evening"),
}
SLOTS = tuple(
    Option(id=f"{day}_{part}", label=msg("slot.label", day=day_name, part=part_name))
    for day, day_name in WEEKDAYS.items()
    for part, part_name in DAY_PARTS.items()
)
# Words that name several days at once.
_DAY_GROUPS = {
    "workdays": ("mon", "tue", "wed", "thu", "fri"),
    "weekend": ("sat", "sun"),
}


@cache
def _vocabulary() -> tuple[dict[str, tuple[str, ...]], dict[str, str], frozenset[str]]:
    """Folded words → the days they name; → the part of the day; words to pass over."""
    translator = Translator()

    def words(message_id: str) -> set[str]:
        return {
            fold(word)
            for locale in SUPPORTED_LOCALES
            for word in translator.render(msg(message_id), locale).split(",")
            if fold(word)
        }

    days: dict[str, tuple[str, ...]] = {}
    for day in WEEKDAYS:
        for word in words(f"weekday.{day}.words"):
            days[word] = (day,)
    for group, members in _DAY_GROUPS.items():
        for word in words(f"weekday.{group}.words"):
            days[word] = members
    parts = {word: part for part in DAY_PARTS for word in words(f"daypart.{part}.words")}
    return days, parts, frozenset(words("slot.filler.words"))


def _split(token: str, days: dict[str, tuple[str, ...]], parts: dict[str, str]) -> list[str]:
    """A word as the words it is made of: "dienstagabend" → "dienstag", "abend"."""
    if token in days or token in parts:
        return [token]
    for cut in range(2, len(token) - 1):
        if token[:cut] in days and token[cut:] in parts:
            return [token[:cut], token[cut:]]
    return [token]


def read_slots(text: str) -> tuple[str, ...] | None:
    """The slot ids ``text`` names, or None if any word in it is not a day, a part of the day
    or a small word between them. A part of the day goes with the days just before it."""
    days, parts, filler = _vocabulary()
    chosen: list[str] = []
    waiting: list[str] = []  # days named, not yet given a part of the day
    last_was_part = False
    for token in fold(text).split():
        for word in _split(token, days, parts):
            if word in filler:
                continue
            if word in days:
                if last_was_part:
                    waiting = []
                waiting += [day for day in days[word] if day not in waiting]
                last_was_part = False
            elif word in parts and waiting:
                chosen += [f"{day}_{parts[word]}" for day in waiting]
                last_was_part = True
            else:
                return None
    if not chosen or not last_was_part:
        return None  # a day without its part of the day ("Monday"): which part is unclear
    return tuple(dict.fromkeys(chosen))
