"""A round of 200 pairs whose fan-out is killed outright (SIGKILL) again and again, at each step
of introducing a pair — after the platform made a space the bot had not recorded, after the
adapter returned it, after the tandem recorded it, after an intro, after a DM, after a
question — on a memory platform kept on disk that outlives every bot process: in the end every
pair has exactly one space, one intro, one pair intro DM each and one first-call question each,
none twice, none missing. (The same against the loopback Discord: tests/e2e_discord.)"""

from __future__ import annotations

import asyncio
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.memory.platform import MemoryPlatform, Posted
from bot.config import load_settings
from bot.due import LEASE
from bot.places import PlaceKind
from store import Store
from store.tandems import INTRODUCED
from tests.support.round_kill import make_round, run_round_bot

pytestmark = pytest.mark.timeout(600)

#: A Monday, 10:00 in Berlin where the members live: not their night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MEMBERS = [f"member-{n:03d}" for n in range(400)]


@pytest.fixture(scope="module")
def made_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the round made and not yet introduced (each test takes a copy)."""
    database = tmp_path_factory.mktemp("round") / "tandem.db"
    settings = load_settings(None, database={"url": f"sqlite+aiosqlite:///{database}"})
    assert asyncio.run(make_round(database, "memory", "memory", MEMBERS, NOW, settings)) == 200
    return database


def keyed(posts: list[Posted], part: str) -> list[Posted]:
    return [p for p in posts if p.key is not None and f"-{part}" in p.key]


async def assert_every_pair_introduced_once(database: Path, world: Path) -> None:
    platform = MemoryPlatform.on_disk(world)
    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    try:
        latest = await store.rounds.latest("memory")
        assert latest is not None
        tandems = await store.tandems.of_round(latest.id)
        members = {m: await store.members.find("memory", "memory", m) for m in MEMBERS}
    finally:
        await store.close()
    by_id = {record.id: user_id for user_id, record in members.items() if record is not None}

    assert len(tandems) == 200
    assert [t.state for t in tandems] == [INTRODUCED] * 200
    # One space per pair, recorded by its tandem, with the pair in it and nobody else.
    assert len(platform.spaces) == 200
    recorded = [t.space["channel_id"] for t in tandems if t.space is not None]
    assert sorted(recorded) == sorted(platform.spaces)
    for tandem in tandems:
        assert tandem.space is not None
        space = platform.spaces[tandem.space["channel_id"]]
        assert sorted(space.members) == sorted([by_id[tandem.member_a], by_id[tandem.member_b]])
        # One intro in it (both partners read English).
        assert len(keyed(platform.posts_in(space.id), "intro-")) == 1
    # One pair intro DM and one first-call question to each member.
    dms = [p for p in platform.posts if p.place.get("kind") == PlaceKind.DM]
    for user_id in MEMBERS:
        theirs = [p for p in dms if p.place.get("user_id") == user_id]
        assert len(keyed(theirs, "dm-")) == 1, user_id
        assert len(keyed(theirs, "question-")) == 1, user_id


#: Where each bot process dies, one after the other (counted from its own start).
KILLS = ["made:57", "opened:30", "recorded:30", "intro:30", "dm:31", "asked:60"]


async def test_a_fan_out_killed_at_every_step_introduces_every_pair_exactly_once(
    made_round: Path, tmp_path: Path
) -> None:
    database, world = tmp_path / "tandem.db", tmp_path / "platform.jsonl"
    shutil.copy(made_round, database)

    now = NOW
    for kill_at in KILLS:
        assert await run_round_bot(database, now, kill_at, world=world) == -signal.SIGKILL
        # The next start finds the dead process's claims run out and takes them over.
        now += LEASE + timedelta(seconds=1)
    assert await run_round_bot(database, now, None, world=world) == 0

    await assert_every_pair_introduced_once(database, world)
