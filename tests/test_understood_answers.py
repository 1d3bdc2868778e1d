"""Answers a new member typed and was refused (issue 13), as they see them now: the everyday yes
and no at every confirmation, places and offsets as time zones, several choices in their own
words, dashes as "skip"."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.intents import Ask
from bot.places import MemberRef
from tests.conftest import AppFactory, memory_of
from tests.test_member_commands import joined, status_of


async def at_question(app: App, user: str, question_id: str) -> tuple[MemoryAdapter, MemberRef]:
    """A member typing their way through ``join`` (in English) up to ``question_id``."""
    memory = memory_of(app)
    member = memory.member(user)
    await memory.command(member, "join")
    await answer_until(memory, member, question_id)
    return memory, member


TYPED = {
    "join.ask_language": "English",
    "join.privacy_notice": "yes",
    "join.ask_goals": "Learn to delegate",
    "join.ask_timezone": "Munich",
}


async def answer_until(memory: MemoryAdapter, member: MemberRef, question_id: str) -> None:
    """Type answers (the first option, where there are options) until ``question_id``."""
    for _ in range(30):
        asked = memory.last_ask(member).question.id
        if asked == question_id:
            return
        await memory.say(member, TYPED.get(asked, "1"))
    raise AssertionError(f"never asked {question_id}; stuck at {asked}")


async def test_consent_understands_yes_and_no_and_repeats_only_the_short_question(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    ana = memory.member("ana")
    await memory.command(ana, "join")
    await memory.say(ana, "English")
    notice = memory.last_ask(ana)
    assert notice.question.id == "join.privacy_notice"
    refused = await memory.say(ana, "maybe later")
    assert refused[0].text == (
        "I didn't understand that. Please answer with 1 or 2, or with one of the words."
    )
    again = refused[1].intent
    assert isinstance(again, Ask)
    assert again.prompt_id == notice.prompt_id
    assert refused[1].text.startswith("Do you agree to the privacy notice above? (Yes or no.)")
    assert "privacy notice, version" not in refused[1].text
    seen = await memory.say(ana, "yes")
    assert memory.last_ask(ana).question.id == "join.ask_offers"
    assert all("I didn't understand" not in r.text for r in seen)


async def test_consent_in_german_words(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory = memory_of(app)
    ben = memory.member("ben")
    await memory.command(ben, "join")
    await memory.say(ben, "Deutsch")
    await memory.say(ben, "nein")
    assert memory.last(ben).text.startswith("Kein Problem – ich habe nichts behalten")
    assert await app.store.members.find("memory", "memory", "ben") is None


async def test_leave_and_forget_understand_their_own_words_in_either_language(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "leave")
    await memory.say(ana, "nein")
    assert memory.last(ana).text == "Schön, dass du bleibst!"
    await memory.command(ana, "leave")
    await memory.say(ana, "verlassen")
    assert await status_of(app, "ana") == "left"
    await memory.command(ana, "forget")
    asked = memory.last_ask(ana)
    assert [option.emoji for option in asked.options] == ["🗑️", "↩️"]  # no green tick
    await memory.say(ana, "delete")
    assert await app.store.members.find("memory", "memory", "ana") is None


async def test_a_city_is_told_back_with_its_zone_and_local_time(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_timezone")
    seen = await memory.say(eve, "Munich")
    # The fake clock says 09:00 UTC on a winter day: 10:00 in Munich.
    assert seen[0].text == 'Munich — Central European Time, now 10:00. (Not right? Write "back".)'
    assert memory.last_ask(eve).question.id == "join.ask_availability"


async def test_offsets_that_are_not_whole_hours_are_understood(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_timezone")
    seen = await memory.say(eve, "UTC+5:30")
    assert seen[0].text.startswith("UTC+5:30 — India Standard Time, now 14:30.")


async def test_a_country_with_several_time_zones_asks_which(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_timezone")
    await memory.say(eve, "USA")
    asked = memory.last_ask(eve)
    assert asked.question.id == "join.ask_timezone_pick"
    text = memory.last(eve).text
    assert text.startswith("Your country has several time zones. Which one is yours?")
    assert "Eastern Time (New York), now 04:00" in text
    assert "Pacific Time (Los Angeles), now 01:00" in text
    assert "Mountain Standard Time (Phoenix), now 02:00" in text
    await memory.say(eve, "Eastern Time (New York), now 04:00")
    assert memory.last_ask(eve).question.id == "join.ask_availability"
    await memory.say(eve, "back")
    assert memory.last_ask(eve).question.id == "join.ask_timezone_pick"
    number = [option.id for option in memory.last_ask(eve).options].index("America/Chicago") + 1
    await memory.say(eve, str(number))
    await answer_until(memory, eve, "join.ask_confirm")
    assert "• Time zone: Central Time (America/Chicago)" in memory.last(eve).text
    await memory.say(eve, "yes")
    member = await app.store.members.find("memory", "memory", "eve")
    assert member is not None
    assert member.timezone == "America/Chicago"
    assert (await app.store.members.profile(member.id))["timezone"] == "America/Chicago"


async def test_several_choices_in_the_members_own_words(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_availability")
    await memory.say(eve, "monday evening, wed evening, 15")
    await memory.say(eve, "back")
    await memory.say(eve, "Dienstagabend und Donnerstag abend")
    await memory.say(eve, "back")
    await memory.say(eve, "1-3")
    await answer_until(memory, eve, "join.ask_confirm")
    assert "• When I have time: Monday morning, Monday afternoon, Monday evening" in (
        memory.last(eve).text
    )


async def test_a_partly_understood_list_keeps_what_was_understood(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_availability")
    seen = await memory.say(eve, "Monday evening, Tuesday lunchbreak")
    assert seen[0].text == (
        'I understood Monday evening, but not "Tuesday lunchbreak". Send what\'s missing and '
        'I\'ll add it — or write "ok" to go on with what I have.'
    )
    assert memory.last_ask(eve).question.id == "join.ask_availability"
    await memory.say(eve, "Tuesday afternoon")
    await answer_until(memory, eve, "join.ask_confirm")
    assert "• When I have time: Monday evening, Tuesday afternoon" in memory.last(eve).text


async def test_ok_goes_on_with_the_part_that_was_understood(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_availability")
    await memory.say(eve, "sat morning, whenever")
    await memory.say(eve, "ok")
    assert memory.last_ask(eve).question.id == "join.ask_format"
    await memory.say(eve, "back")
    await memory.say(eve, "sunday evening")
    await answer_until(memory, eve, "join.ask_confirm")
    # Going back started the question afresh: only the new answer counts.
    assert "• When I have time: Sunday evening\n" in memory.last(eve).text


async def test_dashes_and_a_dot_skip_an_optional_question(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_offer_text")
    for skip in ("–", "—", "."):
        await memory.say(eve, skip)
        assert memory.last_ask(eve).question.id != "join.ask_offer_text", skip
        await memory.say(eve, "back")
    await memory.say(eve, "—")
    assert memory.last_ask(eve).question.id == "join.ask_needs"
