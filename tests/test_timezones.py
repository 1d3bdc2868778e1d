"""Time zones as members type them: cities and countries in either language, offsets."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from flows.timezones import parse_timezone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Wien", "Europe/Vienna"),
        ("Zürich", "Europe/Zurich"),
        ("new york", "America/New_York"),
        ("London", "Europe/London"),
        ("Kiew", "Europe/Kyiv"),
        ("europe/kiev", "Europe/Kyiv"),
        ("Calcutta", "Asia/Kolkata"),
        ("Deutschland", "Europe/Berlin"),
        ("Austria", "Europe/Vienna"),
        ("UTC", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("gmt -5", "Etc/GMT+5"),
        ("+03:00", "Etc/GMT-3"),
        ("UTC+14", "Etc/GMT-14"),
        ("UTC-12", "Etc/GMT+12"),
    ],
)
def test_what_members_type_becomes_an_existing_zone(typed: str, zone: str) -> None:
    assert parse_timezone(typed) == zone
    assert zone in available_timezones()


@pytest.mark.parametrize("typed", ["Atlantis", "USA", "+05:30", "UTC-13", "UTC+15", "", "   "])
def test_unclear_or_impossible_zones_are_refused(typed: str) -> None:
    assert parse_timezone(typed) is None
