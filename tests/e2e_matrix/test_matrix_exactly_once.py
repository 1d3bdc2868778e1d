"""Exactly once on a real Synapse: a member's message redelivered after a crash never answers
the next question, and an answered question is edited in place to show how it was answered.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime

import pytest

from bot.intents import Ask, IntentBase
from store import Store
from tests.support.join_player import record_intents
from tests.support.synapse.bot import Conversation, TandemBot, active_step, open_dm, settle
from tests.support.synapse.fixtures import MatrixTestUser, MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]

COMMUNITY = "test-community"  # as TandemBot configures it


async def _joining(
    bot: TandemBot, matrix_user_factory: MatrixUserFactory, intents: list[IntentBase]
) -> tuple[MatrixTestUser, Conversation]:
    """Alice, in her encrypted DM with the started bot, just asked to join."""
    alice = await matrix_user_factory("alice")
    record_intents(await bot.start(), intents)
    chat = await open_dm(alice, bot)
    await settle(bot, chat, await chat.say("!tandem join"), intents)
    return alice, chat


async def test_a_message_redelivered_after_a_crash_does_not_answer_the_next_question(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    intents: list[IntentBase] = []
    alice, chat = await _joining(tandem_bot, matrix_user_factory, intents)
    synced_before = await tandem_bot.adapter.records.sync_token()
    assert synced_before is not None
    # "1" picks the first language; given to the next question it would be consent.
    answer = await chat.say("1")
    await settle(tandem_bot, chat, answer, intents)
    consent = intents[-1]
    assert isinstance(consent, Ask)
    assert consent.question.id == "join.privacy_notice"
    step = await active_step(tandem_bot, alice.user_id)
    database = tandem_bot.settings_overrides()["database"]["url"]
    await tandem_bot.stop()

    # A crash after the step was committed but before the adapter noted the event and the
    # sync batch as handled: both of the adapter's own records are as they were before.
    store = await Store.open(database)
    try:
        handled = await store.adapter_state.get(COMMUNITY, "matrix", "handled")
        assert answer in handled
        now = datetime.now(UTC)
        await store.adapter_state.put(
            COMMUNITY, "matrix", "handled", [e for e in handled if e != answer], now=now
        )
        await store.adapter_state.put(
            COMMUNITY, "matrix", "sync", {"next_batch": synced_before}, now=now
        )
    finally:
        await store.close()

    record_intents(await tandem_bot.start(), intents)
    count = len(intents)
    seen = await settle(tandem_bot, chat, answer, intents)  # Synapse delivers "1" again

    assert await active_step(tandem_bot, alice.user_id) == step
    assert await tandem_bot.app.store.dump_table("consents") == []  # type: ignore[union-attr]
    # The member is asked the open question once more, and nothing else happens.
    again = intents[count:]
    assert [i.prompt_id for i in again if isinstance(i, Ask)] == [consent.prompt_id]
    assert len(again) == 1
    assert len(seen) == 1
    assert await chat.quiet_for(1.0) == []


async def test_an_answered_question_is_edited_on_synapse_to_show_the_answer(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    intents: list[IntentBase] = []
    alice, chat = await _joining(tandem_bot, matrix_user_factory, intents)
    question = chat.bot_messages()[-1]
    assert question.body.startswith("Which language should I use with you?")

    await settle(tandem_bot, chat, await chat.say("English"), intents)
    await alice.sync_until(
        lambda: alice.edits(chat.room_id, question.event_id) != [],
        what="the edit of the answered question",
    )

    (edit,) = alice.edits(chat.room_id, question.event_id)
    content = edit.source["content"]
    assert content["m.new_content"]["body"] == (
        "Which language should I use with you?\nIn welcher Sprache soll ich mit dir schreiben?"
        "\n\n✓ Your answer: English"
    )
    assert content["m.new_content"]["m.mentions"] == {}
    assert content["body"].startswith("* Which language")
    # Synapse itself knows it as an edit of the question, and holds it encrypted: the relation
    # stays in the clear, where Element looks for it.
    path = (
        f"/_matrix/client/v1/rooms/{urllib.parse.quote(chat.room_id)}/relations/"
        f"{urllib.parse.quote(question.event_id)}/m.replace"
    )
    related = synapse.request("GET", path, access_token=alice.access_token)["chunk"]
    assert [(e["event_id"], e["type"]) for e in related] == [(edit.event_id, "m.room.encrypted")]
    assert alice.undecrypted(chat.room_id) == []
