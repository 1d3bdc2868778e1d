"""The matching engine: who is paired with whom in a round, and why.

Pure and platform-free: :func:`propose` takes :class:`~bot.matching.model.Person` values and a
week, scores every allowed pair block by block with numpy (two-way complementarity, hard
constraints as masks), keeps each person's best candidates and solves a maximum-weight matching
on that sparse general graph. ``docs/matching.md`` explains the score and the solver.
"""

from __future__ import annotations

from datetime import date

from bot.matching.model import CommonTime, Format, Pair, Person, Proposal, Reasons

__all__ = [
    "CommonTime",
    "Format",
    "Pair",
    "Person",
    "Proposal",
    "Reasons",
    "propose",
]


def propose(people: list[Person], *, week_start: date, seed: int = 0) -> Proposal:
    """The pairs for a round whose week starts on ``week_start`` (a Monday), deterministic for
    ``seed``. Being built (issue 10)."""
    raise NotImplementedError
