"""Understanding a time zone the way a member types it, and naming a zone back in words.

Accepted, tried in this order:

* "UTC", "GMT", "Z";
* an IANA name in any case ("europe/berlin"; renamed ones give the current name: "Europe/Kiev");
* a UTC offset: "UTC+2", "GMT-5", "+03:00", and the ones that are not whole hours, "UTC+5:30",
  "GMT+5:30", "UTC+0530" (the zone that keeps that offset all year: Asia/Kolkata);
* a zone's name or abbreviation in English or German: "CET", "MEZ", "EST", "Eastern Time",
  "Mitteleuropäische Zeit" (CLDR's names through Babel, the abbreviations of the tz database);
* a country in English or German ("Österreich", "Japan"); one whose zones keep different
  clocks ("USA", "Canada", "Australia") is :class:`SeveralZones`, and the member is asked which;
* a city, by any of its names (:mod:`flows.places`: "München", "Cologne", "Delhi").

A found zone is always an existing IANA name. :func:`load_zone_names` builds the tables once;
the registry runs it as a warm-up, in a thread at start-up.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name

from bot.i18n import SUPPORTED_LOCALES
from bot.messages import Msg, per_locale
from flows.places import find_city, find_country, fold, load_places

_OFFSET = re.compile(r"^(?:utc|gmt)?([+\-−])(\d{1,2})(?:[:.h]?(\d{2}))?$")
_UTC_NAMES = frozenset({"utc", "gmt", "z", "utc 0", "gmt 0", "zulu"})
_ABBREVIATION = re.compile(r"^[A-Z]{3,5}$")
Clock = tuple[timedelta | None, timedelta | None]


@dataclass(frozen=True)
class ZoneNames:
    by_name: dict[str, str]  # folded IANA name → current IANA name
    by_label: dict[str, str]  # folded zone name or abbreviation → IANA name
    # Minutes east of UTC that are not whole hours → the zone that keeps them, all year if one
    # does (UTC+5:30 is Asia/Kolkata; UTC-3:30 is Newfoundland's winter).
    by_offset: dict[int, str]


@dataclass(frozen=True)
class FoundZone:
    """A zone, and how to name what the member wrote when telling them what was understood."""

    zone: str
    place: str


@dataclass(frozen=True)
class SeveralZones:
    """A country whose zones keep different clocks: one zone per clock, west to east."""

    country: str
    zones: tuple[str, ...]


def _seasons() -> tuple[datetime, datetime]:
    year = datetime.now(UTC).year
    return datetime(year, 1, 15, tzinfo=UTC), datetime(year, 7, 15, tzinfo=UTC)


def _clock(zone: str) -> Clock:
    """The zone's offset in January and in July (two zones that agree keep the same time)."""
    winter, summer = (moment.astimezone(ZoneInfo(zone)) for moment in _seasons())
    return winter.utcoffset(), summer.utcoffset()


def _people(zone: str) -> int:
    city = load_places().largest_city.get(zone)
    return 0 if city is None else city.population


def _by_clock(zones: list[str]) -> list[list[str]]:
    groups: dict[Clock, list[str]] = defaultdict(list)
    for zone in zones:
        groups[_clock(zone)].append(zone)
    return list(groups.values())


def _all_year_first(zone: str) -> tuple[bool, int]:
    winter, summer = _clock(zone)
    return winter == summer, _people(zone)


def representative(zones: list[str]) -> str:
    """Of zones that share a name, the one meant: from the clock most of them keep, the zone
    with the largest city ("CET" → Europe/Berlin, not Africa/Algiers, which has no summer time)."""
    group = max(_by_clock(zones), key=lambda group: (len(group), max(map(_people, group))))
    return max(group, key=_people)


