"""Learning notes through the real console, as people type them: ``/note <text>`` keeps one,
``/note`` lists them and deletes one by number."""

from __future__ import annotations

from tests.test_console import ConsoleProcess
from tests.test_console_rounds import community, join

__all__ = ["community"]


async def test_notes_in_the_console(community: ConsoleProcess) -> None:
    console = community
    await console.expect("Tandem console. You are speaking as alex.")
    await join(console, "ben")
    await console.answer("/note Ask Ana how she plans her week", "📓 Noted! Only you can see it.")
    listed = await console.answer("/note", "What would you like to do?")
    assert "1. " in listed
    assert "Ask Ana how she plans her week" in listed
    await console.answer("1", "What would you like to note?")
    await console.answer("Timeboxing works for me", "📓 Noted!")
    listed = await console.answer("/note", "What would you like to do?")
    assert listed.index("Timeboxing works") < listed.index("Ask Ana how")
    await console.answer("2", "Which note should I delete?")
    await console.answer("2", "🗑️ Deleted. It's gone for good.")
    listed = await console.answer("/note", "What would you like to do?")
    assert "Ask Ana how" not in listed
    await console.answer("3", "Your notes stay as they are")
    await console.type("/quit")
    assert await console.finish() == 0
