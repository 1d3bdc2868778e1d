"""A whole tandem of twelve weeks on the memory adapter, with a fake clock and the bot's own
schedule: Ana and Ben go on after their first call and make their agreement; every week two
reminders and "did you meet?" (both met); milestones in weeks 2 and 6 (a shout-out only once
both said yes); the bot asks both to reflect in weeks 4, 8 and 12 and each shares what they
choose; the completion with each one's chart (the PNG recorded), and both continue. The
weeks are tests/support/twelve_weeks.py, the same on the console, Discord and Matrix."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.intents import Ask
from bot.places import MemberRef, PlaceKind
from store import Store
from store.tandems import TandemRecord
from tests.conftest import AppFactory
from tests.support.agreed_pair import agreed_pair
from tests.support.tandem_pair import Pair
from tests.support.twelve_weeks import CELEBRATION, SPACE, Journey, Reflection, play_twelve_weeks


class MemoryJourney(Journey):
    """Ana and Ben on the memory adapter: they click option ids and fill in forms."""

    def __init__(self, pair: Pair, clock: FakeClock) -> None:
        super().__init__()
        self.pair, self.clock = pair, clock
        self.app: App = pair.app
        self.memory: MemoryAdapter = pair.memory

    def who(self, member: str) -> MemberRef:
        return {"ana": self.pair.ana, "ben": self.pair.ben}[member]

    async def now(self) -> datetime:
        return self.clock.now()

    async def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.app.run_due()

    async def tandem(self) -> tuple[Store, TandemRecord]:
        return self.app.store, await self.pair.tandem()

    async def texts(self, place: str) -> list[str]:
        sent = self.memory.sent
        if place == SPACE:
            return [r.text for r in sent if r.place.kind == PlaceKind.PAIR_SPACE]
        if place == CELEBRATION:
            return [r.text for r in sent if r.place.kind == PlaceKind.CELEBRATION]
        return self.memory.texts(self.who(place))

    async def wait(self, place: str) -> None:
        """Never called: what the bot sends is there once it returned (no patience needed)."""

    def asked(self, member: str) -> Ask:
        return self.memory.last_ask(self.who(member))

    async def check_in(self, member: str) -> None:
        assert self.asked(member).question.id == "meetings.ask_check_in"
        await self.memory.pick(self.who(member), "met")

    async def mark_milestone(self, member: str) -> None:
        await self.memory.command(self.who(member), "milestone")
        first = self.asked(member).options[0].id
        assert first.startswith("g0_m"), first
        await self.memory.pick(self.who(member), first)
        assert self.asked(member).question.id == "milestone.ask_shoutout"
        await self.memory.pick(self.who(member), "yes")

    async def congratulate(self, member: str) -> None:
        assert self.asked(member).question.id == "milestone.ask_congratulate"
        await self.memory.pick(self.who(member), "cheer")

    async def continue_together(self, member: str) -> None:
        assert self.asked(member).question.id == "program_end.ask"
        await self.memory.pick(self.who(member), "continue")

    async def chart(self, member: str) -> bytes:
        (chart,) = [
            f
            for f in self.memory.files
            if f.filename == "tandem-progress.png" and f.target.user_id == member
        ]
        return chart.content

    async def reflect(self, member: str, reflection: Reflection) -> None:
        ref = self.who(member)
        record = await self.pair.record(ref)
        for _ in range(20):
            active = await self.app.store.conversations.active_for(record.id)
            if active is None:
                return
            assert active.flow_id == "reflect", active.flow_id
            ask = self.asked(member)
            answer = reflection.answer(ask.question.id)
            if ask.kind == "text":
                await self.memory.submit(ref, str(answer))
            elif answer == ():
                await self.memory.say(ref, "-")  # no milestone reached
            else:
                await self.memory.pick(ref, *((answer,) if isinstance(answer, str) else answer))
        raise AssertionError("the reflection did not end")


async def test_a_whole_twelve_week_tandem_on_memory(make_app: AppFactory, clock: FakeClock) -> None:
    app = await make_app("memory")
    pair = await agreed_pair(app, asked=True)
    await play_twelve_weeks(MemoryJourney(pair, clock))
