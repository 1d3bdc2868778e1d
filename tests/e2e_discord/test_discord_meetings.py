"""Meetings on the loopback Discord, with a fake clock: Ana and Ben make their agreement (the
agreement's Discord transcript: Mondays 19:00 Berlin time), then for four weeks get two
reminders before each meeting (Ana's in their private thread, as she chose with ``/tandem
meeting``) and "did you meet?" buttons after it; Ben moves one meeting (``/tandem meeting``
with the action ``move`` and a form), Ana accepts; one is missed, and after the second miss in
a row the thread shows the nudge; the next four are held and the thread celebrates four in a
row. The same on memory, the console and Matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.e2e_discord.test_discord_agreement_transcript import NOW, make_agreement, said
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_loopback.state import User
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    eventually,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(300)]

MONDAY = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)  # 19:00 in Berlin and Vienna
WEEK = timedelta(days=7)


def dm_texts(tandem: Tandem, user: User) -> list[str]:
    return [m.content.replace("\u202f", " ") for m in tandem.dm_messages(user)]


async def week(tandem: Tandem, clock: FakeClock, start: datetime) -> None:
    """The clock through one meeting: both reminders, then the check-in."""
    for moment in (
        start - timedelta(hours=24),
        start - timedelta(minutes=15),
        start + timedelta(hours=1),
    ):
        clock.advance(moment - clock.now())
        await tandem.app.run_due()


async def test_four_weeks_of_meetings_on_discord(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
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
        # Reflections come after these eight weeks: they are not what this is about.
        program={"reflection_every_weeks": 12},
    ) as tandem:
        thread = await make_agreement(tandem, guild, channel, ana, ben, clock)
        await tandem.app.run_due()

        # Ana wants her reminders in the thread: the command's action answers at once.
        await server.invoke_command(
            ana, guild, "tandem", subcommand="meeting", options={"action": "reminders space"}
        )
        await eventually(
            lambda: (
                "Erledigt: Deine Erinnerungen kommen in euren Tandem-Raum." in dm_texts(tandem, ana)
            ),
            description="the setting confirmed",
        )

        # Week 1: reminders (Ben's by DM, Ana's in the thread), then both met (buttons).
        before = len(dm_texts(tandem, ben))
        in_thread = len(said(server, thread.id))
        await week(tandem, clock, MONDAY)
        reminders = [t for t in dm_texts(tandem, ben)[before:] if t.startswith("⏰")]
        assert reminders == [
            "⏰ Your tandem meeting with Ana is in 24 hours: Monday, Jan 12, 2026, 7:00 PM "
            "(Europe/Berlin) · 60 minutes · Video call",
            "⏰ Your tandem meeting with Ana is in 15 minutes: Monday, Jan 12, 2026, 7:00 PM "
            "(Europe/Berlin) · 60 minutes · Video call",
        ]
        posted = [m.content for m in said(server, thread.id)[in_thread:]]
        assert [text[:40] for text in posted] == ["⏰ Ana, dein Tandem-Treffen mit Ben ist i"] * 2
        for user in (ana, ben):
            answered = await answer_until_done(
                tandem, user, AnswerPolicy(preferred={"start": "met"})
            )
            assert answered[0].how == "button"
        await eventually(
            lambda: (
                dm_texts(tandem, ben)[-1] == "🎉 Thanks! Meetings held in a row: 1. Keep it up!"
            ),
            description="the streak",
        )

        # Week 2: on Thursday Ben moves the meeting to the Wednesday after it; Ana accepts.
        clock.advance(timedelta(days=3) - timedelta(hours=1))
        await server.invoke_command(
            ben, guild, "tandem", subcommand="meeting", options={"action": "move"}
        )
        await answer_until_done(tandem, ben, AnswerPolicy(texts={"move_to": "Wed 18:30"}))
        await eventually(
            lambda: (
                dm_texts(tandem, ben)[-1] == "Thanks! I've asked Ana to confirm the new time: "
                "Wednesday, Jan 21, 2026, 6:30 PM."
            ),
            description="the move proposed",
        )
        await tandem.app.run_due()
        await answer_until_done(tandem, ana, AnswerPolicy(preferred={"start": "accept"}))
        await tandem.app.run_due()
        await eventually(
            lambda: dm_texts(tandem, ben)[-1].startswith("✅ Ana agreed: your meeting is now on"),
            description="Ben told",
        )
        moved = datetime(2026, 1, 21, 17, 30, tzinfo=UTC)
        before = len(dm_texts(tandem, ben))
        await week(tandem, clock, moved)
        assert len([t for t in dm_texts(tandem, ben)[before:] if t.startswith("⏰")]) == 2
        for user in (ana, ben):
            await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "moved"}))

        # Week 3: missed, both say so. Week 4: nobody answers; the nudge in the thread.
        await week(tandem, clock, MONDAY + 2 * WEEK)
        for user in (ana, ben):
            await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "missed"}))
        await week(tandem, clock, MONDAY + 3 * WEEK)
        clock.advance(timedelta(days=3))
        await tandem.app.run_due()
        german, english = (m.content for m in said(server, thread.id)[-2:])
        assert german.startswith("🌱 Ana und Ben, eure letzten beiden Treffen")
        assert "• A break for a while: /tandem pause" in english
        record = await tandem.member(ana)
        assert record is not None
        current = await tandem.app.store.tandems.current_for(record.id)
        assert current is not None
        history = await tandem.app.store.meetings.history(current.id)
        assert [m.state for m in history] == ["held", "held", "missed", "missed", "scheduled"]

        # Weeks 5 to 8: all four held, the fourth in a row celebrated in the thread, once, in
        # each one's language.
        for n in range(4, 8):
            await week(tandem, clock, MONDAY + n * WEEK)
            for user in (ana, ben):
                await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "met"}))
        await tandem.app.run_due()
        assert [m.content for m in said(server, thread.id) if m.content.startswith("🔥")] == [
            "🔥 4 Treffen in Folge, Ana und Ben!",
            "🔥 4 meetings in a row, Ana and Ben!",
        ]
