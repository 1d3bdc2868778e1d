"""The organizers' view (``admin stats``) on the memory adapter: after a small journey (Ana and
Ben agreed on their tandem, Ana reached a milestone, Ben reflected) the organizer gets the
counts as text and a PNG chart of 800×450 pixels; no reflection or milestone text is in
either; a member is refused. A bot that only starts and onboards never loads matplotlib."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from datetime import timedelta

from bot.clock import FakeClock
from bot.intents import AttachFile
from tests.conftest import AppFactory
from tests.support.agreed_pair import agreed_pair
from tests.support.quiet import STEP
from tests.support.tandem_pair import Pair

PRIVATE = ("Getting there slowly", "Ana's calm questions", "Folien entwerfen")


def png_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first, right after the signature)."""
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert content[12:16] == b"IHDR"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


async def let_days_pass(pair: Pair, clock: FakeClock, days: int, *, check_in: bool) -> None:
    """Two hours at a time while each partner asked whether they met says yes (and lets a
    congratulation pass, which would keep the check-in waiting); with nobody answering, half a
    day at a time, as the quiet-pair tests let time pass (tests/support/quiet.py)."""
    step = timedelta(hours=2) if check_in else STEP
    for _ in range(days * timedelta(days=1) // step):
        clock.advance(step)
        await pair.app.run_due()
        for member in (pair.ana, pair.ben) if check_in else ():
            record = await pair.record(member)
            active = await pair.app.store.conversations.active_for(record.id)
            if active is not None and active.flow_id == "meeting":
                await pair.memory.pick(member, "met")
            elif active is not None and active.flow_id == "milestone":
                await pair.memory.pick(member, "skip")


async def test_the_organizer_sees_counts_and_a_chart_but_nothing_anyone_wrote(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    pair = await agreed_pair(app)
    memory, ana, ben, olga = pair.memory, pair.ana, pair.ben, pair.olga

    await memory.command(ana, "milestone")
    await memory.pick(ana, "g0_m0")  # "Folien entwerfen"
    await memory.pick(ana, "no")  # no shout-outs
    await memory.command(ben, "reflect")
    await memory.pick(ben, "3")
    await memory.say(ben, PRIVATE[0])
    await memory.say(ben, PRIVATE[1])  # what helped
    for text in ("-", "-", "-"):  # change, focus, no milestone
        await memory.say(ben, text)
    await memory.pick(ben, "progress", "notes", "helped")
    await app.run_due()

    refused = await memory.admin(ben, "stats", locale="en")
    assert [r.text for r in refused] == [
        'Only organizers can use "/tandem-admin stats". If you think you should be one, ask an '
        "organizer of your community."
    ]

    said = await memory.admin(olga, "stats", locale="en")
    text, chart = said[0].text, said[1].intent
    assert text.startswith("📊 Your community in figures (counts only")
    assert "Members (2 in all):\n" in text
    assert "• in a tandem: 2\n" in text
    assert "Tandems:\n• active: 1\n• paused: 0\n" in text
    assert "Reflections answered: 1 (1 in the last 12 weeks)" in text
    assert "Milestones reached: 1 (1 in the last 12 weeks)" in text
    week = clock.now() - timedelta(weeks=1)  # the last window: the seven days up to now
    assert text.endswith(
        f"Week by week:\n• week from {week:%b} {week.day}: meetings 0, reflections 1, milestones 1"
    )
    assert isinstance(chart, AttachFile)
    assert (chart.filename, chart.mime_type) == ("tandem-stats.png", "image/png")
    assert chart.target == said[0].place
    assert png_size(chart.content) == (800, 450)
    assert said[1].text == "📈 The last 12 weeks as a chart. [tandem-stats.png]"
    for private in PRIVATE:
        assert private not in text
        assert private.encode() not in chart.content

    assert "Meetings held: 0 (0 in the last 12 weeks)" in text
    assert "• active: 1\n" in text
    assert "Quiet pairs: 0 (active, but no meeting check-in" in text

    # A week on, both say they met; four weeks later, with nothing answered, the pair is quiet.
    await let_days_pass(pair, clock, 7, check_in=True)
    text = (await memory.admin(olga, "stats", locale="en"))[0].text
    assert "Meetings held: 1 (1 in the last 12 weeks)" in text
    assert "Quiet pairs: 0" in text
    await let_days_pass(pair, clock, 28, check_in=False)
    text = (await memory.admin(olga, "stats", locale="en"))[0].text
    assert "Quiet pairs: 1 (active, but no meeting check-in" in text
    assert "• active: 1\n" in text

    german = await memory.admin(olga, "stats", locale="de")
    assert german[0].text.startswith("📊 Deine Community in Zahlen")
    assert "Beantwortete Reflexionen: 1 (1 in den letzten 12 Wochen)" in german[0].text
    assert "• Woche ab " in german[0].text


def test_starting_and_joining_never_load_matplotlib(tmp_path: object) -> None:
    """matplotlib weighs tens of megabytes: only a chart drawn (``admin stats``, the end of a
    program) loads it (bench.flows' peak memory stays under its limit)."""
    script = textwrap.dedent(
        f"""
        import asyncio, json, sys
        from bot.app import App
        from bot.clock import FakeClock
        from tests.conftest import memory_of, settings_for
        from tests.support.onboarding import TRANSCRIPT, play_on_memory

        async def main():
            url = "sqlite+aiosqlite:///{tmp_path}/tandem.db"
            app = App(settings_for(url), clock=FakeClock(), adapter_names=["memory"],
                      run_scheduler=False)
            await app.start()
            memory = memory_of(app)
            ana = memory.member("ana")
            await memory.command(ana, "join")
            await play_on_memory(memory, ana, TRANSCRIPT, typed=False)
            member = await app.store.members.find("memory", "memory", "ana")
            await app.stop()
            charts = [name in sys.modules for name in ("flows.stats_chart", "flows.program_chart")]
            print(json.dumps([member.status, charts, "matplotlib" in sys.modules]))

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=50
    )
    # Both charts' modules are loaded (the journey imports them), matplotlib is not.
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["waiting", [True, True], False]
