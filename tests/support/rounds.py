"""Helpers of the match-round tests: members with chosen profiles, onboarded through the real
join flow (memory adapter) or stored directly, and what each member received.

:func:`use_matching_engine` is a fixture body: until the matching engine lands
(``bot.matching.propose`` raises ``NotImplementedError``), the tests use a small greedy
stand-in that follows the same contract (hard constraints, reasons, first in line); once it
has landed, they run against the real one unchanged. The profiles below are chosen so that the
pairs do not depend on which one runs: the hard constraints (a shared language, common time)
leave exactly one partner for each member.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAdapter
from bot import matching
from bot.config import DEFAULT_TOPICS, ProgramSettings
from bot.matching import CommonTime, Pair, Person, Proposal, Reasons
from bot.places import MemberRef, PlaceKind
from flows.questionnaire import LANGUAGES, SLOTS
from store import Store
from tests.support.onboarding import TRANSCRIPT, Turn, play_on_memory


@dataclass(frozen=True)
class Profile:
    """What a member answers in ``join`` that matching looks at."""

    language: str  # the bot's language for them
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    languages: tuple[str, ...]  # tandem languages
    timezone: str  # as typed
    availability: tuple[str, ...]


# Ana and Ben can only meet each other (German, Monday evening in Central Europe), Cleo and Dan
# only each other (English, Tuesday: evening in London is afternoon in New York).
ANA = Profile("de", ("agile", "time"), ("presenting",), ("de",), "Wien", ("mon_evening",))
BEN = Profile("en", ("presenting",), ("time",), ("de",), "Berlin", ("mon_evening", "wed_morning"))
CLEO = Profile("en", ("data",), ("writing",), ("en",), "London", ("tue_evening",))
DAN = Profile("en", ("writing",), ("data",), ("en",), "New York", ("tue_afternoon",))
FOUR = {"ana": ANA, "ben": BEN, "cleo": CLEO, "dan": DAN}


def _choice(asked: str, ids: tuple[str, ...], options: tuple[str, ...]) -> Turn:
    """A choice as a click (the ids) and as typed on a text platform (the options' numbers)."""
    typed = " ".join(str(options.index(option) + 1) for option in ids)
    return Turn(asked, ids=ids, typed=typed)


def transcript_for(profile: Profile) -> tuple[Turn, ...]:
    """The shared onboarding transcript with this member's answers."""
    topics = tuple(topic.id for topic in DEFAULT_TOPICS)
    answers = {
        "join.ask_language": _choice(
            "join.ask_language", (profile.language,), tuple(o.id for o in LANGUAGES)
        ),
        "join.ask_offers": _choice("join.ask_offers", profile.offers, topics),
        "join.ask_needs": _choice("join.ask_needs", profile.needs, topics),
        "join.ask_languages": _choice(
            "join.ask_languages", profile.languages, tuple(ProgramSettings().tandem_languages)
        ),
        "join.ask_availability": _choice(
            "join.ask_availability", profile.availability, tuple(o.id for o in SLOTS)
        ),
    }
    turns = []
    for turn in TRANSCRIPT:
        if turn.asked == "join.ask_timezone" and turn.refused is None:
            turns.append(replace(turn, text=profile.timezone))
        else:
            turns.append(answers.get(turn.asked, turn))
    return tuple(turns)


async def onboard(memory: MemoryAdapter, name: str, profile: Profile) -> MemberRef:
    member = memory.member(name)
    await memory.command(member, "join")
    await play_on_memory(memory, member, transcript_for(profile), typed=False)
    return member


async def onboard_all(memory: MemoryAdapter, profiles: dict[str, Profile]) -> dict[str, MemberRef]:
    return {name: await onboard(memory, name, profile) for name, profile in profiles.items()}


def spaces_of(memory: MemoryAdapter) -> dict[str, set[str]]:
    """Each pair space the memory platform holds (closed ones too), with its members' ids."""
    return {space.id: set(space.members) for space in memory.world.spaces.values()}


def closed_spaces(memory: MemoryAdapter) -> list[str]:
    """The pair spaces the memory platform has closed."""
    return [space.id for space in memory.world.spaces.values() if space.closed]


def said_in(memory: MemoryAdapter, space: str) -> list[str]:
    return [
        r.text
        for r in memory.sent
        if r.place.kind == PlaceKind.PAIR_SPACE and r.place.channel_id == space
    ]


def to_organizers(memory: MemoryAdapter) -> list[str]:
    return [r.text for r in memory.sent if r.place.kind == PlaceKind.ORGANIZERS]


async def status(store: Store, user_id: str, community: str = "memory") -> str:
    member = await store.members.find(community, "memory", user_id)
    assert member is not None
    return member.status


# -- the stand-in engine ---------------------------------------------------------------------

_PARTS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 21)}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _free(person: Person, week_start: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(person.timezone)
    stretches = []
    for slot in person.availability:
        day, part = slot.split("_")
        when = week_start + timedelta(days=_DAYS.index(day))
        start, end = _PARTS[part]
        stretches.append(
            (
                datetime.combine(when, time(start), tzinfo=zone).astimezone(UTC),
                datetime.combine(when, time(end), tzinfo=zone).astimezone(UTC),
            )
        )
    return stretches


def _common(a: Person, b: Person, week_start: date) -> tuple[CommonTime, ...]:
    found = []
    for start_a, end_a in _free(a, week_start):
        for start_b, end_b in _free(b, week_start):
            start, end = max(start_a, start_b), min(end_a, end_b)
            if end - start >= timedelta(hours=1):
                found.append(CommonTime(start, end))
    return tuple(sorted(found, key=lambda t: t.start))


def greedy_propose(people: list[Person], *, week_start: date, seed: int = 0) -> Proposal:
    """Greedy by score over the allowed pairs, first-in-line people sitting out last."""
    candidates = []
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            languages = a.languages & b.languages
            times = _common(a, b, week_start)
            if not languages or not times or b.id in a.excluded or a.id in b.excluded:
                continue
            if "in_person" in (a.format, b.format) and (
                "video" in (a.format, b.format) or a.city != b.city
            ):
                continue
            first, second = (a, b) if a.id < b.id else (b, a)
            reasons = Reasons(
                a_helps_b=tuple(sorted(first.offers & second.needs)),
                b_helps_a=tuple(sorted(second.offers & first.needs)),
                shared_needs=tuple(sorted(first.needs & second.needs)),
                languages=tuple(sorted(languages)),
                common_times=times,
            )
            score = 10 * min(len(reasons.a_helps_b), len(reasons.b_helps_a)) + 1
            score += 3 * (len(reasons.a_helps_b) + len(reasons.b_helps_a))
            score += 5 * (a.first_in_line + b.first_in_line)
            candidates.append(Pair(first.id, second.id, score, reasons))
    taken: set[int] = set()
    pairs = []
    for pair in sorted(candidates, key=lambda p: (-p.score, p.a, p.b)):
        if pair.a not in taken and pair.b not in taken:
            pairs.append(pair)
            taken |= {pair.a, pair.b}
    left = [p for p in people if p.id not in taken]
    reasons: dict[int, Any] = {}
    allowed = {p for pair in candidates for p in (pair.a, pair.b)}
    for person in left:
        reasons[person.id] = "odd_number" if person.id in allowed else "no_fit"
    return Proposal(
        pairs=tuple(sorted(pairs, key=lambda p: p.a)),
        sit_out=tuple(p.id for p in left),
        sit_out_reasons=reasons,
    )


def use_matching_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real engine if it has landed, else the stand-in (see the module)."""
    try:
        matching.propose([], week_start=date(2026, 1, 5))
    except NotImplementedError:
        monkeypatch.setattr(matching, "propose", greedy_propose)
