"""A round of 200 pairs introduced by a real bot process on the loopback Discord, killed outright
(SIGKILL) again and again during the fan-out — after Discord made a thread the bot had not
recorded, after the adapter returned it, after the tandem recorded it, after an intro, after a
DM — and restarted each time. Discord (the loopback, in the test's own process) outlives every
bot: in the end each pair has exactly one private thread, recorded by its tandem, with one
intro, and each member one pair intro DM and one first-call question."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.due import LEASE
from store import Store
from store.tandems import INTRODUCED
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.round_kill import make_round, run_round_bot

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(900)]

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Where each bot process dies, one after the other (counted from its own start).
KILLS = ["made:40", "opened:30", "recorded:30", "intro:30", "dm:31", "asked:60"]


async def test_a_round_killed_again_and_again_gives_every_pair_one_thread_and_one_intro(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    tandems_channel = server.add_text_channel(guild, "tandems", announce=False)
    people = [server.add_member(guild, f"member-{n:03d}") for n in range(400)]
    database = tmp_path / "tandem.db"
    settings = load_settings(None, database={"url": f"sqlite+aiosqlite:///{database}"})
    user_ids = [str(person.id) for person in people]
    assert await make_round(database, "discord", "discord", user_ids, NOW, settings) == 200
    loopback = {
        "api_url": server.api_url,
        "gateway_url": server.gateway_url,
        "token": server.token,
        "guild_id": guild.id,
        "discord": {"pair_channel_id": tandems_channel.id},
    }

    now = NOW
    for kill_at in KILLS:
        assert await run_round_bot(database, now, kill_at, loopback=loopback) == -signal.SIGKILL
        now += LEASE + timedelta(seconds=1)  # the dead process's claims run out
    assert await run_round_bot(database, now, None, loopback=loopback) == 0

    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    try:
        latest = await store.rounds.latest("discord")
        assert latest is not None
        tandems = await store.tandems.of_round(latest.id)
        user_of = {}
        for user_id in user_ids:
            member = await store.members.find("discord", "discord", user_id)
            assert member is not None
            user_of[member.id] = int(user_id)
    finally:
        await store.close()
    assert [t.state for t in tandems] == [INTRODUCED] * 200
    threads = {str(t.id): t for t in server.threads_in(tandems_channel)}
    assert len(threads) == 200
    assert sorted(str(t.space["channel_id"]) for t in tandems if t.space) == sorted(threads)
    bot = server.bot.id
    for tandem in tandems:
        assert tandem.space is not None
        thread = threads[str(tandem.space["channel_id"])]
        pair = {user_of[tandem.member_a], user_of[tandem.member_b]}
        assert set(thread.member_ids) == pair | {bot}
        said = [m.content for m in server.messages_in(thread) if m.author_id == bot]
        assert len(said) == 1, said  # the intro, once
        assert said[0].startswith("👋 Welcome, Member")
    for person in people:
        channel = server.world.dm_channels[person.id]
        dms = [m.content for m in server.messages_in(channel) if m.author_id == bot]
        assert sum(text.startswith("🎉 Good news: I found you") for text in dms) == 1, dms
        assert sum(text.startswith("How was your first call with") for text in dms) == 1, dms
