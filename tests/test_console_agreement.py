"""The agreement through the real console, as people type it: Ana and Ben are matched and both
go on; each types their part (numbers for choices), the agreement appears in their pair space,
both confirm, and ``/agreement`` shows it again; ``/status`` says where Ben stands, and
``/calendar`` saves the meetings as a calendar file where the console keeps exports."""

from __future__ import annotations

from pathlib import Path

from icalendar import Calendar

from tests.test_console import ConsoleProcess
from tests.test_console_rounds import community, join

__all__ = ["community"]


async def test_an_agreement_in_the_console(community: ConsoleProcess, tmp_path: Path) -> None:
    console = community
    await agree_in_console(console)

    # Any time later, /agreement shows it.
    await console.answer("/agreement", "Would you like to propose a change?")

    # Where Ben stands, and the meetings as a calendar file.
    status = await console.answer("/status", "/calendar puts your meetings into your calendar.")
    assert "📍 Your status: in a tandem with Ana, week 1 of 12; next meeting Monday," in status
    await console.answer("/calendar", "tandem-meetings.ics")
    saved = tmp_path / ".tandem" / "console-files" / "member-ben" / "tandem-meetings.ics"
    calendar = Calendar.from_ical(saved.read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event["rrule"]["BYDAY"] == ["MO"]
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart").strftime("%a %H:%M") == "Mon 18:00"
    assert str(event["summary"]) == "Tandem with Ana"
    await console.type("/quit")
    assert await console.finish() == 0


async def agree_in_console(console: ConsoleProcess) -> None:
    """Ana and Ben join, are matched, go on after their first call, answer their parts and
    confirm their agreement (also the meetings' console transcript)."""
    await console.expect("Tandem console. You are speaking as alex.")
    for name in ("ana", "ben"):
        await join(console, name)
    await console.answer("/as olga", "You are now speaking as olga.")
    await console.type("/admin match preview")
    await console.expect("To introduce exactly these pairs")
    await console.type("/admin match run")
    await console.expect("The round is on")
    await console.type("/advance 1m")  # the introduction
    await console.expect("🎉 Good news")
    await console.type("/advance 3d")  # the first-call question comes when the call could be done
    await console.expect_all("Wie war dein erstes Gespräch mit Ben?", "How was your first call")
    await console.answer("/as ana", "Wie war dein erstes Gespräch mit Ben?")
    await console.answer("1", "Danke! Ich sage dir Bescheid")
    await console.answer("/as ben", "How was your first call with Ana?")
    await console.answer("1", "🎉 Wonderful – Ana said yes too")
    await console.type("/advance 1m")
    await console.expect_all(
        "🤝 Lass uns euer Tandem mit Ben einrichten!", "🤝 Let's set up your tandem with Ana!"
    )

    # Ana keeps her profile's goals and types the rest; numbers pick the options.
    await console.answer("/as ana", "Möchtest du sie als Ziele für euer Tandem übernehmen?")
    await console.answer("1", "Meilensteine für „Im Team-Meeting 10 Minuten frei präsentieren“")
    # (Typed on one line, her profile holds one goal.)
    slots = await console.answer("Folien entwerfen (Woche 2)", "Eine andere Zeit")
    assert "1. Montag 17:00" in slots
    assert "2. Montag 18:00" in slots
    await console.answer("2", "Wie lange soll ein Treffen dauern?")
    await console.answer("1", "Wie trefft ihr euch?")
    await console.answer("1", "Bist du damit einverstanden?")
    await console.answer("1", "Danke, dein Teil ist da!")

    # Ben writes his own goal and takes a proposed time.
    await console.answer("/as ben", "Keep these as your goals for the tandem?")
    await console.answer("2", "What are your goals for this tandem?")
    await console.answer("Speak freely at meetups", 'Milestones for "Speak freely at meetups"')
    await console.answer("Give a five-minute talk (week 6)", "Another time")
    await console.answer("2", "How long should a meeting be?")
    await console.answer("1", "How will you meet?")
    await console.answer("1", "Do you accept them?")
    await console.answer("1", "Thanks! Ana's part was already in")

    # The agreement appears in the pair space, and both are asked to confirm.
    await console.type("/advance 1m")
    shown = await console.expect_all(
        "📝 Eure Tandem-Vereinbarung (Version 1)",
        "📝 Your tandem agreement (version 1)",
        "Bestätigst du diese Vereinbarung mit Ben?",
        "Do you confirm this agreement with Ana?",
    )
    assert "• Speak freely at meetups" in shown
    await console.answer("/as ana", "Bestätigst du diese Vereinbarung mit Ben?")
    await console.answer("1", "Danke, bestätigt!")
    await console.answer("/as ben", "Do you confirm this agreement with Ana?")
    confirmed = await console.answer("1", "/calendar sends you a calendar file.")
    assert "🎉 Confirmed: Ana had confirmed already" in confirmed
    await console.type("/advance 1m")
    await console.expect_all(
        "🎉 Ben hat eure Vereinbarung auch bestätigt",
        "✅ Ana and Ben have both confirmed your agreement.",
    )
