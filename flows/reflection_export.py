"""The readable copy of ``mydata`` for notes, reflections and milestones: (heading, lines)
sections, times in the member's own zone. The JSON copy holds the same rows as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Translator
from bot.messages import Msg, msg, user_text


def reflection_sections(
    data: dict[str, Any], locale: str, when: Callable[[Any], str]
) -> list[tuple[str, list[str]]]:
    render = Translator().render

    def line(message: Msg) -> str:
        return "- " + render(message, locale)

    notes = [
        line(msg("mydata.md.note_row", when=when(row["created_at"]), text=user_text(row["text"])))
        for row in data.get("notes", [])
    ]
    return [(render(msg("mydata.md.notes"), locale), notes)]
