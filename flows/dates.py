"""Dates as members write them ("24.12.", "Dec 24", "in 2 weeks", "bis Ende Januar"), read with
the ``dateparser`` library in English and German.

``dateparser`` (with ``regex``, ``dateutil`` and ``pytz``) costs about 22 MB and 0.2 s to load:
it is imported at the first date a member writes, not at start-up, so a process where nobody
pauses with a date (most of them, between match rounds) does not carry it.

:func:`parse_end_date` gives the day a member named, in their time zone and seen from today;
``pause`` uses it, and so may anything else that asks "until when". What ``dateparser`` does not
read itself is done here, with words from the catalogs: a leading "until"/"bis", "end of",
"beginning of", "middle of" a month ("Ende Januar": the month's last day), and the words people
put before a weekday ("nächsten Montag", "on Friday": :func:`without_weekday_lead`, which the
weekly slots of ``flows/agreement_terms.py`` use too).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from bot.answers import fold
from bot.i18n import SUPPORTED_LOCALES, Translator
from bot.messages import msg

_DOTTED = re.compile(r"\d\.\s*\d")
#: Weekdays as people write them, in English and German (a day of a weekly slot, too).
DAY_WORDS = {
    "mon": ("mon", "monday", "mo", "montag", "montags", "mondays"),
    "tue": ("tue", "tues", "tuesday", "di", "dienstag", "dienstags", "tuesdays"),
    "wed": ("wed", "wednesday", "mi", "mittwoch", "mittwochs", "wednesdays"),
    "thu": ("thu", "thurs", "thursday", "do", "donnerstag", "donnerstags", "thursdays"),
    "fri": ("fri", "friday", "fr", "freitag", "freitags", "fridays"),
    "sat": ("sat", "saturday", "sa", "samstag", "samstags", "sonnabend", "saturdays"),
    "sun": ("sun", "sunday", "so", "sonntag", "sonntags", "sundays"),
}
#: A weekday's word to its short name (``mon`` … ``sun``).
DAY_OF_WORD = {word: day for day, words in DAY_WORDS.items() for word in words}

# Where in a month "end of", "beginning of" and "middle of" put the day.
_PART_OF_MONTH = {"end": "last", "start": "first", "middle": "middle"}


@cache
def _words(message_id: str) -> tuple[str, ...]:
    """A catalog entry's comma-separated words in every language, longest first (so "bis zum"
    is taken off before "bis")."""
    translator = Translator()
    words = {
        word.strip().casefold()
        for locale in SUPPORTED_LOCALES
        for word in translator.render(msg(message_id), locale).split(",")
        if word.strip()
    }
    return tuple(sorted(words, key=len, reverse=True))


def _take_prefix(text: str, message_id: str) -> tuple[str, bool]:
    lowered = text.casefold()
    for word in _words(message_id):
        if lowered == word or lowered.startswith(word + " "):
            return text[len(word) :].strip(), True
    return text, False


def without_weekday_lead(text: str) -> str:
    """``text`` without a leading word that only points at the weekday after it ("am
    Dienstag", "nächsten Montag", "on Friday", "every Monday"); unchanged when no weekday
    follows ("am 12." is the 12th, not a month)."""
    rest, found = _take_prefix(text, "date.weekday_lead.words")
    day = rest.split(maxsplit=1)[0].rstrip(".,").casefold() if rest else ""
    return rest if found and day in DAY_OF_WORD else text


def parse_end_date(text: str, *, now: datetime, timezone: str | None, locale: str) -> date | None:
    """The day ``text`` names, seen from ``now`` in the member's ``timezone`` (a date without
    a year is the next such day), or None when it names none."""
    today = now.astimezone(ZoneInfo(timezone or "UTC"))
    rest, _until = _take_prefix(" ".join(text.split()), "date.until.words")
    settings: dict[str, object] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": today.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
        # Day first in German, and wherever dots separate the numbers ("10.1." is 10 January).
        "DATE_ORDER": "DMY" if locale == "de" or _DOTTED.search(text) else "",
    }
    middle = False
    for part, day in _PART_OF_MONTH.items():
        rest, found = _take_prefix(rest, f"date.{part}_of.words")
        if found:
            if day == "middle":
                middle = True
                settings["PREFER_DAY_OF_MONTH"] = "first"
            else:
                settings["PREFER_DAY_OF_MONTH"] = day
            break
    if not settings["DATE_ORDER"]:
        del settings["DATE_ORDER"]
    if not fold(rest):
        return None
    import dateparser

    languages = [locale, *(other for other in SUPPORTED_LOCALES if other != locale)]
    parsed = dateparser.parse(rest, languages=languages, settings=settings)
    if parsed is None and (day := without_weekday_lead(rest)) != rest:
        parsed = dateparser.parse(day, languages=languages, settings=settings)
    if parsed is None:
        return None
    return parsed.date().replace(day=15) if middle else parsed.date()


def is_open_ended(text: str) -> bool:
    """Whether the member means no end date ("open-ended", "unbefristet", "offen")."""
    return fold(text) in {fold(word) for word in _words("date.open_ended.words")}
