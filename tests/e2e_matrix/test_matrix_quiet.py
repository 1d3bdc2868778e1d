"""A quiet pair through a real Synapse, with a fake clock: Ana and Ben make their agreement (the
agreement's Matrix transcript), meet once and say so, then answer nothing more. Three weeks
later both get the kind nudge in their DM; a week later both are asked how to go on, and Ben
answers with a number: they keep going. The same on memory, the console and Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e_matrix.test_matrix_agreement_transcript import AgreedPair, make_agreement
from tests.e2e_matrix.test_matrix_meetings import at
from tests.e2e_matrix.test_matrix_round_transcript import until_said
from tests.support.synapse.bot import Conversation, TandemBot
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(400)]

MONDAY = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)  # 19:00 in Berlin and Vienna
#: One reflection only, at the end: an unanswered one would hold the question back.
PROGRAM = {"length_weeks": 12, "reflection_every_weeks": 12}


async def half_days_until(pair: AgreedPair, until: datetime) -> None:
    while pair.clock.now() < until:
        await at(pair, min(pair.clock.now() + timedelta(hours=12), until))


async def read_until(chat: Conversation, beginning: str, most: int = 40) -> list[str]:
    """The bot's messages up to the one that begins with ``beginning`` (reminders and
    check-ins come before it)."""
    bodies = []
    for _ in range(most):
        (message,) = await chat.next()
        bodies.append(message.body)
        if message.body.startswith(beginning):
            return bodies
    raise AssertionError(f"the bot never said {beginning!r}")


async def test_a_quiet_pair_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    tandem_bot.program = PROGRAM
    pair = await make_agreement(tandem_bot, matrix_user_factory)
    ana_chat, ben_chat = pair.chats["ana"], pair.chats["ben"]
    await at(pair, MONDAY + timedelta(hours=1))
    await read_until(ana_chat, "👋 Hat euer Treffen mit Ben stattgefunden")
    await read_until(ben_chat, "👋 Did your meeting with Ana happen")
    await until_said(ana_chat, "1", "🎉 Danke! Treffen in Folge: 1.")
    await until_said(ben_chat, "1", "🎉 Thanks! Meetings held in a row: 1.")

    # Nothing more: three weeks later, the nudge to both.
    await half_days_until(pair, MONDAY + timedelta(weeks=3, days=1))
    said = await read_until(ben_chat, "🌿 It's been a while since you and Ana checked in.")
    assert said[-1].endswith("Or simply pick up again at your next meeting.")
    assert "• A break for a while: !tandem pause" in said[-1]
    await read_until(ana_chat, "🌿 Von dir und Ben habe ich schon eine Weile nichts gehört.")

    # A week later (once the open check-in has run out), the question; Ben keeps going.
    await half_days_until(pair, MONDAY + timedelta(weeks=4, days=4))
    said = await read_until(ben_chat, "👋 It's been quiet between you and Ana")
    assert not any(body.startswith("🌿") for body in said)  # the nudge came once
    assert "Keep going" in said[-1]
    await until_said(ben_chat, "1", "🌱 Lovely – keep going!")
