"""The matching engine: who is paired with whom in a round, and why.

Pure and platform-free: :func:`propose` takes :class:`~bot.matching.model.Person` values and a
week, scores every allowed pair block by block with numpy (two-way complementarity, hard
constraints as masks: :mod:`~bot.matching.score`, :mod:`~bot.matching.hours`), keeps a few
candidates per member found by score and by dual pricing (:mod:`~bot.matching.candidates`) and
solves a maximum-weight matching on that sparse general graph (:mod:`~bot.matching.solve`,
:mod:`~bot.matching.pairing`); :mod:`~bot.matching.explain` says why each pair fits.
``docs/matching.md`` explains the score, the solver and the sit-out rule.
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
    """The pairs for a round (see :func:`bot.matching.rounds.propose`). The solver and scipy
    are imported on the first round, not when the bot starts: they are most of its memory
    (about 60 MB) and a second of its start-up, and answering needs neither."""
    from bot.matching.rounds import propose as solve_round

    return solve_round(people, week_start=week_start, seed=seed)
