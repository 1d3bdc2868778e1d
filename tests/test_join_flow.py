"""The short join conversation as transcripts on the memory adapter, under a rich (Discord-like)
and a text-only (Matrix-like) capability profile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.intents import Ask
from bot.places import Place
from tests.conftest import AppFactory

PROFILES = ["memory", "memory-text"]


def memory_of(app: App) -> MemoryAdapter:
    adapter = app.adapters["memory"]
    assert isinstance(adapter, MemoryAdapter)
    return adapter


def question_ids(memory: MemoryAdapter, user: str) -> list[str]:
    return [
        r.intent.question.id
        for r in memory.received(memory.member(user))
        if isinstance(r.intent, Ask)
    ]


@pytest.mark.parametrize("profile", PROFILES)
async def test_member_joins_and_the_profile_is_saved(make_app: AppFactory, profile: str) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    alex = memory.member("alex")

    seen = await memory.command(alex, "join")
    assert seen[0].text.startswith("Welcome to Tandem!")
    assert seen[1].text.startswith("Which language should I use with you?")
    if profile == "memory":
        assert seen[1].buttons == ["Deutsch", "English"]
    else:
        assert "1. Deutsch\n2. English" in seen[1].text

    await memory.answer(alex, "de")
    assert memory.last(alex).text.startswith("Wie darf ich dich nennen?")
    await memory.answer(alex, "Alex")
    await memory.answer(alex, "Agiles Projektmanagement verstehen")
    days = await memory.answer(alex, "mon", "thu")
    assert "• Tage: Montag, Donnerstag" in days[0].text
    done = await memory.answer(alex, "save")
    assert done[0].text == (
        "Danke, Alex! Du bist dabei. Ich melde mich, sobald ich eine passende "
        "Tandem-Person für dich gefunden habe."
    )

    member = await app.store.members.find("memory", "memory", "alex")
    assert member is not None
    assert (member.display_name, member.locale, member.status) == ("Alex", "de", "waiting")
    assert await app.store.members.profile(member.id) == {
        "goal": "Agiles Projektmanagement verstehen",
        "days": ["mon", "thu"],
    }
    assert await app.store.conversations.active_for(member.id) is None
    assert question_ids(memory, "alex") == [
        "join.ask_language",
        "join.ask_name",
        "join.ask_goal",
        "join.ask_days",
        "join.ask_confirm",
    ]


async def test_typed_answers_by_number_word_and_emoji_are_understood(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    sam = memory.member("sam")
    await memory.command(sam, "join")
    await memory.say(sam, "english")
    await memory.say(sam, "Sam")
    await memory.say(sam, "Get better at giving feedback")
    await memory.say(sam, "Montag, fri")
    assert "• Days: Monday, Friday" in memory.last(sam).text
    await memory.say(sam, "✅")
    assert memory.last(sam).text.startswith("Thank you, Sam!")


@pytest.mark.parametrize("profile", PROFILES)
async def test_bad_answers_get_a_translated_hint_and_the_question_again(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    kim = memory.member("kim")
    await memory.command(kim, "join")
    await memory.say(kim, "9")
    assert memory.texts(kim)[-2] == (
        "I didn't understand that. "
        "Please answer with a number from 1 to 2 or with one of the words."
    )
    assert memory.texts(kim)[-1].startswith("Which language should I use with you?")
    await memory.answer(kim, "de")
    too_long = "K" * 65
    await memory.answer(kim, too_long)
    assert memory.texts(kim)[-2] == (
        "Das sind 65 Zeichen; bitte fasse dich auf höchstens 64 zusammen. Es geht nichts "
        "verloren: schick einfach eine kürzere Fassung."
    )
    assert memory.texts(kim)[-1].startswith("Wie darf ich dich nennen?")
    await memory.answer(kim, "Kim")
    assert memory.last(kim).text.startswith("In einem Satz")


async def test_back_returns_to_the_previous_question_and_keeps_answers(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    ada = memory.member("ada")
    await memory.command(ada, "join")
    await memory.say(ada, "2")
    await memory.say(ada, "Ada")
    await memory.say(ada, "back")
    assert memory.last(ada).text.startswith("What should I call you?")
    await memory.say(ada, "Ada L.")
    await memory.say(ada, "zurück")
    await memory.say(ada, "zurück")
    assert memory.last(ada).text.startswith("Which language")
    await memory.say(ada, "zurück")
    assert memory.texts(ada)[-2] == "This is already the first question."


async def test_cancel_ends_the_conversation_and_join_starts_fresh(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    lea = memory.member("lea")
    await memory.command(lea, "join")
    await memory.answer(lea, "en")
    seen = await memory.say(lea, "cancel")
    assert seen[0].text == (
        "Okay, I've stopped here. Nothing is lost: start again any time with /tandem join."
    )
    member = await app.store.members.find("memory", "memory", "lea")
    assert member is not None
    assert await app.store.conversations.active_for(member.id) is None
    again = await memory.say(lea, "hello?")
    assert again[0].text.startswith("I'm not waiting for an answer from you right now.")
    assert "/tandem join" in again[0].text


async def test_help_in_a_conversation_explains_and_repeats_the_question(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ben = memory.member("ben")
    await memory.command(ben, "join")
    seen = await memory.command(ben, "help")
    assert seen[0].text.startswith("You're in the middle of a conversation with me.")
    assert seen[1].text == "Which language should I use with you?"


async def test_help_outside_a_conversation_lists_commands_in_the_platform_spelling(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    seen = await memory.command(memory.member("eve"), "help", locale="de-DE")
    assert seen[0].text.startswith("Hallo! Ich bin Tandem.")
    assert "• !tandem join – Beim Mentoring-Programm mitmachen" in seen[0].text
    assert "• !tandem cancel – Das laufende Gespräch abbrechen" in seen[0].text


async def test_unknown_command_is_named_and_help_follows(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    seen = await memory.command(memory.member("eve"), "jion")
    assert seen[0].text == 'I don\'t know the command "jion".'
    assert "/tandem join" in seen[1].text


async def test_a_stale_click_changes_nothing(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    tom = memory.member("tom")
    await memory.command(tom, "join")
    old_prompt = memory.last_ask(tom).prompt_id
    await memory.pick(tom, "en")
    seen = await memory.pick(tom, "de", prompt_id=old_prompt)
    assert seen[0].text == (
        "That question has already been answered or has expired. Please answer my latest question."
    )
    member = await app.store.members.find("memory", "memory", "tom")
    assert member is not None
    active = await app.store.conversations.active_for(member.id)
    assert active is not None
    assert (active.step_id, active.answers) == ("name", {"language": "en"})


async def test_a_click_on_someone_elses_question_changes_nothing(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    owner, intruder = memory.member("owner"), memory.member("intruder")
    await memory.command(owner, "join")
    await memory.command(intruder, "join")
    seen = await memory.pick(intruder, "de", prompt_id=memory.last_ask(owner).prompt_id)
    assert seen[0].text == "This question was meant for someone else, so I've left it as it is."
    member = await app.store.members.find("memory", "memory", "owner")
    assert member is not None
    active = await app.store.conversations.active_for(member.id)
    assert active is not None
    assert (active.step_id, active.answers) == ("language", {})


async def test_a_restart_in_the_middle_resumes_at_the_same_step(make_app: AppFactory) -> None:
    first = await make_app("memory")
    memory = memory_of(first)
    mia = memory.member("mia")
    await memory.command(mia, "join")
    await memory.answer(mia, "en")
    await memory.answer(mia, "Mia")
    button_before_restart = memory.last_ask(mia).prompt_id
    await first.stop()

    second = await make_app("memory")
    memory = memory_of(second)
    seen = await memory.come_back(mia)
    assert seen[0].text == "Welcome back! Let's continue where we left off."
    assert seen[1].text.startswith("In one sentence: what would you like to learn")
    # A form opened before the restart still answers the same step.
    await memory.submit(mia, "Public speaking", prompt_id=button_before_restart)
    assert memory.last(mia).text == "Which days usually work for a meeting?"
    await memory.answer(mia, "sat")
    await memory.answer(mia, "save")
    member = await second.store.members.find("memory", "memory", "mia")
    assert member is not None
    assert await second.store.members.profile(member.id) == {
        "goal": "Public speaking",
        "days": ["sat"],
    }


async def test_a_conversation_left_alone_for_a_week_expires(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    noa = memory.member("noa")
    await memory.command(noa, "join")
    clock.advance(timedelta(days=7, minutes=1))
    seen = await memory.pick(noa, "en")
    assert seen[0].text == (
        "This conversation has expired. Start again any time with /tandem join."
    )
    restarted = await memory.command(noa, "join")
    assert restarted[-1].text == "Which language should I use with you?"


async def test_join_in_a_community_room_continues_privately_in_the_dm(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    joe = memory.member("joe")
    seen = await memory.command(joe, "join", place=Place.room("memory", "general"))
    assert seen[0].place == Place.room("memory", "general")
    assert seen[0].intent.private
    assert seen[0].text == "I've sent you a direct message, so we can talk in private."
    assert all(r.place.kind == "dm" for r in seen[1:])


async def test_running_join_again_repeats_the_current_question(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ivy = memory.member("ivy")
    await memory.command(ivy, "join")
    await memory.answer(ivy, "de")
    seen = await memory.command(ivy, "join")
    assert seen[0].text == (
        "Schön, dass du wieder da bist! Wir machen da weiter, wo wir aufgehört haben."
    )
    assert seen[1].text.startswith("Wie darf ich dich nennen?")


async def test_changing_at_the_summary_goes_back_to_the_name(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    uma = memory.member("uma")
    await memory.command(uma, "join")
    for answer in (["en"], ["Uma"], ["Mentoring others"], ["tue"]):
        await memory.answer(uma, *answer)
    await memory.answer(uma, "change")
    assert memory.last(uma).text == "What should I call you?"
    for answer in (["Uma K."], ["Mentoring others"], ["tue"]):
        await memory.answer(uma, *answer)
    assert "• Name: Uma K." in memory.last(uma).text


async def test_both_profiles_store_the_same_result(make_app: AppFactory) -> None:
    results = []
    for profile in PROFILES:
        app = await make_app(profile)
        memory = memory_of(app)
        user = memory.member(f"same-{profile}")
        await memory.command(user, "join")
        for answer in (["de"], ["Pat"], ["Zeit besser planen"], ["mon", "wed"], ["save"]):
            await memory.answer(user, *answer)
        member = await app.store.members.find("memory", "memory", user.user_id)
        assert member is not None
        results.append(
            (
                member.display_name,
                member.locale,
                await app.store.members.profile(member.id),
                question_ids(memory, user.user_id),
            )
        )
        await app.stop()
    assert results[0] == results[1]


async def test_member_leaving_ends_their_conversation(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    zoe = memory.member("zoe")
    await memory.command(zoe, "join")
    await memory.leave(zoe)
    member = await app.store.members.find("memory", "memory", "zoe")
    assert member is not None
    assert member.status == "left"
    assert await app.store.conversations.active_for(member.id) is None
