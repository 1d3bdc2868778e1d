"""A whole tandem of twelve weeks through the real console, as people type it: the console's
clock is first moved to a Monday morning in May (no clock change in the twelve weeks), Ana and
Ben make their agreement (the agreement's console transcript), then ``/advance`` moves the
clock step by step through every week: two reminders and "did you meet?" (both type 1);
milestones in weeks 2 and 6 (one line "to the community's celebration channel", only once
both said yes); the bot asks both to reflect in weeks 4, 8 and 12, and the pair space shows
only what each shared; the completion with each one's chart (the file whose path is printed),
and both continue. The weeks are tests/support/twelve_weeks.py, the same on memory,
Discord and Matrix."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import Store
from store.tandems import TandemRecord
from tests.support.twelve_weeks import CELEBRATION, SPACE, TypedJourney, play_twelve_weeks
from tests.test_console import WITHIN, ConsoleProcess
from tests.test_console_agreement import agree_in_console
from tests.test_console_meetings import when_in
from tests.test_console_rounds import community

__all__ = ["community"]

_HEADER = re.compile(r"^── (.+) ──$")
_CLOCK = re.compile(r"^The clock now says (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\.$", re.MULTILINE)
#: Whom a printed message is for, by its header (in the reader's language).
_PLACES = (
    (re.compile(r"^(?:to|an) (\w+)$"), None),
    (re.compile(r"^(?:in pair space|im Tandem-Raum) "), SPACE),
    (re.compile(r"celebration channel|Feier-Kanal"), CELEBRATION),
)


def place_of(header: str) -> str:
    for pattern, place in _PLACES:
        found = pattern.search(header)
        if found:
            return place or found.group(1)
    return header


def printed_messages(output: str) -> list[tuple[str, str]]:
    """Each message the console printed, with whom it was for: a header line ("── to ana ──"),
    then its lines indented by two spaces; a message still being printed is left out."""
    messages: list[tuple[str, str]] = []
    place: str | None = None
    lines: list[str] = []

    def done() -> None:
        if place is not None:
            messages.append((place, "\n".join(lines).strip("\n")))

    for line in output.split("\n"):
        header = _HEADER.match(line)
        if header:
            done()
            place, lines = place_of(header.group(1)), []
        elif place is not None and (line.startswith("  ") or not line):
            lines.append(line[2:])
        else:
            done()
            place = None
    if not output.endswith("\n\n"):
        place = None
    done()
    return messages


class ConsoleJourney(TypedJourney):
    """Ana and Ben at one terminal: ``/as`` switches who types; ``/advance`` moves the clock."""

    patience = WITHIN

    def __init__(self, console: ConsoleProcess, workdir: Path) -> None:
        """Keeps what the console's own expectations read (the agreement made with them)."""
        super().__init__()
        self.console, self.output, self.speaker = console, "", "ben"
        self.workdir = workdir
        self.store: Store | None = None
        expect, expect_all = console.expect, console.expect_all

        async def keeping(text: str, within: float = WITHIN) -> str:
            seen = await expect(text, within)
            self.output += seen
            return seen

        async def keeping_all(*texts: str, within: float = WITHIN) -> str:
            seen = await expect_all(*texts, within=within)
            self.output += seen
            return seen

        console.expect, console.expect_all = keeping, keeping_all  # type: ignore[method-assign]

    async def read_more(self, within: float = 0.5) -> None:
        self.output, self.console.output = self.output + self.console.output, ""
        stdout = self.console.process.stdout
        assert stdout is not None
        try:
            chunk = await asyncio.wait_for(stdout.read(4096), within)
        except TimeoutError:
            return
        assert chunk, f"the console ended; output:\n{self.output[-2000:]}"
        self.output += chunk.decode()

    async def printed(self, pattern: re.Pattern[str], count: int) -> list[str]:
        """Every match of ``pattern``, once there are more than ``count``."""
        async with asyncio.timeout(self.patience):
            while len(found := pattern.findall(self.output)) <= count:
                await self.read_more()
        return found

    async def advance(self, delta: timedelta) -> None:
        minutes = math.ceil(delta.total_seconds() / 60)
        clocks = len(_CLOCK.findall(self.output))
        await self.console.type(f"/advance {minutes}m")
        await self.printed(_CLOCK, clocks)

    async def now(self) -> datetime:
        """The console's clock (moved on by a minute to read it)."""
        clocks = len(_CLOCK.findall(self.output))
        await self.console.type("/advance 1m")
        said = (await self.printed(_CLOCK, clocks))[-1]
        return datetime.strptime(said, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)

    async def next_meeting(self) -> datetime:
        """As Ben's ``meeting`` menu names it (in his zone, Berlin)."""
        await self.type("ben", "/meeting")
        menu = (await self.sees("ben", "📅 Your next meeting with Ana"))[-1]
        await self.type("ben", "4")
        await self.sees("ben", "All right, everything stays as it is.")
        return when_in(menu)

    async def tandem(self) -> tuple[Store, TandemRecord]:
        """The console's database, read beside it (SQLite lets a reader in)."""
        if self.store is None:
            self.store = await Store.open(f"sqlite+aiosqlite:///{self.workdir / 'tandem.db'}")
        record = await self.store.members.find("console", "console", "ana")
        assert record is not None
        current = await self.store.tandems.current_for(record.id)
        assert current is not None
        return self.store, current

    async def chart(self, member: str) -> bytes:
        """The file whose path the console printed with the chart's caption."""
        (said,) = [t for t in await self.texts(member) if "tandem-progress.png" in t]
        return (self.workdir / said.split("(file saved to ")[1].split(")")[0]).read_bytes()

    async def texts(self, place: str) -> list[str]:
        return [text for whom, text in printed_messages(self.output) if whom == place]

    async def wait(self, place: str) -> None:
        await self.read_more()

    def command(self, name: str) -> str:
        return f"/{name}"

    async def speak_as(self, member: str) -> None:
        """``/as``, then ``/who``: once its answer is printed, so is everything the bot said to
        the member on their return (a greeting, their open question again)."""
        if member == self.speaker:
            return
        listed = self.output.count("Members in this console")
        await self.console.type(f"/as {member.title()}")
        await self.console.type("/who")
        async with asyncio.timeout(self.patience):
            while self.output.count("Members in this console") <= listed:
                await self.read_more()
        self.speaker = member

    async def type(self, member: str, text: str) -> None:
        await self.speak_as(member)
        await self.console.type(text)


def a_monday_in_may() -> datetime:
    """10:00 in Berlin on the first Monday of May next year: twelve weeks without a clock
    change follow, and the console's clock (the wall clock moved on) can get there."""
    first = datetime(datetime.now(UTC).year + 1, 5, 1, 8, 0, tzinfo=UTC)
    return first + timedelta(days=(7 - first.weekday()) % 7)


async def test_a_whole_twelve_week_tandem_in_the_console(
    community: ConsoleProcess, tmp_path: Path
) -> None:
    console = community
    minutes = (a_monday_in_may() - datetime.now(UTC)).total_seconds() // 60
    await console.type(f"/advance {int(minutes)}m")
    journey = ConsoleJourney(console, tmp_path)
    await agree_in_console(console)
    try:
        await play_twelve_weeks(journey)
    finally:
        if journey.store is not None:
            await journey.store.close()
    await console.type("/quit")
    assert await console.finish() == 0
