"""Which pairs the matching looks at: a few candidates per member, found block by block.

The solver cannot look at all N² pairs, so two scans over all of them keep a few per member:

1. :func:`best_by_score`: each member's ``k`` highest-scoring allowed partners. Popular members
   appear in thousands of these lists while the people who list them end up with nobody: the
   lists lack the pairs between less sought-after members.
2. :func:`best_by_reduced_cost`: given LP duals ``u`` from solving on the first lists (see
   :mod:`bot.matching.solve`), each member's ``k`` partners with the largest reduced cost
   ``score(i, j) − u[i] − u[j]``: a pair with a positive one would improve the LP optimum
   (dual pricing), one close to zero may be part of it. The duals price the popular members
   high, so these lists hold exactly the pairs the first ones missed. The reduced cost is
   symmetric, so this scan scores each pair once (the upper triangle, block by block).

The first scan scores a block of rows against all columns
(:func:`bot.matching.score.score_block`) and keeps per row the ``k`` largest scores without
sorting whole rows: ``_top_k`` looks only at the ``k`` column groups with the largest maxima.
Ties (scores are small integers, so there are many) are broken by a seeded pseudo-random order
that differs per row, never by position: a fixed order would send everyone's ties to the same
few members.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse

from bot.matching.encode import CHUNK, Encoded
from bot.matching.score import columns, columns_from, score_block

BLOCK_ROWS = 128
WORKERS = min(4, os.cpu_count() or 1)
# First-in-line members get longer lists: their own list is where a partner is found for them
# (solve.seat_first_in_line). Pushing them into everyone's lists instead crowds out the rest.
FIRST_IN_LINE_FACTOR = 4


class _TieBreak:
    """A seeded jitter in [0, 0.5) for every (row, column): frac(a[row] + b[column]) / 2."""

    def __init__(self, enc: Encoded, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.row = rng.random(enc.padded_size, dtype=np.float32)
        self.col = rng.random(enc.padded_size, dtype=np.float32)

    def __call__(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Jitter for every row against the same ``cols``."""
        return self._fold(self.row[rows][:, None] + self.col[cols][None, :])

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Jitter for row ``rows[r]`` against each of ``cols[r]``."""
        return self._fold(self.row[rows][:, None] + self.col[cols])

    def pairs_flat(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Jitter for each ``(rows[t], cols[t])``."""
        return self._fold(self.row[rows] + self.col[cols])

    @staticmethod
    def _fold(jitter: np.ndarray) -> np.ndarray:
        jitter -= np.floor(jitter)
        jitter *= 0.5
        return jitter


