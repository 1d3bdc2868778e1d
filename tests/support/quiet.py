"""Helpers of the quiet-pair tests on the memory adapter: time passes a few hours at a time
(so every reminder, check-in and watch runs when it falls due), the check-ins answered or not."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import FakeClock
from tests.support.tandem_pair import Pair

#: The question is open for a week: half a day at a time is enough while nobody answers.
STEP = timedelta(hours=12)


async def live_until(pair: Pair, clock: FakeClock, when: datetime, *, check_in: bool) -> None:
    """Let time pass until ``when``; with ``check_in`` both say "we met" whenever asked."""
    while clock.now() < when:
        clock.advance(min(timedelta(hours=3) if check_in else STEP, when - clock.now()))
        await pair.app.run_due()
        if not check_in:
            continue
        for member in (pair.ana, pair.ben):
            record = await pair.record(member)
            active = await pair.app.store.conversations.active_for(record.id)
            if active is not None and active.flow_id == "meeting":
                await pair.memory.pick(member, "met")


async def until_asked(pair: Pair, clock: FakeClock, limit: timedelta) -> None:
    """Let time pass until both are asked how to go on (``pause``'s first step)."""
    end = clock.now() + limit
    while clock.now() < end:
        asked = []
        for member in (pair.ana, pair.ben):
            record = await pair.record(member)
            active = await pair.app.store.conversations.active_for(record.id)
            asked.append(active is not None and active.flow_id == "pause")
        if all(asked):
            return
        clock.advance(timedelta(hours=3))
        await pair.app.run_due()
    raise AssertionError("the quiet pair was never asked")
