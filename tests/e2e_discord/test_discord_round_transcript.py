"""The issue's "Done when" transcript of a match round on the loopback Discord, as people live it.

Four members join (``/tandem join``, answered with buttons, menus and forms); a member who is
no organizer tries ``/tandem-admin match`` and is refused; the organizer (the server's owner)
previews the round — only she sees it — and runs it; each pair gets one private thread with
exactly the two of them and the bot, the intro in it (in both languages where the two differ),
a pair intro DM each and the first-call question; Ana and Ben say "let's do it" and are an
active tandem; Cleo says "not a fit", both wait again, and the next round does not pair them.
The same on the memory adapter (tests/test_rounds.py), the console and Matrix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from store.tandems import ACTIVE, DECLINED
from tests.support.discord_loopback import Guild, LoopbackDiscord, Message, User
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    eventually,
    running_tandem,
)
from tests.support.round_players import discord_policy
from tests.support.rounds import FOUR

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(180)]

#: A Monday, 10:00 in Berlin: the round is for this week, and it is nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EPHEMERAL = 64


async def admin(server: LoopbackDiscord, user: User, guild: Guild, action: str) -> dict:
    """``/tandem-admin match action:<action>``; the response the person sees."""
    interaction = await server.invoke_command(
        user, guild, "tandem-admin", subcommand="match", options={"action": action}
    )
    response = await server.wait_for_interaction_response(interaction)
    return response.data


def texts(tandem: Tandem, user: User) -> list[str]:
    return [m.content for m in tandem.dm_messages(user)]


def said(server: LoopbackDiscord, thread_id: int) -> list[Message]:
    return [m for m in server.messages_in(thread_id) if m.author_id == server.bot.id]


async def test_a_round_on_discord_from_preview_to_an_active_tandem_and_a_kind_decline(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    organizer = server.world.users[guild.owner_id]
    tandems_channel = server.add_text_channel(guild, "tandems", announce=False)
    people = {name: server.add_member(guild, name.title()) for name in FOUR}
    ana, ben, cleo, dan = (people[name] for name in ("ana", "ben", "cleo", "dan"))
    clock = FakeClock(NOW)
    async with running_tandem(
        server,
        guild,
        tmp_path / "tandem.db",
        clock=clock,
        pair_channel_id=tandems_channel.id,
    ) as tandem:
        app = tandem.app
        for name, user in people.items():
            await server.invoke_command(user, guild, "tandem", subcommand="join")
            await answer_until_done(tandem, user, discord_policy(FOUR[name]))
        joined = {name: len(texts(tandem, user)) for name, user in people.items()}

        # A member who is no organizer is refused, and nothing is proposed.
        refused = await admin(server, ana, guild, "preview")
        assert refused["content"].startswith('"/tandem-admin match" können nur Organisator:innen')
        assert refused["flags"] & EPHEMERAL
        assert await app.store.rounds.latest("discord") is None

        # The preview is for the organizer's eyes only; no member hears anything.
        preview = await admin(server, organizer, guild, "preview")
        assert preview["flags"] & EPHEMERAL
        assert preview["content"].startswith("Match round preview for the week of 2026-01-05")
        assert "Pairs: 2 · sitting out: 0" in preview["content"]
        assert "Ana ↔ Ben" in preview["content"]
        assert "Cleo ↔ Dan" in preview["content"]
        await app.run_due()
        assert {name: len(texts(tandem, user)) for name, user in people.items()} == joined
        assert server.threads_in(tandems_channel) == []

        # The run introduces exactly the previewed pairs, each in one private thread.
        ran = await admin(server, organizer, guild, "run")
        assert ran["content"].startswith("The round is on: I'm introducing 2 pairs now")
        await app.run_due()
        threads = server.threads_in(tandems_channel)
        by_pair = {frozenset(t.member_ids) - {server.bot.id}: t for t in threads}
        assert set(by_pair) == {frozenset({ana.id, ben.id}), frozenset({cleo.id, dan.id})}
        ana_ben, cleo_dan = (
            by_pair[frozenset({ana.id, ben.id})],
            by_pair[frozenset({cleo.id, dan.id})],
        )
        for thread, outsiders in ((ana_ben, (cleo, dan)), (cleo_dan, (ana, ben))):
            assert not thread.invitable
            assert not any(server.can_view(person, thread) for person in outsiders)
        # Ana reads German, Ben English: the intro is there in both; Cleo and Dan share English.
        intros = [m.content for m in said(server, ana_ben.id)]
        assert intros[0].startswith("👋 Willkommen, Ana und Ben – ihr seid ein neues Tandem!")
        assert intros[1].startswith("👋 Welcome, Ana and Ben – you're a new tandem!")
        assert len(intros) == 2
        (intro,) = [m.content for m in said(server, cleo_dan.id)]
        assert intro.startswith("👋 Welcome, Cleo and Dan – you're a new tandem!")
        # Why, both ways, and the common time in each one's own time zone.
        assert "• Cleo can help Dan with: Data analysis\n• Dan can help Cleo with: Writing" in intro
        shown = intro.replace("\u202f", " ")  # Babel's narrow space before AM/PM
        assert "Cleo (Europe/London):\n• Tuesday 5:00 PM – 9:00 PM" in shown
        assert "Dan (America/New_York):\n• Tuesday 12:00 PM – 4:00 PM" in shown
        for name, user in people.items():
            good_news = ("🎉 Gute Nachrichten", "🎉 Good news")
            assert sum(t.startswith(good_news) for t in texts(tandem, user)) == 1, name
        # The DM links the private thread (a channel mention opens it).
        (dan_dm,) = [t for t in texts(tandem, dan) if t.startswith("🎉 Good news")]
        assert f"just for the two of you: <#{cleo_dan.id}>. Your introduction" in dan_dm
        for user in people.values():
            assert await tandem.conversation(user) is None  # no call can have happened yet
        # Three days later (time for the first call) each is asked privately.
        clock.advance(timedelta(days=3))
        await app.run_due()
        for user in people.values():
            conversation = await tandem.conversation(user)
            assert conversation is not None
            assert conversation.flow_id == "first_call"

        # Ana and Ben both say "let's do it": the tandem is active and both are told.
        yes = AnswerPolicy(preferred={"answer": "yes"})
        await answer_until_done(tandem, ana, yes)
        await answer_until_done(tandem, ben, yes)
        await app.run_due()
        assert texts(tandem, ana)[-2].startswith("🎉 Ben möchte auch weitermachen")
        # … and then asked, privately, for her part of their agreement (docs/agreement.md).
        assert texts(tandem, ana)[-1].startswith("🤝 Lass uns euer Tandem mit Ben einrichten!")
        await eventually(
            lambda: said(server, ana_ben.id)[-1].content.startswith("🎉 Ana and Ben, you're"),
            description="the news in Ana and Ben's thread",
        )
        record = await tandem.member(ana)
        assert record is not None
        active = await app.store.tandems.current_for(record.id)
        assert active is not None
        assert active.state == ACTIVE

        # Cleo says "not a fit" with a private reason: Dan is told kindly, both wait again.
        no = AnswerPolicy(preferred={"answer": "no"}, texts={"reason": "We want different things"})
        await answer_until_done(tandem, cleo, no)
        await app.run_due()
        dan_told = texts(tandem, dan)[-1]
        assert dan_told.startswith("About your introduction to Cleo: you two won't continue")
        assert "different things" not in dan_told
        for user in (cleo, dan):
            member = await tandem.member(user)
            assert member is not None
            assert member.status == "waiting"
        assert said(server, cleo_dan.id)[-1].content.startswith("This introduction has ended")
        assert cleo_dan.archived
        assert cleo_dan.locked
        assert active.round_id is not None
        states = sorted(t.state for t in await app.store.tandems.of_round(active.round_id))
        assert states == [ACTIVE, DECLINED]

        # The next round never pairs Cleo and Dan again.
        again = await admin(server, organizer, guild, "preview")
        assert "Cleo ↔ Dan" not in again["content"]
        assert again["content"].startswith("No pair is possible this time: 2 members are waiting")
