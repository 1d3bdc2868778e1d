"""Consent that means something: a raised privacy notice version is asked for before anything
else; declining is leaving. And commands of people who never joined store nothing at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from tests.conftest import PROFILES, AppFactory, memory_of
from tests.support.onboarding import TRANSCRIPT, play_on_memory

NEW_NOTICE = {"privacy_notice_version": "2027-01"}


async def joined_then_notice_raised(
    make_app: AppFactory, profile: str, *users: str
) -> tuple[App, MemoryAdapter]:
    """Members join under the first notice; the organizer raises its version and restarts."""
    first = await make_app(profile)
    memory = memory_of(first)
    for user in users:
        await memory.command(memory.member(user), "join")
        await play_on_memory(memory, memory.member(user), TRANSCRIPT, typed=profile != "memory")
    app = await make_app(profile, program=NEW_NOTICE)
    return app, memory_of(app)


async def consents_of(app: App, user: str) -> list[str]:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return [version for version, _ in await app.store.members.consents(member.id)]


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_raised_notice_is_asked_before_a_command_and_agreeing_records_it(
    make_app: AppFactory, profile: str
) -> None:
    app, memory = await joined_then_notice_raised(make_app, profile, "ana")
    ana = memory.member("ana")
    seen = await memory.command(ana, "profile")
    assert seen[0].text.startswith(
        "Bevor es weitergeht: Der Datenschutzhinweis hat sich geändert (jetzt Version 2027-01)."
    )
    assert seen[0].text.endswith(
        "genau wie mit /tandem leave." if profile == "memory" else ("genau wie mit !tandem leave.")
    )
    assert not any(r.text.startswith("Dein Profil") for r in seen)
    ask = memory.last_ask(ana)
    assert ask.question.id == "join.privacy_notice"
    assert "Version 2027-01" in seen[-1].text
    assert await consents_of(app, "ana") == ["2026-12"]

    done = await memory.answer(ana, "agree")
    assert done[0].text.startswith("Danke, ich habe deine Zustimmung notiert.")
    assert await consents_of(app, "ana") == ["2026-12", "2027-01"]
    again = await memory.command(ana, "profile")
    assert again[0].text.startswith("Dein Profil (Status: wartet auf eine Tandem-Person)")


@pytest.mark.parametrize("profile", PROFILES)
async def test_an_answer_meets_the_new_notice_first_and_changes_nothing(
    make_app: AppFactory, profile: str
) -> None:
    app, memory = await joined_then_notice_raised(make_app, profile, "ben")
    ben = memory.member("ben")
    member = await app.store.members.find("memory", "memory", "ben")
    assert member is not None
    before = await app.store.members.profile(member.id)
    seen = await memory.say(ben, "Hallo?")  # in the DM, no conversation running
    assert seen[0].text.startswith("Bevor es weitergeht: Der Datenschutzhinweis hat sich geändert")
    assert memory.last_ask(ben).question.id == "join.privacy_notice"
    # A command while the notice is asked repeats the question, it does not run.
    seen = await memory.command(ben, "pause")
    assert memory.last_ask(ben).question.id == "join.privacy_notice"
    assert all("Pause" not in r.text for r in seen)
    refreshed = await app.store.members.find("memory", "memory", "ben")
    assert refreshed is not None
    assert refreshed.status == "waiting"
    assert await app.store.members.profile(member.id) == before


@pytest.mark.parametrize("profile", PROFILES)
async def test_declining_the_new_notice_is_leaving(
    make_app: AppFactory, profile: str, clock: FakeClock
) -> None:
    app, memory = await joined_then_notice_raised(make_app, profile, "cleo", "dan")
    cleo = memory.member("cleo")
    await memory.command(cleo, "edit")
    seen = await memory.answer(cleo, "decline")
    assert seen[0].text.startswith("Du hast das Programm verlassen.")
    assert "in 30 Tagen" in seen[0].text
    member = await app.store.members.find("memory", "memory", "cleo")
    assert member is not None
    assert (member.status, member.left_at) == ("left", clock.now())
    assert await consents_of(app, "cleo") == ["2026-12"]
    assert await app.store.conversations.active_for(member.id) is None
    # Having left, nothing more is asked; after the retention period the data is gone.
    seen = await memory.command(cleo, "profile")
    assert seen[0].text.startswith("Du hast das Programm verlassen.")
    clock.advance(timedelta(days=31))
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "cleo") is None
    assert await app.store.members.find("memory", "memory", "dan") is not None


async def test_data_rights_do_not_wait_for_consent(make_app: AppFactory) -> None:
    app, memory = await joined_then_notice_raised(make_app, "memory", "eve")
    eve = memory.member("eve")
    seen = await memory.command(eve, "mydata")
    assert [f.filename for f in memory.files] == ["tandem-my-data.json", "tandem-my-data.md"]
    assert all(r.intent.__class__.__name__ == "AttachFile" for r in seen)
    seen = await memory.command(eve, "forget")
    assert memory.last_ask(eve).question.id == "forget.ask"
    await memory.pick(eve, "forget")
    assert await app.store.members.find("memory", "memory", "eve") is None


async def test_members_who_agreed_to_the_current_notice_are_not_asked(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory", program=NEW_NOTICE)
    memory = memory_of(app)
    fay = memory.member("fay")
    await memory.command(fay, "join")
    await play_on_memory(memory, fay, TRANSCRIPT, typed=False)
    seen = await memory.command(fay, "profile")
    assert seen[0].text.startswith("Dein Profil")
    # Reading it again on request, and agreeing, records nothing new.
    seen = await memory.command(fay, "consent")
    assert seen[0].text.startswith("Hier ist der Datenschutzhinweis, dem du zugestimmt hast.")
    await memory.pick(fay, "agree")
    assert await consents_of(app, "fay") == ["2027-01"]


@pytest.mark.parametrize("profile", PROFILES)
async def test_a_stranger_running_every_other_command_leaves_no_row_anywhere(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    stranger = memory.member("stranger-4711")
    # Every member command but join, which is where one asks to be stored.
    commands = [
        spec.name
        for spec in app.router.commands()
        if not spec.organizer_only and spec.name != "join"
    ]
    answers = {}
    for command in commands:
        answers[command] = (await memory.command(stranger, command, locale="en"))[0].text
    await memory.say(stranger, "2", locale="en")
    await memory.admin(stranger, "status", locale="en")
    assert answers["language"].startswith("You haven't joined yet. Start with ")
    for table in await app.store.table_names():
        assert "stranger-4711" not in repr(await app.store.dump_table(table)), table
    for table in ("members", "conversations", "consents", "profile_answers", "adapter_state"):
        assert await app.store.dump_table(table) == [], table
