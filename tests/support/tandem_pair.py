"""Two members in a tandem on the memory adapter, the way the journey makes one: Ana and Ben join,
the organizer Olga previews and runs a match round, both are introduced in a pair space and
(unless asked otherwise) both say "let's do it" after the first call, with ``decide``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.intents import Say
from bot.places import MemberRef
from store.members import MemberRecord
from store.tandems import TandemRecord
from tests.support.rounds import ANA, BEN, onboard_all


@dataclass
class Pair:
    app: App
    memory: MemoryAdapter
    ana: MemberRef
    ben: MemberRef
    olga: MemberRef
    space: str

    async def record(self, who: MemberRef) -> MemberRecord:
        member = await self.app.store.members.find("memory", "memory", who.user_id)
        assert member is not None
        return member

    async def tandem(self) -> TandemRecord:
        ana = await self.record(self.ana)
        tandem = await self.app.store.tandems.latest_for(ana.id)
        assert tandem is not None
        return tandem

    def said_to(self, who: MemberRef, since: int = 0) -> list[str]:
        """Message ids of what the bot said to ``who`` (in their DM) after ``since`` messages."""
        return [
            r.intent.text.id for r in self.memory.received(who)[since:] if isinstance(r.intent, Say)
        ]


async def pair_in_a_tandem(app: App, *, active: bool = True, asked: bool = False) -> Pair:
    """``asked``: they go on when the bot asks them after the call (the clock is moved on to
    the first-call question), not right after it with ``decide``."""
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    memory.organizers = {"olga"}
    people = await onboard_all(memory, {"ana": ANA, "ben": BEN})
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    (space,) = memory.world.spaces
    ana, ben = people["ana"], people["ben"]
    if active and asked:
        app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
        await app.run_due()
        for member in (ana, ben):
            assert memory.last_ask(member).question.id.startswith("first_call.")
            await memory.pick(member, "yes")
        await app.run_due()
    elif active:
        # Both answer right after their call, before the bot asks (``decide``).
        for member in (ana, ben):
            await memory.command(member, "decide")
            await memory.pick(member, "yes")
        await app.run_due()
    return Pair(app, memory, ana, ben, olga, space)
