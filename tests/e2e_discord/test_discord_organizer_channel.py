"""The community's scheduled match round posts its preview to the organizer channel
(``discord.organizer_channel_id``), and nowhere else. (Unset, scheduled rounds are refused when
the configuration is loaded: tests/test_config.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

# Monday 2026-01-05, 08:00 UTC: 09:00 in Berlin, an hour before the scheduled round.
MONDAY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
PROGRAM = {
    "timezone": "Europe/Berlin",
    "matching": {"cadence_weeks": 1, "weekday": "mon", "time": "10:00"},
}


async def test_the_scheduled_preview_goes_to_the_organizer_channel(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    organizers = server.add_text_channel(guild, "organizers")
    clock = FakeClock(MONDAY)
    async with running_tandem(
        server,
        guild,
        tmp_path / "t.db",
        clock=clock,
        program=PROGRAM,
        organizer_channel_id=organizers.id,
    ) as tandem:
        await tandem.app.run_due()
        assert server.messages_in(organizers) == []
        clock.advance(timedelta(hours=1))
        await tandem.app.run_due()
        (posted,) = server.messages_in(organizers)
        assert posted.content.startswith("Nobody is waiting to be matched right now")
        general = [c for c in guild.channel_ids if c != organizers.id]
        assert all(server.messages_in(channel) == [] for channel in general)
