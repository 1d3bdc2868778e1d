"""Nine hours apart across a clock change, through the real console: Ana (Vienna) and Ben make
their agreement at the end of February 2027, then Ben moves to Los Angeles. Their Monday
meeting stays at its time in the agreed (European) zone; the US moves its clocks on 14 March,
Europe on 28 March, so for Ben the meeting moves by an hour and back, and he hears it a few
days before each change. Ana, whose clock moves with the meeting, hears nothing of it.
(The same on memory, Discord and Matrix: tests/test_meetings.py and the e2e transcripts.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.test_console import ConsoleProcess
from tests.test_console_agreement import agree_in_console
from tests.test_console_meetings import WHEN, week_of_reminders
from tests.test_console_rounds import console_community

# "── to ben ──" / "── an ana ──" start what the console prints for one member.
_TO = re.compile(r"^── (?:to|an) (\w+) ──$", re.MULTILINE)


LOS_ANGELES = ZoneInfo("America/Los_Angeles")


async def next_meeting(console: ConsoleProcess) -> datetime:
    """The next meeting as Ben's ``meeting`` menu names it, in his zone (Los Angeles)."""
    menu = await console.answer("/meeting", "What would you like to do?")
    await console.answer("4", "All right, everything stays as it is.")
    found = WHEN.search(menu.replace("\u202f", " "))
    assert found is not None, menu
    local = datetime.strptime(found.group(1), "%A, %b %d, %Y, %I:%M %p")
    return local.replace(tzinfo=LOS_ANGELES).astimezone(UTC)


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    # Reflections come later than these weeks: they are not what this transcript is about.
    async for process in console_community(tmp_path, "reflection_every_weeks = 12\n"):
        yield process


def lines_for(member: str, output: str) -> list[str]:
    """The lines the console printed for ``member`` (a narrow space before "AM" as a space)."""
    parts = _TO.split(output.replace("\u202f", " "))
    return [
        line.strip()
        for name, text in zip(parts[1::2], parts[2::2], strict=True)
        if name == member
        for line in text.splitlines()
        if line.strip()
    ]


async def test_nine_hours_apart_across_a_clock_change_in_the_console(
    community: ConsoleProcess,
) -> None:
    console = community
    # First to the end of February 2027 (the console's clock only moves forward).
    minutes = (datetime(2027, 2, 22, 9, tzinfo=UTC) - datetime.now(UTC)).total_seconds() // 60
    await console.type(f"/advance {int(minutes)}m")
    await agree_in_console(console)
    await console.answer("/as ben", "now speaking as")
    await console.answer("/edit", "Which answer would you like to change?")
    await console.answer("8", "Which time zone do you live in?")
    await console.answer("Los Angeles", "Pacific Time")
    moved = await console.expect("Does that still fit you?")
    assert "(America/Los_Angeles)" in moved

    # Everything the console prints from here on, whichever expectation reads it.
    printed: list[str] = []
    expect, expect_all = console.expect, console.expect_all

    async def keeping(text: str, within: float = 10.0) -> str:
        printed.append(await expect(text, within))
        return printed[-1]

    async def keeping_all(*texts: str, within: float = 10.0) -> str:
        printed.append(await expect_all(*texts, within=within))
        return printed[-1]

    console.expect, console.expect_all = keeping, keeping_all  # type: ignore[method-assign]

    start = await next_meeting(console)
    while start < datetime(2027, 3, 30, tzinfo=UTC):
        await week_of_reminders(console, start)
        await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
        await console.answer("1", "🎉 Danke!")
        await console.answer("/as ben", "Did your meeting with Ana happen")
        await console.answer("1", "🎉 Thanks!")
        start = await next_meeting(console)

    ben, ana = lines_for("ben", "".join(printed)), lines_for("ana", "".join(printed))
    reminders = [line for line in ben if line.startswith("⏰")]
    hours = [re.findall(r", (\d+):00 AM \(America/Los_Angeles\)", line) for line in reminders]
    assert hours == [["9"]] * 4 + [["10"]] * 4 + [["9"]] * 2  # 1, 8 | 15, 22 | 29 March
    assert [line for line in ben if line.startswith("🕐")] == [
        "🕐 Heads-up: the clocks change, so your meeting with Ana on Monday, Mar 15, 2027 is at "
        "10:00 AM your time (America/Los_Angeles) – until now it was at 9:00 AM.",
        "🕐 Heads-up: the clocks change, so your meeting with Ana on Monday, Mar 29, 2027 is at "
        "9:00 AM your time (America/Los_Angeles) – until now it was at 10:00 AM.",
    ]
    assert [line for line in ana if line.startswith("🕐")] == []
    ana_reminders = [line for line in ana if line.startswith("⏰")]
    assert len(ana_reminders) == 10
    assert all(", 18:00 (Europe/Vienna)" in line for line in ana_reminders)
    await console.type("/quit")
    assert await console.finish() == 0
