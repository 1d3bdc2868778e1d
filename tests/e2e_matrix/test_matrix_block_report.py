"""Block, report and forget on a real Synapse: a member names whom to block with a mention (a
pill shows the display name; the bot takes the user it links to); a report reaches the
organizers' room and never the partner; ``forget`` closes the pair room for the partner first
(a neutral farewell, the forgotten member kicked) and the partner is told without details."""

from __future__ import annotations

import asyncio

import pytest
from nio import RoomSendResponse

from bot.messages import msg
from store.blocks import Identity
from tests.support.rounds import ANA, BEN, Profile
from tests.support.synapse.bot import (
    TandemBot,
    handled,
    joined_member_with_a_profile,
    open_community,
    open_dm,
    until_in,
)
from tests.support.synapse.fixtures import (
    DEFAULT_TIMEOUT,
    MatrixTestUser,
    MatrixUserFactory,
    MessageEvent,
)
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]

REPORT = "Bob kept pushing me to meet at his flat."


async def test_a_member_blocks_someone_by_mentioning_them(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob", displayname="Bob")
    await open_community(organizer, tandem_bot, [alice, bob])
    app = await tandem_bot.start()
    for member in (alice, bob):
        await joined_member_with_a_profile(tandem_bot, member.user_id, "Honest feedback")
    chat = await open_dm(alice, tandem_bot)

    # What Element sends for "!tandem block " followed by a pill of Bob.
    content = {
        "msgtype": "m.text",
        "body": "!tandem block Bob",
        "format": "org.matrix.custom.html",
        "formatted_body": f'!tandem block <a href="https://matrix.to/#/{bob.user_id}">Bob</a>',
        "m.mentions": {"user_ids": [bob.user_id]},
    }
    sent = await asyncio.wait_for(
        alice.client.room_send(
            chat.room_id, "m.room.message", content, ignore_unverified_devices=True
        ),
        DEFAULT_TIMEOUT,
    )
    assert isinstance(sent, RoomSendResponse)
    await handled(tandem_bot, sent.event_id)
    (answer,) = await chat.next()
    # The same answer whether Bob takes part or not: a block is no way to find out.
    assert answer.body == app.translator.render(msg("block.done_someone"), "en")

    records = [
        await app.store.members.find("test-community", "matrix", who.user_id)
        for who in (alice, bob)
    ]
    people = [Identity.of(record) for record in records if record is not None]
    assert len(await app.store.blocks.blocked_pairs("test-community", people)) == 1


async def bot_said(bot: TandemBot, member: MatrixTestUser, room_id: str, part: str) -> MessageEvent:
    """The bot's first message in ``room_id`` that contains ``part``, as ``member`` sees it."""

    def find() -> MessageEvent | None:
        return next(
            (m for m in member.messages(room_id) if m.sender == bot.user_id and part in m.body),
            None,
        )

    await member.sync_until(lambda: find() is not None, what=f"{part!r} in {room_id}")
    found = find()
    assert found is not None
    return found


async def seed_member(bot: TandemBot, who: MatrixTestUser, profile: Profile) -> None:
    """A member who joined earlier with ``profile`` (the answers matching looks at)."""
    app = bot.app
    assert app is not None
    now = app.clock.now()
    member = await app.store.members.ensure(
        "test-community", "matrix", who.user_id, now=now, display_name=who.user_id[1:4].title()
    )
    notice = app.settings.program_for("test-community").privacy_notice_version
    await app.store.members.record_consent(member, notice, now=now)
    answers = {
        "offers": list(profile.offers),
        "needs": list(profile.needs),
        "languages": list(profile.languages),
        "availability": list(profile.availability),
        "format": "video",
        "goals": ["Grow together"],
    }
    zone = {"Wien": "Europe/Vienna", "Berlin": "Europe/Berlin"}[profile.timezone]
    await app.store.members.save_profile(
        member, answers, now=now, status="waiting", locale="en", timezone=zone
    )


async def a_tandem(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory, *, organizer_room: bool
) -> tuple[MatrixTestUser, MatrixTestUser, MatrixTestUser, str, str | None]:
    """Alice and Bob, introduced by a match round in a pair room both joined; the organizer,
    the pair room and (if asked for) the organizers' room."""
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    bob = await matrix_user_factory("bob")
    await open_community(organizer, tandem_bot, [alice, bob])
    organizers = None
    if organizer_room:
        organizers = await organizer.create_room(name="Organizers")
        tandem_bot.matrix["organizer_room"] = organizers
    tandem_bot.run_scheduler = False  # the test runs what falls due
    app = await tandem_bot.start()
    for member, profile in ((alice, ANA), (bob, BEN)):
        await seed_member(tandem_bot, member, profile)
    if organizers is not None:
        # Invited once the bot is in the community room, where it checks who invites it.
        await organizer.client.room_invite(organizers, tandem_bot.user_id)
        await organizer.wait_for_join(organizers, tandem_bot.user_id)
    own = await open_dm(organizer, tandem_bot)
    (preview,) = await own.exchange("!tandem admin match preview")
    assert "• Ali ↔ Bob" in preview.body
    (ran,) = await own.exchange("!tandem admin match run")
    assert ran.body.startswith("The round is on")
    await app.run_due()
    tandem = await app.store.tandems.latest_for(
        (await app.store.members.find("test-community", "matrix", alice.user_id)).id  # type: ignore[union-attr]
    )
    assert tandem is not None
    assert tandem.space is not None
    pair_room = tandem.space["channel_id"]
    for member in (alice, bob):
        await member.join(pair_room)
    # The bot encrypts for the members it has seen join (as a client does).
    adapter = tandem_bot.adapter
    await adapter.loop.wait_for(
        lambda: {alice.user_id, bob.user_id} <= set(adapter.client.rooms[pair_room].users), 10
    )
    return alice, bob, organizer, pair_room, organizers


async def test_a_report_reaches_the_organizers_room_and_not_the_partner(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, organizer, pair_room, organizers = await a_tandem(
        tandem_bot, matrix_user_factory, organizer_room=True
    )
    assert organizers is not None
    app = tandem_bot.app
    assert app is not None
    chat = await open_dm(alice, tandem_bot)
    await chat.exchange("!tandem report")
    await chat.say(REPORT)
    (about,) = await chat.next()
    assert "Is it about your tandem with Bob?" in about.body
    (thanks,) = await chat.exchange("1")
    assert thanks.body.startswith("Thank you for telling us — that takes courage.")

    await app.run_due()
    posted = await bot_said(tandem_bot, organizer, organizers, REPORT)
    assert posted.body.startswith("🚩 Report no. 1 from Ali (")
    assert "To remove Bob from the program: !tandem admin remove 1." in posted.body
    assert posted.source["content"]["m.mentions"] == {}
    await bob.sync()
    assert not [m for m in bob.messages(pair_room) if REPORT in m.body]
    assert not [m for room in bob.client.rooms for m in bob.messages(room) if REPORT in m.body]


async def test_forget_closes_the_pair_room_for_the_partner_first(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice, bob, _organizer, pair_room, _ = await a_tandem(
        tandem_bot, matrix_user_factory, organizer_room=False
    )
    app = tandem_bot.app
    assert app is not None
    bob_chat = await open_dm(bob, tandem_bot)
    chat = await open_dm(alice, tandem_bot)
    (ask,) = await chat.exchange("!tandem forget")
    assert "delete all your data" in ask.body
    await chat.say("1")
    farewell = await bot_said(tandem_bot, bob, pair_room, "This tandem has ended")
    assert farewell.body == app.translator.render(msg("ending.space_farewell"), "en")
    # Both are taken out of the closed room, after the farewell.
    for member in (alice, bob):
        await until_in(synapse, member.access_token, pair_room, "leave")
    await bot_said(tandem_bot, alice, chat.room_id, "Done.")
    assert await app.store.members.find("test-community", "matrix", alice.user_id) is None

    await app.run_due()
    bob_dm = await bot_said(tandem_bot, bob, bob_chat.room_id, "Your tandem has ended")
    assert bob_dm.body == app.translator.render(
        msg("ending.partner_gone", next=msg("ending.next_first")), "en"
    )
