"""Member text reaches others as text: never a mention, never HTML. Bad events are skipped."""

from __future__ import annotations

import asyncio
import logging

import pytest
from nio import RoomSendResponse

from tests.support.join_player import Player, record_intents
from tests.support.synapse.bot import TandemBot, open_community, open_dm, play_join
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]

INJECTION = (
    '<b>bold</b> @room <a href="https://matrix.to/#/@bob:localhost">@bob:localhost</a> '
    "<img src=x onerror=alert(1)>"
)


async def test_mentions_and_html_in_member_text_are_neutralised(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice", displayname="<i>@room</i>")
    await open_community(organizer, tandem_bot, [alice])
    app = await tandem_bot.start()
    intents = record_intents(app)
    chat = await open_dm(alice, tandem_bot)

    seen = await play_join(
        tandem_bot, chat, Player(app.translator, default_text=INJECTION), intents
    )
    echoed = [m for m in seen if "bold" in m.body]
    assert echoed, "the bot never quoted the member's text back (nothing was tested)"
    for message in seen:
        content = message.source["content"]
        assert content["m.mentions"] == {}, "a bot message may notify someone"
        assert "@room" not in message.body.lower()
        html = message.formatted_body or ""
        for tag in ("<b>", "<a ", "<img", "<i>", 'href="'):
            assert tag not in html
    for message in echoed:
        # Shown as the member wrote it, with the @room defused by an invisible word joiner.
        assert "<b>bold</b> @\u2060room" in message.body
        if message.formatted_body:
            assert "&lt;b&gt;bold&lt;/b&gt;" in message.formatted_body
            assert "&lt;img src=x onerror=alert(1)&gt;" in message.formatted_body


async def test_a_malformed_event_is_logged_and_skipped_and_the_bot_keeps_answering(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await matrix_user_factory("alice")
    await tandem_bot.start()
    chat = await open_dm(alice, tandem_bot)
    caplog.set_level(logging.WARNING, logger="adapters.matrix")

    for content in (
        {"msgtype": "m.text", "body": 42},  # body must be text
        {"msgtype": "m.text"},  # no body at all
        {"m.relates_to": {"rel_type": "m.annotation"}},  # a reaction to nothing
    ):
        kind = "m.reaction" if "m.relates_to" in content else "m.room.message"
        response = await asyncio.wait_for(
            alice.client.room_send(chat.room_id, kind, content, ignore_unverified_devices=True),
            10,
        )
        assert isinstance(response, RoomSendResponse)

    (answer,) = await chat.exchange("!tandem help")
    assert "!tandem join" in answer.body
    assert "malformed" in caplog.text
    assert "matrix-sync" in tandem_bot.app.tasks.running  # type: ignore[union-attr]
