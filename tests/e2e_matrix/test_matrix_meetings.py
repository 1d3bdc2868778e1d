"""Meetings through a real Synapse, with a fake clock: Ana and Ben make their agreement (the
agreement's Matrix transcript: Mondays 19:00 Berlin time), then for four weeks get two
reminders before each meeting (Ana's in their encrypted pair room, as she chose with
``!tandem meeting reminders space``) and "did you meet?" after it, answered with numbers; Ben
moves one meeting (``!tandem meeting move``), Ana accepts; one is missed, and after the second
miss in a row the room shows the nudge; the next four are held and the room celebrates four in
a row. The same on memory, the console and Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e_matrix.test_matrix_agreement_transcript import AgreedPair, make_agreement
from tests.e2e_matrix.test_matrix_round_transcript import until, until_said
from tests.support.synapse.bot import TandemBot
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(400)]

MONDAY = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)  # 19:00 in Berlin and Vienna
WEEK = timedelta(days=7)


async def at(pair: AgreedPair, moment: datetime) -> None:
    pair.clock.advance(moment - pair.clock.now())
    await pair.app.run_due()


async def week(pair: AgreedPair, start: datetime) -> None:
    """One meeting: both reminders (Ana's in the room, Ben's by DM), then the check-in."""
    ana_chat, ben_chat, room = pair.chats["ana"], pair.chats["ben"], pair.room
    await at(pair, start - timedelta(hours=24))
    await until(room, "⏰ Ana, dein Tandem-Treffen mit Ben ist in 24 Stunden")
    await until(ben_chat, "⏰ Your tandem meeting with Ana is in 24 hours")
    await at(pair, start - timedelta(minutes=15))
    await until(room, "⏰ Ana, dein Tandem-Treffen mit Ben ist in 15 Minuten")
    await until(ben_chat, "⏰ Your tandem meeting with Ana is in 15 minutes")
    await at(pair, start + timedelta(hours=1))
    await until(ana_chat, "👋 Hat euer Treffen mit Ben stattgefunden")
    await until(ben_chat, "👋 Did your meeting with Ana happen")


async def test_four_weeks_of_meetings_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    # Reflections come after these eight weeks: they are not what this is about.
    tandem_bot.program = {"reflection_every_weeks": 12}
    pair = await make_agreement(tandem_bot, matrix_user_factory)
    prefix = tandem_bot.prefix
    ana_chat, ben_chat = pair.chats["ana"], pair.chats["ben"]
    await until_said(
        ana_chat,
        f"{prefix} meeting reminders space",
        "Erledigt: Deine Erinnerungen kommen in euren Tandem-Raum.",
    )

    # Week 1: both met.
    await week(pair, MONDAY)
    await until_said(ana_chat, "1", "🎉 Danke! Treffen in Folge: 1.")
    await until_said(ben_chat, "1", "🎉 Thanks! Meetings held in a row: 1.")

    # Week 2: on Thursday Ben moves the meeting to the Wednesday after it; Ana accepts.
    await at(pair, MONDAY + timedelta(days=3))
    asked = await until_said(ben_chat, f"{prefix} meeting move", "When instead?")
    assert "(Europe/Berlin)" in asked.body
    proposed = await until_said(ben_chat, "Wed 18:30", "Thanks! I've asked Ana")
    assert "Wednesday, Jan 21, 2026, 6:30" in proposed.body
    await pair.app.run_due()
    await until(ana_chat, "📅 Ben möchte euer Treffen am Montag, 19.01.2026, 19:00")
    await until_said(ana_chat, "1", "Erledigt: Euer Treffen ist jetzt am Mittwoch, 21.01.2026")
    await pair.app.run_due()
    await until(ben_chat, "✅ Ana agreed: your meeting is now on Wednesday")
    await week(pair, datetime(2026, 1, 21, 17, 30, tzinfo=UTC))
    await until_said(ana_chat, "2", "🎉 Danke! Treffen in Folge: 2.")
    await until_said(ben_chat, "2", "🎉 Thanks! Meetings held in a row: 2.")

    # Week 3: it didn't happen, both say so.
    await week(pair, MONDAY + 2 * WEEK)
    await until_said(ben_chat, "3", "Thanks for telling me. I'll see what Ana says.")
    await until_said(ana_chat, "3", "Danke fürs Bescheidsagen. Das kommt vor")

    # Week 4: nobody answers; at the deadline, the second miss in a row: the nudge.
    await week(pair, MONDAY + 3 * WEEK)
    await at(pair, MONDAY + 3 * WEEK + timedelta(days=3, hours=1))
    await until(pair.room, "🌱 Ana und Ben, eure letzten beiden Treffen")
    english = await until(pair.room, "🌱 Ana and Ben, your last two meetings")
    assert f"• A break for a while: {prefix} pause" in english.body

    # Weeks 5 to 8: all four held; the fourth in a row is celebrated in the room, in each
    # one's language.
    for n in range(4, 8):
        await week(pair, MONDAY + n * WEEK)
        await until_said(ana_chat, "1", f"🎉 Danke! Treffen in Folge: {n - 3}.")
        await until_said(ben_chat, "1", f"🎉 Thanks! Meetings held in a row: {n - 3}.")
    await pair.app.run_due()
    await until(pair.room, "🔥 4 Treffen in Folge, Ana und Ben!")
    await until(pair.room, "🔥 4 meetings in a row, Ana and Ben!")
