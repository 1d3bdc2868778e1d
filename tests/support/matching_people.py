"""Hand-made members for the matching engine's tests."""

from __future__ import annotations

from collections.abc import Iterable

from bot.matching import Person


def member(
    id: int,
    *,
    offers: Iterable[str] = ("python",),
    needs: Iterable[str] = ("python",),
    languages: Iterable[str] = ("en",),
    timezone: str = "Europe/Berlin",
    availability: Iterable[str] = ("mon_evening",),
    format: str = "video",
    city: str | None = None,
    excluded: Iterable[int] = (),
    first_in_line: bool = False,
) -> Person:
    return Person(
        id=id,
        offers=frozenset(offers),
        needs=frozenset(needs),
        languages=frozenset(languages),
        timezone=timezone,
        availability=frozenset(availability),
        format=format,  # type: ignore[arg-type]
        city=city,
        excluded=frozenset(excluded),
        first_in_line=first_in_line,
    )
