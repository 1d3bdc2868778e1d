"""Helpers of the match-round tests: members with chosen profiles, onboarded through the real
join flow (memory adapter, the console), and what each member received.

The profiles are chosen so that the pairs follow from the hard constraints alone (a shared
language, common free time): each member has exactly one possible partner, whatever the
engine's scores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from adapters.memory import MemoryAdapter
from bot.config import DEFAULT_TOPICS, ProgramSettings
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
# Any two members with this profile fit each other (each teaches the other time management):
# rounds where who pairs with whom does not matter, only how many.
PEER = Profile("de", ("agile", "time"), ("presenting", "time"), ("de",), "Wien", ("mon_evening",))


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
