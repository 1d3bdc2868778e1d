"""Milestones and a reflection through the real console, as people type them: Ana and Ben
agree on their tandem; each marks a milestone (the pair space celebrates it, Ben
congratulates, and with both opt-ins one shout-out goes "to the community"); Ana reflects on
demand and Ben is asked too; Ana shares her progress, Ben keeps everything private; then Ana
forgets."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_console import ConsoleProcess
from tests.test_console_rounds import community, join
from tests.test_stats import png_size

__all__ = ["community"]


async def agree_in_console(console: ConsoleProcess) -> None:
    """Ana and Ben matched, both go on, both answer their part and confirm."""
    for name in ("ana", "ben"):
        await join(console, name)
    await console.answer("/as olga", "You are now speaking as olga.")
    await console.answer("/admin match preview", "To introduce exactly these pairs")
    await console.answer("/admin match run", "The round is on")
    await console.answer("/advance 1m", "🎉 Good news")
    await console.type("/advance 3d")
    await console.expect_all("Wie war dein erstes Gespräch mit Ben?", "How was your first call")
    await console.answer("/as ana", "Wie war dein erstes Gespräch mit Ben?")
    await console.answer("1", "Danke! Ich sage dir Bescheid")
    await console.answer("/as ben", "How was your first call with Ana?")
    await console.answer("1", "🎉 Wonderful – Ana said yes too")
    await console.type("/advance 1m")
    await console.expect_all("🤝 Lass uns euer Tandem", "🤝 Let's set up your tandem with Ana!")
    await console.answer("/as ana", "Möchtest du sie als Ziele für euer Tandem übernehmen?")
    await console.answer("1", "Meilensteine für")
    await console.answer("Folien entwerfen (Woche 2)", "Eine andere Zeit")
    for typed, then in (("2", "Wie lange"), ("1", "Wie trefft ihr euch?"), ("1", "einverstanden")):
        await console.answer(typed, then)
    await console.answer("1", "Danke, dein Teil ist da!")
    await console.answer("/as ben", "Keep these as your goals for the tandem?")
    await console.answer("2", "What are your goals for this tandem?")
    await console.answer("Speak freely at meetups", "Milestones for")
    await console.answer("Give a five-minute talk (week 6)", "Another time")
    for typed, then in (("2", "How long"), ("1", "How will you meet?"), ("1", "Do you accept")):
        await console.answer(typed, then)
    await console.answer("1", "Thanks! Ana's part was already in")
    await console.type("/advance 1m")
    await console.expect_all(
        "Bestätigst du diese Vereinbarung mit Ben?", "Do you confirm this agreement with Ana?"
    )
    await console.answer("/as ana", "Bestätigst du diese Vereinbarung mit Ben?")
    await console.answer("1", "Danke, bestätigt!")
    await console.answer("/as ben", "Do you confirm this agreement with Ana?")
    await console.answer("1", "🎉 Confirmed: Ana had confirmed already")
    await console.answer("/advance 1m", "✅ Ana and Ben have both confirmed your agreement.")


async def test_milestones_and_a_reflection_in_the_console(
    community: ConsoleProcess, tmp_path: Path
) -> None:
    console = community
    await console.expect("Tandem console. You are speaking as alex.")
    await agree_in_console(console)

    # Ana marks her milestone and says yes to shout-outs; Ben has not (yet): no shout-out.
    await console.answer("/as ana", "You are now speaking as Ana.")
    asked = await console.answer("/milestone", "3. Noch nicht")
    assert "1. Folien entwerfen (" in asked
    await console.answer("1", "Darf ich euch beiden auch im Feier-Kanal")
    await console.answer("1", "🎉 Herzlichen Glückwunsch zu „Folien entwerfen“!")
    await console.type("/advance 1m")
    shown = await console.expect_all(
        "🎉 Ana hat einen Meilenstein erreicht: „Folien entwerfen“!",
        "Would you like to congratulate them in your pair space?",
    )
    assert "celebration channel ──" not in shown
    await console.answer("/as ben", "Would you like to congratulate them")
    await console.type("1")
    await console.expect_all(
        "🥳 Sent! Ana will see it in your pair space.", "🥳 Ben congratulates Ana: well done!"
    )
    # Ben marks his and says yes: one shout-out, naming only the two.
    await console.answer("/milestone", "3. Not yet")
    await console.answer("1", "may I also cheer for you two")
    await console.answer("1", '🎉 Congratulations on "Give a five-minute talk"!')
    await console.type("/advance 1m")
    shown = await console.expect_all(
        "── to the community's celebration channel ──",
        "🎉 Ana and Ben reached a milestone together in their tandem!",
    )
    assert "five-minute" not in shown.split("celebration channel ──")[1].split("\n\n")[0]

    # Ana reflects on demand (Ben's question about her milestone left open); Ben is asked too.
    await console.answer("/as ana", "You are now speaking as Ana.")
    await console.answer("/reflect", "Wie weit bist du gekommen?")
    await console.answer("4", "Eine Notiz zu diesem Ziel?")
    await console.answer("Folien sind fertig", "Was hat dir seit der letzten Reflexion")
    await console.answer("-", "Was solltet ihr in eurem Tandem ändern?")
    await console.answer("Ben redet zu schnell", "Worauf konzentrierst du dich")
    await console.answer("Probevortrag halten", "Was darf Ben in eurem Tandem-Raum sehen?")
    asked = await console.expect("5. Nichts – alles bleibt privat")
    assert "3. Was wir ändern sollten" in asked
    await console.answer("1 2 4", "🪞 Danke fürs Reflektieren! Ich habe Ben gebeten")
    await console.type("/advance 1m")
    await console.expect("🪞 Time to reflect (reflection 1 with Ana)")
    await console.answer("/as ben", "how far have you come?")
    await console.answer("5", "A note on this goal?")
    for typed, then in (("-", "What helped you most"), ("Ana's questions", "What should you two")):
        await console.answer(typed, then)
    await console.answer("-", "What's your focus")
    await console.answer("-", "what may Ana see in your pair space?")
    await console.answer("3", "🪞 Thank you for reflecting! Ana has reflected too")
    await console.type("/advance 1m")
    shown = await console.expect_all(
        "🪞 Reflexion 1 von Ana und Ben", "Ben keeps this reflection private."
    )
    assert "Folien sind fertig" in shown
    assert "Ben redet zu schnell" not in shown
    assert "Ana's questions" not in shown

    # The organizer sees the counts and the chart's path; nothing anyone wrote.
    await console.answer("/as olga", "You are now speaking as olga.")
    await console.type("/admin stats")
    shown = await console.expect_all("📊 Your community in figures", "tandem-stats.png)")
    assert "• in a tandem: 2\n" in shown
    assert "Tandems:\n  • active: 1\n" in shown
    assert "Reflections answered: 2 (2 in the last 12 weeks)" in shown
    assert "Milestones reached: 2 (2 in the last 12 weeks)" in shown
    assert "Quiet pairs: 0 (active, but no meeting check-in" in shown
    assert "Meetings held: " in shown
    for written in ("Folien", "Ben redet zu schnell", "Ana's questions", "five-minute"):
        assert written not in shown
    chart = tmp_path / shown.split("(file saved to ")[1].removesuffix(")")
    assert png_size(chart.read_bytes()) == (800, 450)

    # Ana's notes, milestones and reflection are in her mydata; forget deletes everything.
    await console.answer("/as ana", "You are now speaking as Ana.")
    await console.answer("/note Mehr Pausen beim Vortrag", "📓 Notiert!")
    await console.answer("/mydata", "tandem-my-data.md")
    (folder,) = set((tmp_path / ".tandem" / "console-files").iterdir()) - {chart.parent}
    exported = json.loads((folder / "tandem-my-data.json").read_text())
    assert [n["text"] for n in exported["notes"]] == ["Mehr Pausen beim Vortrag"]
    assert [m["text"] for m in exported["milestones"]] == ["Folien entwerfen"]
    assert exported["reflections"][0]["answers"]["change"] == "Ben redet zu schnell"
    assert exported["reflections"][0]["shared"] == ["progress", "notes", "focus"]
    readable = (folder / "tandem-my-data.md").read_text()
    assert "## Deine Reflexionen" in readable
    assert "## Deine erreichten Meilensteine" in readable
    await console.answer("/forget", "Soll ich alle deine Daten endgültig löschen")
    await console.answer("1", "Erledigt. Ich habe alles gelöscht")
    await console.answer("/who", "Members in this console")
    assert not folder.exists()
    await console.type("/quit")
    assert await console.finish() == 0
