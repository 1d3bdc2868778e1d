"""What the matching engine takes and gives: plain, platform-free, store-free values.

The journey (``flows/``) builds a :class:`Person` for each member who may be matched, the engine
(:func:`bot.matching.propose`) returns a :class:`Proposal`: the pairs it chose, each with its
score and the :class:`Reasons` the intro shows, and who sits out. Everything here is JSON-able
through :meth:`Reasons.to_json` so that a round can be stored and shown again unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Format = Literal["video", "in_person", "either"]


@dataclass(frozen=True)
class Person:
    """One member who may be matched in this round.

    ``availability`` holds the questionnaire's slot ids (``"mon_evening"``: the hours the question
    states, mornings 8–12, afternoons 12–17, evenings 17–21) in the member's own ``timezone`` (an
    IANA name). ``city`` is already a normalised key (the journey normalises the free-text
    answer with its place-name data) or None; equal keys mean the same city.
    ``excluded`` holds the ids of members this one must never be paired with (past partners,
    declined introductions, blocks in either direction). ``first_in_line`` is set for someone
    who sat out or was left without a partner last time: the engine does not choose them to sit
    out again while anyone else can.
    """

    id: int
    offers: frozenset[str]
    needs: frozenset[str]
    languages: frozenset[str]
    timezone: str
    availability: frozenset[str]
    format: Format = "video"
    city: str | None = None
    excluded: frozenset[int] = frozenset()
    first_in_line: bool = False


@dataclass(frozen=True)
class CommonTime:
    """A stretch of the round's week both are free, in UTC (at least an hour long)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Reasons:
    """Why two people were matched, in both directions, as the intro says it."""

    a_helps_b: tuple[str, ...]  # topic ids A offers that B needs
    b_helps_a: tuple[str, ...]  # topic ids B offers that A needs
    shared_needs: tuple[str, ...]  # topic ids both want to learn
    languages: tuple[str, ...]  # tandem languages both speak
    common_times: tuple[CommonTime, ...]  # in the round's week, UTC, earliest first
    in_person: bool = False  # both chose (or accept) meeting in person, in the same city

    def to_json(self) -> dict[str, Any]:
        return {
            "a_helps_b": list(self.a_helps_b),
            "b_helps_a": list(self.b_helps_a),
            "shared_needs": list(self.shared_needs),
            "languages": list(self.languages),
            "common_times": [[t.start.isoformat(), t.end.isoformat()] for t in self.common_times],
            "in_person": self.in_person,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reasons:
        return cls(
            a_helps_b=tuple(data["a_helps_b"]),
            b_helps_a=tuple(data["b_helps_a"]),
            shared_needs=tuple(data["shared_needs"]),
            languages=tuple(data["languages"]),
            common_times=tuple(
                CommonTime(datetime.fromisoformat(start), datetime.fromisoformat(end))
                for start, end in data["common_times"]
            ),
            in_person=bool(data.get("in_person", False)),
        )


@dataclass(frozen=True)
class Pair:
    a: int  # the smaller member id
    b: int
    score: int
    reasons: Reasons


@dataclass(frozen=True)
class Proposal:
    pairs: tuple[Pair, ...]
    # Allowed to be matched but left without a partner (the odd one out, or nobody fitting).
    sit_out: tuple[int, ...] = ()
    # Why each one sits out: "odd_number" (someone had to) or "no_fit" (nobody allowed).
    sit_out_reasons: dict[int, Literal["odd_number", "no_fit"]] = field(default_factory=dict)
