"""Ana and Ben in a tandem whose agreement both confirmed, on the memory adapter, the way the
journey makes one (each answers their part privately, both confirm)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.places import MemberRef
from tests.support.tandem_pair import Pair, pair_in_a_tandem

#: Ana keeps her profile's two goals; each gets milestones.
ANA_MILESTONES = ("Folien entwerfen (Woche 2)\nProbevortrag vor Ben", "Jeden Montag planen")


async def agreed_pair(app: App, *, asked: bool = False) -> Pair:
    """``asked``: the pair went on when the bot asked after their first call (three days
    after the introduction), as the journey goes when nobody hurries."""
    pair = await pair_in_a_tandem(app, asked=asked)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    await memory.pick(ana, "keep")
    for milestones in ANA_MILESTONES:
        await memory.submit(ana, milestones)
    await memory.pick(ana, memory.last_ask(ana).options[0].id)
    for answer in ("60", "video", "accept"):
        await memory.pick(ana, answer)
    await memory.pick(ben, "write")
    await memory.submit(ben, "Speak freely at meetups")
    await memory.submit(ben, "Give a five-minute talk (week 6)\nAsk one question at a meetup")
    await memory.pick(ben, memory.last_ask(ben).options[0].id)
    for answer in ("60", "video", "accept"):
        await memory.pick(ben, answer)
    await app.run_due()
    for member in (ana, ben):
        await memory.pick(member, "confirm")
    await app.run_due()
    return pair


async def until_asked_to_reflect(pair: Pair, clock: FakeClock, *members: MemberRef) -> None:
    """Let time pass until each member's running conversation is the reflection."""
    await until_asked(pair, clock, "reflect", *members)


async def until_asked(pair: Pair, clock: FakeClock, flow_id: str, *members: MemberRef) -> None:
    """Let time pass an hour at a time until each member's running conversation is
    ``flow_id``: meeting check-ins asked meanwhile are answered ("we met") and a partner's
    milestone is let pass, since the bot never interrupts one conversation with another."""
    store = pair.app.store
    for _ in range(48):
        waiting = []
        for member in members:
            record = await pair.record(member)
            active = await store.conversations.active_for(record.id)
            if active is not None and active.flow_id == flow_id:
                continue
            waiting.append(member)
            if active is not None and active.flow_id == "meeting":
                await pair.memory.pick(member, "met")
            elif active is not None and active.flow_id == "milestone":
                await pair.memory.pick(member, "skip")
        if not waiting:
            return
        clock.advance(timedelta(minutes=61))
        await pair.app.run_due()
    raise AssertionError(f"{flow_id} was never asked")
