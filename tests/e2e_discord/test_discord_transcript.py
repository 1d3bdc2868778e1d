"""The same join conversation on the memory adapter and on Discord gives the same result.

One member answers the join questionnaire with the same answers (one :class:`AnswerPolicy`)
twice: on the memory adapter (the reference the flow tests use) and as a person on the loopback
Discord clicking buttons, choosing in menus and filling in forms. Both runs must ask the same
questions in the same order (compared by message id, and by what the Discord member read) and
leave the same data in the store.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.intents import Ask, IntentBase
from store import Store
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import AnswerPolicy, answer_until_done, running_tandem

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]

#: Columns that name the platform, the row or the moment, not what the member answered.
VOLATILE = {
    "id",
    "member_id",
    "conversation_id",
    "platform",
    "platform_user_id",
    "display_name",
    "platform_locale",
    "place",
    "dm_place",
    "community_id",
    "step_seq",
    "event_id",
}


async def run_on_memory(database: Path, policy: AnswerPolicy) -> tuple[list[Ask], Store]:
    settings = load_settings(None, database={"url": f"sqlite+aiosqlite:///{database}"})
    app = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=False)
    await app.start()
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    memory.community_id = "discord"  # the same community as on Discord, for the comparison
    ada = memory.member("ada")
    await memory.command(ada, "join")
    while True:
        record = await app.store.members.find("discord", "memory", "ada")
        active = None if record is None else await app.store.conversations.active_for(record.id)
        if active is None:
            break
        ask = memory.last_ask(ada)
        if ask.kind == "text":
            await memory.answer(ada, policy.text(active.step_id))
        else:
            options = [option.id for option in ask.options]
            await memory.answer(ada, *policy.choices(active.step_id, options, ask.min_choices))
    asks = [r.intent for r in memory.received(ada) if isinstance(r.intent, Ask)]
    rows = await stored_answers(app.store)
    await app.stop()
    return asks, rows


async def stored_answers(store: Store) -> Any:
    """Every row of every table, without the columns that differ between platforms."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(await store.table_names()):
        if name in {"alembic_version", "adapter_state"}:
            continue
        rows = []
        for row in await store.dump_table(name):
            rows.append(
                {
                    key: value
                    for key, value in row.items()
                    if key not in VOLATILE and not isinstance(value, datetime)
                }
            )
        tables[name] = sorted(rows, key=repr)
    return tables


async def test_join_gives_the_same_questions_and_the_same_data_on_memory_and_discord(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    policy = AnswerPolicy()
    memory_asks, memory_rows = await run_on_memory(tmp_path / "memory.db", policy)

    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    discord_asks: list[Ask] = []
    async with running_tandem(server, guild, tmp_path / "discord.db") as tandem:
        deliver = tandem.app.deliver

        async def recording_deliver(intent: IntentBase):
            if isinstance(intent, Ask):
                discord_asks.append(intent)
            return await deliver(intent)

        tandem.app.deliver = recording_deliver  # type: ignore[method-assign]
        await server.invoke_command(ada, guild, "tandem", subcommand="join")
        answered = await answer_until_done(tandem, ada, policy)
        discord_rows = await stored_answers(tandem.app.store)
        seen = [step.question.content for step in answered]
        translator = tandem.app.translator

    # The same questions in the same order, by message id ...
    assert [a.question.id for a in discord_asks] == [a.question.id for a in memory_asks]
    assert [a.kind for a in discord_asks] == [a.kind for a in memory_asks]
    # ... and what the Discord member read is each of those questions, in their language
    # (Discord says it from the first command on: no greeting in both languages there).
    assert len(seen) == len(memory_asks)
    for content, ask in zip(seen, discord_asks, strict=True):
        assert content.startswith(translator.render(ask.question, ask.locale))
    # The store holds the same answers, profile, consent and conversation outcome.
    assert discord_rows == memory_rows
    assert discord_rows["profile_answers"], "the profile was saved"
