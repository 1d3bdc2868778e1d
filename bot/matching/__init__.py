"""The matching engine: who is paired with whom in a round, and why.

Pure and platform-free: :func:`propose` takes :class:`~bot.matching.model.Person` values and a
week, scores every allowed pair block by block with numpy (two-way complementarity, hard
constraints as masks: :mod:`~bot.matching.score`, :mod:`~bot.matching.hours`), keeps a few
candidates per member found by score and by dual pricing (:mod:`~bot.matching.candidates`) and
solves a maximum-weight matching on that sparse general graph (:mod:`~bot.matching.solve`,
:mod:`~bot.matching.pairing`); :mod:`~bot.matching.explain` says why each pair fits.
``docs/matching.md`` explains the score, the solver and the sit-out rule.

The solver's modules (numpy's and SciPy's sparse graphs and linear programs, about half a second
to import) are imported when a round is first proposed: every process of the bot imports this
package for its model, but only the one that runs a round needs the solver.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

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
    ``seed``.

    Everyone given may be matched; whoever is left without a partner sits out, with the reason
    ``"no_fit"`` if nobody in the round is allowed with them, else ``"odd_number"``. Members
    marked ``first_in_line`` are left out only if no matching could include them all."""
    import numpy as np

    from bot.matching.encode import encode
    from bot.matching.explain import reasons
    from bot.matching.pairing import pair_up
    from bot.matching.score import columns, score_block

    enc = encode(people, week_start=week_start, seed=seed)
    pairing = pair_up(enc, seed=seed)
    chosen = []
    alone = np.ones(enc.size, dtype=bool)
    for (i, j), score in zip(pairing.pairs, pairing.scores, strict=True):
        alone[i] = alone[j] = False
        a, b = sorted((enc.people[i], enc.people[j]), key=lambda p: p.id)
        chosen.append(Pair(a=a.id, b=b.id, score=score, reasons=reasons(a, b, week_start)))
    left = np.flatnonzero(alone)
    why: dict[int, Literal["odd_number", "no_fit"]] = {}
    if left.size:
        anyone = (score_block(enc, left, columns(enc))[:, : enc.size] > 0).any(axis=1)
        for position, someone in zip(left.tolist(), anyone.tolist(), strict=True):
            why[enc.people[position].id] = "odd_number" if someone else "no_fit"
    return Proposal(
        pairs=tuple(sorted(chosen, key=lambda pair: (pair.a, pair.b))),
        sit_out=tuple(sorted(why)),
        sit_out_reasons=why,
    )
