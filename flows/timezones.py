"""Understanding a time zone the way a member types it.

Accepted: an IANA name in any case ("europe/berlin"); a city or a country in English or German
("Berlin", "new york", "Wien", "Schweiz"; names from Babel's locale data; a country only when
all its zones keep the same time); or a whole-hour UTC offset ("UTC+2", "GMT-5", "+03:00").
The result is always an existing IANA name, the current one where a zone was renamed; a city
or country gives a zone that knows daylight saving time, an offset a fixed one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location

from bot.i18n import SUPPORTED_LOCALES

_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", plain)


@cache
def load_names() -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]]]:
    """IANA names, city names and country names (folded) to the zones they mean.

    Building this takes about a second: the app builds it off the event loop at start-up (a
    warm-up of the registry), so no member's answer waits for it.
    """
    by_name: dict[str, str] = {}
    by_city: dict[str, list[str]] = {}
    by_country: dict[str, list[str]] = {}
    aliases = get_global("zone_aliases")  # old names: Europe/Kiev → Europe/Kyiv
    # Read once: each call walks the zone files on disk again.
    known = available_timezones()
    for name in sorted(known):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        canonical = aliases.get(name, name)
        zone = canonical if canonical in known else name
        by_name[_key(name)] = zone
        cities = {name.rsplit("/", 1)[-1]}
        for locale in SUPPORTED_LOCALES:
            try:
                cities.add(get_timezone_location(zone, locale=locale, return_city=True))
            except (LookupError, ValueError):
                continue
        for city in cities:
            zones = by_city.setdefault(_key(city), [])
            if zone not in zones:
                zones.append(zone)
    for territory, zones in get_global("territory_zones").items():
        for locale in SUPPORTED_LOCALES:
            country = Locale(locale).territories.get(territory)
            if country:
                by_country[_key(country)] = list(zones)
    return by_name, by_city, by_country


def _same_clock(names: list[str]) -> bool:
    """True when all the zones show the same time in winter and in summer."""
    moments = (datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC))
    offsets = {tuple(m.astimezone(ZoneInfo(n)).utcoffset() for m in moments) for n in names}
    return len(offsets) == 1


def parse_timezone(text: str) -> str | None:
    """The IANA zone a member meant, or None when it is not clear."""
    key = _key(text)
    if not key:
        return None
    if key in {"utc", "gmt", "z"}:
        return "UTC"
    by_name, by_city, by_country = load_names()
    if key in by_name:
        return by_name[key]
    for zones in (by_city.get(key), by_country.get(key)):
        if zones and _same_clock(zones):
            return zones[0]
    return _from_offset(text)


def _from_offset(text: str) -> str | None:
    offset = _OFFSET.match(re.sub(r"\s+", "", text.casefold()))
    if offset is None:
        return None
    sign, hours, minutes = offset.group(1), int(offset.group(2)), offset.group(3)
    if minutes not in (None, "00") or hours > (14 if sign == "+" else 12):
        return None  # no whole-hour zone exists there (and UTC+5:30 needs a city name)
    if hours == 0:
        return "UTC"
    # POSIX-style Etc zones count the other way round: UTC+2 is Etc/GMT-2.
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