@cache
def load_zone_names() -> ZoneNames:
    """Every zone under its IANA name, its CLDR names and abbreviations; the zones of the
    offsets that are not whole hours. Needs the place index (for the largest city of each
    zone), which it builds if nothing did yet."""
    aliases = get_global("zone_aliases")  # old names: Europe/Kiev → Europe/Kyiv
    known = available_timezones()  # read once: each call walks the zone files on disk again
    by_name: dict[str, str] = {}
    labelled: dict[str, list[str]] = defaultdict(list)
    keeping: dict[int, list[str]] = defaultdict(list)
    for name in sorted(known):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        canonical = aliases.get(name, name)
        zone = canonical if canonical in known else name
        by_name[fold(name)] = zone
        if zone != name:
            continue
        for offset in set(_clock(zone)):
            if offset is not None:
                keeping[int(offset.total_seconds()) // 60].append(zone)
        for moment in _seasons():
            abbreviation = moment.astimezone(ZoneInfo(zone)).tzname() or ""
            if _ABBREVIATION.match(abbreviation) and zone not in labelled[abbreviation.casefold()]:
                labelled[abbreviation.casefold()].append(zone)
    zones_of: dict[str, list[str]] = defaultdict(list)
    for zone, metazone in get_global("meta_zones").items():
        if zone in known and aliases.get(zone, zone) == zone:
            zones_of[metazone].append(zone)
    for locale in SUPPORTED_LOCALES:
        for metazone, names in Locale(locale).meta_zones.items():
            for width in names.values():
                for label in width.values():
                    key = fold(label)
                    for zone in zones_of.get(metazone, ()):
                        if zone not in labelled[key]:
                            labelled[key].append(zone)
    return ZoneNames(
        by_name=by_name,
        by_label={key: representative(zones) for key, zones in labelled.items() if zones},
        by_offset={
            minutes: max(zones, key=_all_year_first)
            for minutes, zones in keeping.items()
            if minutes % 60
        },
    )


def understand_timezone(text: str) -> FoundZone | SeveralZones | None:
    """What a member meant by ``text`` (see the module's docstring), or None."""
    key = fold(text)
    if not key:
        return None
    typed = _as_written(text)
    if key in _UTC_NAMES:
        return FoundZone("UTC", "UTC")
    names = load_zone_names()
    if zone := names.by_name.get(key):
        return FoundZone(zone, zone)
    if _OFFSET.match(re.sub(r"\s+", "", text.casefold())):
        return _from_offset(text, names)
    if zone := names.by_label.get(key):
        abbreviation = text.strip().upper()
        return FoundZone(zone, abbreviation if _ABBREVIATION.match(abbreviation) else typed)
    if country := find_country(text):
        return _country(country, typed)
    if city := find_city(text):
        return FoundZone(city.zone, typed)
    return None


def parse_timezone(text: str) -> str | None:
    """The one IANA zone a member meant, or None (also when a country has several)."""
    found = understand_timezone(text)
    return found.zone if isinstance(found, FoundZone) else None


def _as_written(text: str) -> str:
    """The member's words, capitalised if they wrote them all in lower case ("san francisco")."""
    text = " ".join(text.split())
    return text.title() if text.islower() else text


def _country(country: str, typed: str) -> FoundZone | SeveralZones:
    choices = zones_of(country)
    if len(choices) == 1:
        return FoundZone(choices[0], typed)
    return SeveralZones(country, choices)


def zones_of(country: str) -> tuple[str, ...]:
    """One zone per clock the country keeps (its largest city's), west to east."""
    zones = [
        zone for zone in get_global("territory_zones").get(country, ()) if zone in _known_zones()
    ]
    choices = [max(group, key=_people) for group in _by_clock(zones)]
    choices.sort(key=lambda zone: (_clock(zone)[0] or timedelta(0), -_people(zone)))
    return tuple(choices)


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _from_offset(text: str, names: ZoneNames) -> FoundZone | None:
    offset = _OFFSET.match(re.sub(r"\s+", "", text.casefold()))
    if offset is None:
        return None
    sign = "-" if offset.group(1) in "-−" else "+"
    hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
    if minutes >= 60 or hours > (14 if sign == "+" else 12):
        return None
    shown = f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
    if minutes:
        total = (hours * 60 + minutes) * (1 if sign == "+" else -1)
        zone = names.by_offset.get(total)
        return None if zone is None else FoundZone(zone, shown)
    if hours == 0:
        return FoundZone("UTC", "UTC")
    # POSIX-style Etc zones count the other way round: UTC+2 is Etc/GMT-2.
    return FoundZone(f"Etc/GMT{'-' if sign == '+' else '+'}{hours}", shown)


# -- naming a zone back -------------------------------------------------------------------


def zone_title(zone: str) -> Msg:
    """The zone's name in each language: "Central European Time", "Mitteleuropäische Zeit";
    "UTC+2" for a fixed offset."""
    return _zone_title(zone, datetime.now(UTC).year)


@lru_cache(maxsize=1024)
def _zone_title(zone: str, _year: int) -> Msg:
    """:func:`zone_title`, looked up in CLDR once a year per zone (whether a zone keeps summer
    time, which picks the name, is the year's): every profile shown names its zone."""
    fixed = _fixed_offset_name(zone)
    if fixed is not None:
        return per_locale(dict.fromkeys(SUPPORTED_LOCALES, fixed))
    return per_locale({locale: _zone_name(zone, locale) for locale in SUPPORTED_LOCALES})


def _zone_name(zone: str, locale: str) -> str:
    """CLDR's generic name ("Central European Time") for a zone with summer time; for one
    without, the standard name ("India Standard Time", "Mountain Standard Time" for Arizona),
    which is also the better one where CLDR has no generic name ("United States (Honolulu)")."""
    winter, summer = _clock(zone)
    generic = get_timezone_name(zone, width="long", locale=locale)
    if winter != summer and "(" not in generic:
        return generic
    return get_timezone_name(zone, width="long", locale=locale, zone_variant="standard")


def zone_example(zone: str) -> Msg:
    """A city of the zone in each language ("New York", "Kalkutta")."""
    fixed = _fixed_offset_name(zone)
    if fixed is not None:
        return per_locale(dict.fromkeys(SUPPORTED_LOCALES, fixed))
    return per_locale(
        {
            locale: get_timezone_location(zone, locale=locale, return_city=True)
            for locale in SUPPORTED_LOCALES
        }
    )


def _fixed_offset_name(zone: str) -> str | None:
    if zone in {"UTC", "Etc/UTC", "Etc/GMT"}:
        return "UTC"
    match = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", zone)
    if match is None:
        return None
    # Etc/GMT-2 is two hours east of UTC.
    return f"UTC{'+' if match.group(1) == '-' else '-'}{match.group(2)}"


def local_time(zone: str, now: datetime) -> str:
    """The time it is in ``zone`` at ``now``, as "14:05"."""
    return now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
