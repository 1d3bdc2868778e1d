"""From encoded people to pairs: candidates, the LP, dual pricing, the matching, the leftovers.

:func:`pair_up` runs the engine's steps on :class:`~bot.matching.encode.Encoded` people:

1. each member's ``FIRST_K`` best partners by score (:func:`candidates.best_by_score`);
2. the fractional matching LP on those and its duals (:mod:`bot.matching.solve`);
3. each member's ``PRICED_K`` partners of largest reduced cost under those duals, over ALL
   allowed pairs (:func:`candidates.best_by_reduced_cost`): the pairs the first lists missed;
4. the matching on both lists together (:func:`solve.round_lp`);
5. whoever is left alone is scored exactly against the others left alone and matched again,
   so nobody sits out for want of a candidate in a list.

A small round (at most ``solve.EXACT_NODES`` members and ``solve.EXACT_EDGES`` allowed pairs,
which is most communities) skips all that: every allowed pair is scored and the matching is
solved exactly.

First-in-line members have longer first lists, and any of them left alone after step 4 is seated
along an alternating path (:func:`solve.seat_first_in_line`) over all their allowed pairs, not
only those in the lists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.matching import candidates, solve
from bot.matching.encode import Encoded
from bot.matching.score import columns, pair_scores, score_block

FIRST_K = 20
PRICED_K = 6
# Pairs whose reduced cost is this close to zero are kept for the final matching too, from the
# priced lists and from the first ones.
PRICING_SLACK = 5.0
KEEP_SLACK = 30.0


@dataclass(frozen=True)
class Pairing:
    """Pairs of internal indices ``(i, j)``, ``i < j``, with their scores."""

    pairs: list[tuple[int, int]]
    scores: list[int]


def _exact_among(enc: Encoded, nodes: np.ndarray) -> sparse.csr_matrix:
    """All allowed pairs among ``nodes`` with their scores (n × n, only those rows/columns)."""
    nodes = np.sort(nodes)
    cols = columns(enc, nodes)
    block = score_block(enc, nodes, cols)
    local_rows, local_cols = np.nonzero(block)
    return sparse.csr_matrix(
        (block[local_rows, local_cols].astype(np.int32), (nodes[local_rows], nodes[local_cols])),
        shape=(enc.size, enc.size),
    )


def _all_pairs_of(enc: Encoded, nodes: np.ndarray) -> sparse.csr_matrix:
    """Every allowed pair of ``nodes`` with anyone, scored (symmetric, n × n): a few rows
    against everyone, for the few members first in line."""
    block = score_block(enc, nodes, columns(enc))[:, : enc.size]
    local_rows, cols = np.nonzero(block)
    rows = nodes[local_rows]
    keep = rows != cols
    found = sparse.csr_matrix(
        (block[local_rows, cols][keep].astype(np.float64), (rows[keep], cols[keep])),
        shape=(enc.size, enc.size),
    )
    return found.maximum(found.T).tocsr()


class _Stopwatch:
    """Adds the seconds each stage takes to ``stages`` (scoring and solving are told apart)."""

    def __init__(self, stages: dict[str, float] | None) -> None:
        self.stages = stages
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.stages is not None:
            self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now


def _near_tight(weights: sparse.csr_matrix, duals: np.ndarray, slack: float) -> sparse.csr_matrix:
    """The edges of ``weights`` whose reduced cost is at least ``-slack``."""
    coo = weights.tocoo()
    keep = coo.data - duals[coo.row] - duals[coo.col] >= -slack
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=weights.shape)


def pair_up(enc: Encoded, *, seed: int, stages: dict[str, float] | None = None) -> Pairing:
    """The pairs for ``enc``; ``stages``, if given, receives the seconds spent in each step
    (``score_first``, ``solve_first``, ``score_priced``, ``solve_final``, ``leftovers``)."""
    n = enc.size
    watch = _Stopwatch(stages)
    if n < 2:
        return Pairing([], [])
    if n <= solve.EXACT_NODES:
        everyone = _exact_among(enc, np.arange(n))
        watch.lap("score_first")
        if everyone.nnz <= 2 * solve.EXACT_EDGES:
            pairs = solve.max_weight_matching(everyone, priority=enc.first_in_line)
            watch.lap("solve_final")
            return _with_scores(enc, pairs)
    first_lists = candidates.best_by_score(enc, FIRST_K, seed=seed)
    watch.lap("score_first")
    if first_lists.nnz == 0:
        return Pairing([], [])
    weighted = sparse.csr_matrix(first_lists, dtype=np.float64)
    partner = solve.solve_lp(weighted)
    duals = solve.lp_duals(weighted, partner)
    watch.lap("solve_first")
    priced = candidates.best_by_reduced_cost(enc, duals, PRICED_K, slack=PRICING_SLACK, seed=seed)
    graph = priced.maximum(_near_tight(first_lists, duals, KEEP_SLACK)).tocsr()
    watch.lap("score_priced")
    weighted = sparse.csr_matrix(graph, dtype=np.float64)
    pairs = solve.round_lp(weighted, solve.solve_lp(weighted))
    watch.lap("solve_final")
    alone = np.ones(n, dtype=bool)
    for a, b in pairs:
        alone[a] = alone[b] = False
    if alone.sum() >= 2:
        rest = _exact_among(enc, np.flatnonzero(alone))
        if rest.nnz:
            pairs = sorted(pairs + solve.max_weight_matching(rest, priority=enc.first_in_line))
            weighted = weighted.maximum(rest).tocsr()
    if enc.first_in_line.any():
        # Their every allowed pair, not only those in the lists: a seat may be anywhere.
        weighted = weighted.maximum(_all_pairs_of(enc, np.flatnonzero(enc.first_in_line)))
        pairs = sorted(solve.seat_first_in_line(weighted.tocsr(), pairs, enc.first_in_line))
    watch.lap("leftovers")
    return _with_scores(enc, pairs)


def _with_scores(enc: Encoded, pairs: list[tuple[int, int]]) -> Pairing:
    ends = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Pairing(pairs, pair_scores(enc, ends[:, 0], ends[:, 1]).tolist())
