"""A whole tandem of twelve weeks through a real Synapse, with a fake clock and the bot's own
schedule: Ana and Ben make their agreement by typing in their encrypted DMs (the agreement's
Matrix transcript: Mondays 19:00 Berlin time); every week two reminders and "did you meet?"
answered with a number (both met); milestones in weeks 2 and 6, celebrated in their encrypted
pair room (the community room gets one shout-out, only once both said yes); the bot asks both
to reflect in weeks 4, 8 and 12, typed question by question, and the pair room shows only what
each shared; the completion's summary in the room, each one's chart an encrypted m.image in
their DM (downloaded and decoded), and both continue. The weeks are
tests/support/twelve_weeks.py, the same on memory, the console and Discord."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from store import Store
from store.tandems import TandemRecord
from tests.e2e_matrix.test_matrix_agreement_transcript import AgreedPair, make_agreement
from tests.support.synapse.bot import Conversation, TandemBot, downloaded_file
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.support.twelve_weeks import CELEBRATION, SPACE, TypedJourney, play_twelve_weeks

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(400)]


class MatrixJourney(TypedJourney):
    """Ana and Ben in Element, say: they type in their DMs and read the pair room (Ana's view)
    and the community room."""

    patience = 20.0  # only a failing test waits this long

    def __init__(self, pair: AgreedPair, prefix: str) -> None:
        super().__init__()
        self.pair, self.prefix = pair, prefix
        ana = pair.chats["ana"].member
        self.places: dict[str, Conversation] = {
            **pair.chats,
            SPACE: pair.room,
            CELEBRATION: Conversation(ana, pair.community, pair.room.bot_user_id),
        }

    async def now(self) -> datetime:
        return self.pair.clock.now()

    async def advance(self, delta: timedelta) -> None:
        self.pair.clock.advance(delta)
        await self.pair.app.run_due()

    async def tandem(self) -> tuple[Store, TandemRecord]:
        store = self.pair.app.store
        ana = self.pair.chats["ana"].member.user_id
        record = await store.members.find("test-community", "matrix", ana)
        assert record is not None
        current = await store.tandems.current_for(record.id)
        assert current is not None
        return store, current

    async def texts(self, place: str) -> list[str]:
        return [m.body for m in self.places[place].bot_messages()]

    async def wait(self, place: str) -> None:
        await self.places[place].member.sync(timeout_ms=500)  # returns as soon as events come

    async def chart(self, member: str) -> bytes:
        chat = self.places[member]
        return await downloaded_file(chat.member, chat.room_id, "m.image", "tandem-progress.png")

    def command(self, name: str) -> str:
        return f"{self.prefix} {name}"

    async def type(self, member: str, text: str) -> None:
        await self.places[member].say(text)


async def test_a_whole_twelve_week_tandem_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    pair = await make_agreement(tandem_bot, matrix_user_factory, celebrate=True)
    await play_twelve_weeks(MatrixJourney(pair, tandem_bot.prefix))
