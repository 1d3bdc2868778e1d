"""Meetings through the real console, with ``/advance``: Ana and Ben make their agreement (the
agreement's console transcript), then for four weeks get two reminders before each meeting and
"did you meet?" after it; Ben moves one meeting (Ana accepts), one is missed, and after the
second miss in a row the pair is nudged. The console's clock is the wall clock moved by
``/advance``, so the times are read from what the bot says."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.test_console import ConsoleProcess
from tests.test_console_agreement import agree_in_console
from tests.test_console_rounds import community

__all__ = ["community"]

BERLIN = ZoneInfo("Europe/Berlin")
_NOW = re.compile(r"The clock now says (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
WHEN = re.compile(r"(\w+day, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d [AP]M)")


def when_in(text: str) -> datetime:
    """The first time an English message names (in Ben's zone, Berlin), in UTC."""
    found = WHEN.search(text.replace("\u202f", " "))
    assert found is not None, text
    local = datetime.strptime(found.group(1), "%A, %b %d, %Y, %I:%M %p")
    return local.replace(tzinfo=BERLIN).astimezone(UTC)


async def now_of(console: ConsoleProcess) -> datetime:
    """The console's clock (moved on by a minute to read it)."""
    await console.type("/advance 1m")
    said = await console.expect(" UTC.")
    found = _NOW.findall(said)
    return datetime.strptime(found[-1], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


async def advance_to(console: ConsoleProcess, when: datetime) -> None:
    """Move the clock to ``when`` (to the minute) and run what falls due."""
    minutes = math.ceil((when - await now_of(console)).total_seconds() / 60)
    assert minutes > 0
    await console.type(f"/advance {minutes}m")
    await console.expect(" UTC.")


async def week_of_reminders(console: ConsoleProcess, start: datetime) -> None:
    await advance_to(console, start - timedelta(hours=24) + timedelta(minutes=1))
    await console.expect_all(
        "⏰ Dein Tandem-Treffen mit Ben ist in 24 Stunden",
        "⏰ Your tandem meeting with Ana is in 24 hours",
    )
    # The console's clock runs on by the second: 13 or 14 minutes are left when it is read.
    await advance_to(console, start - timedelta(minutes=14))
    await console.expect_all(
        "⏰ Dein Tandem-Treffen mit Ben ist in 1", "⏰ Your tandem meeting with Ana is in 1"
    )
    await advance_to(console, start + timedelta(minutes=61))
    await console.expect_all(
        "👋 Hat euer Treffen mit Ben stattgefunden", "👋 Did your meeting with Ana happen"
    )


async def next_meeting(console: ConsoleProcess) -> datetime:
    menu = await console.answer("/meeting", "What would you like to do?")
    await console.answer("4", "All right, everything stays as it is.")
    return when_in(menu)


async def first_meeting(console: ConsoleProcess) -> datetime:
    """Ana and Ben agree; their first meeting at least a day ahead (speaking as Ben)."""
    await agree_in_console(console)
    await console.answer("/as ben", "now speaking as")
    start = await next_meeting(console)
    if start - await now_of(console) < timedelta(hours=25):
        # Too soon for the day-before reminder: Ben skips it (Ana is told), the next is planned.
        said = await console.answer("/meeting skip", "I've told Ana.")
        assert "Done: the meeting on" in said
        await console.expect("lässt euer Treffen am")
        start = await next_meeting(console)
    return start


async def test_four_weeks_of_meetings_in_the_console(community: ConsoleProcess) -> None:
    console = community
    start = await first_meeting(console)

    # Week 1: two reminders in each one's language, then both say they met.
    await week_of_reminders(console, start)
    await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
    await console.answer("1", "🎉 Danke! Treffen in Folge: 1.")
    await console.answer("/as ben", "Did your meeting with Ana happen")
    await console.answer("1", "🎉 Thanks! Meetings held in a row: 1.")

    # Week 2: on Thursday Ben moves the next meeting to the Wednesday after it; Ana accepts.
    await advance_to(console, start + timedelta(days=3))
    await console.answer("/meeting move", "When instead?")
    said = await console.answer("Wed 18:30", "to confirm the new time")
    moved = when_in(await console.expect("PM."))
    assert moved == start + timedelta(days=9, hours=18 - start.astimezone(BERLIN).hour, minutes=30)
    assert "Thanks! I've asked Ana" in said
    await console.type("/advance 1m")
    await console.expect("📅 Ben möchte euer Treffen am")
    await console.answer("/as ana", "Passt dir das?")
    await console.answer("1", "Erledigt: Euer Treffen ist jetzt am Mittwoch")
    await console.type("/advance 1m")
    await console.expect("✅ Ana agreed: your meeting is now on Wednesday")
    await week_of_reminders(console, moved)
    await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
    await console.answer("1", "🎉 Danke! Treffen in Folge: 2.")
    await console.answer("/as ben", "Did your meeting with Ana happen")
    await console.answer("1", "🎉 Thanks! Meetings held in a row: 2.")

    # Week 3: it didn't happen, both say so.
    await week_of_reminders(console, start + timedelta(days=14))
    await console.answer("3", "Thanks for telling me. I'll see what Ana says.")
    await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
    await console.answer("3", "Das kommt vor")

    # Week 4: nobody answers; at the deadline, the second miss in a row: the nudge.
    fourth = start + timedelta(days=21)
    await week_of_reminders(console, fourth)
    await advance_to(console, fourth + timedelta(days=3, hours=1, minutes=1))
    await console.expect_all(
        "🌱 Ana und Ben, eure letzten beiden Treffen", "🌱 Ana and Ben, your last two meetings"
    )
    await console.type("/quit")
    assert await console.finish() == 0
