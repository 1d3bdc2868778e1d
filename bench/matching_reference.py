"""What the matching benchmark compares the engine with, computed outside the timed part.

* :func:`upper_bound`: an upper bound on the best matching over ALL allowed pairs, proven by an
  LP dual feasible for every one of them. Dual pricing: solve the fractional matching LP on a
  candidate graph (:func:`bot.matching.solve.solve_lp`), take its duals ``u``, scan all pairs
  block by block for ``score − u[i] − u[j] > 0``, add the worst ones and solve again, until the
  LP value stops rising. The last scan lifts each ``u[i]`` by its row's largest remaining excess,
  which makes ``u`` feasible for every allowed pair; ``Σ u`` is then the bound (equal to the LP
  optimum over all pairs when no excess is left).
* :func:`exact_optimum`: rustworkx's exact blossom matching on the full allowed graph (only
  where it finishes in reasonable time).
* :func:`greedy_weight`: the greedy baseline, pairing by descending score over all allowed pairs.
"""

from __future__ import annotations

import numpy as np
import rustworkx
from scipy import sparse

from bot.matching import candidates, solve
from bot.matching.encode import Encoded
from bot.matching.score import columns, score_block

BLOCK = 256


def _blocks(enc: Encoded):
    cols = columns(enc)
    for start in range(0, enc.size, BLOCK):
        rows = np.arange(start, min(start + BLOCK, enc.size))
        yield rows, score_block(enc, rows, cols)[:, : enc.size]


def _excess_scan(enc: Encoded, duals: np.ndarray, per_row: int):
    """Per row: the largest excess ``score − u[i] − u[j]`` over all allowed pairs, and up to
    ``per_row`` of the pairs with positive excess (as a sparse matrix of scores)."""
    largest = np.zeros(enc.size)
    rows_kept, cols_kept, scores_kept = [], [], []
    for rows, block in _blocks(enc):
        excess = block - duals[None, :] - duals[rows][:, None]
        excess[block <= 0] = -np.inf
        largest[rows] = np.maximum(excess.max(axis=1), 0.0)
        hot = np.flatnonzero(largest[rows] > 1e-9)
        if hot.size:
            take = min(per_row, excess.shape[1])
            best = np.argpartition(excess[hot], excess.shape[1] - take, axis=1)[:, -take:]
            good = np.take_along_axis(excess[hot], best, axis=1) > 1e-9
            rows_kept.append(np.repeat(rows[hot], take)[good.ravel()])
            cols_kept.append(best[good])
            scores_kept.append(np.take_along_axis(block[hot], best, axis=1)[good])
    found = sparse.csr_matrix((enc.size, enc.size))
    if rows_kept:
        found = sparse.csr_matrix(
            (
                np.concatenate(scores_kept),
                (np.concatenate(rows_kept), np.concatenate(cols_kept)),
            ),
            shape=(enc.size, enc.size),
        )
    return largest, found.maximum(found.T)


def upper_bound(enc: Encoded, *, rounds: int = 8, per_row: int = 20) -> dict[str, float]:
    graph = sparse.csr_matrix(candidates.best_by_score(enc, 20, seed=0), dtype=np.float64)
    best_lp = -1.0
    for round_number in range(1, rounds + 1):
        partner = solve.solve_lp(graph)
        duals = solve.lp_duals(graph, partner)
        lp_value = float(duals.sum())
        largest, found = _excess_scan(enc, duals, per_row)
        if not largest.any() or lp_value <= best_lp + 1e-6 or round_number == rounds:
            return {
                "bound": lp_value + float(largest.sum()),
                "lp_on_priced_graph": lp_value,
                "pricing_rounds": round_number,
            }
        best_lp = lp_value
        graph = graph.maximum(found).tocsr()
    raise AssertionError("unreachable")


def all_allowed_pairs(enc: Encoded) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every allowed pair once (``i < j``) with its score."""
    heads, tails, scores = [], [], []
    for rows, block in _blocks(enc):
        upper = np.triu(block, k=int(rows[0]) + 1)
        local, other = np.nonzero(upper)
        heads.append(rows[local].astype(np.int32))
        tails.append(other.astype(np.int32))
        scores.append(upper[local, other].astype(np.int16))
    return np.concatenate(heads), np.concatenate(tails), np.concatenate(scores)


def exact_optimum(enc: Encoded, pairs) -> tuple[int, int]:
    """The optimum's total score and number of pairs (rustworkx, exact)."""
    heads, tails, scores = pairs
    graph = rustworkx.PyGraph()
    graph.add_nodes_from(range(enc.size))
    graph.add_edges_from(
        list(zip(heads.tolist(), tails.tolist(), scores.astype(int).tolist(), strict=True))
    )
    matching = rustworkx.max_weight_matching(graph, weight_fn=int)
    total = sum(int(graph.get_edge_data(a, b)) for a, b in matching)
    return total, len(matching)


def greedy_weight(enc: Encoded, pairs) -> tuple[int, int]:
    """Greedy by descending score over all allowed pairs: total score and number of pairs."""
    heads, tails, scores = pairs
    order = np.argsort(-scores, kind="stable")
    taken = np.zeros(enc.size, dtype=bool)
    total = count = 0
    for start in range(0, len(order), 1 << 20):
        chunk = order[start : start + (1 << 20)]
        chunk = chunk[~taken[heads[chunk]] & ~taken[tails[chunk]]]
        for edge in chunk.tolist():
            a, b = heads[edge], tails[edge]
            if not taken[a] and not taken[b]:
                taken[a] = taken[b] = True
                total += int(scores[edge])
                count += 1
    return total, count
