"""Time zones as members type them: cities and countries in either language, offsets."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from bot.i18n import Translator
from flows.timezones import (
    FoundZone,
    SeveralZones,
    parse_timezone,
    understand_timezone,
    zone_title,
)

T = Translator()


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
        # What a new member typed and was refused (issue 13):
        ("München", "Europe/Berlin"),
        ("Munich", "Europe/Berlin"),
        ("Hamburg", "Europe/Berlin"),
        ("Köln", "Europe/Berlin"),
        ("Cologne", "Europe/Berlin"),
        ("Frankfurt (am Main)", "Europe/Berlin"),
        ("Stuttgart", "Europe/Berlin"),
        ("Düsseldorf", "Europe/Berlin"),
        ("Dresden", "Europe/Berlin"),
        ("Leipzig", "Europe/Berlin"),
        ("San Francisco", "America/Los_Angeles"),
        ("Delhi", "Asia/Kolkata"),
        ("Mumbai", "Asia/Kolkata"),
        ("CET", "Europe/Berlin"),
        ("MEZ", "Europe/Berlin"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("GMT+5:30", "Asia/Kolkata"),
        ("UTC+0530", "Asia/Kolkata"),
        ("+05:30", "Asia/Kolkata"),
        ("UTC+5:45", "Asia/Kathmandu"),
        ("Eastern Time", "America/New_York"),
        ("Mitteleuropäische Zeit", "Europe/Berlin"),
    ],
)
def test_what_members_type_becomes_an_existing_zone(typed: str, zone: str) -> None:
    assert parse_timezone(typed) == zone
    assert zone in available_timezones()


@pytest.mark.parametrize("typed", ["Mordor", "UTC-13", "UTC+15", "UTC+5:17", "", "   "])
def test_unclear_or_impossible_zones_are_refused(typed: str) -> None:
    assert understand_timezone(typed) is None


@pytest.mark.parametrize(
    ("typed", "some_zones"),
    [
        ("USA", {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}),
        ("Canada", {"America/Toronto", "America/Vancouver", "America/Halifax"}),
        ("Australia", {"Australia/Sydney", "Australia/Perth", "Australia/Brisbane"}),
        ("Vereinigte Staaten", {"America/New_York", "Pacific/Honolulu", "America/Phoenix"}),
    ],
)
def test_a_country_with_several_clocks_is_asked_about(typed: str, some_zones: set[str]) -> None:
    found = understand_timezone(typed)
    assert isinstance(found, SeveralZones)
    assert some_zones <= set(found.zones)
    assert parse_timezone(typed) is None
    # One zone per clock: Arizona (no summer time) is not Denver.
    assert len(found.zones) == len(set(found.zones)) <= 25


def test_a_zone_is_named_in_words_in_each_language() -> None:
    assert T.render(zone_title("Europe/Berlin"), "en") == "Central European Time"
    assert T.render(zone_title("Europe/Berlin"), "de") == "Mitteleuropäische Zeit"
    assert T.render(zone_title("Etc/GMT-2"), "de") == "UTC+2"
    found = understand_timezone("munich")
    assert found == FoundZone("Europe/Berlin", "Munich")
