"""When two members can meet: availability slots turned into UTC quarter-hours of one real week.

A member answers the questionnaire with slot ids such as ``"mon_evening"``: the hours the question
states (mornings 8–12, afternoons 12–17, evenings 17–21) on that weekday, in the member's own IANA
time zone. For a round whose week starts on a Monday, each slot is placed on its real date of that
week and converted to UTC there, so a DST change inside the week moves exactly the slots after
it. Everything works in quarter-hours (``QUARTER``), so +5:30 and +5:45 zones are exact.

The week axis runs in UTC from the Sunday before ``week_start`` to the Tuesday after the week
(``AXIS_DAYS`` days): a Monday morning in Kiribati (UTC+14) and a Sunday evening in Samoa's
neighbours at UTC-12 both fall on it.

Two members can meet when their free time shares at least one stretch of ``MEETING_QUARTERS``
contiguous quarter-hours. Two views of the same fact live here:

* exact, per member: a vector of the quarter-hours at which a one-hour meeting can START
  (:func:`meeting_starts`); two members can meet iff their vectors intersect. The Reasons use
  it, and the tests check the fast view against it;
* fast, per time-zone class: members whose zones put every slot at the same UTC quarters this
  week form one class (Berlin and Paris do); :func:`reach_masks` gives, per member and per class,
  the 21-bit mask of slots of that class that overlap one of the member's slots by an hour. A
  member ``a`` of class ``z`` can meet ``b`` iff ``reach[a, class(b)] & slots(b) != 0``, one AND
  per pair. This is exact because every slot is at least two hours long: a shared hour inside two
  runs of adjacent slots always contains a shared hour of two single slots (docs/matching.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import numpy as np

QUARTER = timedelta(minutes=15)
MEETING_QUARTERS = 4  # a first call needs one contiguous hour
AXIS_DAYS = 9
AXIS_QUARTERS = AXIS_DAYS * 96

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The hours the availability question states, local time: [start, end).
DAY_PARTS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 21)}
SLOT_IDS = tuple(f"{day}_{part}" for day in WEEKDAYS for part in DAY_PARTS)
SLOT_BIT = {slot: 1 << index for index, slot in enumerate(SLOT_IDS)}


def axis_origin(week_start: date) -> datetime:
    """The UTC instant of quarter 0 of the week axis: the Sunday before ``week_start``, 00:00."""
    if week_start.weekday() != 0:
        raise ValueError(f"a round's week starts on a Monday, not on {week_start:%A} {week_start}")
    return datetime.combine(week_start - timedelta(days=1), time(0), tzinfo=UTC)


def slot_mask(availability: Iterable[str]) -> int:
    """The member's slots as a 21-bit mask (bit ``i`` is ``SLOT_IDS[i]``)."""
    mask = 0
    for slot in availability:
        try:
            mask |= SLOT_BIT[slot]
        except KeyError:
            raise ValueError(f"unknown availability slot {slot!r}") from None
    return mask


