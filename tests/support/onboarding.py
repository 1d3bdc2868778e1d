"""One onboarding transcript, played on every adapter (memory, console, Discord, Matrix).

Each step says which question the member must see (by message id), how a member with buttons
answers (``ids``: the option ids a click or select sends, or ``text`` for a form/reply) and how
a member without buttons types it (``typed``: numbers and words, as people do). The transcript
has a correction at the summary, an invalid time zone, an over-long goal, and a point where the
tests restart the bot (:data:`RESTART_AFTER`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Turn:
    asked: str  # message id of the question the member sees before answering
    ids: tuple[str, ...] = ()  # choice ids (a click or a select)
    text: str | None = None  # a free-text answer (a form or a reply)
    typed: str | None = None  # what a member types on a text-only platform
    refused: str | None = None  # message id of the error the answer must get

    @property
    def as_typed(self) -> str:
        return self.typed if self.typed is not None else (self.text or "")


TOO_LONG_GOAL = "Ein Ziel, das viel zu ausführlich beschrieben ist. " * 5
GOALS = "Im Team-Meeting 10 Minuten frei präsentieren\nMeine Woche besser planen"

TRANSCRIPT: tuple[Turn, ...] = (
    Turn("join.ask_language", ids=("de",), typed="Deutsch"),
    Turn("join.privacy_notice", ids=("agree",), typed="1"),
    Turn("join.ask_offers", ids=("agile", "time"), typed="1 2"),
    Turn("join.ask_offer_text", text="Ich habe fünf Jahre agile Teams geleitet"),
    Turn("join.ask_needs", ids=("presenting",), typed="Präsentieren und Reden"),
    Turn("join.ask_need_text", text="-"),
    Turn("join.ask_goals", text=TOO_LONG_GOAL, refused="join.goal_too_long"),
    Turn("join.ask_goals", text=GOALS),
    Turn("join.ask_expectations", text="Ehrliches Feedback, auch wenn es unbequem ist"),
    Turn("join.ask_languages", ids=("de", "en"), typed="Deutsch, Englisch"),
    Turn("join.ask_timezone", text="Mordor", refused="join.timezone_unknown"),
    Turn("join.ask_timezone", text="Wien"),
    Turn(
        "join.ask_availability",
        ids=("mon_evening", "thu_morning"),
        typed="Montag abends, Donnerstag vormittags",
    ),
    Turn("join.ask_format", ids=("either",), typed="3"),
    Turn("join.ask_city", text="Wien Neubau"),
    Turn("join.ask_confirm", ids=("change",), typed="Etwas ändern"),
    Turn("join.ask_change_which", ids=("format",), typed="10"),
    Turn("join.ask_format", ids=("video",), typed="Per Videocall"),
    Turn("join.ask_confirm", ids=("save",), typed="1"),
)
# The tests restart the bot after this many turns (in the middle of the questionnaire).
RESTART_AFTER = 9
DONE = "join.done"

EXPECTED_PROFILE: dict[str, Any] = {
    "offers": ["agile", "time"],
    "offer_text": "Ich habe fünf Jahre agile Teams geleitet",
    "needs": ["presenting"],
    "need_text": None,
    "goals": ["Im Team-Meeting 10 Minuten frei präsentieren", "Meine Woche besser planen"],
    "expectations": "Ehrliches Feedback, auch wenn es unbequem ist",
    "languages": ["de", "en"],
    "timezone": "Europe/Vienna",
    "availability": ["mon_evening", "thu_morning"],
    "format": "video",
}
EXPECTED_MEMBER = {"locale": "de", "timezone": "Europe/Vienna", "status": "waiting"}


async def play_on_memory(memory: Any, member: Any, turns: tuple[Turn, ...], *, typed: bool) -> None:
    """Answer ``turns`` on the memory adapter: typing (text-only) or clicking (rich)."""
    for turn in turns:
        ask = memory.last_ask(member)
        assert ask.question.id == turn.asked, f"expected {turn.asked}, was asked {ask.question.id}"
        if typed:
            seen = await memory.say(member, turn.as_typed)
        elif turn.ids:
            seen = await memory.pick(member, *turn.ids)
        else:
            seen = await memory.submit(member, turn.text or "")
        if turn.refused:
            assert seen[0].intent.text.id == turn.refused, seen[0].text
