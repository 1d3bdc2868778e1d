"""The issue's "Done when" transcript of a match round through a real Synapse.

Four members join by typing in encrypted DMs with the bot; Ana, who is no organizer, types
``!tandem admin match`` and is refused; the organizer (the community room's creator) previews
the round in her DM — nobody else hears anything — and runs it; each pair is invited to one
encrypted pair room with exactly the two of them and the bot, reads the intro there (in both
languages where the two differ), and gets a pair intro DM and the first-call question; Ana and
Ben say "let's do it" and are an active tandem; Cleo says "not a fit", both wait again, and the
next round does not pair them. The same on the memory adapter, the console and Discord.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from bot.clock import FakeClock
from bot.intents import IntentBase
from store.tandems import ACTIVE, DECLINED
from tests.support.join_player import record_intents
from tests.support.round_players import ProfilePlayer
from tests.support.rounds import FOUR
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    open_community,
    open_dm,
    play_join,
    until_in,
)
from tests.support.synapse.fixtures import MatrixTestUser, MatrixUserFactory, MessageEvent
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(300)]

#: A Monday, 10:00 in Berlin: the round is for this week, and it is nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def until(chat: Conversation, beginning: str) -> MessageEvent:
    """Read the bot's messages up to the one that begins with ``beginning``."""
    for _ in range(10):
        (message,) = await chat.next()
        if message.body.startswith(beginning):
            return message
    raise AssertionError(f"the bot never said {beginning!r}")


async def status(bot: TandemBot, user: MatrixTestUser) -> str:
    assert bot.app is not None
    member = await bot.app.store.members.find("test-community", "matrix", user.user_id)
    assert member is not None
    return member.status


