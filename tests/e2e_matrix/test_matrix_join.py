"""A member joins Tandem on Matrix: the whole join conversation in an encrypted DM, through a
real Synapse, answered by number, by word and by reaction; and the same transcript gives the
same result as on the memory adapter.

The join questionnaire grows with the program, so the transcript is played by
:class:`tests.support.join_player.Player` from the questions the bot actually asks; what a
member sees is compared with how the kernel rendered each question.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.matrix.content import defuse
from bot.app import App
from bot.clock import FakeClock
from bot.config import load_settings
from bot.intents import Ask, IntentBase, Say
from bot.render import question_as_text
from tests.support.join_player import (
    Player,
    last_ask,
    message_ids,
    reaction_key,
    record_intents,
)
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    open_community,
    open_dm,
    play_join,
    send_reaction,
    settle,
)
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


def rendered(app: App, intent: IntentBase) -> str:
    """What a text-only client shows for an intent."""
    if isinstance(intent, Ask):
        return defuse(question_as_text(intent, app.translator))
    assert isinstance(intent, Say)
    return defuse(app.translator.render(intent.text, intent.locale))


def to_member(intents: list[IntentBase], user_id: str) -> list[IntentBase]:
    return [i for i in intents if isinstance(i, Say | Ask) and i.target.user_id == user_id]


async def stored_outcome(app: App) -> dict[str, Any]:
    """What the store holds about members, answers and conversations, without ids, times and
    platform identities (which differ between adapters by nature)."""
    store = app.store
    personal = {"id", "member_id", "community_id", "platform", "platform_user_id", "dm_place"}

    def plain(row: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value
            for key, value in row.items()
            if key not in personal and not key.endswith("_at") and key != "place"
        }

    tables = {}
    for table in ("members", "profile_answers", "conversations"):
        rows = [plain(row) for row in await store.dump_table(table)]
        tables[table] = sorted(rows, key=repr)
    return tables


async def test_member_joins_in_an_encrypted_dm_answering_by_number_word_and_reaction(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice", displayname="Alice")
    await open_community(organizer, tandem_bot, [alice])
    app = await tandem_bot.start()
    intents = record_intents(app)
    chat = await open_dm(alice, tandem_bot)
    assert alice.client.rooms[chat.room_id].encrypted

    player = Player(app.translator)
    started = time.monotonic()
    seen = await play_join(tandem_bot, chat, player, intents)
    print(f"whole join conversation over Matrix: {time.monotonic() - started:.2f} s")

    assert {"number", "word", "reaction"} <= set(player.used)
    # The member saw every message the bot meant for her, in order, as decrypted notices.
    sent = to_member(intents, alice.user_id)
    assert [m.body for m in seen] == [rendered(app, intent) for intent in sent]
    assert all(m.decrypted and m.source["content"]["msgtype"] == "m.notice" for m in seen)
    assert alice.undecrypted(chat.room_id) == []
    # Questions with options came as a numbered HTML list too.
    for message, intent in zip(seen, sent, strict=True):
        if isinstance(intent, Ask) and intent.options:
            assert message.formatted_body is not None
            assert message.formatted_body.count("<li>") == len(intent.options)
    assert message_ids(intents)[-1] == ("say", "join.done")

    member = await app.store.members.find("test-community", "matrix", alice.user_id)
    assert member is not None
    assert member.locale == "en"
    assert member.status == "waiting"
    assert await app.store.conversations.active_for(member.id) is None
    answers = {row["question_id"] for row in await app.store.dump_table("profile_answers")}
    assert answers, "the profile was not saved"


async def test_a_reaction_on_an_old_question_does_not_answer_the_current_one(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    app = await tandem_bot.start()
    intents = record_intents(app)
    chat = await open_dm(alice, tandem_bot)
    await settle(tandem_bot, chat, await chat.say("!tandem join"), intents)
    first = last_ask(intents, 0)
    assert first is not None
    first_event = chat.bot_messages()[-1].event_id
    await settle(tandem_bot, chat, await chat.say("English"), intents)
    member = await app.store.members.find("test-community", "matrix", alice.user_id)
    assert member is not None
    before = await app.store.conversations.active_for(member.id)
    assert before is not None

    # A reaction on the first, already answered question must not answer the current one.
    count = len(intents)
    reacted = await send_reaction(alice, chat.room_id, first_event, reaction_key(first, 1))
    (stale,) = await settle(tandem_bot, chat, reacted, intents)
    assert message_ids(intents[count:]) == [("say", "prompt.stale")]
    assert stale.body == rendered(app, intents[-1])
    after = await app.store.conversations.active_for(member.id)
    assert after == before


async def test_command_in_the_community_room_opens_an_encrypted_dm(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    community = await open_community(organizer, tandem_bot, [alice])
    app = await tandem_bot.start()
    intents = record_intents(app)
    await alice.wait_for_join(community, tandem_bot.user_id)

    in_room = Conversation(alice, community, tandem_bot.user_id)
    command = await in_room.say("!tandem join")
    (pointer,) = await in_room.next()
    assert pointer.body == "I've sent you a direct message, so we can talk in private."
    # In a shared room the answer is a reply to the command, and mentions nobody.
    content = pointer.source["content"]
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": command}}
    assert content["m.mentions"] == {}

    # The bot invites her to a new DM room, marked as direct, and remembers it as hers.
    await alice.sync_until(lambda: bool(alice.client.invited_rooms), what="an invite to a DM")
    (dm,) = alice.client.invited_rooms
    # The bot records the DM once Synapse has answered its request to make the room; Alice's
    # sync can show the invite a moment before that (seen under load).
    for _ in range(500):  # ten seconds at most
        if await tandem_bot.adapter.records.dm_room(alice.user_id) == dm:
            break
        await asyncio.sleep(0.02)
    assert await tandem_bot.adapter.records.dm_room(alice.user_id) == dm
    await alice.join(dm)
    room = alice.client.rooms[dm]
    assert room.encrypted
    assert sorted(room.users) == sorted([alice.user_id, tandem_bot.user_id])
    # What the bot wrote before she joined is readable: the room key was shared with her.
    chat = Conversation(alice, dm, tandem_bot.user_id)
    # The greeting and the first question (waiting for both: the bot may still be sending).
    first = await chat.next(2)
    sent = [rendered(app, i) for i in to_member(intents, alice.user_id)]
    assert [m.body for m in first] == sent[:2]
    assert first[1].body.startswith("Which language should I use with you?")
    assert alice.undecrypted(dm) == []


async def test_the_bot_declines_invites_from_people_outside_the_community(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    stranger = await matrix_user_factory("stranger")
    await open_community(organizer, tandem_bot, [alice])
    await tandem_bot.start()

    room_id = await stranger.create_room(invite=[tandem_bot.user_id], is_direct=True)
    await stranger.sync_until(
        lambda: tandem_bot.user_id not in stranger.client.rooms[room_id].users,
        what="the bot to decline the invite",
    )
    # A member of the community is welcome, and `help` lists the commands with the prefix.
    chat = await open_dm(alice, tandem_bot)
    started = time.monotonic()
    (help_text,) = await chat.exchange("!tandem help")
    elapsed = time.monotonic() - started
    print(f"command round trip (member sends, member sees the answer): {elapsed:.3f} s")
    assert "!tandem join" in help_text.body


async def test_the_same_transcript_gives_the_same_result_on_memory_and_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory, tmp_path: Path
) -> None:
    # Both runs at the same fixed time: the texts name the member's local time ("it is 11:00
    # there now"), which would differ when the wall clock passed a minute between the runs.
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    # On the text-only memory adapter (typed answers; a reaction is typed as the emoji or number).
    memory_app = App(
        load_settings(
            None,
            database={"url": f"sqlite+aiosqlite:///{tmp_path}/memory.db"},
            bot={"data_dir": str(tmp_path / "memory-data")},
        ),
        adapter_names=["memory-text"],
        clock=FakeClock(at),
    )
    await memory_app.start()
    try:
        memory_intents = record_intents(memory_app)
        memory = memory_app.adapters["memory"]
        memory.community_id = "test-community"
        alex = memory.member("alice")
        player = Player(memory_app.translator)
        await memory.command(alex, "join")
        before = 0
        while (ask := last_ask(memory_intents, before)) is not None:
            before = len(memory_intents)
            how, what = player.answer(ask)
            if how == "reaction" and not ask.options[int(_number(ask, what)) - 1].emoji:
                what = _number(ask, what)
            await memory.say(alex, what)
        memory_texts = memory.texts(alex)
        memory_outcome = await stored_outcome(memory_app)
    finally:
        await memory_app.stop()

    # Through Synapse, with real reactions.
    alice = await matrix_user_factory("alice", displayname="Alice")
    tandem_bot.clock = FakeClock(at)
    matrix_app = await tandem_bot.start()
    matrix_intents = record_intents(matrix_app)
    chat = await open_dm(alice, tandem_bot)
    seen = await play_join(tandem_bot, chat, Player(matrix_app.translator), matrix_intents)
    matrix_outcome = await stored_outcome(matrix_app)

    assert message_ids(matrix_intents) == message_ids(memory_intents)
    assert message_ids(matrix_intents)[-1] == ("say", "join.done")
    assert [m.body for m in seen] == memory_texts
    assert matrix_outcome == memory_outcome


def _number(ask: Ask, key: str) -> str:
    from tests.support.join_player import KEYCAPS

    for number, option in enumerate(ask.options, start=1):
        if option.emoji == key or KEYCAPS[number - 1] == key:
            return str(number)
    raise AssertionError(f"{key} is no option of {ask.question.id}")
