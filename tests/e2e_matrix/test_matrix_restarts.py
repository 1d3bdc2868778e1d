"""The bot survives restarts, its own and the homeserver's, without losing or repeating a step.

The sync token and the crypto store persist: a restarted bot continues the conversation where
it was, answers a message sent while it was down exactly once, and never answers old messages
again. A homeserver restart in the middle of a long-poll is survived by the sync loop.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.intents import IntentBase
from tests.support.join_player import last_ask, message_ids, reaction_key, record_intents
from tests.support.synapse.bot import TandemBot, active_step, open_dm, send_reaction, settle
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


async def test_a_restarted_bot_continues_the_conversation_at_the_same_step(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    intents: list[IntentBase] = []
    record_intents(await tandem_bot.start(), intents)
    chat = await open_dm(alice, tandem_bot)
    await settle(tandem_bot, chat, await chat.say("!tandem join"), intents)
    await settle(tandem_bot, chat, await chat.say("English"), intents)
    second = last_ask(intents, 0)
    assert second is not None
    second_event = chat.bot_messages()[-1].event_id
    step_before = await active_step(tandem_bot, alice.user_id)
    assert step_before is not None
    seen_before = len(chat.bot_messages())

    record_intents(await tandem_bot.restart(), intents)
    # Nothing old is answered again after the restart.
    assert await chat.quiet_for(1.0) == []
    assert await active_step(tandem_bot, alice.user_id) == step_before

    # The question asked before the restart is still answerable, here by reaction.
    count = len(intents)
    reacted = await send_reaction(alice, chat.room_id, second_event, reaction_key(second, 1))
    await settle(tandem_bot, chat, reacted, intents)
    assert [kind for kind, _ in message_ids(intents[count:])][-1] == "ask"
    step_after = await active_step(tandem_bot, alice.user_id)
    assert step_after is not None
    assert step_after[1] == step_before[1] + 1
    assert len(chat.bot_messages()) > seen_before
    assert alice.undecrypted(chat.room_id) == []


async def test_a_message_sent_while_the_bot_is_down_is_answered_exactly_once(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    intents: list[IntentBase] = []
    record_intents(await tandem_bot.start(), intents)
    chat = await open_dm(alice, tandem_bot)
    await settle(tandem_bot, chat, await chat.say("!tandem join"), intents)
    step_before = await active_step(tandem_bot, alice.user_id)
    assert step_before is not None

    await tandem_bot.stop()
    answer = await chat.say("English")
    assert await chat.quiet_for(0.5) == []  # nobody home

    record_intents(await tandem_bot.start(), intents)
    count = len(intents)
    answered = await settle(tandem_bot, chat, answer, intents)
    # One answer to one message: the next question (with its lead-in, if the flow has one).
    replies = message_ids(intents[count:])
    assert [kind for kind, _ in replies].count("ask") == 1
    assert len(answered) == len(replies)
    step_after = await active_step(tandem_bot, alice.user_id)
    assert step_after is not None
    assert step_after[1] == step_before[1] + 1
    assert await chat.quiet_for(1.0) == []

    # And once more: a second restart does not answer it again.
    record_intents(await tandem_bot.restart(), intents)
    assert await chat.quiet_for(1.0) == []
    assert await active_step(tandem_bot, alice.user_id) == step_after


async def test_the_bot_survives_the_homeserver_restarting_mid_sync(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    app = await tandem_bot.start()
    chat = await open_dm(alice, tandem_bot)
    (first,) = await chat.exchange("!tandem help")
    await asyncio.sleep(0.3)  # the bot is now in a long-poll sync

    await asyncio.to_thread(synapse.restart)
    assert "matrix-sync" in app.tasks.running

    started = time.monotonic()
    await chat.say("!tandem help")
    (again,) = await chat.next(within=30)
    print(f"answer after the homeserver restart: {time.monotonic() - started:.2f} s")
    assert again.body == first.body
    assert await chat.quiet_for(0.5) == []
