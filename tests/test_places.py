"""Places as members write them: one key per city, whichever way it is spelled."""

from __future__ import annotations

import pytest

from flows.places import city_key, find_city, find_country


@pytest.mark.parametrize(
    "spellings",
    [
        ("München", "Munich", "Muenchen", "munchen", "MÜNCHEN", "near Munich"),
        ("Köln", "Cologne", "Koeln", "koln", "Köln-Ehrenfeld"),
        ("Frankfurt", "Frankfurt am Main", "Frankfurt (am Main)", "frankfurt a. main"),
        ("Wien", "Vienna", "Wien Neubau"),
        ("Berlin", "Berlin-Kreuzberg", "Berlin, Kreuzberg"),
        ("Düsseldorf", "Duesseldorf", "Dusseldorf"),
        ("Mumbai", "Bombay"),
    ],
)
def test_spellings_of_one_city_give_one_key(spellings: tuple[str, ...]) -> None:
    keys = {city_key(spelling) for spelling in spellings}
    assert len(keys) == 1, keys
    assert next(iter(keys)).startswith("geonames:")


def test_different_cities_of_the_same_name_stay_apart() -> None:
    assert city_key("Frankfurt (Oder)") != city_key("Frankfurt am Main")
    assert city_key("Stuttgart") != city_key("Munich")


def test_a_place_without_data_falls_back_to_its_plain_form() -> None:
    assert city_key("Kleinkleckersdorf") == city_key("kleinkleckersdorf ") == "kleinkleckersdorf"
    assert city_key("Ünterdörfle") == "unterdorfle"
    assert city_key("") is None
    assert city_key(" - ") is None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Hamburg", "Europe/Berlin"),
        ("Stuttgart", "Europe/Berlin"),
        ("Dresden", "Europe/Berlin"),
        ("Leipzig", "Europe/Berlin"),
        ("San Francisco", "America/Los_Angeles"),
        ("Delhi", "Asia/Kolkata"),
        ("Zürich", "Europe/Zurich"),
    ],
)
def test_cities_know_their_time_zone(typed: str, zone: str) -> None:
    city = find_city(typed)
    assert city is not None
    assert city.zone == zone


def test_a_country_is_not_a_city_unless_it_is_a_city_state() -> None:
    assert find_city("USA") is None
    assert find_country("USA") == find_country("Vereinigte Staaten") == "US"
    assert find_country("Deutschland") == find_country("Germany") == "DE"
    singapore = find_city("Singapore")
    assert singapore is not None
    assert singapore.country == "SG"


@pytest.mark.parametrize(
    ("typed", "zone", "country", "region"),
    [
        ("Portland, Maine", None, "US", "ME"),
        ("Portland, ME", None, "US", "ME"),
        ("Portland", "America/New_York", "US", "ME"),
        ("Portland", "America/Los_Angeles", "US", "OR"),
        ("Portland", None, "US", "OR"),  # nothing tells: the largest
        ("London, Ontario", "America/Toronto", "CA", "08"),
        ("London, Canada", None, "CA", "08"),
        ("London", "America/Toronto", "CA", "08"),
        ("London", "Europe/Berlin", "GB", "ENG"),
        ("London, UK", "America/Toronto", "GB", "ENG"),  # what was written beats the zone
    ],
)
def test_same_named_cities_are_told_apart(
    typed: str, zone: str | None, country: str, region: str
) -> None:
    city = find_city(typed, zone)
    assert city is not None
    assert (city.country, city.region) == (country, region)


def test_in_person_members_in_two_portlands_are_not_in_the_same_city() -> None:
    from flows.match_people import person
    from store.members import MemberRecord

    def in_portland(id: int, zone: str):
        record = MemberRecord(
            id=id,
            community_id="c",
            platform="memory",
            platform_user_id=str(id),
            display_name=None,
            locale="en",
            platform_locale=None,
            status="waiting",
            timezone=zone,
        )
        return person(record, {"format": "in_person", "city": "Portland"}, set())

    maine, oregon = in_portland(1, "America/New_York"), in_portland(2, "America/Los_Angeles")
    assert maine.city != oregon.city
    assert in_portland(3, "America/New_York").city == maine.city
