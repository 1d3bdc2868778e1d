"""Places and safety on Discord: pair spaces, closed DMs, mentions in member-written text,
someone else's question, long text and files, end to end through the loopback Discord."""

from __future__ import annotations

import pytest

from adapters.discord.adapter import escape_member_text
from bot.intents import Ask, AttachFile, ClosePairSpace, OpenPairSpace, Option, Say
from bot.messages import msg
from bot.places import MemberRef, Place, PlaceKind
from tests.support.discord_loopback import LoopbackDiscord, User, payloads
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_until_done,
    eventually,
    open_pair_space,
    question_message,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
INJECTION = "@everyone @here <@&123456789> <@987654321> hi"
# A message id that is not in the catalogs renders as itself: a plain name for a test space.
SPACE_NAME = msg("tandem-ada-bob")


def ref(user: User) -> MemberRef:
    return MemberRef(platform="discord", user_id=str(user.id), display_name=user.name)


def assert_no_pings(tandem: Tandem) -> None:
    """Every message the bot left anywhere has mentions switched off."""
    for messages in tandem.server.world.messages.values():
        for message in messages:
            if message.author_id == tandem.server.bot.id:
                mentions = message.allowed_mentions or {}
                assert mentions.get("parse") == [], (message.content, mentions)
                assert not mentions.get("roles")
                assert not mentions.get("users")


async def test_a_pair_space_is_a_private_thread_with_exactly_its_members(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    ada, bob, cy = (server.add_member(guild, name) for name in ("ada", "bob", "cy"))
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_channel_id=tandems.id
    ) as tandem:
        general = server.default_channel(guild)
        delivery = await tandem.app.deliver(
            OpenPairSpace(
                target=Place.room("discord", str(general.id)),
                locale="en",
                community_id="discord",
                members=(ref(ada), ref(bob)),
                name=SPACE_NAME,
                welcome=msg("help.line", command=INJECTION, description="welcome"),
            )
        )

        assert delivery is not None
        assert delivery.place is not None
        assert delivery.place.kind == PlaceKind.PAIR_SPACE
        (thread,) = server.threads_in(tandems)
        assert str(thread.id) == delivery.place.channel_id
        assert thread.type == payloads.CHANNEL_PRIVATE_THREAD
        assert thread.name == "tandem-ada-bob"
        assert not thread.invitable
        assert thread.auto_archive_duration == 10080  # a week, the longest Discord offers
        assert sorted(thread.member_ids) == sorted([server.bot.id, ada.id, bob.id])
        assert server.can_view(ada, thread)
        assert server.can_view(bob, thread)
        assert not server.can_view(cy, thread)
        (welcome,) = server.messages_in(thread)
        assert INJECTION in welcome.content
        assert_no_pings(tandem)

        await tandem.app.deliver(
            ClosePairSpace(target=delivery.place, locale="en", farewell=msg("discord.modal_title"))
        )
        assert thread.archived
        assert thread.locked
        assert server.messages_in(thread)[-1].content == "Your answer"


async def test_a_pair_space_can_be_a_private_channel_in_a_category(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    category = server.add_text_channel(
        guild, "Tandems", channel_type=payloads.CHANNEL_CATEGORY, announce=False
    )
    ada, bob, cy = (server.add_member(guild, name) for name in ("ada", "bob", "cy"))
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_space="channel", pair_category_id=category.id
    ) as tandem:
        delivery = await open_pair_space(tandem, server.default_channel(guild).id, ada, bob)

        assert delivery is not None
        assert delivery.place is not None
        channel = server.channel(int(delivery.place.channel_id or 0))
        assert channel.parent_id == category.id
        assert [server.can_view(u, channel) for u in (ada, bob, cy)] == [True, True, False]
        assert server.can_view(server.bot, channel)
        _, everyone_deny = channel.overwrites()[guild.id]
        assert everyone_deny & VIEW_CHANNEL

        await tandem.app.deliver(ClosePairSpace(target=delivery.place, locale="en"))
        allow, deny = channel.overwrites()[ada.id]
        assert allow & VIEW_CHANNEL
        assert deny & SEND_MESSAGES


async def test_member_written_text_is_sent_back_with_mentions_disabled(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    policy = AnswerPolicy(texts={"offer_text": INJECTION, "timezone": "Europe/Berlin"})
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, ada, policy)

        # Shown as written: "@everyone" and "@here" broken by a zero-width space, and no pings.
        shown = escape_member_text(INJECTION)
        assert "@\u200beveryone @\u200bhere" in shown
        echoed = [m for m in tandem.dm_messages(ada) if shown in m.content]
        assert echoed, "the summary shows what the member wrote"
        assert_no_pings(tandem)


