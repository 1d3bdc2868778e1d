"""The real console adapter, driven through its standard input and output as a person would,
in a separate process that can be killed and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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

    async def expect(self, text: str, within: float = 10.0) -> str:
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

    async def answer(self, line: str, then: str) -> str:
        await self.type(line)
        return await self.expect(then)

    async def finish(self, within: float = 10.0) -> int:
        async with asyncio.timeout(within):
            return await self.process.wait()


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleProcess]:
    process = await ConsoleProcess.start(tmp_path)
    yield process
    if process.process.returncode is None:
        process.process.kill()
        await process.process.wait()


async def test_a_member_joins_through_the_console(console: ConsoleProcess) -> None:
    await console.expect("Tandem console. You are speaking as alex.")
    await console.type("/join")
    await console.expect("── to alex ──")
    await console.expect("Which language should I use with you?\n\n  1. Deutsch\n  2. English")
    await console.answer("2", "What should I call you?")
    await console.answer("Alex", "In one sentence: what would you like to learn")
    await console.answer("Time management", "Which days usually work for a meeting?")
    summary = await console.answer("1 3", "Shall I save it?")
    assert "• Days: Monday, Wednesday" in summary
    await console.answer("1", "Thank you, Alex! You're in.")
    await console.type("/quit")
    assert await console.finish() == 0


async def test_killing_the_console_mid_conversation_resumes_at_the_same_step(
    tmp_path: Path, console: ConsoleProcess
) -> None:
    await console.type("/join")
    await console.answer("Deutsch", "Wie darf ich dich nennen?")
    await console.answer("Robin", "In einem Satz: Was möchtest du lernen")
    console.process.send_signal(signal.SIGKILL)
    await console.finish()

    again = await ConsoleProcess.start(tmp_path)
    try:
        await again.expect("Schön, dass du wieder da bist!")
        await again.expect("In einem Satz: Was möchtest du lernen oder besser können?")
        await again.answer("Besser präsentieren", "An welchen Tagen passt dir ein Treffen")
        summary = await again.answer("Freitag", "Soll ich das so speichern?")
        assert "• Name: Robin" in summary
        assert "• Tage: Freitag" in summary
        await again.answer("speichern", "Danke, Robin! Du bist dabei.")
    finally:
        again.process.kill()
        await again.process.wait()


async def test_switching_members_and_moving_the_clock(console: ConsoleProcess) -> None:
    await console.type("/join")
    await console.expect("Which language")
    await console.answer("/as Sam", "You are now speaking as sam.")
    await console.answer("/join", "── to sam ──")
    await console.answer("/who", "Members in this console: alex, sam")
    await console.answer("/advance 8d", "The clock now says")
    await console.answer("/as alex", "You are now speaking as alex.")
    await console.answer("1", "This conversation has expired. Start again any time with /join.")
    await console.answer("/advance soon", "Usage: /advance 30m, 2h, 3d or 1w.")


async def test_sigterm_stops_the_console_cleanly(console: ConsoleProcess) -> None:
    await console.expect("Tandem console.")
    console.process.send_signal(signal.SIGTERM)
    assert await console.finish() == 0
