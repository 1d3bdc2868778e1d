"""Notes, milestones and a reflection on the loopback Discord: Ana and Ben agree on their
tandem; ``/tandem note`` keeps a private note; each marks a milestone (the private thread
celebrates it, Ben congratulates with a button; the celebration channel gets one shout-out,
only once both opted in); Ana reflects, Ben is asked to as well, both in their DMs, and the
thread shows only what each chose to share; ``/tandem mydata`` holds it all and ``/tandem
forget`` deletes it.
The same on the memory adapter (tests/test_reflection.py), the console and Matrix."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from tests.support.discord_loopback import Channel, Guild, LoopbackDiscord, Message, User
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    eventually,
    running_tandem,
)
from tests.support.round_players import discord_policy
from tests.support.rounds import FOUR
from tests.test_data_rights import everything_in_the_database
from tests.test_stats import png_size

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(240)]

#: A Monday, 10:00 in Berlin: nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "Ben redet zu schnell"


def by_bot(server: LoopbackDiscord, channel_id: int) -> list[Message]:
    return [m for m in server.messages_in(channel_id) if m.author_id == server.bot.id]


async def exported_data(tandem: Tandem, user: User) -> dict[str, Any]:
    """The JSON file ``mydata`` sent to the member's DM."""

    def found() -> bytes | None:
        for message in reversed(tandem.dm_messages(user)):
            for attachment in message.attachments:
                if attachment["filename"] == "tandem-my-data.json":
                    return tandem.server.world.attachment_bytes[int(attachment["id"])]
        return None

    return dict(json.loads(await eventually(found, description="the exported data")))


async def agree(
    tandem: Tandem, organizer: User, guild: Guild, ana: User, ben: User, clock: FakeClock
) -> None:
    server, app = tandem.server, tandem.app
    for name, user in (("ana", ana), ("ben", ben)):
        await server.invoke_command(user, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, user, discord_policy(FOUR[name]))
    for action in ("preview", "run"):
        interaction = await server.invoke_command(
            organizer, guild, "tandem-admin", subcommand="match", options={"action": action}
        )
        await server.wait_for_interaction_response(interaction)
    await app.run_due()
    clock.advance(timedelta(days=3))
    await app.run_due()
    for user in (ana, ben):
        await answer_until_done(tandem, user, AnswerPolicy(preferred={"answer": "yes"}))
    await app.run_due()
    part = {"slot": "mon_1700", "duration": "60", "format": "video", "rules": "accept"}
    await answer_until_done(
        tandem,
        ana,
        AnswerPolicy(
            preferred={"start": "keep", **part},
            texts={"milestones_1": "Folien entwerfen (Woche 2)", "milestones_2": "Planen"},
        ),
    )
    await answer_until_done(
        tandem,
        ben,
        AnswerPolicy(
            preferred={"start": "write", **part},
            texts={"goals": "Speak freely", "milestones_1": "Give a five-minute talk"},
        ),
    )
    await app.run_due()
    for user in (ana, ben):
        await answer_until_done(tandem, user, AnswerPolicy(preferred={"start": "confirm"}))
    await app.run_due()


@dataclass
class Agreed:
    """Ana and Ben after their agreement: the running bot, its clock, their private thread
    and the community's #celebrations channel."""

    tandem: Tandem
    clock: FakeClock
    ana: User
    ben: User
    organizer: User
    thread: Channel
    party: Channel


@asynccontextmanager
async def agreed_with_celebrations(
    server: LoopbackDiscord, tmp_path: Path
) -> AsyncIterator[Agreed]:
    """The bot running with a #tandems channel for pair threads and a #celebrations channel,
    and Ana and Ben agreed (also the twelve weeks' Discord transcript)."""
    guild = server.add_guild()
    organizer = server.world.users[guild.owner_id]
    channel = server.add_text_channel(guild, "tandems", announce=False)
    party = server.add_text_channel(guild, "celebrations", announce=False)
    ana, ben = server.add_member(guild, "Ana"), server.add_member(guild, "Ben")
    clock = FakeClock(NOW)
    async with running_tandem(
        server,
        guild,
        tmp_path / "tandem.db",
        clock=clock,
        pair_channel_id=channel.id,
        celebration_channel_id=party.id,
        bot_settings={"rate_limit": {"enabled": False}},
    ) as tandem:
        await agree(tandem, organizer, guild, ana, ben, clock)
        (thread,) = server.threads_in(channel)
        yield Agreed(tandem, clock, ana, ben, organizer, thread, party)