async def test_a_member_with_closed_dms_is_told_privately_in_the_guild(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    server.close_dms(ada)
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        command = await server.invoke_command(ada, guild, "tandem", subcommand="join")

        interaction = server.interaction(command)
        followups = await eventually(
            lambda: [r for r in interaction.responses if r.kind == "followup"],
            description="a follow-up",
        )
        assert len(followups) == 1
        assert followups[0].data["content"] == tandem.text(msg("discord.dm_closed"))
        assert followups[0].data["flags"] & EPHEMERAL
        assert tandem.dm_messages(ada) == []


async def test_without_an_interaction_the_closed_dm_notice_goes_to_the_fallback_channel(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    lobby = server.add_text_channel(guild, "lobby", announce=False)
    ada = server.add_member(guild, "ada")
    server.close_dms(ada)
    async with running_tandem(
        server, guild, tmp_path / "t.db", dm_fallback_channel_id=lobby.id
    ) as tandem:
        # A reminder, say: nothing the member just did to answer.
        await tandem.app.deliver(Say(target=Place.dm(ref(ada)), locale="en", text=msg("help.lead")))

        (notice,) = server.messages_in(lobby)
        assert notice.content.startswith(f"<@{ada.id}>")
        # Only the member concerned may be pinged, and only by the bot's own words.
        assert notice.allowed_mentions is not None
        assert notice.allowed_mentions.get("parse") == []
        assert [str(u) for u in notice.allowed_mentions.get("users", [])] == [str(ada.id)]


async def test_a_click_on_someone_elses_question_is_refused_privately(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        before = await eventually(lambda: tandem.conversation(ada))
        general = server.default_channel(guild)
        # A question of Ada's shown in a shared channel (as a pair space would).
        await tandem.app.deliver(
            Ask(
                target=Place.room("discord", str(general.id)),
                locale="en",
                private=False,
                prompt_id=f"{before.id}.{before.step_seq}",
                question=msg("join.ask_language"),
                kind="one",
                options=(Option(id="en", label=msg("language.en")),),
            )
        )
        shared = await server.wait_for_message(general.id, predicate=lambda m: m.custom_ids())

        click = await server.click_button(bob, shared, shared.custom_ids()[0])
        response = await server.wait_for_interaction_response(click)

        assert response.data["flags"] & EPHEMERAL
        assert response.data["content"] == tandem.text(msg("prompt.not_yours"))
        after = await tandem.conversation(ada)
        assert after is not None
        assert (after.step_seq, after.answers) == (before.step_seq, before.answers)
        assert not any(c.get("disabled") for c in shared.walk_components())


async def test_long_text_is_split_and_files_are_attached(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        long_text = "word " * 900
        await tandem.app.deliver(
            Say(
                target=Place.dm(ref(ada)),
                locale="en",
                text=msg("help.text", lead=long_text, commands=[]),
            )
        )
        await tandem.app.deliver(
            AttachFile(
                target=Place.dm(ref(ada)),
                locale="en",
                filename="tandem.ics",
                content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                mime_type="text/calendar",
                caption=msg("help.lead"),
            )
        )

        messages = tandem.dm_messages(ada)
        assert len(messages) >= 3
        assert all(len(m.content) <= 2000 for m in messages)
        assert "".join(m.content for m in messages[:-1]).count("word") == 900
        attached = messages[-1]
        assert attached.content == tandem.text(msg("help.lead"))
        assert [a["filename"] for a in attached.attachments] == ["tandem.ics"]


async def test_a_direct_message_answers_the_open_question(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        language = await eventually(lambda: tandem.conversation(ada))
        assert language.step_id == "language"
        prompt = f"{language.id}.{language.step_seq}"
        question = await eventually(lambda: question_message(tandem, ada, prompt))

        await server.send_user_message(ada, server.dm_channel_for(ada), "English")

        async def moved() -> bool:
            now = await tandem.conversation(ada)
            return now is not None and now.step_seq > language.step_seq

        await eventually(moved)
        now = await tandem.conversation(ada)
        assert now is not None
        assert now.answers["language"] == "en"
        # The typed answer retired the question: its buttons are gone.
        await eventually(lambda: not question.custom_ids(), description="buttons removed")
