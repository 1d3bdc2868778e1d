"""``block`` on the memory adapter: the member names someone (or means their partner), the block
is kept as a keyed hash, holds after the blocked person forgets and rejoins, and the blocked
person is told nothing."""

from __future__ import annotations

import json

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.intents import Say
from bot.places import MemberRef, Place
from store.blocks import Identity
from tests.conftest import AppFactory, memory_of
from tests.support.onboarding import TRANSCRIPT, play_on_memory
from tests.support.rounds import ANA, BEN, onboard_all


async def join(memory: MemoryAdapter, member: MemberRef) -> None:
    await memory.command(member, "join")
    await play_on_memory(memory, member, TRANSCRIPT, typed=False)


async def blocked_between(app: App, *user_ids: str) -> set[tuple[int, int]]:
    people = []
    for user_id in user_ids:
        record = await app.store.members.find("memory", "memory", user_id)
        assert record is not None
        people.append(Identity.of(record))
    return await app.store.blocks.blocked_pairs("memory", people)


async def test_a_block_holds_after_the_blocked_member_forgets_and_joins_again(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    ana, ben = memory.member("ana"), memory.member("ben")
    await join(memory, ana)
    # Ben has not joined yet: the block waits for him.
    seen = await memory.command(ana, "block", "ben")
    assert seen[0].text.startswith("Erledigt: Falls diese Person mitmacht")
    await join(memory, ben)
    assert len(await blocked_between(app, "ana", "ben")) == 1
    assert memory.texts(ben)[-1].startswith("Geschafft – dein Profil ist gespeichert!")

    await memory.command(ben, "forget")
    await memory.pick(ben, "forget")
    assert await app.store.members.find("memory", "memory", "ben") is None
    await join(memory, ben)
    assert len(await blocked_between(app, "ana", "ben")) == 1
    # Nothing Ben received, before or after, speaks of a block.
    said = [r.intent.text.id for r in memory.received(ben) if isinstance(r.intent, Say)]
    assert not [message for message in said if message.startswith("block.")]


async def test_blocking_by_name_answers_the_same_whether_or_not_the_person_takes_part(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    ana, ben = memory.member("ana"), memory.member("ben")
    await join(memory, ana)
    await join(memory, ben)
    seen = await memory.command(ana, "block", "ben", place=Place.room("memory", "general"))
    nobody = await memory.command(ana, "block", "cem")  # no record at all
    # The same answer, naming nobody: a block is no way to find out who takes part.
    expected = (
        "Erledigt: Falls diese Person mitmacht oder irgendwann beitritt, bringe ich euch nie "
        "zusammen. Die Person erfährt davon nichts."
    )
    assert [r.text for r in seen] == [expected]
    assert [r.text for r in nobody] == [expected]
    assert seen[0].intent.private  # an ephemeral answer where the platform has one
    assert len(await blocked_between(app, "ana", "ben")) == 1
    again = await memory.command(ana, "block", "ben")
    assert again[0].text == expected
    assert len(await app.store.dump_table("blocks")) == 2


async def test_a_typed_name_is_read_as_the_platform_identifies_people(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ana, ben = memory.member("ana"), memory.member("ben")
    await join(memory, ana)
    await join(memory, ben)
    # Names are case-insensitive, as the console identifies people: "Ben" is ben.
    await memory.command(ana, "block", "Ben")
    assert len(await blocked_between(app, "ana", "ben")) == 1
    # Oneself, however written, and absurd input are refused, and nothing is stored.
    assert (await memory.command(ana, "block", " ANA "))[0].text == (
        "Dich selbst kannst du nicht blockieren. 🙂"
    )
    refused = await memory.command(ana, "block", "x" * 5000)
    assert refused[0].text.startswith(
        "Ich kann nicht erkennen, wen du meinst, deshalb habe ich niemanden blockiert."
    )
    assert len(await app.store.dump_table("blocks")) == 1


async def test_block_needs_someone_else_and_a_member_who_joined(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    stranger, ana = memory.member("stranger"), memory.member("ana")
    seen = await memory.command(stranger, "block", "ana", locale="en")
    assert seen[0].text.startswith("You haven't joined yet.")
    await join(memory, ana)
    assert (await memory.command(ana, "block", "ana"))[0].text == (
        "Dich selbst kannst du nicht blockieren. 🙂"
    )
    whom = await memory.command(ana, "block")
    assert whom[0].text.startswith("Wen möchtest du blockieren? Gib bei /tandem block")
    assert await app.store.dump_table("blocks") == []


async def test_mydata_lists_whom_the_member_blocked_and_forget_removes_it(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    ana, ben = memory.member("ana"), memory.member("ben")
    await join(memory, ana)
    await join(memory, ben)
    await memory.command(ana, "block", "ben")
    await memory.command(ana, "block", "cem")  # someone who never joined
    await memory.command(ana, "mydata")
    exported = json.loads(memory.files[-2].content)
    assert [row["person"] for row in exported["blocks"]] == ["Ben", None]
    markdown = memory.files[-1].content.decode()
    assert "## Wen du blockiert hast\n" in markdown
    assert ", 10:00: Ben\n" in markdown
    assert ", 10:00: jemand, der hier gerade kein Profil hat\n" in markdown
    # Ben's export says nothing of it.
    await memory.command(ben, "mydata")
    assert json.loads(memory.files[-2].content)["blocks"] == []

    await memory.command(ana, "forget")
    await memory.pick(ana, "forget")
    assert await app.store.dump_table("blocks") == []


@pytest.mark.parametrize(("blocker", "blocked"), [("ana", "ben"), ("ben", "ana")])
async def test_a_match_round_never_pairs_two_people_when_either_blocked_the_other(
    make_app: AppFactory, blocker: str, blocked: str
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    people = await onboard_all(memory, {"ana": ANA, "ben": BEN})  # each other's only fit
    olga = memory.member("olga")
    before = await memory.admin(olga, "match", "preview")
    assert "• Ana ↔ Ben" in before[0].text

    await memory.command(people[blocker], "block", blocked)
    after = await memory.admin(olga, "match", "preview")
    assert "Ana ↔ Ben" not in after[0].text
    assert after[0].text.startswith("No pair is possible this time: 2 members are waiting")
