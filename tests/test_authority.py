"""Who may run what is decided in the kernel: organizer commands are refused to anyone the
adapter did not mark as organizer, on both capability profiles and for forged events alike."""

from __future__ import annotations

import json

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.events import CommandInvoked
from bot.places import Place
from tests.conftest import PROFILES, AppFactory, memory_of
from tests.support.onboarding import TRANSCRIPT, play_on_memory

SPELLED = {"memory": "/tandem-admin status", "memory-text": "!tandem admin status"}
JOIN = {"memory": "/tandem join", "memory-text": "!tandem join"}


async def everything_stored(app: App) -> dict[str, list[dict]]:
    return {table: await app.store.dump_table(table) for table in await app.store.table_names()}


async def a_community(app: App, typed: bool) -> MemoryAdapter:
    """Two members who joined (one paused) and one who only started."""
    memory = memory_of(app)
    for user in ("ana", "ben"):
        member = memory.member(user)
        await memory.command(member, "join")
        await play_on_memory(memory, member, TRANSCRIPT, typed=typed)
    await memory.command(memory.member("ben"), "pause", "offen")
    await memory.command(memory.member("cleo"), "join")
    return memory


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_member_is_refused_the_organizer_status_and_nothing_is_stored(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    before = await everything_stored(app)
    stranger = memory.member("mallory")
    seen = await memory.admin(stranger, "status", locale="en")
    assert [r.text for r in seen] == [
        f'Only organizers can use "{SPELLED[profile]}". If you think you should be one, ask an '
        "organizer of your community."
    ]
    seen = await memory.admin(stranger, "status", locale="de")
    assert seen[0].text.startswith(f'"{SPELLED[profile]}" können nur Organisator:innen nutzen.')
    assert await everything_stored(app) == before


@pytest.mark.parametrize("profile", PROFILES)
async def test_an_organizer_gets_the_members_by_status_privately(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = await a_community(app, typed=profile == "memory-text")
    memory.organizers.add("olga")
    olga = memory.member("olga")
    room = Place.room("memory", "general")
    seen = await memory.admin(olga, "status", place=room, locale="en")
    status = seen[-1]
    assert status.text == (
        "Members of this community by status (3 in all):\n"
        "• not joined yet: 1\n"
        "• answering the questions: 0\n"
        "• waiting for a tandem partner: 1\n"
        "• paused: 1\n"
        "• in a tandem: 0\n"
        "• alumni (finished a program): 0\n"
        "• left the program: 0"
    )
    if profile == "memory":  # whispered where it was asked, like Discord's ephemeral replies
        assert (status.place, status.intent.private) == (room, True)
    else:  # a shared Matrix room cannot whisper: the counts go to the DM
        assert seen[0].text == "I've answered you in a direct message."
        assert status.place.kind == "dm"
    german = await memory.admin(olga, "status", locale="de")
    assert german[0].text.startswith("Mitglieder dieser Community nach Status (3 insgesamt):\n")
    assert "• pausiert: 1" in german[0].text
    assert await app.store.members.find("memory", "memory", "olga") is None


async def test_a_forged_event_without_the_organizer_mark_is_refused_even_by_its_known_name(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    eve = memory.member("eve")
    before = await everything_stored(app)
    common = {"community_id": "memory", "member": eve, "place": memory.dm(eve), "locale": "en"}
    for forged in (
        CommandInvoked(name="status", organizer_command=True, organizer=False, **common),
        CommandInvoked(name="waiting", organizer=False, **common),  # outside its group, too
        CommandInvoked(name="no-such", organizer_command=True, organizer=False, **common),
    ):
        seen = await memory.push(forged)
        assert len(seen) == 1
        assert seen[0].text.startswith('Only organizers can use "/tandem-admin ')
        assert "Members of this community" not in seen[0].text
    assert await everything_stored(app) == before


@pytest.mark.parametrize("profile", PROFILES)
async def test_help_lists_organizer_commands_only_to_organizers_in_their_group(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    memory.organizers.add("olga")
    line = f"• {SPELLED[profile]} — How many members are in each status"
    member_help = (await memory.command(memory.member("ana"), "help", locale="en"))[0].text
    organizer_help = (await memory.command(memory.member("olga"), "help", locale="en"))[0].text
    assert line not in member_help
    assert "admin" not in member_help
    assert line in organizer_help
    assert f"• {JOIN[profile]} — " in organizer_help
    # "admin" alone (or "admin help") is the organizer group's help.
    assert line in (await memory.admin(memory.member("olga"), "help", locale="en"))[0].text


async def test_an_organizer_command_outside_its_group_is_unknown_to_organizers(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers.add("olga")
    seen = await memory.command(memory.member("olga"), "waiting", locale="en")
    assert len(seen) == 1
    assert seen[0].text.startswith('I don\'t know the command "waiting".\n')
    assert "• /tandem-admin status — How many members are in each status" in seen[0].text
    seen = await memory.admin(memory.member("olga"), "join", locale="en")
    assert seen[0].text.startswith('I don\'t know the command "join".\n')
    assert json.dumps(await everything_stored(app), default=str).count("olga") == 0


async def test_status_is_a_members_own_status_and_in_the_organizer_group_the_communitys(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers.add("olga")
    olga = memory.member("olga")
    (own,) = await memory.command(olga, "status", locale="en")
    assert own.text.startswith("You haven't joined yet.")
    (counts,) = await memory.admin(olga, "status", locale="en")
    assert counts.text.startswith("Members of this community by status (0 in all):")
