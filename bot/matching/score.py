"""The pair score, computed block by block with numpy, and each member's best candidates.

For members A and B, with ``h(A→B) = |offers(A) ∩ needs(B)|`` (what A can help B with) and
``s = |needs(A) ∩ needs(B)|`` (what both want to learn)::

    score = HELP · (h(A→B) + h(B→A)) + MUTUAL · min(h(A→B), h(B→A)) + SHARED_NEED · s + BASE

so a pair that helps both ways earns the mutual bonus on its smaller direction and a one-way pair
does not: one topic each way scores 110, two topics one way 70. Every weight is an integer.

A pair where neither can help the other with anything the other needs is not a tandem (the seed:
two people who can each teach the other something), whatever else fits: it scores
``NOT_ALLOWED`` and is never proposed; needs in common only add to a pair that helps.

A pair is allowed only if (hard constraints, as masks): at least one helps the other (above, in
the score itself); they share a tandem language; their free
time this week shares a contiguous hour (:mod:`bot.matching.hours`); their formats fit ("video"
with "video" or "either"; "in_person" with "in_person" or "either" in the same city; "either"
with "either" always, by video if not in the same city); and neither excluded the other. Pairs
not allowed score ``NOT_ALLOWED``.

Topics are bit masks (64 per word), so the three counts of a block of rows against all columns
are an AND and a popcount each (``np.bitwise_count``), and the score is a lookup in a small
table indexed by the three counts: integer work only, no BLAS (whose threads stall when the
machine is busy). Never the N × N matrix: a block is a few MB and is reduced at once to the
pairs worth keeping (:mod:`bot.matching.candidates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.matching.encode import Encoded

HELP = 20
MUTUAL = 2 * HELP
SHARED_NEED = 4
BASE = 30  # any allowed pair is worth more than one topic one way: a partner beats none
NOT_ALLOWED = 0  # every allowed pair scores at least BASE + HELP


@dataclass(frozen=True)
class Columns:
    """What scoring needs of some columns, gathered once per scan."""

    index: np.ndarray  # internal indices of these columns, ascending
    offers: np.ndarray  # (C, words) uint64
    needs: np.ndarray  # (C, words) uint64
    languages: np.ndarray  # (C, words)
    slots: np.ndarray
    class_ranges: list[tuple[int, int, int]]  # (class, start, end) within these columns
    in_person_only: np.ndarray  # positions of the columns who meet only in person
    city: np.ndarray


def columns(enc: Encoded, index: np.ndarray | None = None) -> Columns:
    """The columns ``index`` (ascending internal indices; all, padding included, by default)."""
    if index is None:
        index = np.arange(enc.padded_size)
    zone_class = enc.zone_class[index]
    bounds = np.searchsorted(zone_class, np.arange(len(enc.class_bounds)))
    ranges = [
        (c, int(bounds[c]), int(bounds[c + 1]))
        for c in range(len(enc.class_bounds) - 1)
        if bounds[c + 1] > bounds[c]
    ]
    return Columns(
        index=index,
        offers=enc.offers[index],
        needs=enc.needs[index],
        languages=enc.languages[index],
        slots=enc.slots[index],
        class_ranges=ranges,
        in_person_only=np.flatnonzero(~enc.video[index] & (index < enc.size)),
        city=enc.city[index],
    )


def columns_from(enc: Encoded, start: int) -> Columns:
    """The columns from internal index ``start`` to the end (padding included), as views."""
    bounds = np.clip(enc.class_bounds - start, 0, enc.padded_size - start)
    return Columns(
        index=np.arange(start, enc.padded_size),
        offers=enc.offers[start:],
        needs=enc.needs[start:],
        languages=enc.languages[start:],
        slots=enc.slots[start:],
        class_ranges=[
            (c, int(bounds[c]), int(bounds[c + 1]))
            for c in range(len(bounds) - 1)
            if bounds[c + 1] > bounds[c]
        ],
        in_person_only=np.flatnonzero(
            ~enc.video[start:] & (np.arange(start, enc.padded_size) < enc.size)
        ),
        city=enc.city[start:],
    )


def allowed_block(enc: Encoded, rows: np.ndarray, cols: Columns) -> np.ndarray:
    """The hard constraints for ``rows`` × ``cols`` as a boolean matrix."""
    languages = enc.languages[rows]
    allowed = (languages[:, None, 0] & cols.languages[None, :, 0]) != 0
    for word in range(1, languages.shape[1]):
        allowed |= (languages[:, None, word] & cols.languages[None, :, word]) != 0
    reach = enc.reach[rows]
    for zone_class, start, end in cols.class_ranges:
        allowed[:, start:end] &= (reach[:, zone_class, None] & cols.slots[None, start:end]) != 0
    # Format: only someone who meets in person only can rule a pair out; they need the same
    # city and a partner who meets in person (city is -1 for those who do not).
    city = enc.city[rows]
    for row in np.flatnonzero(~enc.video[rows]):
        allowed[row] &= cols.city == city[row]
    if cols.in_person_only.size:
        allowed[:, cols.in_person_only] &= (
            city[:, None] == cols.city[None, cols.in_person_only]
        ) & (city[:, None] >= 0)
    # Nobody with themselves, nobody with someone either of them excluded.
    position = np.searchsorted(cols.index, rows)
    hit = position < len(cols.index)
    hit[hit] = cols.index[position[hit]] == rows[hit]
    allowed[np.flatnonzero(hit), position[hit]] = False
    excluded = enc.excluded[rows]
    if excluded.nnz:
        local_row = np.repeat(np.arange(excluded.shape[0]), np.diff(excluded.indptr))
        position = np.searchsorted(cols.index, excluded.indices)
        hit = position < len(cols.index)
        hit[hit] = cols.index[position[hit]] == excluded.indices[hit]
        allowed[local_row[hit], position[hit]] = False
    return allowed


def _common(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``|rows[i] ∩ cols[j]|`` for topic bit masks (uint64 words), as uint8."""
    count = np.bitwise_count(rows[:, None, 0] & cols[None, :, 0])
    for word in range(1, rows.shape[1]):
        count += np.bitwise_count(rows[:, None, word] & cols[None, :, word])
    return count


