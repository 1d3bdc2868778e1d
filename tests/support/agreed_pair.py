"""Ana and Ben in a tandem whose agreement both confirmed, on the memory adapter, the way the
journey makes one (each answers their part privately, both confirm)."""

from __future__ import annotations

from bot.app import App
from tests.support.tandem_pair import Pair, pair_in_a_tandem

#: Ana keeps her profile's two goals; each gets milestones.
ANA_MILESTONES = ("Folien entwerfen (Woche 2)\nProbevortrag vor Ben", "Jeden Montag planen")


async def agreed_pair(app: App) -> Pair:
    pair = await pair_in_a_tandem(app)
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