async def test_a_round_on_matrix_from_preview_to_an_active_tandem_and_a_kind_decline(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("olga", displayname="Olga")
    people = {name: await matrix_user_factory(name, displayname=name.title()) for name in FOUR}
    ana, ben, cleo, dan = (people[name] for name in ("ana", "ben", "cleo", "dan"))
    await open_community(organizer, tandem_bot, list(people.values()))
    clock = tandem_bot.clock = FakeClock(NOW)
    tandem_bot.run_scheduler = False
    app = await tandem_bot.start()
    intents: list[IntentBase] = record_intents(app)
    prefix = tandem_bot.prefix
    chats = {}
    for name, member in people.items():
        chats[name] = await open_dm(member, tandem_bot)
        await play_join(tandem_bot, chats[name], ProfilePlayer(FOUR[name]), intents)
    boss = await open_dm(organizer, tandem_bot)

    # A member who is no organizer is refused, and nothing is proposed.
    (refused,) = await chats["ana"].exchange(f"{prefix} admin match preview")
    assert refused.body.startswith(f'"{prefix} admin match" können nur Organisator:innen')
    assert await app.store.rounds.latest("test-community") is None

    # The preview goes to the organizer only; no member hears anything.
    (preview,) = await boss.exchange(f"{prefix} admin match preview")
    assert preview.body.startswith("Match round preview for the week of 2026-01-05")
    assert "Pairs: 2 · sitting out: 0" in preview.body
    assert "Ana ↔ Ben" in preview.body
    assert "Cleo ↔ Dan" in preview.body
    await app.run_due()
    for chat in chats.values():
        assert await chat.quiet_for(0.3) == []

    # The run introduces exactly the previewed pairs.
    (ran,) = await boss.exchange(f"{prefix} admin match run")
    assert ran.body.startswith("The round is on: I'm introducing 2 pairs now")
    await app.run_due()
    rooms = {}
    for first, second in ((ana, ben), (cleo, dan)):
        record = await app.store.members.find("test-community", "matrix", first.user_id)
        assert record is not None
        introducing = await app.store.tandems.current_for(record.id)
        assert introducing is not None
        assert introducing.space is not None
        room_id = introducing.space["channel_id"]
        rooms[first.user_id] = room_id
        for member in (first, second):
            await member.wait_for_invite(room_id)
            await member.join(room_id)
        await first.wait_for_join(room_id, second.user_id)
        room = first.client.rooms[room_id]
        assert set(room.users) == {tandem_bot.user_id, first.user_id, second.user_id}
        assert room.encrypted
        assert room.join_rule == "invite"
    ana_ben = Conversation(ana, rooms[ana.user_id], tandem_bot.user_id)
    intros = [m.body for m in await ana_ben.next(2)]
    assert intros[0].startswith("👋 Willkommen, Ana und Ben – ihr seid ein neues Tandem!")
    assert intros[1].startswith("👋 Welcome, Ana and Ben – you're a new tandem!")
    cleo_dan = Conversation(dan, rooms[cleo.user_id], tandem_bot.user_id)
    (intro,) = await cleo_dan.next()
    assert intro.body.startswith("👋 Welcome, Cleo and Dan – you're a new tandem!")
    assert (
        "• Cleo can help Dan with: Data analysis\n• Dan can help Cleo with: Writing" in intro.body
    )
    for name, chat in chats.items():
        good_news = await until(chat, "🎉 Gute Nachrichten" if name == "ana" else "🎉 Good news")
        if name in ("ana", "cleo"):  # the DM links the pair room (matrix.to, percent-encoded)
            link = f"https://matrix.to/#/{quote(rooms[people[name].user_id], safe='')}"
            assert f": Tandem {'1' if name == 'ana' else '2'} – {link}. " in good_news.body
    # Three days later (time for the first call) each is asked privately.
    clock.advance(timedelta(days=3))
    await app.run_due()
    for name, chat in chats.items():
        await until(chat, "Wie war dein erstes Gespräch" if name == "ana" else "How was your first")
    assert await ana_ben.quiet_for(0.3) == []

    # Ana and Ben both say "let's do it" (the first option): active, and both are told.
    await until_said(chats["ana"], "1", "Danke! Ich sage dir Bescheid, sobald Ben")
    await until_said(chats["ben"], "1", "🎉 Wonderful – Ana said yes too")
    await app.run_due()
    await until(chats["ana"], "🎉 Ben möchte auch weitermachen")
    await until(ana_ben, "🎉 Ana and Ben, you're officially a tandem!")
    record = await app.store.members.find("test-community", "matrix", ana.user_id)
    assert record is not None
    active = await app.store.tandems.current_for(record.id)
    assert active is not None
    assert active.state == ACTIVE

    # Cleo says "not a fit" with a private reason: Dan is told kindly, both wait again.
    await until_said(chats["cleo"], "2", "Thanks for being honest")
    await until_said(chats["cleo"], "We want different things", "Thank you for telling me")
    await app.run_due()
    told = await until(chats["dan"], "About your introduction to Cleo: you two won't continue")
    assert "different things" not in told.body
    assert await status(tandem_bot, cleo) == await status(tandem_bot, dan) == "waiting"
    await until(cleo_dan, "This introduction has ended")
    # Nobody stays in the ended pair's room: both are taken out after the farewell.
    for member in (cleo, dan):
        await until_in(synapse, member.access_token, cleo_dan.room_id, "leave")
    assert active.round_id is not None
    states = sorted(t.state for t in await app.store.tandems.of_round(active.round_id))
    assert states == [ACTIVE, DECLINED]

    # The next round never pairs Cleo and Dan again.
    (again,) = await boss.exchange(f"{prefix} admin match preview")
    assert "Cleo ↔ Dan" not in again.body
    assert again.body.startswith("No pair is possible this time: 2 members are waiting")


async def until_said(chat: Conversation, text: str, beginning: str) -> MessageEvent:
    """Type ``text`` and read the bot's answers up to the one that begins with ``beginning``."""
    await chat.say(text)
    return await until(chat, beginning)
