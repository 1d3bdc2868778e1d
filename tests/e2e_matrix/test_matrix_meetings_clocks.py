"""Meetings nine hours apart through a real Synapse: Eva (Berlin) and Lou (Los Angeles) agree
on Mondays 17:00 Berlin time in March 2026; Lou's reminders follow both clock changes (the US on
8 March, Europe on 29 March) and Lou is told a few days before each. The same on memory and
Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.intents import IntentBase
from tests.e2e_matrix.test_matrix_round_transcript import until, until_said
from tests.support.join_player import record_intents
from tests.support.round_players import ProfilePlayer
from tests.support.synapse.bot import Conversation, TandemBot, open_community, open_dm, play_join
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.test_meetings import EVA, LOU, MARCH, lou_saw_the_clocks

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(400)]

#: A Tuesday, 10:00 in Berlin.
START = datetime(2026, 2, 24, 9, 0, tzinfo=UTC)


async def part(chat: Conversation, partner: str, done: str) -> None:
    """A part of the agreement as typed: own goal and milestone, the first time offered."""
    await until(chat, f"🤝 Let's set up your tandem with {partner}!")
    await until_said(chat, "2", "What are your goals for this tandem?")
    await until_said(chat, "Grow", "Milestones for")
    await until_said(chat, "One step", "📅")
    await until_said(chat, "1", "⏱️ How long")
    await until_said(chat, "1", "How will you meet?")
    await until_said(chat, "1", "🤝 Last step")
    await until_said(chat, "1", done)


async def test_nine_hours_apart_across_both_clock_changes_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("olga", displayname="Olga")
    eva = await matrix_user_factory("eva", displayname="Eva")
    lou = await matrix_user_factory("lou", displayname="Lou")
    await open_community(organizer, tandem_bot, [eva, lou])
    clock = tandem_bot.clock = FakeClock(START)
    tandem_bot.run_scheduler = False
    tandem_bot.bot_settings = {"rate_limit": {"enabled": False}}
    # These weeks are about the clocks: the first reflection comes later than them.
    tandem_bot.program = {"reflection_every_weeks": 12}
    app = await tandem_bot.start()
    intents: list[IntentBase] = record_intents(app)
    chats: dict[str, Conversation] = {}
    for name, member, profile in (("eva", eva, EVA), ("lou", lou, LOU)):
        chats[name] = await open_dm(member, tandem_bot)
        await play_join(tandem_bot, chats[name], ProfilePlayer(profile), intents)
    boss = await open_dm(organizer, tandem_bot)
    await boss.exchange(f"{tandem_bot.prefix} admin match preview")
    await boss.exchange(f"{tandem_bot.prefix} admin match run")
    await app.run_due()
    clock.advance(timedelta(days=3))
    await app.run_due()
    await until(chats["lou"], "How was your first call")
    await until(chats["eva"], "How was your first call")
    await until_said(chats["lou"], "1", "Thanks! I'll let you know")
    await until_said(chats["eva"], "1", "🎉 Wonderful – Lou said yes too")
    await app.run_due()

    # Lou takes the first time offered (Monday 8:00 in LA); Eva takes Lou's pick (17:00 hers).
    await part(chats["lou"], "Eva", "Thanks, your part is in!")
    await part(chats["eva"], "Lou", "Thanks! Lou's part was already in")
    await app.run_due()
    await until(chats["lou"], "📝 Your tandem agreement (version 1)")
    await until_said(chats["lou"], "1", "Thank you, confirmed!")
    await until(chats["eva"], "📝 Your tandem agreement (version 1)")
    await until_said(chats["eva"], "1", "🎉 Confirmed: Lou had confirmed already")
    await app.run_due()
    await until(chats["lou"], "🎉 Eva confirmed your agreement too")

    seen: list[str] = []
    for start in MARCH:
        for moment in (
            start - timedelta(hours=24),
            start - timedelta(minutes=15),
            start + timedelta(hours=1),
        ):
            clock.advance(moment - clock.now())
            await app.run_due()
        seen += await read_until(chats["lou"], "👋 Did your meeting with Eva happen")
        await until_said(chats["lou"], "1", "🎉 Thanks! Meetings held in a row:")
        await until(chats["eva"], "👋 Did your meeting with Lou happen")
        await until_said(chats["eva"], "1", "🎉 Thanks! Meetings held in a row:")
    lou_saw_the_clocks([text.replace("\u202f", " ") for text in seen])


async def read_until(chat: Conversation, beginning: str) -> list[str]:
    """Every message the bot sends up to the one that begins with ``beginning``."""
    said: list[str] = []
    for _ in range(10):
        (message,) = await chat.next()
        said.append(message.body)
        if message.body.startswith(beginning):
            return said
    raise AssertionError(f"the bot never said {beginning!r}: {said}")
