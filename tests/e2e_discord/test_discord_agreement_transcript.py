"""The tandem agreement on the loopback Discord: Ana and Ben are matched and both go on; each
answers their part privately (buttons, menus and forms in their DMs, one typing another time),
the agreement appears in their private thread in both languages, both confirm, and
``/tandem agreement`` lets Ana propose a longer meeting, which Ben accepts; ``/tandem status``
says where Ben stands, and ``/tandem calendar`` sends the meetings as a calendar file in his DM
(downloaded and parsed back).
The same on the memory adapter (tests/test_agreement.py) and the console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from icalendar import Calendar

from bot.clock import FakeClock
from tests.support.discord_loopback import LoopbackDiscord, Message
from tests.support.discord_loopback.state import Channel, Guild, User
from tests.support.discord_tandem import AnswerPolicy, Tandem, answer_until_done, running_tandem
from tests.support.round_players import discord_policy
from tests.support.rounds import FOUR

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(180)]

#: A Monday, 10:00 in Berlin: nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def said(server: LoopbackDiscord, thread_id: int) -> list[Message]:
    return [m for m in server.messages_in(thread_id) if m.author_id == server.bot.id]


async def test_an_agreement_on_discord_made_confirmed_and_changed(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    channel = server.add_text_channel(guild, "tandems", announce=False)
    ana, ben = server.add_member(guild, "Ana"), server.add_member(guild, "Ben")
    clock = FakeClock(NOW)
    # Each member answers some thirty questions at machine speed: no rate limit here.
    async with running_tandem(
        server,
        guild,
        tmp_path / "tandem.db",
        clock=clock,
        pair_channel_id=channel.id,
        bot_settings={"rate_limit": {"enabled": False}},
    ) as tandem:
        app = tandem.app
        thread = await make_agreement(tandem, guild, channel, ana, ben, clock)

        # /tandem agreement: Ana proposes 90 minutes; Ben accepts; the thread shows version 2.
        await server.invoke_command(ana, guild, "tandem", subcommand="agreement")
        await answer_until_done(
            tandem, ana, AnswerPolicy(preferred={"start": "duration", "duration": "90"})
        )
        await app.run_due()
        await answer_until_done(tandem, ben, AnswerPolicy(preferred={"start": "accept"}))
        await app.run_due()
        changed = [m.content for m in said(server, thread.id)[-2:]]
        assert changed[0].startswith("✏️ Eure Vereinbarung hat sich geändert")
        assert "(Version 2)" in changed[0]
        assert "90 minutes · Video call" in changed[1]
        record = await tandem.member(ana)
        assert record is not None
        current = await app.store.tandems.current_for(record.id)
        assert current is not None
        agreement = await app.store.agreements.for_tandem(current.id)
        assert agreement is not None
        assert (agreement.state, agreement.version) == ("agreed", 2)

        # Where Ben stands (only he sees it), and the meetings in his calendar.
        interaction = await server.invoke_command(ben, guild, "tandem", subcommand="status")
        status = (await server.wait_for_interaction_response(interaction)).data["content"]
        assert status.startswith(
            "📍 Your status: in a tandem with Ana, week 1 of 12; next meeting Monday, January 12, "
            "2026, 7:00\u202fPM, your time"
        )
        await server.invoke_command(ben, guild, "tandem", subcommand="calendar")
        (attached,) = await server.wait_until(
            lambda: [m for m in tandem.dm_messages(ben) if m.attachments],
            description="the calendar file in Ben's DM",
        )
        assert attached.content.startswith("📅 Your meetings with Ana as a calendar file")
        (attachment,) = attached.attachments
        assert attachment["filename"] == "tandem-meetings.ics"
        async with aiohttp.ClientSession() as http, http.get(attachment["url"]) as response:
            calendar = Calendar.from_ical(await response.read())
        (event,) = calendar.walk("VEVENT")
        assert event["rrule"]["FREQ"] == ["WEEKLY"]
        assert event["rrule"]["BYDAY"] == ["MO"]
        assert event["dtstart"].params["TZID"] == "Europe/Berlin"
        assert event.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2026-01-12 19:00"
        assert event.decoded("duration") == timedelta(minutes=90)


async def make_agreement(
    tandem: Tandem, guild: Guild, channel: Channel, ana: User, ben: User, clock: FakeClock
) -> Channel:
    """Ana and Ben join, are matched, go on after their first call, answer their parts (Ben
    types Monday 19:00) and both confirm; returns their private thread (also the meetings'
    Discord transcript)."""
    server = tandem.server
    organizer = server.world.users[guild.owner_id]
    app = tandem.app
    for name, user in (("ana", ana), ("ben", ben)):
        await server.invoke_command(user, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, user, discord_policy(FOUR[name]))
    for action in ("preview", "run"):
        interaction = await server.invoke_command(
            organizer, guild, "tandem-admin", subcommand="match", options={"action": action}
        )
        await server.wait_for_interaction_response(interaction)
    await app.run_due()
    (thread,) = server.threads_in(channel)
    # The first-call question comes when the call could have happened.
    clock.advance(timedelta(days=3))
    await app.run_due()
    for user in (ana, ben):
        await answer_until_done(tandem, user, AnswerPolicy(preferred={"answer": "yes"}))
    await app.run_due()

    # Each answers privately; Ben types another time than the ones proposed.
    part = {"slot": "mon_1700", "duration": "60", "format": "video", "rules": "accept"}
    ana_answers = await answer_until_done(
        tandem,
        ana,
        AnswerPolicy(
            preferred={"start": "keep", **part},
            texts={"milestones_1": "Folien entwerfen (Woche 2)", "milestones_2": "Planen"},
        ),
    )
    assert [a.step_id for a in ana_answers] == [
        "start", "milestones_1", "milestones_2", "slot", "duration", "format", "rules",
    ]  # fmt: skip
    assert ana_answers[3].how in ("button", "select")
    await answer_until_done(
        tandem,
        ben,
        AnswerPolicy(
            preferred={"start": "write", **part, "slot": "other"},
            texts={
                "goals": "Speak freely at meetups",
                "milestones_1": "Give a five-minute talk (week 6)",
                "slot_other": "Mon 19:00",
            },
        ),
    )
    assert tandem.dm_messages(ben)[-1].content.startswith("Thanks! Ana's part was already in")

    # The agreement in the private thread, in both languages; both confirm.
    await app.run_due()
    german, english = (m.content for m in said(server, thread.id)[-2:])
    assert german.startswith("📝 Eure Tandem-Vereinbarung (Version 1)")
    assert english.startswith("📝 Your tandem agreement (version 1)")
    assert "this is Ben's choice" in english
    for user in (ana, ben):
        await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "confirm"}))
    await app.run_due()
    assert said(server, thread.id)[-1].content == (
        "✅ Ana and Ben have both confirmed your agreement. Have great meetings!"
    )
    assert tandem.dm_messages(ben)[-1].content.endswith(
        "📅 Want your meetings in your calendar? /tandem calendar sends you a calendar file."
    )
    return thread
