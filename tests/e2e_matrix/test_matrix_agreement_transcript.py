"""The tandem agreement through a real Synapse: Ana and Ben are matched and both go on; each
types their part in their encrypted DM (numbers for choices, Ben another time of his own), the
agreement appears in their pair room in both languages, both confirm, and ``!tandem agreement``
shows it again; ``!tandem status`` says where Ana stands, and ``!tandem calendar`` sends the
meetings as an encrypted calendar file in her DM (downloaded, decrypted and parsed back). The
same on the memory adapter, the console and Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.app import App
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

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(300)]

#: A Monday, 10:00 in Berlin: nobody's night.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_an_agreement_on_matrix_made_and_confirmed(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    pair = await make_agreement(tandem_bot, matrix_user_factory)
    ana_chat, prefix = pair.chats["ana"], tandem_bot.prefix
    ana = ana_chat.member

    # Any time later, !tandem agreement shows it.
    shown = await until_said(ana_chat, f"{prefix} agreement", "📝 Eure Tandem-Vereinbarung")
    assert "Möchtest du eine Änderung vorschlagen?" in shown.body

    # Where Ana stands, and the meetings as a calendar file in her encrypted DM.
    status = await until_said(ana_chat, f"{prefix} status", "📍 Dein Status")
    assert status.body.startswith(
        "📍 Dein Status: im Tandem mit Ben, Woche 1 von 12; nächstes Treffen Montag, 12. Januar "
        "2026, 19:00, deine Zeit"
    )
    caption = await until_said(ana_chat, f"{prefix} calendar", "📅 Deine Treffen mit Ben")
    assert "jeden Montag 19:00 – 20:00, deine Zeit (Europe/Vienna)" in caption.body
    data = await downloaded_file(ana, ana_chat.room_id, "m.file", "tandem-meetings.ics")
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["MO"]
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart").strftime("%Y-%m-%d %H:%M") == "2026-01-12 19:00"
    assert str(event["summary"]) == "Tandem mit Ben"


@dataclass
class AgreedPair:
    """Ana and Ben after their agreement: the app, its clock, each one's DM and the pair room
    (as Ana sees it)."""

    app: App
    clock: FakeClock
    chats: dict[str, Conversation]
    room: Conversation
    community: str


async def make_agreement(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory, *, celebrate: bool = False
) -> AgreedPair:
    """Ana and Ben join, are matched, go on after their first call, type their parts (Ben
    another time: Monday 19:00) and both confirm (also the meetings' Matrix transcript).
    ``celebrate``: the community room is the celebration room too."""
    organizer = await matrix_user_factory("olga", displayname="Olga")
    ana = await matrix_user_factory("ana", displayname="Ana")
    ben = await matrix_user_factory("ben", displayname="Ben")
    community = await open_community(organizer, tandem_bot, [ana, ben])
    if celebrate:
        tandem_bot.matrix["celebration_room"] = community
    clock = tandem_bot.clock = FakeClock(NOW)
    tandem_bot.run_scheduler = False
    # Each member types some thirty answers at machine speed: no rate limit here.
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
    # The first-call question comes when the call could have happened.
    clock.advance(timedelta(days=3))
    await app.run_due()
    await until(chats["ana"], "Wie war dein erstes Gespräch")
    await until(chats["ben"], "How was your first")
    await until_said(chats["ana"], "1", "Danke! Ich sage dir Bescheid")
    await until_said(chats["ben"], "1", "🎉 Wonderful – Ana said yes too")
    await app.run_due()

    # Ana keeps her profile's goals and gives a milestone for each; numbers pick the options.
    ana_chat = chats["ana"]
    await until(ana_chat, "🤝 Lass uns euer Tandem mit Ben einrichten!")
    goals = (await app.store.members.profile(record.id))["goals"]
    await until_said(ana_chat, "1", "Meilensteine für")
    for index in range(len(goals)):
        last = index == len(goals) - 1
        asked = await until_said(ana_chat, f"Schritt {index + 1}", "📅" if last else "Meilensteine")
    assert "1. Montag 17:00" in asked.body
    await until_said(ana_chat, "1", "⏱️ Wie lange")
    await until_said(ana_chat, "1", "Wie trefft ihr euch?")
    await until_said(ana_chat, "1", "🤝 Letzter Schritt")
    await until_said(ana_chat, "1", "Danke, dein Teil ist da!")

    # Ben writes his own goal and types another time.
    ben_chat = chats["ben"]
    await until(ben_chat, "🤝 Let's set up your tandem with Ana!")
    await until_said(ben_chat, "2", "What are your goals for this tandem?")
    await until_said(ben_chat, "Speak freely at meetups", "Milestones for")
    slots = await until_said(ben_chat, "Give a five-minute talk (week 6)", "📅")
    assert "3. Another time" in slots.body
    await until_said(ben_chat, "3", "Which weekday and time?")
    await until_said(ben_chat, "Mon 19:00", "⏱️ How long")
    await until_said(ben_chat, "1", "How will you meet?")
    await until_said(ben_chat, "1", "🤝 Last step")
    await until_said(ben_chat, "1", "Thanks! Ana's part was already in")

    # The agreement in the pair room, in both languages; both confirm in their DMs.
    await app.run_due()
    await until(room, "📝 Eure Tandem-Vereinbarung (Version 1)")
    english = await until(room, "📝 Your tandem agreement (version 1)")
    assert "• Speak freely at meetups\n   ◦ Give a five-minute talk (week 6)" in english.body
    assert "this is Ben's choice" in english.body
    asked = await until(ana_chat, "📝 Eure Tandem-Vereinbarung (Version 1)")
    assert "Bestätigst du diese Vereinbarung mit Ben?" in asked.body
    await until_said(ana_chat, "1", "Danke, bestätigt!")
    await until(ben_chat, "📝 Your tandem agreement (version 1)")
    confirmed = await until_said(ben_chat, "1", "🎉 Confirmed: Ana had confirmed already")
    assert confirmed.body.endswith("!tandem calendar sends you a calendar file.")
    await app.run_due()
    await until(ana_chat, "🎉 Ben hat eure Vereinbarung auch bestätigt")
    await until(room, "✅ Ana and Ben have both confirmed your agreement.")
    return AgreedPair(app, clock, chats, room, community)