def _top_k(
    keys: np.ndarray, k: int, rows: np.ndarray, ties: _TieBreak
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions and keys of the ``k`` largest keys (ties in the seeded order).

    The columns are split into ``CHUNK`` interleaved slices; the ``k`` column groups
    ``g, g + G, g + 2G, …`` (``G = width / CHUNK``) with the largest maxima hold every key larger
    than the k-th group maximum, so partitioning only them is exact up to the order of ties,
    and it avoids numpy's introselect on rows full of equal small integers, which is slow."""
    n_rows, width = keys.shape
    groups = width // CHUNK
    sliced = keys.reshape(n_rows, CHUNK, groups)
    maxima = sliced.max(axis=1) + ties(rows, np.arange(groups))
    keep = min(k, groups)
    best_groups = np.argpartition(maxima, groups - keep, axis=1)[:, groups - keep :]
    position = (best_groups[:, None, :] + groups * np.arange(CHUNK)[None, :, None]).reshape(
        n_rows, -1
    )
    values = np.take_along_axis(keys, position, axis=1)
    ranked = values + ties.pairs(rows, position)
    keep = min(k, values.shape[1])
    best = np.argpartition(ranked, values.shape[1] - keep, axis=1)[:, values.shape[1] - keep :]
    return np.take_along_axis(position, best, axis=1), np.take_along_axis(values, best, axis=1)


Kept = tuple[np.ndarray, ...]  # rows, columns, scores (and keys) of the pairs a block keeps


def _in_blocks(enc: Encoded, one_block: Callable[[int], Kept]) -> Kept:
    """``one_block(start)`` for every block of rows, on ``WORKERS`` threads (numpy releases the
    GIL in the ufuncs that do the work), joined in block order: the outcome does not depend on
    the threads."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        parts = list(pool.map(one_block, range(0, enc.size, BLOCK_ROWS)))
    return tuple(np.concatenate(part) for part in zip(*parts, strict=True))


def _symmetric(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, n: int) -> sparse.csr_matrix:
    """Kept pairs as a symmetric matrix of scores (a pair kept by either of the two, once)."""
    one_way = sparse.csr_matrix((scores.astype(np.int32), (rows, cols)), shape=(n, n))
    return one_way.maximum(one_way.T).tocsr()


def best_by_score(enc: Encoded, k: int, *, seed: int) -> sparse.csr_matrix:
    """Each member's ``k`` best allowed partners by score (first-in-line members: more), as a
    symmetric sparse matrix of scores (n × n, int32)."""
    ties = _TieBreak(enc, seed)

    cols = columns(enc)

    def one_block(start: int) -> Kept:
        rows = np.arange(start, min(start + BLOCK_ROWS, enc.size))
        block = score_block(enc, rows, cols)
        first = enc.first_in_line[rows]
        col, value = _top_k(block, k, rows, ties)
        chosen = (value > 0) & ~first[:, None]
        kept = [(np.broadcast_to(rows[:, None], col.shape)[chosen], col[chosen], value[chosen])]
        if first.any():
            more_col, more_value = _top_k(block[first], FIRST_IN_LINE_FACTOR * k, rows[first], ties)
            chosen = more_value > 0
            kept.append(
                (
                    np.broadcast_to(rows[first][:, None], more_col.shape)[chosen],
                    more_col[chosen],
                    more_value[chosen],
                )
            )
        return tuple(np.concatenate(part) for part in zip(*kept, strict=True))

    return _symmetric(*_in_blocks(enc, one_block), enc.size)


def best_by_reduced_cost(
    enc: Encoded, duals: np.ndarray, k: int, *, slack: float, seed: int
) -> sparse.csr_matrix:
    """Each member's ``k`` allowed partners with the largest ``score − duals[i] − duals[j]``,
    those at least ``−slack``, as a symmetric sparse matrix of scores (n × n, int32).

    The reduced cost is symmetric, so each pair is scored once: block ``i`` against the
    columns from ``i`` on (half the work of the first scan). Each block keeps every pair
    within the slack; each member's best ``k`` of those are chosen at the end (ties in a
    seeded order)."""
    n = enc.size
    ties = _TieBreak(enc, seed + 1)
    padded_duals = np.zeros(enc.padded_size, dtype=np.float32)
    padded_duals[:n] = duals

    def one_block(start: int) -> Kept:
        rows = np.arange(start, min(start + BLOCK_ROWS, n))
        cols = columns_from(enc, start)
        block = score_block(enc, rows, cols)
        keys = block - padded_duals[start:]
        keys -= padded_duals[rows][:, None]
        keys[np.tril_indices(len(rows), m=keys.shape[1])] = -np.inf  # each pair once
        local, col = np.nonzero((keys >= -slack) & (block > 0))
        return rows[local], col + start, block[local, col], keys[local, col]

    heads, tails, scores, keys = _in_blocks(enc, one_block)
    # Every pair counts for both its members: rank each member's pairs by key, keep k.
    member = np.concatenate([heads, tails])
    other = np.concatenate([tails, heads])
    ranked = np.concatenate([keys, keys]) + ties.pairs_flat(member, other) / 2
    order = np.lexsort((-ranked, member))
    member, other = member[order], other[order]
    first_of_member = np.searchsorted(member, member, side="left")
    keep = np.arange(len(member)) - first_of_member < k
    return _symmetric(member[keep], other[keep], np.concatenate([scores, scores])[order][keep], n)
