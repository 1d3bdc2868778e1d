"""The people of a round as arrays, in the engine's internal order.

:func:`encode` turns :class:`~bot.matching.model.Person` values into the numpy arrays the scorer
multiplies and masks: topics as 0/1 matrices, languages as bit masks, availability as slot masks
with the reach masks of :mod:`bot.matching.hours`, format and city as small codes, exclusions as
a sparse matrix. Nothing here scores; it only lays the data out once.

The internal order is a seeded shuffle of the members sorted by id (so the order they are given
in does not matter), grouped by time-zone class so that the members of a class are contiguous
columns (the time mask is then one AND per class and block). The shuffle makes ties between
equal scores fall differently for each seed, never by member id. The arrays are
padded with ``PAD`` inert members (no language, so never allowed) to a multiple of
``CHUNK`` columns, which the top-k selection in :mod:`bot.matching.score` relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse

from bot.matching.hours import ZoneClasses, reach_masks, slot_mask, zone_classes
from bot.matching.model import Person

CHUNK = 16


@dataclass(frozen=True)
class Encoded:
    """The round's members as arrays; index ``i`` is the ``i``-th member in internal order."""

    people: tuple[Person, ...]  # internal order, without padding
    offers: np.ndarray  # (n_pad, words) uint64 topic bit masks
    needs: np.ndarray  # (n_pad, words) uint64 topic bit masks
    languages: np.ndarray  # (n_pad, words) unsigned bit masks; all zero for padding
    zone_class: np.ndarray  # (n_pad,) int32, non-decreasing
    class_bounds: np.ndarray  # (classes + 1,) where each class's columns start and end
    slots: np.ndarray  # (n_pad,) int32, 21-bit slot masks
    reach: np.ndarray  # (n_pad, classes) int32, see hours.reach_masks
    video: np.ndarray  # (n_pad,) bool: may meet by video
    city: np.ndarray  # (n_pad,) int32: city code if they may meet in person there, else -1
    excluded: sparse.csr_matrix  # (n, n) bool, symmetric: never pair these two
    first_in_line: np.ndarray  # (n,) bool
    most_topics: int  # the most topics anyone offers or needs

    @property
    def size(self) -> int:
        return len(self.people)

    @property
    def padded_size(self) -> int:
        return len(self.slots)

    @property
    def everyone_meets_by_video(self) -> bool:
        return bool(self.video[: self.size].all())


def _index(values: list[frozenset[str]]) -> dict[str, int]:
    return {value: i for i, value in enumerate(sorted(set().union(*values)))}


def _bit_masks(
    sets: list[frozenset[str]], index: dict[str, int], rows: int, width: int | None = None
) -> np.ndarray:
    """Each set as bits in unsigned words of ``width`` bits (by default: one word of the
    smallest width that holds ``index``, 64-bit words beyond 64 values)."""
    width = width or next((w for w in (8, 16, 32) if len(index) <= w), 64)
    words = max(1, -(-len(index) // width))
    masks = np.zeros((rows, words), dtype=np.dtype(f"uint{width}"))
    row = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    bit = np.fromiter((index[v] for s in sets for v in s), np.int64, len(row))
    one = np.ones(1, dtype=masks.dtype)
    np.bitwise_or.at(masks, (row, bit // width), one << (bit % width).astype(masks.dtype))
    return masks


def encode(people: list[Person], *, week_start: date, seed: int) -> Encoded:
    """Lay ``people`` out for scoring. Raises ``ValueError`` on an unknown slot or duplicate id."""
    n = len(people)
    if len({p.id for p in people}) != n:
        raise ValueError("every person of a round appears once")
    people = sorted(people, key=lambda p: p.id)  # the order given must not matter
    classes = zone_classes([p.timezone for p in people], week_start)
    shuffle = np.random.default_rng(seed).permutation(n)
    order = shuffle[np.argsort(classes.of_member[shuffle], kind="stable")]
    people = [people[i] for i in order]
    classes = ZoneClasses(of_member=classes.of_member[order], quarters=classes.quarters)
    n_pad = -(-max(n, 1) // CHUNK) * CHUNK

    def padded(values: np.ndarray, fill: int) -> np.ndarray:
        out = np.full((n_pad, *values.shape[1:]), fill, dtype=values.dtype)
        out[:n] = values
        return out

    topics = _index([p.offers | p.needs for p in people])
    offers = _bit_masks([p.offers for p in people], topics, n_pad, width=64)
    needs = _bit_masks([p.needs for p in people], topics, n_pad, width=64)
    language_index = _index([p.languages for p in people])
    languages = _bit_masks([p.languages for p in people], language_index, n_pad)

    zone_class = padded(classes.of_member, int(classes.of_member.max(initial=0)))
    slots = padded(np.array([slot_mask(p.availability) for p in people], np.int32), 0)
    reach = padded(reach_masks(classes, slots[:n]) if n else np.zeros((0, 1), np.int32), 0).reshape(
        n_pad, -1
    )
    class_bounds = np.searchsorted(zone_class, np.arange(len(classes.quarters) + 1))
    class_bounds[-1] = n_pad

    cities = {c: i for i, c in enumerate(sorted({p.city for p in people if p.city is not None}))}
    video = padded(np.array([p.format != "in_person" for p in people], bool), 0)
    city = padded(
        np.array(
            [cities[p.city] if p.format != "video" and p.city is not None else -1 for p in people],
            np.int32,
        ),
        -1,
    )

    position = {p.id: i for i, p in enumerate(people)}
    pairs = [(i, position[x]) for i, p in enumerate(people) for x in p.excluded if x in position]
    rows = np.array([a for a, _ in pairs], np.int64)
    cols = np.array([b for _, b in pairs], np.int64)
    one_way = sparse.csr_matrix((np.ones(len(pairs), bool), (rows, cols)), shape=(n, n))
    excluded = (one_way + one_way.T).tocsr()

    return Encoded(
        people=tuple(people),
        offers=offers,
        needs=needs,
        languages=languages,
        zone_class=zone_class,
        class_bounds=class_bounds,
        slots=slots,
        reach=reach,
        video=video,
        city=city,
        excluded=excluded,
        first_in_line=np.array([p.first_in_line for p in people], bool),
        most_topics=max((max(len(p.offers), len(p.needs)) for p in people), default=0),
    )
