"""A whole tandem of twelve weeks on the loopback Discord, with a fake clock and the bot's own
schedule: Ana and Ben make their agreement (the reflection transcript's way); every week two
reminders in their DMs and "did you meet?" buttons (both met); milestones in weeks 2 and 6,
celebrated in their private thread (the #celebrations channel gets one shout-out, only once
both said yes); the bot asks both to reflect in weeks 4, 8 and 12, answered with buttons,
menus and forms, and the thread shows only what each shared; the completion's summary in the
thread, each one's chart attached in their DM, and both continue (buttons). The weeks are
tests/support/twelve_weeks.py, the same on memory, the console and Matrix."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from store import Store
from store.tandems import TandemRecord
from tests.e2e_discord.test_discord_reflection_transcript import agreed_with_celebrations, by_bot
from tests.support.discord_loopback import Channel, LoopbackDiscord, User
from tests.support.discord_tandem import AnswerPolicy, Tandem, answer_until_done
from tests.support.twelve_weeks import CELEBRATION, SPACE, Journey, Reflection, play_twelve_weeks

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(300)]


class DiscordJourney(Journey):
    """Ana and Ben on Discord: buttons, select menus and forms in their DMs."""

    patience = 20.0  # only a failing test waits this long

    def __init__(
        self, tandem: Tandem, clock: FakeClock, people: dict[str, User], places: dict[str, Channel]
    ) -> None:
        super().__init__()
        self.bot, self.clock, self.people, self.places = tandem, clock, people, places

    async def now(self) -> datetime:
        return self.clock.now()

    async def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.bot.app.run_due()

    async def tandem(self) -> tuple[Store, TandemRecord]:
        store = self.bot.app.store
        record = await self.bot.member(self.people["ana"])
        assert record is not None
        current = await store.tandems.current_for(record.id)
        assert current is not None
        return store, current

    async def texts(self, place: str) -> list[str]:
        if place in (SPACE, CELEBRATION):
            return [m.content for m in by_bot(self.bot.server, self.places[place].id)]
        return [m.content for m in self.bot.dm_messages(self.people[place])]

    async def wait(self, place: str) -> None:
        await asyncio.sleep(0.02)  # the bot sends through the loopback's HTTP on its own time

    async def answer(self, member: str, **preferred: str | tuple[str, ...]) -> None:
        await answer_until_done(self.bot, self.people[member], AnswerPolicy(preferred=preferred))

    async def check_in(self, member: str) -> None:
        await self.answer(member, start="met")

    async def mark_milestone(self, member: str) -> None:
        user = self.people[member]
        await self.bot.server.invoke_command(user, self.bot.guild, "tandem", subcommand="milestone")
        await self.answer(member, start="g0_m0", shoutout="yes")

    async def congratulate(self, member: str) -> None:
        await self.answer(member, start="cheer")

    async def continue_together(self, member: str) -> None:
        await self.answer(member, choice="continue")

    async def chart(self, member: str) -> bytes:
        server = self.bot.server
        (attachment,) = [
            a
            for message in self.bot.dm_messages(self.people[member])
            for a in message.attachments
            if a["filename"] == "tandem-progress.png"
        ]
        return server.world.attachment_bytes[int(attachment["id"])]

    async def reflect(self, member: str, reflection: Reflection) -> None:
        goals = range(1, 4)
        steps = [f"progress_{n}" for n in goals] + ["milestones", "share"]
        texts = [f"note_{n}" for n in goals] + ["helped", "change", "focus"]
        policy = AnswerPolicy(
            preferred={step: reflection.by_step(step) for step in steps},
            texts={step: str(reflection.by_step(step)) for step in texts},
        )
        await answer_until_done(self.bot, self.people[member], policy)


async def test_a_whole_twelve_week_tandem_on_discord(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    async with agreed_with_celebrations(loopback_discord, tmp_path) as agreed:
        people = {"ana": agreed.ana, "ben": agreed.ben}
        places = {SPACE: agreed.thread, CELEBRATION: agreed.party}
        journey = DiscordJourney(agreed.tandem, agreed.clock, people, places)
        await play_twelve_weeks(journey)