@lru_cache(maxsize=8)
def _score_table(side: int) -> np.ndarray:
    """The score for every ``(h(A→B), h(B→A), s)`` below ``side``, indexed by
    ``(h(A→B) · side + h(B→A)) · side + s``."""
    a_to_b, b_to_a, shared = np.meshgrid(*[np.arange(side)] * 3, indexing="ij")
    table = (
        HELP * (a_to_b + b_to_a) + MUTUAL * np.minimum(a_to_b, b_to_a) + SHARED_NEED * shared + BASE
    )
    table[a_to_b + b_to_a == 0] = NOT_ALLOWED
    return table.astype(np.int16).ravel()


def score_block(enc: Encoded, rows: np.ndarray, cols: Columns) -> np.ndarray:
    """Scores of ``rows`` (internal indices of real members) against ``cols`` (int16),
    ``NOT_ALLOWED`` (0) where a hard constraint forbids the pair.

    The three counts index a table of scores: in bytes while a member has at most 5 topics on
    a side (6³ entries), in 16-bit words up to 39."""
    a_to_b = _common(enc.offers[rows], cols.needs)
    b_to_a = _common(enc.needs[rows], cols.offers)
    shared = _common(enc.needs[rows], cols.needs)
    side = enc.most_topics + 1
    if side <= 39:
        index = a_to_b if side <= 6 else a_to_b.astype(np.uint16)
        index *= side
        index += b_to_a
        index *= side
        index += shared
        score = _score_table(side).take(index)
    else:
        score = (
            HELP * (a_to_b.astype(np.int16) + b_to_a)
            + MUTUAL * np.minimum(a_to_b, b_to_a).astype(np.int16)
            + SHARED_NEED * shared.astype(np.int16)
            + BASE
        ) * ((a_to_b + b_to_a) > 0)
    score *= allowed_block(enc, rows, cols)
    return score


def pair_scores(enc: Encoded, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The scores of the allowed pairs ``(a[t], b[t])`` (int64), the same formula pair by pair."""

    def common(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.bitwise_count(x & y).sum(axis=1).astype(np.int64)

    a_to_b = common(enc.offers[a], enc.needs[b])
    b_to_a = common(enc.needs[a], enc.offers[b])
    shared = common(enc.needs[a], enc.needs[b])
    return (
        HELP * (a_to_b + b_to_a) + MUTUAL * np.minimum(a_to_b, b_to_a) + SHARED_NEED * shared + BASE
    ) * ((a_to_b + b_to_a) > 0)
