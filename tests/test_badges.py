"""Streaks and badges on the memory adapter, with a fake clock: Ana (German) and Ben (English)
meet on Mondays. Four meetings held in a row are celebrated once in their pair space, in both
languages, however often the check-in is answered or the item repeated; a missed meeting
starts the count again and the next four are celebrated again. The first milestone and every
goal reached are lines in the milestone's own celebration; a badge within a day of the last
one is celebrated when the day is over, by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.places import MemberRef
from store.tandems import due_prefix
from tests.conftest import AppFactory, memory_of
from tests.support.meetings import agree, in_space, tandem_of
from tests.test_agreement import active_pairs
from tests.test_meetings import MONDAY, WEEK, until

STREAK_DE = "🔥 4 Treffen in Folge, Ana und Ben!"
STREAK_EN = "🔥 4 meetings in a row, Ana and Ben!"


async def week(
    app: App, memory: MemoryAdapter, clock: FakeClock, people: dict[str, MemberRef], n: int,
    answer: str,
) -> None:  # fmt: skip
    """The ``n``-th Monday meeting (from 0) passes and both answer its check-in."""
    await until(app, clock, MONDAY + n * WEEK + timedelta(hours=1))
    for member in (people["ana"], people["ben"]):
        assert memory.last_ask(member).question.id == "meetings.ask_check_in"
        await memory.pick(member, answer)
    await app.run_due()


def streaks(memory: MemoryAdapter, since: int = 0) -> list[str]:
    return [text for text in in_space(memory, since) if text.startswith("🔥")]


@pytest.fixture
async def unreflective(
    make_app: AppFactory, clock: FakeClock
) -> tuple[App, MemoryAdapter, dict[str, MemberRef]]:
    """Ana and Ben agreed (as in ``tests/test_meetings.py``), in a program of no set length
    that reflects once a year: ten weeks of meetings with nothing else asked."""
    app = await make_app("memory", program={"reflection_every_weeks": 52, "length_weeks": 0})
    memory = memory_of(app)
    people = await active_pairs(app, memory)
    clock.advance(timedelta(days=1))  # Tuesday: the first meeting is next Monday
    await agree(app, memory, people["ana"], people["ben"])
    return app, memory, people


async def test_four_meetings_in_a_row_are_celebrated_once_and_again_after_a_miss(
    unreflective: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = unreflective
    ana = people["ana"]
    tandem = await tandem_of(app, "ana")
    for n in range(3):
        await week(app, memory, clock, people, n, "met")
    assert streaks(memory) == []
    await week(app, memory, clock, people, 3, "met")
    assert streaks(memory) == [STREAK_DE, STREAK_EN]

    # Answered again, or the item run again (a crash before it was marked done): no second one.
    said = await memory.command(ana, "meeting")
    assert all(not text.text.startswith("🔥") for text in said)
    await app.run_due()
    (badge,) = await app.store.badges.for_tandem(tandem.id)
    assert (badge.kind, badge.level, badge.celebrated_at) == ("streak", 4, clock.now())
    key = due_prefix(tandem.id) + f"badge:streak:4:{badge.ref}"
    item = await app.store.due.get(tandem.community_id, key)
    assert item is not None
    await app.store.due.schedule(
        community_id=tandem.community_id,
        kind=item.kind,
        key=key,
        due_at=clock.now(),
        now=clock.now(),
        payload=item.payload,
    )
    await app.run_due()
    assert streaks(memory) == [STREAK_DE, STREAK_EN]

    # A miss ends the run; five more held: four in a row again, celebrated again (not five).
    await week(app, memory, clock, people, 4, "missed")
    mark = len(memory.sent)
    for n in range(5, 8):
        await week(app, memory, clock, people, n, "met")
    assert streaks(memory, mark) == []
    await week(app, memory, clock, people, 8, "met")
    assert streaks(memory, mark) == [STREAK_DE, STREAK_EN]
    await week(app, memory, clock, people, 9, "met")
    assert streaks(memory, mark) == [STREAK_DE, STREAK_EN]
    assert [(b.kind, b.level) for b in await app.store.badges.for_tandem(tandem.id)] == [
        ("streak", 4),
        ("streak", 4),
    ]


async def mark_milestone(app: App, memory: MemoryAdapter, member: MemberRef) -> None:
    """The member marks their (only) milestone, without shout-outs; what it books runs."""
    if memory.last_ask(member).question.id == "milestone.ask_congratulate":
        await memory.pick(member, "skip")
    await memory.command(member, "milestone")
    await memory.pick(member, "g0_m0")
    await memory.pick(member, "no")
    await app.run_due()


async def test_first_milestone_and_every_goal_are_lines_of_the_milestones_celebration(
    unreflective: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = unreflective
    mark = len(memory.sent)
    await mark_milestone(app, memory, people["ana"])
    assert in_space(memory, mark) == [
        "🎉 Ana hat einen Meilenstein erreicht: „One step“! Ben, ich frage dich gleich privat, "
        "ob du gratulieren möchtest.\n🏅 Euer erster gemeinsamer Meilenstein!",
        "🎉 Ana reached a milestone: \"One step\"! Ben, I'll ask you privately whether you'd "
        "like to add your congratulations.\n🏅 Your first milestone together!",
    ]
    clock.advance(timedelta(hours=25))
    mark = len(memory.sent)
    await mark_milestone(app, memory, people["ben"])
    english, german = in_space(memory, mark)  # Ben's language first: his milestone
    assert german.endswith("möchtest.\n🏆 Alle eure Ziele erreicht!")
    assert english.endswith("congratulations.\n🏆 Every goal reached!")
    assert "🏅" not in german + english


async def test_a_badge_within_a_day_of_the_last_is_celebrated_after_the_day(
    unreflective: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = unreflective
    first_at = clock.now()
    await mark_milestone(app, memory, people["ana"])
    clock.advance(timedelta(hours=1))
    mark = len(memory.sent)
    await mark_milestone(app, memory, people["ben"])
    english, german = in_space(memory, mark)
    assert german.endswith("möchtest.")
    assert english.endswith("congratulations.")
    tandem = await tandem_of(app, "ana")
    every = (await app.store.badges.for_tandem(tandem.id))[-1]
    assert (every.kind, every.celebrate_at, every.celebrated_at) == (
        "all_goals",
        first_at + timedelta(hours=24),
        None,
    )
    await until(app, clock, first_at + timedelta(hours=23, minutes=59))
    assert in_space(memory, mark) == [english, german]
    await until(app, clock, first_at + timedelta(hours=24))
    assert in_space(memory, mark)[2:] == [
        "Ana und Ben, hier gibt's noch was zu feiern:\n🏆 Alle eure Ziele erreicht!",
        "Ana and Ben, here's something to celebrate:\n🏆 Every goal reached!",
    ]
    await until(app, clock, first_at + timedelta(days=3))
    assert len(in_space(memory, mark)) == 4


async def test_a_badge_earned_while_paused_is_celebrated_when_the_tandem_goes_on(
    unreflective: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    """The fourth meeting's check-in is answered after the tandem paused: the streak is
    recorded, not posted; when Ben resumes, the pair space celebrates it, once."""
    app, memory, people = unreflective
    tandem = await tandem_of(app, "ana")
    for n in range(3):
        await week(app, memory, clock, people, n, "met")
    await until(app, clock, MONDAY + 3 * WEEK + timedelta(hours=1))
    assert await app.store.tandems.pause(tandem.id, by=None, until=None, now=clock.now())
    for member in (people["ana"], people["ben"]):
        assert memory.last_ask(member).question.id == "meetings.ask_check_in"
        await memory.pick(member, "met")
    await app.run_due()
    assert streaks(memory) == []
    (badge,) = await app.store.badges.for_tandem(tandem.id)
    assert (badge.level, badge.celebrated_at) == (4, None)

    clock.advance(timedelta(days=2))
    resumed = await memory.command(people["ben"], "resume")
    assert resumed[0].text.startswith("Welcome back!")
    await app.run_due()
    assert streaks(memory) == [STREAK_DE, STREAK_EN]
    (badge,) = await app.store.badges.for_tandem(tandem.id)
    resumed_at = clock.now()
    assert badge.celebrated_at == resumed_at

    # The next badge is a day after that celebration, not after the day the streak was due.
    clock.advance(timedelta(hours=1))
    await mark_milestone(app, memory, people["ana"])
    first = (await app.store.badges.for_tandem(tandem.id))[-1]
    assert (first.kind, first.celebrate_at) == ("first_milestone", resumed_at + timedelta(days=1))

    # Paused and resumed again: nothing is celebrated twice.
    assert await app.store.tandems.pause(tandem.id, by=None, until=None, now=clock.now())
    await memory.command(people["ana"], "resume")
    await app.run_due()
    assert streaks(memory) == [STREAK_DE, STREAK_EN]