@cache
def slot_quarters(timezone: str, week_start: date) -> tuple[tuple[int, int], ...]:
    """Each slot of ``SLOT_IDS`` as ``(first, end)`` quarter-hours on the week axis, for a member
    in ``timezone`` during the week starting ``week_start``."""
    zone = ZoneInfo(timezone)
    origin = axis_origin(week_start)
    quarters = []
    for day_index in range(len(WEEKDAYS)):
        day = week_start + timedelta(days=day_index)
        for start_hour, end_hour in DAY_PARTS.values():
            start = datetime.combine(day, time(start_hour), tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, time(end_hour), tzinfo=zone).astimezone(UTC)
            # Offsets are whole quarter-hours in every zone in use; round inwards regardless.
            first = -((origin - start) // QUARTER)
            quarters.append((first, (end - origin) // QUARTER))
    return tuple(quarters)


@lru_cache(maxsize=4096)
def free_quarters(timezone: str, mask: int, week_start: date) -> np.ndarray:
    """A boolean vector over the week axis: the quarter-hours the member is free (read-only)."""
    free = np.zeros(AXIS_QUARTERS, dtype=bool)
    for index, (first, end) in enumerate(slot_quarters(timezone, week_start)):
        if mask >> index & 1:
            free[first:end] = True
    free.flags.writeable = False
    return free


def meeting_starts(free: np.ndarray) -> np.ndarray:
    """The quarter-hours at which a meeting of ``MEETING_QUARTERS`` fits into ``free``."""
    starts = np.array(free)
    for shift in range(1, MEETING_QUARTERS):
        starts[:-shift] &= free[shift:]
        starts[-shift:] = False
    return starts


def common_stretches(
    first: tuple[str, int], second: tuple[str, int], week_start: date
) -> list[tuple[datetime, datetime]]:
    """The stretches of at least an hour both are free, in UTC, earliest first; each member given
    as ``(timezone, slot mask)``."""
    both = free_quarters(*first, week_start) & free_quarters(*second, week_start)
    edges = np.flatnonzero(np.diff(np.concatenate(([False], both, [False])).astype(np.int8)))
    origin = axis_origin(week_start)
    return [
        (origin + int(start) * QUARTER, origin + int(end) * QUARTER)
        for start, end in zip(edges[0::2], edges[1::2], strict=True)
        if end - start >= MEETING_QUARTERS
    ]


@dataclass(frozen=True)
class ZoneClasses:
    """Members grouped by where their slots fall in UTC this week.

    ``of_member[i]`` is member ``i``'s class; ``quarters[c]`` is class ``c``'s ``slot_quarters``
    table (21 × 2)."""

    of_member: np.ndarray  # int32, one per member
    quarters: np.ndarray  # (classes, 21, 2) int32


def zone_classes(timezones: list[str], week_start: date) -> ZoneClasses:
    """Each distinct time zone is converted once; zones with the same table share a class."""
    table_of_zone: dict[str, tuple[tuple[int, int], ...]] = {}
    class_of_table: dict[tuple[tuple[int, int], ...], int] = {}
    class_of_zone: dict[str, int] = {}
    for zone in dict.fromkeys(timezones):
        table = table_of_zone[zone] = slot_quarters(zone, week_start)
        class_of_zone[zone] = class_of_table.setdefault(table, len(class_of_table))
    tables = sorted(class_of_table, key=class_of_table.__getitem__)
    return ZoneClasses(
        of_member=np.fromiter((class_of_zone[z] for z in timezones), np.int32, len(timezones)),
        quarters=np.array(tables, dtype=np.int32).reshape(len(tables), len(SLOT_IDS), 2),
    )


def slot_overlaps(classes: ZoneClasses) -> np.ndarray:
    """``overlaps[c, d, s, t]``: slot ``s`` of class ``c`` and slot ``t`` of class ``d`` share at
    least an hour (classes × classes × 21 × 21, bool)."""
    q = classes.quarters
    first_c, end_c = q[:, None, :, None, 0], q[:, None, :, None, 1]
    first_d, end_d = q[None, :, None, :, 0], q[None, :, None, :, 1]
    return np.minimum(end_c, end_d) - np.maximum(first_c, first_d) >= MEETING_QUARTERS


def reach_masks(classes: ZoneClasses, masks: np.ndarray) -> np.ndarray:
    """``reach[i, d]``: the 21-bit mask of slots a member of class ``d`` must have (one at least)
    to share an hour with member ``i`` (members × classes, int32).

    Computed once per distinct (class, slot mask) pattern, not per member, with integer ORs
    (no BLAS: its threads stall on a busy machine)."""
    weights = 1 << np.arange(len(SLOT_IDS), dtype=np.int64)
    # reached[c, s, d]: the slots of class d that slot s of class c shares an hour with.
    reached = (slot_overlaps(classes).astype(np.int64) @ weights).transpose(0, 2, 1)
    keys = classes.of_member.astype(np.int64) << len(SLOT_IDS) | masks.astype(np.int64)
    patterns, member_pattern = np.unique(keys, return_inverse=True)
    pattern_class = patterns >> len(SLOT_IDS)
    reach = np.zeros((len(patterns), len(classes.quarters)), dtype=np.int64)
    for slot in range(len(SLOT_IDS)):
        has = np.flatnonzero(patterns >> slot & 1)
        reach[has] |= reached[pattern_class[has], slot]
    return reach[member_pattern.reshape(-1)].astype(np.int32)
