"""Seeded synthetic communities for the matching benchmark (and for tests that need a crowd).

Shaped like the note's measurements (shared/notes/matching.md): 40 topics whose popularity is
skewed (Zipf; the most offered topics are not the most needed ones), 3–5 offers and 2–4 needs per
person; a dominant language (English) and regional ones, 1–3 per person; time zones clustered in
regions worldwide, half-hour and 45-minute zones included; availability as one or two habitual
windows (weekday evenings, weekend days, lunch times, mornings) with days dropped at random plus
a few odd slots; mostly video, some "either" and a few "in person" in their region's cities;
about five past partners each (excluded), drawn among people who could have met; a handful first
in line.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.matching.hours import WEEKDAYS
from bot.matching.model import Person

TOPICS = tuple(f"topic{number:02d}" for number in range(40))
# region: (share, [(zone, city)], regional languages)
REGIONS = {
    "europe": (
        0.42,
        [
            ("Europe/Berlin", "berlin"),
            ("Europe/London", "london"),
            ("Europe/Paris", "paris"),
            ("Europe/Madrid", "madrid"),
            ("Europe/Warsaw", "warsaw"),
            ("Europe/Kyiv", "kyiv"),
            ("Europe/Lisbon", "lisbon"),
        ],
        ["de", "fr", "es", "pl", "uk", "pt"],
    ),
    "americas": (
        0.30,
        [
            ("America/New_York", "new-york"),
            ("America/Chicago", "chicago"),
            ("America/Denver", "denver"),
            ("America/Los_Angeles", "los-angeles"),
            ("America/Sao_Paulo", "sao-paulo"),
            ("America/Mexico_City", "mexico-city"),
            ("America/St_Johns", "st-johns"),
        ],
        ["es", "pt", "fr"],
    ),
    "asia": (
        0.20,
        [
            ("Asia/Kolkata", "mumbai"),
            ("Asia/Kathmandu", "kathmandu"),
            ("Asia/Tokyo", "tokyo"),
            ("Asia/Shanghai", "shanghai"),
            ("Asia/Singapore", "singapore"),
            ("Asia/Jakarta", "jakarta"),
            ("Asia/Dubai", "dubai"),
        ],
        ["hi", "ja", "zh", "id", "ar"],
    ),
    "oceania_africa": (
        0.08,
        [
            ("Australia/Sydney", "sydney"),
            ("Pacific/Auckland", "auckland"),
            ("Africa/Lagos", "lagos"),
            ("Africa/Nairobi", "nairobi"),
            ("Australia/Adelaide", "adelaide"),
        ],
        ["sw", "yo", "fr"],
    ),
}
WINDOWS = (
    ((0, 1, 2, 3, 4), ("evening",)),
    ((5, 6), ("morning", "afternoon")),
    ((0, 1, 2, 3, 4), ("afternoon",)),
    ((0, 1, 2, 3, 4, 5, 6), ("morning",)),
    ((4, 5, 6), ("evening",)),
)


def _zipf(count: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return rng.permutation(weights / weights.sum())


def _availability(rng: np.random.Generator) -> frozenset[str]:
    slots: set[str] = set()
    for window in rng.choice(len(WINDOWS), size=rng.integers(1, 3), replace=False):
        days, parts = WINDOWS[window]
        for day in days:
            if rng.random() < 0.7:
                slots.update(f"{WEEKDAYS[day]}_{part}" for part in parts)
    for _ in range(rng.integers(0, 3)):
        slots.add(f"{WEEKDAYS[rng.integers(7)]}_{rng.choice(['morning', 'afternoon', 'evening'])}")
    return frozenset(slots)


def synthetic_community(size: int, seed: int, past_partners: int = 5) -> list[Person]:
    """``size`` members, the same ones for the same ``seed``."""
    rng = np.random.default_rng(seed)
    offer_popularity = _zipf(len(TOPICS), 1.0, rng)
    need_popularity = _zipf(len(TOPICS), 1.0, rng)
    names = list(REGIONS)
    shares = np.array([REGIONS[name][0] for name in names])
    region_of = rng.choice(len(names), size=size, p=shares / shares.sum())
    people = []
    for number in range(size):
        _, places, regional = REGIONS[names[region_of[number]]]
        zone, city = places[min(int(rng.geometric(0.35)) - 1, len(places) - 1)]
        languages = {"en"} if rng.random() < 0.75 else set()
        for _ in range(rng.integers(0 if languages else 1, 3)):
            languages.add(str(rng.choice(regional)))
        offers = rng.choice(len(TOPICS), size=rng.integers(3, 6), replace=False, p=offer_popularity)
        needs = rng.choice(len(TOPICS), size=rng.integers(2, 5), replace=False, p=need_popularity)
        fmt = str(rng.choice(["video", "either", "in_person"], p=[0.75, 0.2, 0.05]))
        people.append(
            Person(
                id=1000 + number,
                offers=frozenset(TOPICS[t] for t in offers),
                needs=frozenset(TOPICS[t] for t in needs) - frozenset(TOPICS[t] for t in offers),
                languages=frozenset(languages),
                timezone=zone,
                availability=_availability(rng),
                format=fmt,  # type: ignore[arg-type]
                city=city if fmt != "video" else None,
                first_in_line=bool(rng.random() < 0.002),
            )
        )
    # Past partners: people of the same region who share a language, ~past_partners each.
    excluded: list[set[int]] = [set() for _ in range(size)]
    by_region = [np.flatnonzero(region_of == r) for r in range(len(names))]
    for number, person in enumerate(people):
        pool = by_region[region_of[number]]
        for other in rng.choice(pool, size=min(len(pool), 3 * past_partners), replace=False):
            if len(excluded[number]) * 2 >= past_partners or other == number:
                continue
            if person.languages & people[other].languages:
                excluded[number].add(people[other].id)
                excluded[other].add(person.id)
    return [replace(p, excluded=frozenset(excluded[i])) for i, p in enumerate(people)]
