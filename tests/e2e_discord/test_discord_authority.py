"""Authority and consent on Discord, end to end through the loopback Discord: ``/tandem-admin
status`` is the kernel's organizer command (refused by the router to members, answered
privately to organizers), a raised privacy notice is asked for before a member's command, and a
stranger's commands leave no row behind."""

from __future__ import annotations

import json

import pytest

from bot.messages import msg
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_join,
    answer_until_done,
    eventually,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64


async def everything_stored(tandem: Tandem) -> str:
    store = tandem.app.store
    return json.dumps(
        {table: await store.dump_table(table) for table in await store.table_names()},
        default=str,
    )


async def test_tandem_admin_status_is_refused_to_members_and_answered_to_organizers(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    olga = server.add_user("olga")
    guild = server.add_guild(owner=olga)
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, ada, AnswerPolicy())
        before = await everything_stored(tandem)

        refused = await server.invoke_command(ada, guild, "tandem-admin", subcommand="status")
        answer = await server.wait_for_interaction_response(refused)
        assert answer.data["flags"] & EPHEMERAL
        assert answer.data["content"] == tandem.text(
            msg("command.organizer_only", command="/tandem-admin status")
        )
        assert await everything_stored(tandem) == before

        allowed = await server.invoke_command(olga, guild, "tandem-admin", subcommand="status")
        answer = await server.wait_for_interaction_response(allowed)
        assert answer.data["flags"] & EPHEMERAL
        content = answer.data["content"]
        assert content.startswith("Members of this community by status (1 in all):\n")
        assert "• waiting for a tandem partner: 1" in content
        assert "• not joined yet: 0" in content
        assert await tandem.member(olga) is None


async def test_a_raised_notice_is_asked_before_the_members_command(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await answer_until_done(tandem, ada, AnswerPolicy())

    raised = {"privacy_notice_version": "2027-01"}
    async with running_tandem(server, guild, tmp_path / "t.db", program=raised) as tandem:
        command = await server.invoke_command(ada, guild, "tandem", subcommand="profile")
        response = await server.wait_for_interaction_response(command)
        assert response.data["content"] == tandem.text(msg("conversation.moved_to_dm"))
        conversation = await eventually(lambda: tandem.conversation(ada))
        assert (conversation.flow_id, conversation.step_id) == ("consent", "consent")
        texts = await eventually(lambda: [m.content for m in tandem.dm_messages(ada)][-2:])
        assert texts[0].startswith(
            "Before we go on: the privacy notice has changed (now version 2027-01)."
        )
        assert "(privacy notice, version 2027-01)" in texts[1]
        assert not any(text.startswith("Your profile") for text in texts)

        await answer_join(tandem, ada, AnswerPolicy())
        thanks = await eventually(
            lambda: [
                m.content for m in tandem.dm_messages(ada) if "noted your consent" in m.content
            ]
        )
        assert thanks[0].startswith("Thank you, I've noted your consent.")
        member = await tandem.member(ada)
        assert member is not None
        assert member.consented_version == "2027-01"
        assert member.status == "waiting"


async def test_a_strangers_commands_leave_no_row_behind(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    stranger = server.add_member(guild, "stranger")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        names = [
            spec.name
            for spec in tandem.app.router.commands()
            if not spec.organizer_only and spec.name != "join"
        ]
        for name in names:
            command = await server.invoke_command(stranger, guild, "tandem", subcommand=name)
            await server.wait_for_interaction_response(command)
        status = await server.invoke_command(stranger, guild, "tandem-admin", subcommand="status")
        await server.wait_for_interaction_response(status)
        stored = await everything_stored(tandem)
    assert "language" in names
    assert str(stranger.id) not in stored
    assert "stranger" not in stored.casefold()
