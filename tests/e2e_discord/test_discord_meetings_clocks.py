"""Meetings nine hours apart on the loopback Discord: Eva (Berlin) and Lou (Los Angeles) agree
on Mondays 17:00 Berlin time in March 2026; Lou's reminders follow both clock changes (the US on
8 March, Europe on 29 March) and Lou is told a few days before each. The same on memory and
Matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    running_tandem,
)
from tests.support.round_players import discord_policy
from tests.test_meetings import EVA, LOU, MARCH, lou_saw_the_clocks

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(300)]

#: A Tuesday, 10:00 in Berlin.
START = datetime(2026, 2, 24, 9, 0, tzinfo=UTC)
PART = AnswerPolicy(
    preferred={"start": "write", "duration": "60", "format": "video", "rules": "accept"},
    texts={"goals": "Grow", "milestones_1": "One step"},
)


def dm_texts(tandem: Tandem, user) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.content.replace("\u202f", " ") for m in tandem.dm_messages(user)]


async def test_nine_hours_apart_across_both_clock_changes_on_discord(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    organizer = server.world.users[guild.owner_id]
    channel = server.add_text_channel(guild, "tandems", announce=False)
    eva, lou = server.add_member(guild, "Eva"), server.add_member(guild, "Lou")
    clock = FakeClock(START)
    async with running_tandem(
        server,
        guild,
        tmp_path / "tandem.db",
        clock=clock,
        pair_channel_id=channel.id,
        bot_settings={"rate_limit": {"enabled": False}},
        # These weeks are about the clocks: the first reflection comes later than them.
        program={"reflection_every_weeks": 12},
    ) as tandem:
        app = tandem.app
        for user, profile in ((eva, EVA), (lou, LOU)):
            await server.invoke_command(user, guild, "tandem", subcommand="join")
            await answer_until_done(tandem, user, discord_policy(profile))
        for action in ("preview", "run"):
            interaction = await server.invoke_command(
                organizer, guild, "tandem-admin", subcommand="match", options={"action": action}
            )
            await server.wait_for_interaction_response(interaction)
        await app.run_due()
        clock.advance(timedelta(days=3))
        await app.run_due()
        for user in (eva, lou):
            await answer_until_done(tandem, user, AnswerPolicy(preferred={"answer": "yes"}))
        await app.run_due()
        # Lou picks the first time proposed (Monday 8:00 in LA); Eva takes it (17:00 hers).
        for user in (lou, eva):
            await answer_until_done(tandem, user, PART)
        await app.run_due()
        for user in (lou, eva):
            await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "confirm"}))
        await app.run_due()

        seen: list[str] = []
        for start in MARCH:
            mark = len(dm_texts(tandem, lou))
            for moment in (
                start - timedelta(hours=24),
                start - timedelta(minutes=15),
                start + timedelta(hours=1),
            ):
                clock.advance(moment - clock.now())
                await app.run_due()
            for user in (eva, lou):
                await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "met"}))
            seen += dm_texts(tandem, lou)[mark:]
        lou_saw_the_clocks(seen)
