"""After joining: profile, edit, pause and resume, language, leave; and the housekeeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.places import MemberRef, Place
from tests.conftest import AppFactory
from tests.support.onboarding import TRANSCRIPT, play_on_memory


async def joined(app: App, user: str) -> tuple[MemoryAdapter, MemberRef]:
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    member = memory.member(user)
    await memory.command(member, "join")
    await play_on_memory(memory, member, TRANSCRIPT, typed=False)
    return memory, member


async def status_of(app: App, user: str) -> str:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return member.status


async def test_profile_shows_status_and_answers(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    seen = await memory.command(ana, "profile")
    text = seen[0].text
    assert text.startswith("Dein Profil (Status: wartet auf eine Tandem-Person)")
    assert "• Wie ich mich treffen möchte: Per Videocall" in text
    assert "Wo ich mich persönlich treffe" not in text
    assert "Eine Antwort änderst du mit /tandem edit" in text


async def test_profile_before_joining_points_to_join(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    seen = await memory.command(memory.member("new"), "profile", locale="en")
    assert seen[0].text == (
        "You haven't joined yet. Start with /tandem join — it takes about five minutes."
    )


async def test_edit_asks_one_question_again_and_saves_only_it(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    before = await app.store.members.profile(member.id)
    await memory.command(ana, "edit")
    assert memory.last_ask(ana).question.id == "edit.ask_field"
    await memory.pick(ana, "timezone")
    assert memory.last_ask(ana).question.id == "join.ask_timezone"
    seen = await memory.submit(ana, "Zürich")
    assert seen[0].text == (
        "Zürich – Mitteleuropäische Zeit, jetzt 10:00 Uhr. (Stimmt nicht? Schreib „zurück“.)"
    )
    assert seen[1].text.startswith("Gespeichert! So sieht dein Profil jetzt aus:")
    assert "• Zeitzone: Mitteleuropäische Zeit (Europe/Zurich)" in seen[1].text
    after = await app.store.members.profile(member.id)
    assert after == {**before, "timezone": "Europe/Zurich"}
    refreshed = await app.store.members.find("memory", "memory", "ana")
    assert refreshed is not None
    assert refreshed.timezone == "Europe/Zurich"


async def test_editing_the_format_to_in_person_asks_where(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "edit")
    await memory.pick(ana, "format")
    await memory.pick(ana, "in_person")
    assert memory.last_ask(ana).question.id == "join.ask_city"
    await memory.submit(ana, "Graz")
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    profile = await app.store.members.profile(member.id)
    assert (profile["format"], profile["city"]) == ("in_person", "Graz")


async def test_pause_until_a_date_and_the_automatic_return(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    seen = await memory.command(ana, "pause", "15.01.2026")
    assert seen[0].text.startswith("Pausiert bis 15. Januar 2026.")
    assert await status_of(app, "ana") == "paused"
    await app.run_due()
    assert await status_of(app, "ana") == "paused"
    clock.advance(timedelta(days=10))
    before = len(memory.sent)
    await app.run_due()
    assert await status_of(app, "ana") == "waiting"
    told = memory.sent[before:]
    assert [r.text for r in told] == [
        "Deine Pause ist vorbei – willkommen zurück! Bei der nächsten Vermittlungsrunde bist "
        "du wieder dabei."
    ]
    assert told[0].place.user_id == "ana"


async def test_pause_refuses_a_bad_or_past_date_and_resume_ends_a_pause(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    bad = await memory.command(ana, "pause", "irgendwann")
    assert bad[0].text == (
        "Das Datum „irgendwann“ konnte ich nicht lesen. Versuch es z. B. mit „24.12.“, "
        "„in 2 Wochen“ oder „Ende Januar“ – oder „offen“."
    )
    past = await memory.say(ana, "2020-01-01")
    assert past[0].text.startswith("Wähle bitte ein Datum in der Zukunft")
    await memory.say(ana, "cancel")
    assert await status_of(app, "ana") == "waiting"
    asked = await memory.command(ana, "pause")
    assert asked[-1].text.startswith("Bis wann möchtest du pausieren?")
    assert await status_of(app, "ana") == "waiting"
    await memory.say(ana, "offen")
    assert await status_of(app, "ana") == "paused"
    seen = await memory.command(ana, "resume")
    assert seen[0].text.startswith("Willkommen zurück!")
    assert await status_of(app, "ana") == "waiting"
    again = await memory.command(ana, "resume")
    assert again[0].text == "Du bist gerade nicht pausiert."


async def test_language_changes_how_the_bot_speaks(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "language")
    seen = await memory.pick(ana, "en")
    assert seen[0].text == "Got it — I'll write to you in English from now on."
    profile = await memory.command(ana, "profile")
    assert profile[0].text.startswith("Your profile (status: waiting for a tandem partner)")


async def test_leave_asks_first_and_then_ends_participation(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "leave")
    stay = await memory.pick(ana, "stay")
    assert stay[0].text == "Schön, dass du bleibst!"
    assert await status_of(app, "ana") == "waiting"
    await memory.command(ana, "leave")
    done = await memory.pick(ana, "leave")
    assert done[0].text.startswith("Du hast das Programm verlassen.")
    assert "Deine Daten lösche ich in 30 Tagen" in done[0].text
    assert await status_of(app, "ana") == "left"
    rejoin = await memory.command(ana, "join")
    assert rejoin[-1].intent.question.id == "join.ask_language"


async def test_members_who_left_are_purged_after_the_retention_period(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program={"retention_days_after_leaving": 14})
    memory, ana = await joined(app, "ana")
    await memory.leave(ana)
    assert await status_of(app, "ana") == "left"
    clock.advance(timedelta(days=13))
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "ana") is not None
    clock.advance(timedelta(days=2))
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "ana") is None
    assert await app.store.dump_table("profile_answers") == []


async def test_people_who_never_consented_are_purged_after_a_week(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    ghost = memory.member("ghost")
    await memory.command(ghost, "join")
    await memory.pick(ghost, "en")
    clock.advance(timedelta(days=8))
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "ghost") is None
    assert await app.store.dump_table("conversations") == []


async def test_commands_of_a_stranger_store_nothing(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    stranger = memory.member("stranger")
    answers = {}
    for command in ("forget", "edit", "leave", "profile", "mydata", "resume", "pause", "help"):
        answers[command] = (await memory.command(stranger, command, locale="en"))[0].text
    assert answers["forget"] == "I haven't stored anything about you."
    assert answers["mydata"] == "I haven't stored anything about you."
    assert answers["edit"].startswith("You haven't joined yet.")
    assert answers["leave"].startswith("You haven't joined yet.")
    assert await app.store.dump_table("members") == []


async def test_profile_asked_in_a_shared_room_stays_private(make_app: AppFactory) -> None:
    room = Place.room("memory", "general")
    rich = await make_app("memory")  # can whisper in the room, like Discord's ephemeral replies
    memory, ana = await joined(rich, "ana")
    seen = await memory.command(ana, "profile", place=room)
    assert [(r.place, r.intent.private) for r in seen] == [(room, True)]
    assert seen[0].text.startswith("Dein Profil")

    text_only = await make_app("memory-text")  # cannot, like Matrix: the profile goes to the DM
    memory, ben = await joined(text_only, "ben")
    seen = await memory.command(ben, "profile", place=room)
    assert seen[0].place == room
    assert seen[0].text == "Ich habe dir per Direktnachricht geantwortet."
    assert seen[1].place.kind == "dm"
    assert seen[1].text.startswith("Dein Profil")


async def test_someone_answering_again_after_a_week_is_not_purged(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    back = memory.member("back")
    await memory.command(back, "join")
    clock.advance(timedelta(days=9))  # the first try expired; today they start again
    await memory.command(back, "join")
    await memory.pick(back, "en")
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "back") is not None
    seen = await memory.pick(back, "agree")
    assert seen[0].text.startswith("Let's start with your strengths")


async def test_consent_without_a_finished_profile_is_purged_after_a_silent_week(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    half = memory.member("half")
    await memory.command(half, "join")
    await memory.pick(half, "en")
    await memory.pick(half, "agree")
    await memory.say(half, "cancel")
    clock.advance(timedelta(days=6))
    await app.run_due()
    assert await status_of(app, "half") == "onboarding"
    clock.advance(timedelta(days=2))
    await app.run_due()
    assert await app.store.members.find("memory", "memory", "half") is None
    assert await app.store.dump_table("consents") == []


async def test_an_ended_conversation_keeps_no_answers(make_app: AppFactory) -> None:
    app = await make_app("memory")
    await joined(app, "ana")
    rows = await app.store.dump_table("conversations")
    assert [(row["status"], row["answers"]) for row in rows] == [("done", {})]


async def test_two_maintenance_runs_at_once_end_a_pause_once(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "pause", "2026-01-10")
    clock.advance(timedelta(days=6))
    before = len(memory.sent)
    await asyncio.gather(app.run_due(), app.run_due())
    told = [r.text for r in memory.sent[before:]]
    assert told == [
        "Deine Pause ist vorbei – willkommen zurück! Bei der nächsten Vermittlungsrunde bist "
        "du wieder dabei."
    ]
