"""The pair score, computed block by block with numpy, and each member's best candidates.

For members A and B, with ``h(A→B) = |offers(A) ∩ needs(B)|`` (what A can help B with) and
``s = |needs(A) ∩ needs(B)|`` (what both want to learn)::

    score = HELP · (h(A→B) + h(B→A)) + MUTUAL · min(h(A→B), h(B→A)) + SHARED_NEED · s + BASE

so a pair that helps both ways earns the mutual bonus on its smaller direction and a one-way pair
does not: one topic each way scores 110, two topics one way 70, none at all 30. Every weight is
an integer.

A pair is allowed only if (hard constraints, as masks): they share a tandem language; their free
time this week shares a contiguous hour (:mod:`bot.matching.hours`); their formats fit ("video"
with "video" or "either"; "in_person" with "in_person" or "either" in the same city; "either"
with "either" always, by video if not in the same city); and neither excluded the other. Pairs
not allowed score ``NOT_ALLOWED``.

The score of a block of rows against all columns takes two float32 matrix products, because
``X = (HELP·offers + needs)[A] · needs[B]ᵀ = HELP·h(A→B) + s`` and ``Y`` likewise the other way,
and ``X + Y + 2·min(X, Y)`` is the score above without ``BASE``. Never the N × N matrix: a block
is a few MB and is reduced at once to the pairs worth keeping (:mod:`bot.matching.candidates`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.matching.encode import Encoded

HELP = 20
MUTUAL = 2 * HELP  # fixed by the two-product trick above
SHARED_NEED = 4  # 4 × the unit needs carry in X and Y
BASE = 30  # any allowed pair is worth more than one topic one way: a partner beats none
NOT_ALLOWED = 0.0  # every allowed pair scores at least BASE


@dataclass(frozen=True)
class Columns:
    """What scoring needs of the columns, laid out once for the matrix products."""

    index: np.ndarray  # internal indices of these columns, ascending
    needs: np.ndarray  # (C, topics)
    helps: np.ndarray  # (C, topics): HELP·offers + needs
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
        needs=np.ascontiguousarray(enc.needs[index]),
        helps=HELP * enc.offers[index] + enc.needs[index],
        languages=enc.languages[index],
        slots=enc.slots[index],
        class_ranges=ranges,
        in_person_only=np.flatnonzero(~enc.video[index] & (index < enc.size)),
        city=enc.city[index],
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


def score_block(enc: Encoded, rows: np.ndarray, cols: Columns) -> np.ndarray:
    """Scores of ``rows`` (internal indices of real members) against ``cols``, float32,
    ``NOT_ALLOWED`` (0) where a hard constraint forbids the pair."""
    helps = HELP * enc.offers[rows] + enc.needs[rows]
    x = helps @ cols.needs.T
    y = enc.needs[rows] @ cols.helps.T
    smaller = np.minimum(x, y)
    x += y
    smaller *= 2
    x += smaller
    x += BASE
    x *= allowed_block(enc, rows, cols)
    return x


def pair_scores(enc: Encoded, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The scores of the allowed pairs ``(a[t], b[t])`` (int64), the same formula row by row."""
    x = ((HELP * enc.offers[a] + enc.needs[a]) * enc.needs[b]).sum(axis=1)
    y = (enc.needs[a] * (HELP * enc.offers[b] + enc.needs[b])).sum(axis=1)
    return (x + y + 2 * np.minimum(x, y) + BASE).astype(np.int64)
