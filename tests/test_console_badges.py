"""Streaks through the real console: Ana and Ben hold four weekly meetings in a row (both say
they met each time) and their pair space celebrates it once, in German and in English. The
program here reflects once a year, so nothing else is asked in these weeks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_console import ConsoleProcess
from tests.test_console_meetings import first_meeting, week_of_reminders
from tests.test_console_rounds import console_community


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    async for process in console_community(
        tmp_path, "reflection_every_weeks = 52\nlength_weeks = 0\n"
    ):
        yield process


async def test_four_meetings_in_a_row_are_celebrated_in_the_console(
    community: ConsoleProcess,
) -> None:
    console = community
    start = await first_meeting(console)
    for week in range(4):
        await week_of_reminders(console, start + timedelta(days=7 * week))
        said = await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
        said += await console.answer("1", f"🎉 Danke! Treffen in Folge: {week + 1}.")
        said += await console.answer("/as ben", "Did your meeting with Ana happen")
        said += await console.answer("1", f"🎉 Thanks! Meetings held in a row: {week + 1}.")
    # The celebration comes with the verdict (Ana's "we met"), once, whatever runs after it.
    await console.type("/advance 1d")
    said += await console.expect(" UTC.")
    await console.type("/advance 1m")
    said += await console.expect(" UTC.")
    assert said.count("🔥 4 Treffen in Folge, Ana und Ben!") == 1
    assert said.count("🔥 4 meetings in a row, Ana and Ben!") == 1
    assert said.count("🔥") == 2
    await console.type("/quit")
    assert await console.finish() == 0
