"""Member-written text, made safe once at the boundary: cleaning and short excerpts.

:func:`clean_event` is applied by the router to every inbound event before anything else looks
at it, so flows, the store and every adapter's renderer only ever see cleaned text: control
characters and invisible format characters (zero-width spaces, bidi overrides, byte-order
marks) removed, line breaks kept only where text may span lines (free-text answers and form
values) and turned into spaces elsewhere (names, command names, arguments, choice ids).

:func:`excerpt` is what the bot may quote back of something it did not understand: short,
on one line, cut with an ellipsis.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

from bot.events import ChoicePicked, CommandInvoked, EventBase, FormSubmitted, TextReplied

# Removed: controls (Cc), lone surrogates (Cs) and invisible format characters (Cf). The
# zero-width joiner is kept: it glues emoji sequences (👩‍💻). Unassigned code points are kept,
# since this Python's Unicode tables may predate an emoji a member sends.
_REMOVED_CATEGORIES = {"Cc", "Cs", "Cf"}
_KEPT_FORMAT = {"\u200d"}
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
EXCERPT_LENGTH = 40

_Event = TypeVar("_Event", bound=EventBase)


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` without control or invisible characters; one line unless ``multiline``."""
    if text.isprintable():  # no control, format or line-break character: nothing to do
        return text
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    kept = []
    for char in text:
        if char == "\n":
            kept.append("\n" if multiline else " ")
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char) not in _REMOVED_CATEGORIES or char in _KEPT_FORMAT:
            kept.append(char)
    return "".join(kept)


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """At most ``limit`` characters of ``text`` on one line, with "…" where it was cut."""
    line = " ".join(clean(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def clean_event(event: _Event) -> _Event:
    """The event with every member-written field cleaned (see the module docstring)."""
    changes: dict[str, object] = {}
    name = event.member.display_name
    if name is not None:
        changes["member"] = event.member.model_copy(update={"display_name": clean(name).strip()})
    if isinstance(event, CommandInvoked):
        changes["name"] = clean(event.name)
        changes["args"] = tuple(clean(arg) for arg in event.args)
    elif isinstance(event, TextReplied):
        changes["text"] = clean(event.text, multiline=True)
    elif isinstance(event, FormSubmitted):
        changes["values"] = {
            clean(key): clean(value, multiline=True) for key, value in event.values.items()
        }
    elif isinstance(event, ChoicePicked):
        changes["choice_ids"] = tuple(clean(choice) for choice in event.choice_ids)
    return event.model_copy(update=changes) if changes else event
