"""The real console adapter, driven through its standard input and output as a person would,
in a separate process that can be killed and started again."""

from __future__ import annotations

import asyncio
import math
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from bot.messages import msg
from store import Store
from tests.support.onboarding import RESTART_AFTER, TRANSCRIPT, Turn

ROOT = Path(__file__).resolve().parents[1]
#: How long a console step may take before the test fails: generous, since a console process
#: starting (imports, migrations) on a busy two-core CI machine has been seen to take over 10 s;
#: only a failing test waits this long.
WITHIN = 30.0


class ConsoleProcess:
    """``python -m bot console`` with pipes; ``expect`` waits for text to appear."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""

    @classmethod
    async def start(cls, workdir: Path, *args: str) -> ConsoleProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        env["PYTHONPATH"] = str(ROOT)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "console",
            "--db",
            str(workdir / "tandem.db"),
            *args,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def expect(self, text: str, within: float = WITHIN) -> str:
        """Wait until ``text`` has appeared in the output since the last expectation."""
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while text not in self.output:
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"console ended before {text!r}; output:\n{self.output}")
                self.output += chunk.decode()
        seen, _, self.output = self.output.partition(text)
        return seen + text

    async def expect_all(self, *texts: str, within: float = WITHIN) -> str:
        """Wait until each of ``texts`` has appeared (a text given twice, twice), in any order,
        since the last expectation; everything up to the last of them is consumed."""
        assert self.process.stdout is not None
        wanted = {text: texts.count(text) for text in texts}
        async with asyncio.timeout(within):
            while any(self.output.count(text) < count for text, count in wanted.items()):
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"console ended before {wanted}; output:\n{self.output}")
                self.output += chunk.decode()
        end = max(_nth(self.output, text, count) + len(text) for text, count in wanted.items())
        seen, self.output = self.output[:end], self.output[end:]
        return seen

    async def answer(self, line: str, then: str) -> str:
        await self.type(line)
        return await self.expect(then)

    async def finish(self, within: float = WITHIN) -> int:
        async with asyncio.timeout(within):
            return await self.process.wait()

    async def kill(self) -> None:
        """Stop it if it still runs (a test's clean-up)."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def _nth(text: str, part: str, count: int) -> int:
    """Where the ``count``-th ``part`` starts in ``text``."""
    index = -1
    for _ in range(count):
        index = text.index(part, index + 1)
    return index


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    process = await ConsoleProcess.start(tmp_path)
    yield process
    await process.kill()


def opening(message_id: str, locale: str) -> str:
    """How a message begins on screen (up to its first placeholder, first line only)."""
    template = Translator().render(msg(message_id), locale)
    return template.split("{")[0].splitlines()[0][:60]


async def play(console: ConsoleProcess, turns: tuple[Turn, ...], first_locale: str = "de") -> None:
    for number, turn in enumerate(turns):
        await console.expect(opening(turn.asked, first_locale if number == 0 else "de"))
        await console.type(turn.as_typed)
        if turn.refused:
            await console.expect(opening(turn.refused, "de"))


async def test_the_onboarding_transcript_through_the_console_with_a_kill_in_the_middle(
    tmp_path: Path, console: ConsoleProcess
) -> None:
    await console.expect("Tandem console. You are speaking as alex.")
    await console.type("/join")
    await console.expect("── to alex ──")
    await play(console, TRANSCRIPT[:RESTART_AFTER], first_locale="en")
    await console.expect(opening(TRANSCRIPT[RESTART_AFTER].asked, "de"))
    console.process.send_signal(signal.SIGKILL)
    await console.finish()

    again = await ConsoleProcess.start(tmp_path)
    try:
        await again.expect("Schön, dass du wieder da bist!")
        await play(again, TRANSCRIPT[RESTART_AFTER:])
        await again.expect("Geschafft – dein Profil ist gespeichert!")
        await again.type("/profile")
        profile = await again.expect("Eine Antwort änderst du mit /edit")
        assert "• Zeitzone: Mitteleuropäische Zeit (Europe/Vienna)" in profile
        assert "• Wann ich Zeit habe: Montagabend, Donnerstagvormittag" in profile

        # A dated pause ends by itself once /advance moves the clock past it, in the morning.
        vienna = ZoneInfo("Europe/Vienna")
        pause_ends = datetime.now(vienna).date() + timedelta(days=3)
        await again.answer(f"/pause {pause_ends.isoformat()}", "Pausiert bis")
        noon_after = datetime.combine(pause_ends, time(12), tzinfo=vienna)
        hours = math.ceil((noon_after - datetime.now(UTC)) / timedelta(hours=1))
        await again.answer(f"/advance {hours}h", "Deine Pause ist vorbei")
        await again.type("/quit")
        assert await again.finish() == 0
    finally:
        await again.kill()


async def test_switching_members_and_moving_the_clock(console: ConsoleProcess) -> None:
    await console.type("/join")
    await console.expect("Which language")
    await console.answer("/as Sam", "You are now speaking as Sam.")
    await console.answer("/join", "── to sam ──")
    await console.answer("/who", "Members in this console: Sam, alex")
    await console.answer("/advance 3d", "The clock now says")
    await console.answer("/as alex", "You are now speaking as alex.")
    await console.expect("Which language")  # alex's conversation goes on after three days
    # A week of silence: /advance runs the purge of people who never finished joining.
    await console.answer("/advance 8d", "The clock now says")
    await console.answer("/as alex", "You are now speaking as alex.")
    started_over = await console.answer("/join", "Which language")
    assert "Welcome back" not in started_over
    await console.answer("/advance soon", "Usage: /advance 30m, 2h, 3d or 1w.")


async def test_sigterm_stops_the_console_cleanly(console: ConsoleProcess) -> None:
    await console.expect("Tandem console.")
    console.process.send_signal(signal.SIGTERM)
    assert await console.finish() == 0


async def test_a_one_megabyte_line_is_refused_with_a_note_and_the_console_goes_on(
    console: ConsoleProcess,
) -> None:
    await console.type("/join")
    await console.expect("Which language")
    await console.type("x" * 1_000_000)
    await console.expect(
        "That line was 1000000 characters long, more than I can read at once (16000)."
    )
    # The same question is still waiting, and is answered now.
    await console.answer("2", "Before I note anything down")
    await console.type("/quit")
    assert await console.finish() == 0


async def test_a_line_longer_than_the_question_allows_is_answered_with_its_limit(
    console: ConsoleProcess,
) -> None:
    await console.type("/join")
    await console.answer("2", "Before I note anything down")
    await console.answer("1", "Let's start with your strengths")
    await console.answer("1", "Anything you'd like to add")  # free text, 300 characters at most
    await console.answer("y" * 5000, "That's 5000 characters; please keep it to 300 at most.")
    await console.type("/quit")
    assert await console.finish() == 0


async def test_organizer_commands_need_a_name_in_console_organizers(tmp_path: Path) -> None:
    # The console reads ./tandem.toml of its working directory.
    (tmp_path / "tandem.toml").write_text('[console]\norganizers = ["Olga"]\n')
    console = await ConsoleProcess.start(tmp_path)
    try:
        await console.expect("Tandem console. You are speaking as alex.")
        await console.type("/admin status")
        refused = await console.expect("ask an organizer of your community.")
        assert 'Only organizers can use "/admin status".' in refused
        await console.answer("/help", "• /join — ")
        help_text = await console.expect("• /back — ")
        assert "/admin" not in help_text
        await console.type("/join")
        await console.expect("Which language")

        await console.answer("/as Olga", "You are now speaking as Olga.")
        await console.type("/admin status")
        counts = await console.expect("• left the program: 0")
        assert "Members of this community by status (1 in all):" in counts
        assert "• not joined yet: 1" in counts
        await console.answer("/help", "• /admin status — How many members are in each status")
        await console.type("/quit")
        assert await console.finish() == 0
    finally:
        await console.kill()


async def test_exports_are_private_to_each_member_and_forget_deletes_them(
    tmp_path: Path, console: ConsoleProcess
) -> None:
    exports = tmp_path / ".tandem" / "console-files"
    for name in ("alex", "sam"):
        await console.answer(f"/as {name}", f"You are now speaking as {name}.")
        await console.answer("/join", "Which language")
        await console.type("/mydata")
        await console.expect("tandem-my-data.md")
    alex, sam = exports / "member-alex", exports / "member-sam"
    for folder in (tmp_path / ".tandem", exports, alex, sam):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert sorted(p.name for p in alex.iterdir()) == ["tandem-my-data.json", "tandem-my-data.md"]
    for file in (*alex.iterdir(), *sam.iterdir()):
        assert file.stat().st_mode & 0o777 == 0o600, file
    assert b'"alex"' in (alex / "tandem-my-data.json").read_bytes()
    assert b'"alex"' not in (sam / "tandem-my-data.json").read_bytes()

    await console.answer("/as alex", "You are now speaking as alex.")
    await console.answer("/forget", "delete all your data for good")
    await console.answer("1", "Done. I've deleted everything")
    await console.type("/who")
    await console.expect("Members in this console")
    assert not alex.exists()
    assert sorted(p.name for p in sam.iterdir()) == ["tandem-my-data.json", "tandem-my-data.md"]


async def test_advance_refuses_to_move_time_on_a_real_communitys_database(tmp_path: Path) -> None:
    """Someone who tries the console on the community's database (a tandem.toml in the folder)
    cannot run its purges early by moving the clock."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")
    now = datetime.now(UTC)
    member = await store.members.ensure("discord", "discord", "4711", now=now)
    await store.members.update(member.id, now=now, status="left", left_at=now)
    await store.close()
    console = await ConsoleProcess.start(tmp_path)
    try:
        await console.expect("Tandem console.")
        await console.answer("/advance 60d", "/advance works only on a console database")
        await console.type("/quit")
        assert await console.finish() == 0
    finally:
        if console.process.returncode is None:
            console.process.kill()
            await console.process.wait()
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")
    try:
        assert await store.members.find("discord", "discord", "4711") is not None
    finally:
        await store.close()


async def test_the_clock_never_runs_back_and_the_last_speaker_is_remembered(
    tmp_path: Path,
) -> None:
    first = await ConsoleProcess.start(tmp_path)
    try:
        await first.expect("Tandem console. You are speaking as alex.")
        await first.answer("/as Sam", "You are now speaking as Sam.")
        await first.type("/advance 30d")
        moved = await first.expect(" UTC")
        await first.type("/quit")
        assert await first.finish() == 0
    finally:
        await first.kill()
    again = await ConsoleProcess.start(tmp_path)
    try:
        await again.expect("Tandem console. You are speaking as Sam.")
        await again.type("/advance 1m")
        later = await again.expect(" UTC")
        assert clock_said(later) > clock_said(moved)
        await again.type("/quit")
        assert await again.finish() == 0
    finally:
        await again.kill()


def clock_said(output: str) -> datetime:
    found = re.search(r"The clock now says (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", output)
    assert found is not None, output
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
