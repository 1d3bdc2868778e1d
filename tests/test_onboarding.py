"""The join questionnaire as transcripts on the memory adapter, under a rich (Discord-like)
and a text-only (Matrix-like) capability profile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.intents import Ask, Say
from bot.places import Place
from tests.conftest import PROFILES, AppFactory, memory_of
from tests.support.onboarding import (
    DONE,
    EXPECTED_MEMBER,
    EXPECTED_PROFILE,
    RESTART_AFTER,
    TRANSCRIPT,
    play_on_memory,
)

# Before the member chose a language and when their platform does not say it, the greeting and
# the language question come in both languages.
HELLO_IN_BOTH = (
    "Hi! I'm Tandem 👋 I connect members who can learn from each other.\n"
    "Hallo! Ich bin Tandem 👋 Ich bringe Mitglieder zusammen, die voneinander lernen können."
)
LANGUAGE_QUESTION_IN_BOTH = (
    "Which language should I use with you?\nIn welcher Sprache soll ich mit dir schreiben?"
)


def asked_ids(memory: MemoryAdapter, user: str) -> list[str]:
    member = memory.member(user)
    return [r.intent.question.id for r in memory.received(member) if isinstance(r.intent, Ask)]


async def stored(app: App, user: str) -> tuple[dict[str, object], dict[str, object]]:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    fields = {"locale": member.locale, "timezone": member.timezone, "status": member.status}
    return fields, await app.store.members.profile(member.id)


@pytest.mark.parametrize("profile", PROFILES)
async def test_the_onboarding_transcript_with_a_restart_in_the_middle(
    make_app: AppFactory, profile: str
) -> None:
    app = await make_app(profile)
    memory = memory_of(app)
    ana = memory.member("ana")
    seen = await memory.command(ana, "join")
    assert seen[0].text == HELLO_IN_BOTH
    typed = profile == "memory-text"
    await play_on_memory(memory, ana, TRANSCRIPT[:RESTART_AFTER], typed=typed)
    await app.stop()

    app = await make_app(profile)
    memory = memory_of(app)
    back = await memory.come_back(ana)
    assert back[0].text.startswith("Schön, dass du wieder da bist!")
    await play_on_memory(memory, ana, TRANSCRIPT[RESTART_AFTER:], typed=typed)
    done = memory.last(ana)
    assert isinstance(done.intent, Say)
    assert done.intent.text.id == DONE
    assert done.text.startswith("Geschafft – dein Profil ist gespeichert!")
    fields, answers = await stored(app, "ana")
    assert fields == EXPECTED_MEMBER
    assert answers == EXPECTED_PROFILE
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    consents = await app.store.members.consents(member.id)
    assert [version for version, _ in consents] == ["2026-12"]


async def test_both_profiles_ask_the_same_questions_and_store_the_same(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    rich = memory_of(app)
    await rich.command(rich.member("r"), "join")
    await play_on_memory(rich, rich.member("r"), TRANSCRIPT, typed=False)
    text_app = await make_app("memory-text")
    text = memory_of(text_app)
    await text.command(text.member("t"), "join")
    await play_on_memory(text, text.member("t"), TRANSCRIPT, typed=True)
    assert asked_ids(rich, "r") == asked_ids(text, "t")
    assert await stored(app, "r") == await stored(text_app, "t")


async def test_the_summary_shows_every_answer_in_the_members_language(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    ana = memory.member("ana")
    await memory.command(ana, "join")
    await play_on_memory(memory, ana, TRANSCRIPT[:15], typed=True)
    summary = memory.last(ana).text
    for line in (
        "• Was ich anbieten kann: Agiles Projektmanagement, Zeitmanagement",
        "• Mehr dazu, was ich suche: —",
        "• Meine Ziele: Im Team-Meeting 10 Minuten frei präsentieren · Meine Woche besser planen",
        "• Tandem-Sprachen: Deutsch, Englisch",
        "• Zeitzone: Mitteleuropäische Zeit (Europe/Vienna)",
        "• Wann ich Zeit habe: Montagabend, Donnerstagvormittag",
        "• Wie ich mich treffen möchte: Beides ist okay",
        "• Wo ich mich persönlich treffe: Wien Neubau",
    ):
        assert line in summary


async def test_declining_consent_ends_politely_and_keeps_nothing(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ben = memory.member("ben")
    await memory.command(ben, "join")
    await memory.pick(ben, "en")
    seen = await memory.pick(ben, "decline")
    assert seen[0].text.startswith("No problem — I haven't kept anything")
    for table in await app.store.table_names():
        rows = await app.store.dump_table(table)
        assert not [row for row in rows if "ben" in str(row)], table


async def test_nothing_but_the_language_is_kept_before_consent(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    cai = memory.member("cai")
    await memory.command(cai, "join")
    await memory.pick(cai, "en")
    member = await app.store.members.find("memory", "memory", "cai")
    assert member is not None
    assert member.status == "new"
    assert await app.store.members.consents(member.id) == []
    assert await app.store.members.profile(member.id) == {}
    active = await app.store.conversations.active_for(member.id)
    assert active is not None
    assert active.answers == {"language": "en"}


@pytest.mark.parametrize(
    ("step", "answer", "error"),
    [
        ("join.ask_offers", "99", "I didn't understand that."),
        ("join.ask_offers", "1 2 3 4 5 6", "Please choose at most 5 options."),
        ("join.ask_goals", "a; b; c; d", "That's 4 goals — please choose up to three"),
        ("join.ask_timezone", "UTC+5:17", 'I don\'t know the time zone "UTC+5:17".'),
        ("join.ask_availability", "nie", "I didn't understand that."),
    ],
)
async def test_bad_answers_get_a_translated_hint_and_the_question_again(
    make_app: AppFactory, step: str, answer: str, error: str
) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    eve = memory.member("eve")
    await memory.command(eve, "join")
    await memory.say(eve, "English")
    await memory.say(eve, "1")
    while memory.last_ask(eve).question.id != step:
        filler = {"join.ask_goals": "Learn to delegate", "join.ask_timezone": "UTC"}
        await memory.say(eve, filler.get(memory.last_ask(eve).question.id, "1"))
    prompt_before = memory.last_ask(eve).prompt_id
    seen = await memory.say(eve, answer)
    assert seen[0].text.startswith(error)
    assert isinstance(seen[1].intent, Ask)
    assert seen[1].intent.prompt_id == prompt_before


async def test_a_member_with_no_time_is_told_a_tandem_needs_an_hour(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    fay = memory.member("fay")
    await memory.command(fay, "join")
    await memory.pick(fay, "en")
    await memory.pick(fay, "agree")
    while memory.last_ask(fay).question.id != "join.ask_availability":
        ask = memory.last_ask(fay)
        if ask.kind == "text":
            await memory.submit(fay, "UTC" if ask.question.id == "join.ask_timezone" else "x y z")
        else:
            await memory.pick(fay, ask.options[0].id)
    seen = await memory.pick(fay)
    assert seen[0].text.startswith("A tandem needs at least one hour a week")


async def test_back_returns_to_the_previous_question(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    ada = memory.member("ada")
    await memory.command(ada, "join")
    await memory.say(ada, "2")
    await memory.say(ada, "1")
    await memory.say(ada, "1")
    await memory.say(ada, "back")
    assert memory.last_ask(ada).question.id == "join.ask_offers"
    await memory.say(ada, "zurück")
    assert memory.last_ask(ada).question.id == "join.privacy_notice"
    await memory.say(ada, "back")
    await memory.say(ada, "back")
    assert memory.texts(ada)[-2] == "This is already the first question."


async def test_cancel_ends_the_conversation_and_says_how_to_start_again(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    lea = memory.member("lea")
    await memory.command(lea, "join")
    seen = await memory.say(lea, "abbrechen")
    assert seen[0].text == (
        "Okay, I've stopped here. Nothing is lost: start again any time with /tandem join."
    )
    again = await memory.say(lea, "hello?")
    assert again[0].text.startswith("I'm not waiting for an answer from you right now.")


async def test_help_in_a_conversation_explains_and_repeats_the_question(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    ben = memory.member("ben")
    await memory.command(ben, "join")
    seen = await memory.command(ben, "help")
    assert seen[0].text.startswith("You're in the middle of a conversation with me.")
    assert seen[1].text == LANGUAGE_QUESTION_IN_BOTH


async def test_help_lists_every_command_in_the_platform_spelling(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    seen = await memory.command(memory.member("eve"), "help", locale="de-DE")
    text = seen[0].text
    assert text.startswith("Hallo! Ich bin Tandem.")
    for line in (
        "• !tandem join – Beim Mentoring-Programm mitmachen",
        "• !tandem profile – Dein Profil und deinen Status zeigen",
        "• !tandem pause – Eine Pause von der Vermittlung machen",
        "• !tandem mydata – Alles bekommen, was über dich gespeichert ist",
        "• !tandem forget – Alle deine Daten endgültig löschen",
    ):
        assert line in text
    assert await app.store.members.find("memory", "memory", "eve") is None


async def test_unknown_command_is_named_and_help_follows(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    seen = await memory.command(memory.member("eve"), "jion")
    assert len(seen) == 1
    assert seen[0].text.startswith('I don\'t know the command "jion".\n')
    assert "/tandem join" in seen[0].text


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
    assert (active.step_id, active.answers) == ("consent", {"language": "en"})


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


async def test_a_button_from_before_a_restart_still_answers(make_app: AppFactory) -> None:
    first = await make_app("memory")
    memory = memory_of(first)
    mia = memory.member("mia")
    await memory.command(mia, "join")
    await memory.pick(mia, "en")
    button = memory.last_ask(mia).prompt_id
    await first.stop()
    second = await make_app("memory")
    memory = memory_of(second)
    seen = await memory.pick(mia, "agree", prompt_id=button)
    assert seen[0].text.startswith("Let's start with your strengths")


async def test_a_conversation_left_alone_for_a_week_expires(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    noa = memory.member("noa")
    await memory.command(noa, "join")
    clock.advance(timedelta(days=7, minutes=1))
    seen = await memory.pick(noa, "en")
    assert seen[0].text == "This conversation has expired. Start again any time with /tandem join."
    restarted = await memory.command(noa, "join")
    assert restarted[-1].text == LANGUAGE_QUESTION_IN_BOTH


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
    await memory.pick(ivy, "de")
    seen = await memory.command(ivy, "join")
    assert seen[0].text == (
        "Du bist mitten in /tandem join – bei Frage 2. Beantworte sie unten, um weiterzumachen, "
        "schreib „zurück“, um deine letzte Antwort zu ändern, oder „abbrechen“, um aufzuhören."
    )
    assert seen[1].text.startswith("Bevor ich mir etwas notiere")


async def test_joining_twice_points_to_profile_and_edit(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    uma = memory.member("uma")
    await memory.command(uma, "join")
    await play_on_memory(memory, uma, TRANSCRIPT, typed=False)
    seen = await memory.command(uma, "join")
    assert seen[0].text == (
        "Du bist schon dabei! Mit /tandem profile siehst du dein Profil, "
        "mit /tandem edit änderst du eine Antwort."
    )


async def test_the_organizers_own_questions_are_asked_shown_and_saved(
    make_app: AppFactory,
) -> None:
    program = {
        "topics": [
            {"id": "baking", "en": "Baking bread", "de": "Brot backen"},
            {"id": "beekeeping", "en": "Beekeeping", "de": "Imkern"},
        ],
        "extra_questions": [
            {"id": "role", "kind": "text", "en": "Your role?", "de": "Deine Rolle?"},
            {
                "id": "years",
                "kind": "one",
                "en": "How long have you been with us?",
                "de": "Wie lange bist du schon dabei?",
                "options": [
                    {"id": "new", "en": "Under a year", "de": "Unter einem Jahr"},
                    {"id": "old", "en": "A year or more", "de": "Ein Jahr oder länger"},
                ],
            },
        ],
    }
    app = await make_app("memory-text", program=program)
    memory = memory_of(app)
    kai = memory.member("kai")
    await memory.command(kai, "join")
    for typed in ("English", "1", "Baking bread", "-", "2", "-", "Bake a sourdough loaf", "-"):
        await memory.say(kai, typed)
    for typed in ("2", "Berlin", "1", "1"):  # languages, time zone, availability, video
        await memory.say(kai, typed)
    assert memory.last(kai).text.startswith("Your role?")
    await memory.say(kai, "Treasurer")
    assert memory.last(kai).text.startswith("How long have you been with us?\n\n1. Under a year")
    summary = (await memory.say(kai, "A year or more"))[-1].text
    assert "• What I can offer: Baking bread" in summary
    assert "• Your role?: Treasurer" in summary
    assert "• How long have you been with us?: A year or more" in summary
    await memory.say(kai, "save")
    _, answers = await stored(app, "kai")
    assert (answers["extra_role"], answers["extra_years"]) == ("Treasurer", "old")
    assert answers["offers"] == ["baking"]


async def test_a_conversation_of_a_retired_flow_version_is_ended_and_join_starts_fresh(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    old = memory.member("old")
    await memory.command(old, "join")
    await memory.pick(old, "en")
    member = await app.store.members.find("memory", "memory", "old")
    assert member is not None
    async with app.store.connections.write() as connection:  # as if an older release started it
        await connection.exec_driver_sql("UPDATE conversations SET flow_version = 1")
    seen = await memory.pick(old, "agree")
    assert seen[0].text.startswith("This conversation was changed by an update")
    restarted = await memory.command(old, "join")
    assert restarted[-1].intent.question.id == "join.ask_language"
    active = await app.store.conversations.active_for(member.id)
    assert active is not None
    assert active.flow_version == 2


async def test_join_after_a_week_away_starts_fresh_instead_of_resuming(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    gus = memory.member("gus")
    await memory.command(gus, "join")
    await memory.pick(gus, "en")
    clock.advance(timedelta(days=8))
    seen = await memory.command(gus, "join")
    assert [r.text for r in seen][:2] == [HELLO_IN_BOTH, LANGUAGE_QUESTION_IN_BOTH]


async def test_a_platform_that_knows_the_members_language_is_greeted_in_it_alone(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    seen = await memory.command(memory.member("ida"), "join", locale="de-AT")
    assert [r.text for r in seen][:2] == [
        "Hallo! Ich bin Tandem 👋 Ich bringe Mitglieder zusammen, die voneinander lernen können.",
        "In welcher Sprache soll ich mit dir schreiben?",
    ]


async def test_an_optional_organizer_choice_can_be_skipped_and_edited_alone(
    make_app: AppFactory,
) -> None:
    two_options = [{"id": "a", "en": "A", "de": "A"}, {"id": "b", "en": "B", "de": "B"}]
    program = {
        "extra_questions": [
            {
                "id": "team",
                "kind": "one",
                "en": "Team?",
                "de": "Team?",
                "optional": True,
                "options": two_options,
            },
            {"id": "floor", "kind": "text", "en": "Floor?", "de": "Etage?"},
        ]
    }
    app = await make_app("memory-text", program=program)
    memory = memory_of(app)
    liv = memory.member("liv")
    await memory.command(liv, "join")
    for typed in ("English", "1", "1", "-", "2", "-", "Delegate more", "-", "2", "UTC", "1", "1"):
        await memory.say(liv, typed)
    assert memory.last(liv).text.startswith("Team?")
    assert '(Optional: write "-" to skip.)' in memory.last(liv).text
    await memory.say(liv, "-")
    assert memory.last(liv).text.startswith("Floor?")
    await memory.say(liv, "3")
    await memory.say(liv, "save")
    _, answers = await stored(app, "liv")
    assert (answers["extra_team"], answers["extra_floor"]) == (None, "3")

    await memory.command(liv, "edit")
    await memory.say(liv, "Team?")
    await memory.say(liv, "B")
    saved = memory.last(liv).text
    assert saved.startswith("Saved! Your profile now:")  # straight back, not on to "Floor?"
    _, answers = await stored(app, "liv")
    assert (answers["extra_team"], answers["extra_floor"]) == ("b", "3")
