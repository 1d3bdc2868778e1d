"""Authority and consent on Matrix, through a real Synapse: ``!tandem admin status`` is refused
by the kernel to a member without the power level and answered to the community room's
creator; a raised privacy notice is asked for before a member's command."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.intents import IntentBase
from tests.support.join_player import Player, record_intents
from tests.support.synapse.bot import (
    Conversation,
    TandemBot,
    open_community,
    open_dm,
    play_join,
    settle,
)
from tests.support.synapse.fixtures import MatrixTestUser, MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


async def stored_about(app: App, user_id: str) -> dict[str, Any]:
    """What the store holds about one person: the kernel's tables and the adapter's records."""
    store = app.store
    member = await store.members.find("test-community", "matrix", user_id)
    tables: dict[str, Any] = {"member": member}
    for table in ("conversations", "consents", "profile_answers"):
        rows = await store.dump_table(table)
        tables[table] = [r for r in rows if member is not None and r["member_id"] == member.id]
    records = await store.dump_table("adapter_state")
    tables["adapter_state"] = [r for r in records if r["platform_user_id"] == user_id]
    return tables


async def alice_joined(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> tuple[App, list[IntentBase], MatrixTestUser, MatrixTestUser, Conversation]:
    """A community made by its organizer, with alice, who joined in her DM with the bot."""
    organizer = await matrix_user_factory("organizer")
    alice = await matrix_user_factory("alice")
    await open_community(organizer, tandem_bot, [alice])
    app = await tandem_bot.start()
    intents = record_intents(app)
    chat = await open_dm(alice, tandem_bot)
    await play_join(tandem_bot, chat, Player(app.translator), intents)
    return app, intents, organizer, alice, chat


async def test_admin_status_is_refused_to_members_and_answered_to_the_organizer(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    app, intents, organizer, alice, chat = await alice_joined(tandem_bot, matrix_user_factory)
    before = await stored_about(app, alice.user_id)

    (refused,) = await settle(tandem_bot, chat, await chat.say("!tandem admin status"), intents)
    assert refused.body == (
        'Only organizers can use "!tandem admin status". If you think you should be one, ask an '
        "organizer of your community."
    )
    assert await stored_about(app, alice.user_id) == before

    own = await open_dm(organizer, tandem_bot)
    (counts,) = await settle(tandem_bot, own, await own.say("!tandem admin status"), intents)
    assert counts.body.startswith("Members of this community by status (1 in all):\n")
    assert "• waiting for a tandem partner: 1" in counts.body
    assert await app.store.members.find("test-community", "matrix", organizer.user_id) is None


async def test_a_raised_notice_is_asked_before_the_members_command(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    app, intents, _organizer, alice, chat = await alice_joined(tandem_bot, matrix_user_factory)

    await tandem_bot.stop()
    tandem_bot.program = {"privacy_notice_version": "2027-01"}
    app = await tandem_bot.start()
    record_intents(app, intents)  # one record across the restart, as the DM's messages are
    changed, notice = await settle(tandem_bot, chat, await chat.say("!tandem profile"), intents)
    assert changed.body.startswith(
        "Before we go on: the privacy notice has changed (now version 2027-01)."
    )
    assert "(privacy notice, version 2027-01)" in notice.body
    (thanks,) = await settle(tandem_bot, chat, await chat.say("1"), intents)
    assert thanks.body.startswith("Thank you, I've noted your consent.")
    member = await app.store.members.find("test-community", "matrix", alice.user_id)
    assert member is not None
    assert member.consented_version == "2027-01"
    (profile,) = await settle(tandem_bot, chat, await chat.say("!tandem profile"), intents)
    assert profile.body.startswith("Your profile")
