"""The issue's "Done when" transcript through the real console, as a person types it: four
members join, the organizer previews (nobody else sees a thing) and runs a round, each pair gets
its space, DMs and intro; one pair goes on, the other parts kindly and is not paired again; a
member who is no organizer is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.rounds import FOUR, transcript_for
from tests.test_console import ConsoleProcess, opening


async def console_community(tmp_path: Path, program: str = "") -> AsyncIterator[ConsoleProcess]:
    """The console with Olga as organizer, and ``program`` (TOML lines) as its [program]."""
    # Four members typed by a machine are faster than any person: no rate limit here.
    (tmp_path / "tandem.toml").write_text(
        '[bot]\nrate_limit = { enabled = false }\n[console]\norganizers = ["olga"]\n'
        + (f"[program]\n{program}" if program else "")
    )
    process = await ConsoleProcess.start(tmp_path)
    yield process
    await process.kill()


#: No night: what a test of rounds, agreements or reflections sees after ``/advance 1m`` must
#: not depend on the hour of the wall clock it runs at (quiet hours have test_console_quiet).
NO_QUIET_HOURS = 'quiet_hours = { start = "00:00", end = "00:00" }\n'


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    async for process in console_community(tmp_path, NO_QUIET_HOURS):
        yield process


async def join(console: ConsoleProcess, name: str) -> None:
    profile = FOUR[name]
    # Named as typed (the console shows the member as their name was written).
    await console.answer(f"/as {name.title()}", f"You are now speaking as {name.title()}.")
    await console.type("/join")
    for number, turn in enumerate(transcript_for(profile)):
        await console.expect(opening(turn.asked, "en" if number == 0 else profile.language))
        await console.type(turn.as_typed)
        if turn.refused:
            await console.expect(opening(turn.refused, profile.language))
    await console.expect(opening("join.done", profile.language))


def members_addressed(output: str) -> set[str]:
    """Whom the printed messages were for ("── to ana ──", in German "── an ana ──")."""
    headers = ("── to ", "── an ")
    return {line.split()[2] for line in output.splitlines() if line.startswith(headers)}


async def test_a_round_in_the_console(community: ConsoleProcess) -> None:
    console = community
    await console.expect("Tandem console. You are speaking as alex.")
    for name in FOUR:
        await join(console, name)

    await console.answer("/as olga", "You are now speaking as olga.")
    await console.type("/admin match preview")
    preview = await console.expect("To introduce exactly these pairs: /admin match run.")
    assert members_addressed(preview) == {"olga"}
    assert "• Ana ↔ Ben · score" in preview
    assert "• Cleo ↔ Dan · score" in preview
    await console.type("/admin match run")
    ran = await console.expect("Nobody sits out this time.")
    assert members_addressed(ran) == {"olga"}
    assert "The round is on: I'm introducing 2 pairs now" in ran

    # What fell due runs now: two spaces, the intros, both DMs.
    await console.type("/advance 1m")
    fanned_out = await console.expect_all(
        "(pair space pair-",
        "(pair space pair-",
        "👋 Willkommen, Ana und Ben",
        "👋 Welcome, Ana and Ben",
        "👋 Welcome, Cleo and Dan",
        "🎉 Gute Nachrichten: Ich habe eine Tandem-Person für dich gefunden – Ben!",
        "🎉 Good news: I found you a tandem partner – Ana!",
        "🎉 Good news: I found you a tandem partner – Dan!",
        "🎉 Good news: I found you a tandem partner – Cleo!",
    )
    assert fanned_out.count("(pair space ") == 2
    assert "first call with" not in fanned_out  # no call can have happened yet
    # Three days later, time for the first call: each is asked privately.
    await console.type("/advance 3d")
    asked = await console.expect_all(
        "Wie war dein erstes Gespräch mit Ben?",
        "How was your first call with Ana?",
        "How was your first call with Dan?",
        "How was your first call with Cleo?",
    )
    assert members_addressed(fanned_out) == {"ana", "ben", "cleo", "dan"}
    assert members_addressed(asked) == {"ana", "ben", "cleo", "dan"}

    # Ana and Ben both go on.
    await console.answer("/as ana", "Wie war dein erstes Gespräch mit Ben?")
    await console.answer("1", "Danke! Ich sage dir Bescheid, sobald Ben auch geantwortet hat.")
    await console.answer("/as ben", "How was your first call with Ana?")
    await console.answer("1", "🎉 Wonderful – Ana said yes too, so you're officially a tandem now!")
    await console.type("/advance 1m")
    await console.expect_all(
        "🎉 Ben möchte auch weitermachen – ihr seid jetzt offiziell ein Tandem!",
        "🎉 Ana and Ben, you're officially a tandem!",
    )

    # Cleo says it is not a fit; Dan hears it kindly, without her reason.
    await console.answer("/as cleo", "How was your first call with Dan?")
    await console.answer("2", "If you like, tell me why in a sentence or two")
    await console.answer("We want different things", "Thank you for telling me.")
    await console.type("/advance 1m")
    parted = await console.expect_all(
        "About your introduction to Cleo: you two won't continue as a tandem.",
        "This introduction has ended. Thank you both for giving it a try",
        " closed)",
        "── to the organizers ──",
        "We want different things",
    )
    to_dan = parted.split("── to dan ──")[1].split("── ")[0]
    assert "different things" not in to_dan

    # Next round: Cleo and Dan are never paired again; a member may not start one.
    await console.answer("/as olga", "You are now speaking as olga.")
    await console.type("/admin match preview")
    again = await console.expect("first in line next round.")
    assert "No pair is possible this time: 2 members are waiting" in again
    assert "Cleo ↔ Dan" not in again
    await console.answer("/as dan", "You are now speaking as Dan.")
    await console.answer("/admin match", 'Only organizers can use "/admin match".')
    await console.type("/quit")
    assert await console.finish() == 0
