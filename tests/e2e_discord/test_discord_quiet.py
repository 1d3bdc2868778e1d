"""A quiet pair on the loopback Discord, with a fake clock: Ana and Ben make their agreement
(the agreement's Discord transcript), meet once and say so with the buttons, then answer
nothing more. Three weeks later both get the kind nudge by DM; a week later both are asked how
to go on (buttons), and Ben keeps going. The same on memory, the console and Matrix."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.e2e_discord.test_discord_agreement_transcript import NOW, make_agreement
from tests.e2e_discord.test_discord_meetings import MONDAY, dm_texts, week
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    eventually,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(300)]

#: One reflection only, at the end: an unanswered one would hold the question back.
PROGRAM = {"length_weeks": 12, "reflection_every_weeks": 12}
NUDGE_EN = (
    "🌿 It's been a while since you and Ana checked in. Everything alright? If life got busy, "
    "that's fine: a tandem may take a breather.\n"
    "• A break for a while: /tandem pause\n"
    "• Your next meeting, to keep it or move it: /tandem meeting\n"
    "• Tell each other how it's going: /tandem reflect\n"
    "Or simply pick up again at your next meeting."
)


async def half_days_until(tandem: Tandem, clock: FakeClock, until: datetime) -> None:
    while clock.now() < until:
        clock.advance(min(timedelta(hours=12), until - clock.now()))
        await tandem.app.run_due()


async def test_a_quiet_pair_on_discord(loopback_discord: LoopbackDiscord, tmp_path) -> None:
    server = loopback_discord
    guild = server.add_guild()
    channel = server.add_text_channel(guild, "tandems", announce=False)
    ana, ben = server.add_member(guild, "Ana"), server.add_member(guild, "Ben")
    clock = FakeClock(NOW)
    async with running_tandem(
        server,
        guild,
        tmp_path / "tandem.db",
        clock=clock,
        pair_channel_id=channel.id,
        bot_settings={"rate_limit": {"enabled": False}},
        program=PROGRAM,
    ) as tandem:
        await make_agreement(tandem, guild, channel, ana, ben, clock)
        await tandem.app.run_due()
        await week(tandem, clock, MONDAY)
        for user in (ana, ben):
            await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "met"}))

        # Nothing more: three weeks after their meeting, the nudge, once, to both.
        await half_days_until(tandem, clock, MONDAY + timedelta(weeks=3, days=1))
        assert [t for t in dm_texts(tandem, ben) if t.startswith("🌿")] == [NUDGE_EN]
        nudged = [t for t in dm_texts(tandem, ana) if t.startswith("🌿")]
        assert nudged[0].startswith("🌿 Von dir und Ben habe ich schon eine Weile nichts gehört.")
        assert len(nudged) == 1

        # A week later (once the open check-in has run out), the question, with buttons.
        await half_days_until(tandem, clock, MONDAY + timedelta(weeks=4, days=4))
        assert any(
            t.startswith("👋 It's been quiet between you and Ana") for t in dm_texts(tandem, ben)
        )
        answered = await answer_until_done(tandem, ben, AnswerPolicy(preferred={"quiet": "keep"}))
        assert [(a.step_id, a.how) for a in answered] == [("quiet", "button")]
        await eventually(
            lambda: dm_texts(tandem, ben)[-1].startswith("🌱 Lovely – keep going!"),
            description="kept going",
        )
        assert len([t for t in dm_texts(tandem, ben) if t.startswith("🌿")]) == 1
