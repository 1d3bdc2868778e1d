"""The end of a four-week program through the real console, as people type it: Ana and Ben
agreed; four weeks later they say they met, both answer their final reflection (Ana shares her
progress, Ben keeps his private); the pair space gets the completion summary, each their own
progress and a chart written to a file (its path printed), then the question how to go on:
Ana finishes (alumni), Ben wants to continue and is matched anew, told kindly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.test_console import ConsoleProcess
from tests.test_console_reflection import agree_in_console
from tests.test_console_rounds import NO_QUIET_HOURS, console_community
from tests.test_stats import png_size


@pytest.fixture
async def short_program(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    program = "length_weeks = 4\nreflection_every_weeks = 4\n" + NO_QUIET_HOURS
    async for process in console_community(tmp_path, program):
        yield process


async def test_the_end_of_a_program_in_the_console(
    short_program: ConsoleProcess, tmp_path: Path
) -> None:
    console = short_program
    await console.expect("Tandem console. You are speaking as alex.")
    await agree_in_console(console)

    # Four weeks on: both say they met, then the final reflection is asked.
    await console.type("/advance 29d")
    await console.expect_all("Hat euer Treffen mit Ben stattgefunden", "Did your meeting with Ana")
    await console.answer("/as ana", "You are now speaking as Ana.")
    await console.answer("1", "Danke")
    await console.answer("/as ben", "You are now speaking as Ben.")
    await console.answer("1", "Thank")
    await console.type("/advance 1h")
    await console.expect_all(
        "🏁 Euer Programm geht zu Ende – Zeit für deine letzte Reflexion mit Ben.",
        "🏁 Your program with Ana is coming to an end – time for your final reflection.",
    )
    await console.answer("/as ana", "You are now speaking as Ana.")
    await console.answer("2", "Eine Notiz zu diesem Ziel?")
    await console.answer("Mein geheimer Gedanke", "Was hat dir seit der letzten Reflexion")
    for question in ("Was solltet ihr", "Worauf konzentrierst du dich", "Hast du einen dieser"):
        await console.answer("-", question)
    await console.answer("1", "Was darf Ben in eurem Tandem-Raum sehen?")
    await console.answer("1", "🪞 Danke fürs Reflektieren!")
    await console.answer("/as ben", "You are now speaking as Ben.")
    await console.answer("4", "A note on this goal?")
    for question in (
        "What helped you",
        "What should you two",
        "What's your focus",
        "Did you reach",
    ):
        await console.answer("-", question)
    await console.answer("-", "what may Ana see in your pair space?")
    await console.answer("2", "🪞 Thank you for reflecting! Ana has reflected too")

    # The completion: the summary in the pair space, each one's own progress and chart.
    await console.type("/advance 1m")
    shown = await console.expect_all(
        "🏁 The final reflection of Ana and Ben",
        "🎓 Ana and Ben, you've completed your program together – 4 weeks! Congratulations!",
        "tandem-progress.png)",
        "tandem-progress.png)",
        "Would you like to congratulate them in your pair space?",
        "Wie möchtest du nach deinem Programm mit Ben weitermachen?",
    )
    summary = shown.split("🎓 Ana and Ben, you've completed")[1].split("── ")[0]
    assert "• Meetings held: 1\n" in summary
    assert "• Longest streak of meetings in a row: 1\n" in summary
    assert "   ◦ Ana: Folien entwerfen\n" in summary
    assert "   ◦ Im Team-Meeting 10 Minuten frei präsentieren: 2/5 → 2/5\n" in summary
    assert "   Ben keeps their progress private.\n" in summary
    assert "Mein geheimer Gedanke" not in shown
    assert ": 4/5 → 4/5" in shown.split("🎓 Your program is complete")[1]  # Ben's own, in his DM
    assert "4/5" not in summary
    paths = [
        part.split(")")[0] for part in shown.split("(file saved to ")[1:] if "progress" in part
    ]
    assert [Path(p).parent.name for p in paths] == ["member-ana", "member-ben"]
    for path in paths:
        assert png_size((tmp_path / path).read_bytes()) == (800, 450)

    # Ben lets Ana's milestone pass; the question how to go on follows when he is free.
    await console.answer("/as ben", "You are now speaking as Ben.")
    await console.answer("3", "I won't ask about this one again.")
    await console.type("/advance 1h")
    await console.expect("🧭 How would you like to go on after your program with Ana?")
    asked = await console.expect("Answer with the number or the word.")
    assert "1. Continue together 🔁\n  2. Finish 🎓\n  3. Be matched anew 🔀" in asked
    # Ben wants to continue, Ana finishes: Ana is an alumna, Ben is matched anew.
    await console.answer("1", "I'll let you know what happens once Ana has answered too.")
    await console.answer("/as ana", "You are now speaking as Ana.")
    await console.answer("2", "Danke, ihr habt beide geantwortet!")
    await console.type("/advance 1m")
    await console.expect_all(
        "🎓 Herzlichen Glückwunsch zu deinem abgeschlossenen Programm!",
        "💛 You'd have liked to go on with Ana, but Ana chose a different way this time",
        "This tandem has ended, so this space closes now.",
    )
    await console.answer("/status", "📍 Dein Status: Alumni (hat ein Programm abgeschlossen)")
    await console.answer("/as ben", "You are now speaking as Ben.")
    await console.answer("/status", "Your status: waiting")
    await console.type("/quit")
    assert await console.finish() == 0
