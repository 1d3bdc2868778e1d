"""Common time across time zones: real weeks, DST changes, date lines, half-hour zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from bot.matching import propose
from bot.matching.encode import encode
from bot.matching.hours import (
    SLOT_IDS,
    axis_origin,
    free_quarters,
    meeting_starts,
    slot_mask,
    slot_quarters,
    zone_classes,
)
from bot.matching.score import allowed_block, columns
from tests.support.matching_people import member

WINTER = date(2025, 1, 13)  # a Monday: Europe and the US on standard time, NZ on summer time


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pair_times(a, b, week_start):
    proposal = propose([a, b], week_start=week_start)
    if not proposal.pairs:
        return None
    return [(t.start, t.end) for t in proposal.pairs[0].reasons.common_times]


def test_a_berlin_monday_evening_and_a_new_york_monday_afternoon_overlap():
    berlin = member(1, timezone="Europe/Berlin", availability=["mon_evening"])
    new_york = member(2, timezone="America/New_York", availability=["mon_afternoon"])
    # Berlin 17–21 CET is 16–20 UTC, New York 12–17 EST is 17–22 UTC.
    assert pair_times(berlin, new_york, WINTER) == [(utc(2025, 1, 13, 17), utc(2025, 1, 13, 20))]


def test_a_tokyo_morning_and_a_berlin_morning_never_meet():
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    tokyo = member(1, timezone="Asia/Tokyo", availability=[f"{d}_morning" for d in days])
    berlin = member(2, timezone="Europe/Berlin", availability=[f"{d}_morning" for d in days])
    proposal = propose([tokyo, berlin], week_start=WINTER)
    assert proposal.pairs == ()
    assert proposal.sit_out_reasons == {1: "no_fit", 2: "no_fit"}


def test_auckland_tuesday_morning_meets_honolulu_monday_afternoon_across_the_date_line():
    auckland = member(1, timezone="Pacific/Auckland", availability=["tue_morning"])
    honolulu = member(2, timezone="Pacific/Honolulu", availability=["mon_afternoon"])
    # NZ summer (+13): Tue 8–12 is Mon 19–23 UTC; Honolulu (−10) Mon 12–17 is Mon 22 – Tue 3 UTC.
    assert pair_times(auckland, honolulu, WINTER) == [(utc(2025, 1, 13, 22), utc(2025, 1, 13, 23))]
    # NZ winter (+12): Tue 8–12 is Mon 20 – Tue 0 UTC, two hours in common.
    assert pair_times(auckland, honolulu, date(2025, 7, 14)) == [
        (utc(2025, 7, 14, 22), utc(2025, 7, 15, 0))
    ]


def test_the_week_the_us_has_changed_its_clocks_and_europe_has_not():
    berlin = member(1, timezone="Europe/Berlin", availability=["mon_evening"])
    new_york = member(2, timezone="America/New_York", availability=["mon_morning"])
    # 3 March: New York 8–12 EST is 13–17 UTC, Berlin 17–21 CET is 16–20 UTC: exactly an hour.
    assert pair_times(berlin, new_york, date(2025, 3, 3)) == [
        (utc(2025, 3, 3, 16), utc(2025, 3, 3, 17))
    ]
    # 10 March: the US is on EDT (12–16 UTC), Europe still on CET: nothing in common.
    assert pair_times(berlin, new_york, date(2025, 3, 10)) is None
    # 31 March: Europe has changed too, the hour is back.
    assert pair_times(berlin, new_york, date(2025, 3, 31)) == [
        (utc(2025, 3, 31, 15), utc(2025, 3, 31, 16))
    ]


def test_a_dst_change_inside_the_week_moves_only_the_days_after_it():
    quarters = dict(zip(SLOT_IDS, slot_quarters("Europe/Berlin", date(2025, 3, 24)), strict=True))
    origin = axis_origin(date(2025, 3, 24))

    def hours(slot):
        first, end = quarters[slot]
        return (origin + first * (utc(2025, 1, 1, 0, 15) - utc(2025, 1, 1))).hour, (
            origin + end * (utc(2025, 1, 1, 0, 15) - utc(2025, 1, 1))
        ).hour

    assert hours("sat_evening") == (16, 20)  # CET, UTC+1
    assert hours("sun_evening") == (15, 19)  # CEST from Sunday 30 March, UTC+2


def test_half_and_three_quarter_hour_zones_are_exact():
    kolkata = member(1, timezone="Asia/Kolkata", availability=["mon_evening"])  # 11:30–15:30 UTC
    london_morning = member(2, timezone="Europe/London", availability=["mon_morning"])  # 8–12
    london_afternoon = member(3, timezone="Europe/London", availability=["mon_afternoon"])
    assert pair_times(kolkata, london_morning, WINTER) is None  # only 30 minutes
    assert pair_times(kolkata, london_afternoon, WINTER) == [
        (utc(2025, 1, 13, 12), utc(2025, 1, 13, 15, 30))
    ]
    kathmandu = member(4, timezone="Asia/Kathmandu", availability=["mon_morning"])  # 2:15–6:15
    tokyo = member(5, timezone="Asia/Tokyo", availability=["mon_morning"])  # Sun 23 – Mon 3 UTC
    singapore = member(6, timezone="Asia/Singapore", availability=["mon_morning"])  # 0–4 UTC
    assert pair_times(kathmandu, tokyo, WINTER) is None  # 45 minutes
    assert pair_times(kathmandu, singapore, WINTER) == [
        (utc(2025, 1, 13, 2, 15), utc(2025, 1, 13, 4))
    ]


def test_a_round_starts_on_a_monday():
    with pytest.raises(ValueError, match="Monday"):
        propose([member(1), member(2)], week_start=date(2025, 1, 14))


def test_the_per_class_slot_test_agrees_with_the_quarter_hour_vectors():
    zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Pacific/Auckland",
        "Pacific/Honolulu",
        "America/St_Johns",
        "Australia/Adelaide",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
    ]
    rng = np.random.default_rng(7)
    week = date(2025, 3, 24)  # Europe changes on Sunday of this week
    people = []
    for number in range(120):
        slots = [s for s in SLOT_IDS if rng.random() < 0.15]
        people.append(member(number, timezone=str(rng.choice(zones)), availability=slots))
    enc = encode(people, week_start=week, seed=0)
    fast = allowed_block(enc, np.arange(enc.size), columns(enc))[:, : enc.size]
    starts = [
        meeting_starts(free_quarters(p.timezone, slot_mask(p.availability), week))
        for p in enc.people
    ]
    assert 0.05 < fast.mean() < 0.95  # both answers occur
    for i in range(enc.size):
        for j in range(enc.size):
            if i != j:
                assert fast[i, j] == bool((starts[i] & starts[j]).any()), (i, j)
    assert len(zone_classes(zones, week).quarters) == len(zones)
