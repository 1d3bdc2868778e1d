"""Block and report through the real console, where a member names whom to block by the name
they speak as (``/as sam``), and the report appears under the organizers' header."""

from __future__ import annotations

from pathlib import Path

from tests.support.onboarding import TRANSCRIPT
from tests.test_console import ConsoleProcess, play

REPORT = "Someone keeps writing to me at night."


async def test_block_by_console_name_and_a_report_to_the_organizers(tmp_path: Path) -> None:
    # Typed by a machine, faster than any person: no rate limit here.
    (tmp_path / "tandem.toml").write_text(
        '[bot]\nrate_limit = { enabled = false }\n[console]\norganizers = ["olga"]\n'
    )
    console = await ConsoleProcess.start(tmp_path)
    try:
        await console.expect("Tandem console. You are speaking as alex.")
        await console.type("/join")
        await play(console, TRANSCRIPT, first_locale="en")
        await console.expect("Geschafft – dein Profil ist gespeichert!")

        await console.type("/block sam")
        await console.expect("Erledigt: Falls diese Person mitmacht oder irgendwann beitritt")
        await console.type("/block alex")
        await console.expect("Dich selbst kannst du nicht blockieren.")

        await console.type("/report")
        await console.expect("Was ist passiert? Schreib es in deinen eigenen Worten.")
        await console.type(REPORT)
        thanks = await console.expect("als jedes Tandem.")
        assert "Danke, dass du uns Bescheid sagst – das braucht Mut." in thanks

        await console.type("/advance 1m")  # the report is posted by its due item
        posted = await console.expect(REPORT)
        assert "── to the organizers ──" in posted
        assert "🚩 Report no. 1 from alex (alex):" in posted

        await console.answer("/as olga", "You are now speaking as olga.")
        await console.type("/admin remove 1")
        await console.expect("Report no. 1 isn't about a member who's still here")
        await console.type("/quit")
        assert await console.finish() == 0
    finally:
        await console.kill()
