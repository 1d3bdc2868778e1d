"""Block, report and forget on Discord, end to end through the loopback Discord: a member picks
whom to block in the command's user option (Discord's own member picker), the answer is
ephemeral, and the blocked person hears nothing; a report reaches the organizer channel and
never the partner; ``forget`` closes the pair thread for the partner first."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.messages import msg
from store.blocks import Identity
from tests.support.discord_loopback import Guild, LoopbackDiscord, User
from tests.support.discord_tandem import (
    PREFERRED,
    TEXTS,
    AnswerPolicy,
    Tandem,
    answer_until_done,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64


async def test_a_member_picks_whom_to_block_and_the_blocked_hears_nothing(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        for user in (ada, bob):
            await server.invoke_command(user, guild, "tandem", subcommand="join")
            await answer_until_done(tandem, user, AnswerPolicy())
        bob_saw = len(tandem.dm_messages(bob))

        blocking = await server.invoke_command(
            ada, guild, "tandem", subcommand="block", options={"member": bob}
        )
        answer = await server.wait_for_interaction_response(blocking)
        assert answer.data["flags"] & EPHEMERAL
        # The same answer whether Bob takes part or not: a block is no way to find out.
        assert answer.data["content"] == tandem.text(msg("block.done_someone"))

        ada_record, bob_record = await tandem.member(ada), await tandem.member(bob)
        assert ada_record is not None
        assert bob_record is not None
        pairs = await tandem.app.store.blocks.blocked_pairs(
            "discord", [Identity.of(ada_record), Identity.of(bob_record)]
        )
        assert pairs == {(ada_record.id, bob_record.id)}
        assert len(tandem.dm_messages(bob)) == bob_saw


REPORT = "Bob kept pushing me to meet at his flat."


async def introduced_pair(
    server: LoopbackDiscord, tandem: Tandem, guild: Guild, olga: User, *users: User
) -> None:
    """``users`` join, and a match round run by the organizer introduces them in a thread."""
    for user in users:
        await server.invoke_command(user, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, user, AnswerPolicy())
    for action in ("preview", "run"):
        command = await server.invoke_command(
            olga, guild, "tandem-admin", subcommand="match", options={"action": action}
        )
        await server.wait_for_interaction_response(command)
    await tandem.app.run_due()  # the introduction: a private thread, intros, DMs


async def test_a_report_reaches_the_organizer_channel_and_never_the_partner(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    olga = server.add_user("olga")
    guild = server.add_guild(owner=olga)
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    organizers = server.add_text_channel(guild, "organizers", announce=False)
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(
        server,
        guild,
        tmp_path / "t.db",
        pair_channel_id=tandems.id,
        organizer_channel_id=organizers.id,
    ) as tandem:
        await introduced_pair(server, tandem, guild, olga, ada, bob)
        (thread,) = server.threads_in(tandems)
        bob_saw, thread_had = len(tandem.dm_messages(bob)), len(server.messages_in(thread))

        await server.invoke_command(ada, guild, "tandem", subcommand="report")
        policy = AnswerPolicy(
            preferred={**PREFERRED, "about": "partner"}, texts={**TEXTS, "what": REPORT}
        )
        await answer_until_done(tandem, ada, policy)
        thanks = tandem.dm_messages(ada)[-1].content
        assert thanks.startswith("Thank you for telling us — that takes courage.")
        assert "professional counselling service" in thanks

        await tandem.app.run_due()
        (posted,) = [m for m in server.messages_in(organizers) if m.author_id == server.bot.id]
        assert posted.content.startswith("🚩 Report no. 1 from ada (")
        assert REPORT in posted.content
        assert "To remove bob from the program: /tandem-admin remove 1." in posted.content
        # Member text never pings anyone, in the organizers' channel either.
        assert posted.allowed_mentions == {"parse": []}
        assert len(tandem.dm_messages(bob)) == bob_saw
        assert len(server.messages_in(thread)) == thread_had
        assert not [m for m in server.messages_in(thread) if REPORT in m.content]


async def test_forget_closes_the_pair_thread_for_the_partner_before_deleting(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    olga = server.add_user("olga")
    guild = server.add_guild(owner=olga)
    tandems = server.add_text_channel(guild, "tandems", announce=False)
    ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
    async with running_tandem(
        server, guild, tmp_path / "t.db", pair_channel_id=tandems.id
    ) as tandem:
        await introduced_pair(server, tandem, guild, olga, ada, bob)
        (thread,) = server.threads_in(tandems)
        assert set(thread.member_ids) >= {ada.id, bob.id}

        await server.invoke_command(ada, guild, "tandem", subcommand="forget")
        forgetting = AnswerPolicy(preferred={**PREFERRED, "confirm": "forget"})
        await answer_until_done(tandem, ada, forgetting)

        farewell = server.messages_in(thread)[-1]
        assert farewell.author_id == server.bot.id
        assert farewell.content == tandem.text(msg("ending.space_farewell"))
        assert ada.id not in thread.member_ids  # taken out while the bot still knew her
        assert bob.id in thread.member_ids
        assert thread.archived
        assert thread.locked
        assert await tandem.member(ada) is None

        await tandem.app.run_due()
        told = tandem.dm_messages(bob)[-1].content
        assert told == tandem.text(msg("ending.partner_gone", next=msg("ending.next_first")))
        record = await tandem.member(bob)
        assert record is not None
        assert record.status == "waiting"
