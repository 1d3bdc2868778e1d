"""Notes, milestones and a reflection through a real Synapse: Ana and Ben agree on their
tandem by typing in their encrypted DMs; ``!tandem note`` keeps a private note; each marks a
milestone (the pair room celebrates it, Ben congratulates; the community's celebration room
gets one shout-out, only once both opted in); Ana reflects and Ben is asked to as well; the
pair room shows only what each chose to share; the export holds it all and ``!tandem forget``
deletes it. The same on the memory adapter, the console and Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.intents import IntentBase
from tests.e2e_matrix.test_matrix_round_transcript import until, until_said
from tests.support.join_player import record_intents
from tests.support.round_players import ProfilePlayer
from tests.support.rounds import FOUR
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    downloaded_file,
    open_community,
    open_dm,
    play_join,
)
from tests.support.synapse.fixtures import MatrixUserFactory
from tests.test_data_rights import everything_in_the_database
from tests.test_stats import png_size

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(300)]

#: A Monday, 10:00 in Berlin: nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "Ben redet zu schnell"
SHOUTOUT = "🎉 Ana and Ben reached a milestone together in their tandem!"


def number_of(body: str, label: str) -> str:
    """The number a numbered option is listed with ("3. Meinen Fokus 🎯" → "3")."""
    (line,) = [line for line in body.splitlines() if label in line]
    return line.strip().split(".")[0]


async def test_notes_milestones_and_a_reflection_on_matrix(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("olga", displayname="Olga")
    ana = await matrix_user_factory("ana", displayname="Ana")
    ben = await matrix_user_factory("ben", displayname="Ben")
    community = await open_community(organizer, tandem_bot, [ana, ben])
    tandem_bot.matrix["celebration_room"] = community
    clock = tandem_bot.clock = FakeClock(NOW)
    tandem_bot.run_scheduler = False
    tandem_bot.bot_settings = {"rate_limit": {"enabled": False}}
    app = await tandem_bot.start()
    intents: list[IntentBase] = record_intents(app)
    prefix = tandem_bot.prefix
    chats = {}
    for name, member in (("ana", ana), ("ben", ben)):
        chats[name] = await open_dm(member, tandem_bot)
        await play_join(tandem_bot, chats[name], ProfilePlayer(FOUR[name]), intents)
    boss = await open_dm(organizer, tandem_bot)
    await boss.exchange(f"{prefix} admin match preview")
    await boss.exchange(f"{prefix} admin match run")
    await app.run_due()
    record = await app.store.members.find("test-community", "matrix", ana.user_id)
    assert record is not None
    tandem = await app.store.tandems.current_for(record.id)
    assert tandem is not None
    assert tandem.space is not None
    room_id = tandem.space["channel_id"]
    for member in (ana, ben):
        await member.wait_for_invite(room_id)
        await member.join(room_id)
    room = Conversation(ana, room_id, tandem_bot.user_id)
    clock.advance(timedelta(days=3))
    await app.run_due()
    ana_chat, ben_chat = chats["ana"], chats["ben"]
    await until(ana_chat, "Wie war dein erstes Gespräch")
    await until(ben_chat, "How was your first")
    await until_said(ana_chat, "1", "Danke! Ich sage dir Bescheid")
    await until_said(ben_chat, "1", "🎉 Wonderful – Ana said yes too")
    await app.run_due()

    # The agreement, typed: Ana keeps her goals (one milestone each), Ben writes his own.
    await until(ana_chat, "🤝 Lass uns euer Tandem mit Ben einrichten!")
    goals = (await app.store.members.profile(record.id))["goals"]
    await until_said(ana_chat, "1", "Meilensteine für")
    for index in range(len(goals)):
        last = index == len(goals) - 1
        await until_said(ana_chat, f"Schritt {index + 1}", "📅" if last else "Meilensteine")
    for beginning in ("⏱️ Wie lange", "Wie trefft ihr euch?", "🤝 Letzter Schritt"):
        await until_said(ana_chat, "1", beginning)
    await until_said(ana_chat, "1", "Danke, dein Teil ist da!")
    await until(ben_chat, "🤝 Let's set up your tandem with Ana!")
    await until_said(ben_chat, "2", "What are your goals for this tandem?")
    await until_said(ben_chat, "Speak freely at meetups", "Milestones for")
    await until_said(ben_chat, "Give a five-minute talk", "📅")
    for beginning in ("⏱️ How long", "How will you meet?", "🤝 Last step"):
        await until_said(ben_chat, "1", beginning)
    await until_said(ben_chat, "1", "Thanks! Ana's part was already in")
    await app.run_due()
    await until(ana_chat, "📝 Eure Tandem-Vereinbarung (Version 1)")
    await until_said(ana_chat, "1", "Danke, bestätigt!")
    await until(ben_chat, "📝 Your tandem agreement (version 1)")
    await until_said(ben_chat, "1", "🎉 Confirmed: Ana had confirmed already")
    await app.run_due()
    await until(room, "✅ Ana and Ben have both confirmed your agreement.")

    # A private note, typed after the command.
    await until_said(ana_chat, f"{prefix} note Timeboxing hilft", "📓 Notiert!")

    # Ana's milestone: celebrated in the pair room; she says yes to shout-outs, Ben not yet.
    await until_said(ana_chat, f"{prefix} milestone", "🏁 Welchen deiner Meilensteine")
    await until_said(ana_chat, "1", "📣 Noch eins")
    await until_said(ana_chat, "1", "🎉 Herzlichen Glückwunsch zu „Schritt 1“!")
    await app.run_due()
    await until(room, "🎉 Ana hat einen Meilenstein erreicht: „Schritt 1“!")
    asked = await until(ben_chat, '🎉 Ana reached a milestone: "Schritt 1".')
    assert "Would you like to congratulate them" in asked.body
    await until_said(ben_chat, "1", "🥳 Sent! Ana will see it in your pair space.")
    await until(room, "🥳 Ben congratulates Ana: well done!")

    # Ben's milestone and his yes: one shout-out in the community room, naming only the two.
    await until_said(ben_chat, f"{prefix} milestone", "🏁 Which of your milestones")
    await until_said(ben_chat, "1", "📣 One more thing")
    await until_said(ben_chat, "1", '🎉 Congratulations on "Give a five-minute talk"!')
    await app.run_due()
    await organizer.wait_for_message(community, body=SHOUTOUT, sender=tandem_bot.user_id)
    await until(ana_chat, "🎉 Ben hat einen Meilenstein erreicht: „Give a five-minute talk“.")
    await until_said(ana_chat, "3", "👋 Alles klar")

    # Ana reflects on demand and shares progress and focus; Ben is asked too, shares nothing.
    await until_said(
        ana_chat, f"{prefix} reflect", "🪞 Zeit zum Reflektieren (Reflexion 1 mit Ben)"
    )
    await until(ana_chat, "🎯 „")
    for index in range(len(goals)):
        await until_said(ana_chat, "4", "Eine Notiz zu diesem Ziel?")
        last = index == len(goals) - 1
        note = "Folien fertig" if index == 0 else "-"
        await until_said(ana_chat, note, "🙌 Was hat dir" if last else "🎯 „")
    await until_said(ana_chat, "-", "🔧 Was solltet ihr")
    await until_said(ana_chat, SECRET, "🧭 Worauf")
    await ana_chat.say("Probevortrag")
    (asked,) = await ana_chat.next()
    if asked.body.startswith("🏁"):  # a milestone still open: none reached
        await ana_chat.say("-")
        (asked,) = await ana_chat.next()
    assert asked.body.startswith("🤝 Letzte Frage: Was darf Ben")
    chosen = (
        f"{number_of(asked.body, 'Meinen Fortschritt')} {number_of(asked.body, 'Meinen Fokus')}"
    )
    await until_said(ana_chat, chosen, "🪞 Danke fürs Reflektieren! Ich habe Ben gebeten")
    await app.run_due()
    await until(ben_chat, "🪞 Time to reflect (reflection 1 with Ana)")
    await until(ben_chat, '🎯 "Speak freely at meetups"')
    await until_said(ben_chat, "2", "A note on this goal?")
    await until_said(ben_chat, "Nervous", "🙌 What helped")
    await until_said(ben_chat, "-", "🔧 What should")
    await until_said(ben_chat, "-", "🧭 What's your focus")
    asked = await until_said(ben_chat, "Meetups", "🤝 Last question")
    nothing = number_of(asked.body, "Nothing – keep it all private")
    await until_said(ben_chat, nothing, "🪞 Thank you for reflecting! Ana has reflected too")
    await app.run_due()
    german = await until(room, "🪞 Reflexion 1 von Ana und Ben")
    english = await until(room, "🪞 Reflection 1 of Ana and Ben")
    for shown in (german.body, english.body):
        assert "Probevortrag" in shown
        for private in (SECRET, "Folien fertig", "Nervous", "Meetups"):
            assert private not in shown, private
    assert "Ben keeps this reflection private." in english.body
    shoutouts = [m for m in organizer.messages(community) if m.sender == tandem_bot.user_id]
    assert [m.body for m in shoutouts] == [SHOUTOUT]

    # The organizer sees the counts and the chart in their DM; nothing anyone wrote.
    summary, caption = await boss.exchange(f"{prefix} admin stats", count=2)
    assert "Reflections answered: 2 (2 in the last 12 weeks)" in summary.body
    assert "Milestones reached: 2 (2 in the last 12 weeks)" in summary.body
    assert "Quiet pairs: 0 (active, but no meeting check-in" in summary.body
    assert "Meetings held: " in summary.body
    assert "• active: 1" in summary.body
    assert caption.body == "📈 The last 12 weeks as a chart."
    png = await downloaded_file(organizer, boss.room_id, "m.image", "tandem-stats.png")
    assert png_size(png) == (800, 450)
    for private in (SECRET, "Folien fertig", "Nervous", "Meetups", "Schritt 1"):
        assert private not in summary.body, private
        assert private.encode() not in png, private

    # What mydata sends (this export, as files in the DM) holds notes, milestones and
    # reflections; forget deletes them.
    exported = await app.store.privacy.export(record)
    assert [n["text"] for n in exported["notes"]] == ["Timeboxing hilft"]
    assert [m["text"] for m in exported["milestones"]] == ["Schritt 1"]
    assert exported["reflections"][0]["answers"]["change"] == SECRET
    await until_said(ana_chat, f"{prefix} forget", "Soll ich alle deine Daten")
    await ana_chat.say("1")
    for _ in range(400):  # the bot takes the answer from its own sync
        if await app.store.members.find("test-community", "matrix", ana.user_id) is None:
            break
        await asyncio.sleep(0.05)
    await app.run_due()
    remaining = await everything_in_the_database(app)
    for gone in (SECRET, "Timeboxing hilft", "Folien fertig"):
        assert gone not in remaining, gone
