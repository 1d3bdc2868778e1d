"""A quiet pair through the real console: Ana and Ben make their agreement, meet once and say
so, then answer nothing more. The console's clock moves half a day at a time (a big ``/advance``
would drop late reminders): three weeks after their check-in both get the kind nudge, a week
later both are asked how to go on, and Ben keeps going."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_console import ConsoleProcess
from tests.test_console_agreement import agree_in_console
from tests.test_console_meetings import advance_to, next_meeting

HALF_A_DAY = 12 * 60


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    # One reflection only, at the end of the program: an unanswered one asked meanwhile would
    # hold the question back (the bot never interrupts a conversation).
    (tmp_path / "tandem.toml").write_text(
        '[bot]\nrate_limit = { enabled = false }\n[console]\norganizers = ["olga"]\n'
        "[program]\nlength_weeks = 12\nreflection_every_weeks = 12\n"
    )
    process = await ConsoleProcess.start(tmp_path)
    yield process
    await process.kill()


async def half_days_until(console: ConsoleProcess, *texts: str, most: int) -> str:
    """Move the clock half a day at a time until every one of ``texts`` was printed."""
    seen = ""
    for _ in range(most):
        await console.type(f"/advance {HALF_A_DAY}m")
        seen += await console.expect(" UTC.")
        if all(text in seen for text in texts):
            return seen
    raise AssertionError(f"never printed {texts}; last output:\n{seen[-3000:]}")


async def test_a_quiet_pair_is_nudged_then_asked_in_the_console(
    community: ConsoleProcess,
) -> None:
    console = community
    await agree_in_console(console)
    await console.answer("/as ben", "now speaking as")
    start = await next_meeting(console)
    await advance_to(console, start + timedelta(minutes=61))
    await console.expect_all(
        "👋 Hat euer Treffen mit Ben stattgefunden", "👋 Did your meeting with Ana happen"
    )
    await console.answer("1", "🎉 Thanks! Meetings held in a row: 1.")
    await console.answer("/as ana", "Hat euer Treffen mit Ben stattgefunden")
    await console.answer("1", "🎉 Danke! Treffen in Folge: 1.")

    # Then nothing: three weeks later, the nudge to both, in each one's language.
    said = await half_days_until(
        console,
        "🌿 Von dir und Ben habe ich schon eine Weile nichts gehört.",
        "🌿 It's been a while since you and Ana checked in. Everything alright?",
        most=50,
    )
    assert said.count("🌿") == 2
    assert "• A break for a while: /pause" in said
    # A week later (once an open check-in has run out), the question.
    said = await half_days_until(
        console,
        "👋 Zwischen dir und Ben ist es seit ein paar Wochen still",
        "👋 It's been quiet between you and Ana for a few weeks now",
        most=24,
    )
    assert "🌿" not in said  # the nudge came once
    assert "Keep going" in said
    await console.answer("/as ben", "now speaking as")
    await console.answer("1", "🌱 Lovely – keep going!")
    await console.type("/quit")
    assert await console.finish() == 0