async def test_notes_milestones_and_a_reflection_on_discord(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    async with agreed_with_celebrations(server, tmp_path) as agreed:
        tandem, app, guild = agreed.tandem, agreed.tandem.app, agreed.tandem.guild
        ana, ben, organizer = agreed.ana, agreed.ben, agreed.organizer
        thread, party = agreed.thread, agreed.party

        # A private note, kept at once from the command's option.
        await server.invoke_command(
            ana, guild, "tandem", subcommand="note", options={"text": "Timeboxing hilft"}
        )
        await eventually(
            lambda: tandem.dm_messages(ana)[-1].content.startswith("📓 Notiert!"),
            description="the note to be kept",
        )

        # Ana's milestone: celebrated in the thread; no shout-out while only she opted in.
        await server.invoke_command(ana, guild, "tandem", subcommand="milestone")
        await answer_until_done(
            tandem, ana, AnswerPolicy(preferred={"start": "g0_m0", "shoutout": "yes"})
        )
        await app.run_due()
        assert any(
            m.content.startswith('🎉 Ana reached a milestone: "Folien entwerfen"!')
            for m in by_bot(server, thread.id)
        )
        assert by_bot(server, party.id) == []
        # Ben is asked in his DM and congratulates with a button.
        await answer_until_done(tandem, ben, AnswerPolicy(preferred={"start": "cheer"}))
        assert [m.content for m in by_bot(server, thread.id)[-2:]] == [
            "🥳 Ben congratulates Ana: well done!",
            "🥳 Ben gratuliert Ana: Super gemacht!",
        ]

        # Ben's milestone, and his yes: one shout-out naming only the two.
        await server.invoke_command(ben, guild, "tandem", subcommand="milestone")
        await answer_until_done(
            tandem, ben, AnswerPolicy(preferred={"start": "g0_m0", "shoutout": "yes"})
        )
        await app.run_due()
        shouts = [m.content for m in by_bot(server, party.id)]
        assert shouts == ["🎉 Ana and Ben reached a milestone together in their tandem!"]
        await answer_until_done(tandem, ana, AnswerPolicy(preferred={"start": "skip"}))

        # Ana reflects on demand, privately; she shares her progress and focus only.
        await server.invoke_command(ana, guild, "tandem", subcommand="reflect")
        await answer_until_done(
            tandem,
            ana,
            AnswerPolicy(
                preferred={
                    "progress_1": "4",
                    "progress_2": "3",
                    "milestones": ("g0_m1",),
                    "share": ("progress", "focus"),
                },
                texts={
                    "note_1": "Folien fertig",
                    "note_2": "-",
                    "helped": "-",
                    "change": SECRET,
                    "focus": "Probevortrag",
                },
            ),
        )
        # Ben is asked to reflect too, and keeps everything private.
        await app.run_due()
        await answer_until_done(
            tandem,
            ben,
            AnswerPolicy(
                preferred={"progress_1": "2", "share": ("nothing",)},
                texts={"note_1": "Nervous", "helped": "-", "change": "-", "focus": "Meetups"},
            ),
        )
        await app.run_due()
        shown = "\n".join(m.content for m in by_bot(server, thread.id)[-2:])
        assert "🪞 Reflection 1 of Ana and Ben" in shown
        assert "• Fokus bis zum nächsten Mal: Probevortrag" in shown
        assert "Ben keeps this reflection private." in shown
        for private in (SECRET, "Folien fertig", "Nervous", "Meetups"):
            assert private not in shown, private

        # The organizer sees the counts and the chart, privately; nothing anyone wrote.
        stats = await server.invoke_command(organizer, guild, "tandem-admin", subcommand="stats")
        answer = await server.wait_for_answer_message(stats)
        summary = answer.content
        assert answer.ephemeral
        assert "Reflections answered: 2 (2 in the last 12 weeks)" in summary
        assert "Milestones reached: 3 (3 in the last 12 weeks)" in summary
        assert "Quiet pairs: 0 (active, but no meeting check-in" in summary
        assert "Meetings held: " in summary
        assert "• active: 1" in summary

        def charts() -> list[Message]:
            return [
                m
                for messages in server.world.messages.values()
                for m in messages
                if any(a["filename"] == "tandem-stats.png" for a in m.attachments)
            ]

        (chart,) = await server.wait_until(charts, description="the chart")
        assert chart.ephemeral
        assert chart.content == "📈 The last 12 weeks as a chart."
        png = server.world.attachment_bytes[int(chart.attachments[0]["id"])]
        assert png_size(png) == (800, 450)
        for private in (SECRET, "Folien", "Nervous", "Meetups", "five-minute"):
            assert private not in summary, private
            assert private.encode() not in png, private

        # mydata holds notes, milestones and reflections; forget deletes them.
        await server.invoke_command(ana, guild, "tandem", subcommand="mydata")
        exported = await exported_data(tandem, ana)
        assert [n["text"] for n in exported["notes"]] == ["Timeboxing hilft"]
        assert exported["reflections"][0]["answers"]["change"] == SECRET
        assert [m["text"] for m in exported["milestones"]] == ["Folien entwerfen", "Planen"]
        await server.invoke_command(ana, guild, "tandem", subcommand="forget")
        await answer_until_done(tandem, ana, AnswerPolicy(preferred={"confirm": "forget"}))
        await app.run_due()
        remaining = await everything_in_the_database(app)
        for gone in (SECRET, "Timeboxing hilft", "Folien fertig"):
            assert gone not in remaining, gone
