"""Who may be matched in a round, as the matching engine sees them.

The journey's side of :mod:`bot.matching`: members who wait (agreed to the current privacy
notice, no tandem that has not ended) become :class:`~bot.matching.Person` values built from
their saved profile; whom each must never meet again (past partners, blocks) comes from
:func:`exclusions`; a typed
city becomes a key with :func:`flows.places.city_key`; a round's week and seed are chosen here,
and :func:`fingerprint` says whether any of it changed since a preview.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot.config import ProgramSettings
from bot.matching import Format, Person
from flows.places import city_key
from store import Store
from store.blocks import Identity
from store.members import MemberRecord, MemberStatus

_FORMATS = ("video", "in_person", "either")


def may_be_matched(member: MemberRecord, program: ProgramSettings) -> bool:
    """Waiting, and agreed to the privacy notice the community shows now (a member asked to
    agree to a changed one is matched again once they did)."""
    return (
        member.status == MemberStatus.WAITING
        and member.consented_version == program.privacy_notice_version
    )


async def exclusions(
    store: Store, community_id: str, members: Sequence[MemberRecord]
) -> dict[int, set[int]]:
    """Whom each of ``members`` must never be paired with, in both directions: past and current
    partners and "not a fit" (a lapsed introduction is no verdict: see
    :meth:`~store.tandems.TandemRepository.pairs_met`), and everyone either of them blocked (a
    block holds even across the blocked person's ``forget`` and joining again:
    :mod:`store.blocks`)."""
    excluded: dict[int, set[int]] = {}
    met = await store.tandems.pairs_met(community_id)
    blocked = await store.blocks.blocked_pairs(community_id, [Identity.of(m) for m in members])
    for a, b in (*met, *blocked):
        excluded.setdefault(a, set()).add(b)
        excluded.setdefault(b, set()).add(a)
    return excluded


def person(member: MemberRecord, profile: dict[str, Any], excluded: set[int]) -> Person:
    """The member as the engine sees them, from their saved profile answers."""
    chosen = profile.get("format")
    meeting = cast(Format, chosen if chosen in _FORMATS else "video")
    timezone = member.timezone or profile.get("timezone") or "UTC"
    return Person(
        id=member.id,
        offers=frozenset(profile.get("offers") or ()),
        needs=frozenset(profile.get("needs") or ()),
        languages=frozenset(profile.get("languages") or ()),
        timezone=timezone,
        availability=frozenset(profile.get("availability") or ()),
        format=meeting,
        city=city_key(profile.get("city") or "", timezone) if meeting != "video" else None,
        excluded=frozenset(excluded),
        first_in_line=member.first_in_line_at is not None,
    )


async def waiting_people(
    store: Store, community_id: str, program: ProgramSettings
) -> list[tuple[MemberRecord, dict[str, Any], Person]]:
    """Everyone who may be matched now: the member, their profile and their :class:`Person`.
    Nobody with a tandem that has not ended is, whatever their status says."""
    paired = await store.tandems.members_in_current(community_id)
    waiting = [
        (member, profile)
        for member, profile in await store.members.with_status(community_id, MemberStatus.WAITING)
        if may_be_matched(member, program) and member.id not in paired
    ]
    excluded = await exclusions(store, community_id, [member for member, _profile in waiting])
    return [
        (member, profile, person(member, profile, excluded.get(member.id, set())))
        for member, profile in waiting
    ]


def round_week(now: datetime, program: ProgramSettings) -> date:
    """The week a round made now is for: the Monday on or after today, in the community's
    time zone (a round on Monday morning matches on that very week)."""
    today = now.astimezone(ZoneInfo(program.timezone)).date()
    return today + timedelta(days=-today.weekday() % 7)


def round_seed(community_id: str, week_start: date) -> int:
    """The same seed for every preview of a community's week: previewing again without any
    change proposes the same pairs."""
    digest = hashlib.sha256(f"{community_id}:{week_start.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def fingerprint(people: Sequence[Person], week_start: date, seed: int) -> str:
    """A hash of everything the engine is given: who waits, their profiles as matched, whom
    each may not meet, who is first in line, and the week. Equal hashes, equal proposals."""
    canonical = [
        [
            p.id,
            sorted(p.offers),
            sorted(p.needs),
            sorted(p.languages),
            p.timezone,
            sorted(p.availability),
            p.format,
            p.city,
            sorted(p.excluded),
            p.first_in_line,
        ]
        for p in sorted(people, key=lambda p: p.id)
    ]
    text = json.dumps([week_start.isoformat(), seed, canonical], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
