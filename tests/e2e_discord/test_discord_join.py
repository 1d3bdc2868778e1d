"""The join conversation on Discord, end to end through the loopback Discord.

A member runs ``/tandem join`` in the guild, is told privately to look at their DMs, and
answers every question there with buttons, select menus and forms; a restart in the middle
changes nothing for them; a click on an old question is refused privately.
"""

from __future__ import annotations

import pytest

from bot.messages import msg
from store.conversations import ConversationRecord
from tests.support.discord_loopback import InteractionResponse, LoopbackDiscord, User
from tests.support.discord_tandem import (
    AnswerPolicy,
    Tandem,
    answer_join,
    answer_until_done,
    eventually,
    question_message,
    running_tandem,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

EPHEMERAL = 64
UPDATE_MESSAGE = 7
MODAL = 9


async def assert_refused_privately(
    tandem: Tandem, user: User, response: InteractionResponse, before: ConversationRecord | None
) -> None:
    """The member alone was told the question is stale, and the conversation did not move."""
    assert response.data["flags"] & EPHEMERAL
    assert response.data["content"] == tandem.text(msg("prompt.stale"))
    after = await tandem.conversation(user)
    assert after is not None
    assert before is not None
    assert (after.step_id, after.step_seq, after.answers) == (
        before.step_id,
        before.step_seq,
        before.answers,
    )


async def test_join_runs_from_the_slash_command_to_a_saved_profile(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        command = await server.invoke_command(ada, guild, "tandem", subcommand="join")
        response = await server.wait_for_interaction_response(command)
        assert response.data["flags"] & EPHEMERAL
        assert response.data["content"] == tandem.text(msg("conversation.moved_to_dm"))

        answered = await answer_until_done(tandem, ada, AnswerPolicy())

        record = await tandem.member(ada)
        assert record is not None
        assert record.status == "waiting"
        assert record.locale == "en"
        assert record.timezone == "Europe/Berlin"
        profile = await tandem.app.store.members.profile(record.id)
        assert profile["goals"] == ["Give better talks"]
        assert profile["format"] == "video"
        assert profile["offer_text"] == "Ada Lovelace"
        assert len(profile["offers"]) == 1
        # Buttons for few options, select menus for many, forms for free text: both the form a
        # click opens at once and the one behind a question's "Answer" button.
        hows = {step.how for step in answered}
        assert {"button", "select", "form", "form after click"} <= hows
        # Every answered question was updated in place: its components are disabled.
        for step in answered:
            message = server.world.find_message(step.question.id)
            print(
                step.step_id,
                step.how,
                [(c.get("custom_id"), c.get("disabled")) for c in message.walk_components()],
            )
            assert all(c.get("disabled") for c in message.walk_components() if c.get("custom_id"))
        closing = tandem.dm_messages(ada)[-1]
        assert closing.components == []
        assert not closing.ephemeral


async def test_a_restart_in_the_middle_continues_with_a_click_on_the_old_message(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    database = tmp_path / "t.db"
    async with running_tandem(server, guild, database) as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        first = await answer_join(tandem, ada, AnswerPolicy())  # language, by button
        assert first.how == "button"
        waiting = await tandem.conversation(ada)
        assert waiting is not None
    commands_synced = len(
        server.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    )

    async with running_tandem(server, guild, database) as tandem:
        step = await answer_join(tandem, ada, AnswerPolicy())
        assert step.step_id == waiting.step_id
        after = await tandem.conversation(ada)
        assert after is None or after.step_seq > waiting.step_seq
    # Unchanged commands are not registered again on start-up.
    assert (
        len(server.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"))
        == commands_synced
    )


async def test_a_click_on_an_answered_question_is_refused_privately_and_changes_nothing(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        language = await answer_join(tandem, ada, AnswerPolicy())
        before = await tandem.conversation(ada)
        old = server.world.find_message(language.question.id)
        # Re-enable the old buttons, as if the update had been lost: the click must still fail.
        for component in old.walk_components():
            component.pop("disabled", None)
        stale_id = next(c for c in old.custom_ids() if c.endswith(":de"))

        click = await server.click_button(ada, old, stale_id)
        response = await server.wait_for_interaction_response(click)

        await assert_refused_privately(tandem, ada, response, before)


async def test_cancel_in_the_guild_is_answered_in_the_dm_and_retires_the_question(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        await answer_join(tandem, ada, AnswerPolicy())  # language
        open_question = await tandem.conversation(ada)
        assert open_question is not None
        prompt = f"{open_question.id}.{open_question.step_seq}"
        question = await eventually(lambda: question_message(tandem, ada, prompt))

        command = await server.invoke_command(ada, guild, "tandem", subcommand="cancel")
        response = await server.wait_for_interaction_response(command)

        assert response.data["flags"] & EPHEMERAL
        assert response.data["content"] == tandem.text(msg("conversation.answered_in_dm"))
        assert await tandem.conversation(ada) is None
        cancelled = tandem.text(msg("conversation.cancelled", command="/tandem join"))
        assert tandem.dm_messages(ada)[-1].content == cancelled
        # The question that was open has no buttons any more.
        assert question.custom_ids() == []


async def test_an_old_answer_button_opens_its_form_but_the_answer_is_refused(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        opened: int | None = None
        for _ in range(20):  # up to the first free-text question answered through its button
            step = await answer_join(tandem, ada, AnswerPolicy(), opened_form=opened)
            if step.how == "form":
                break
            callback = server.interaction(step.interaction_id).callback
            opened = step.interaction_id if callback and callback.type == MODAL else None
        else:
            raise AssertionError("no free-text question was answered through its button")
        before = await tandem.conversation(ada)
        old = server.world.find_message(step.question.id)
        for component in old.walk_components():  # as if the update had been lost
            component.pop("disabled", None)
        old_button = next(c for c in old.custom_ids() if c.startswith("tandem:t:"))

        click = await server.click_button(ada, old, old_button)
        assert (await server.wait_for_interaction_response(click)).type == MODAL
        submitted = await server.submit_modal(ada, click, {"answer": "too late"})
        response = await server.wait_for_interaction_response(submitted)

        await assert_refused_privately(tandem, ada, response, before)
