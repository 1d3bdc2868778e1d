"""Conversations keep their promises (issue 13): a command in the middle of ``join`` runs beside
it and returns to the question, nothing is thrown away; coming back after ``leave`` finds the
old profile; ``pause`` reads dates as people write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from flows.dates import parse_end_date
from tests.conftest import AppFactory
from tests.support.onboarding import EXPECTED_PROFILE
from tests.test_member_commands import joined, status_of
from tests.test_understood_answers import answer_until, at_question


async def test_language_in_the_middle_of_join_keeps_the_answers_and_returns_to_the_question(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_goals")
    answered = memory.last_ask(eve)
    seen = await memory.command(eve, "language")
    assert seen[0].text == (
        "I've put !tandem join on hold — your answers so far are kept, and we'll go on there "
        "once this is done."
    )
    assert memory.last_ask(eve).question.id == "join.ask_language"
    back = await memory.say(eve, "Deutsch")
    assert [r.text for r in back[:2]] == [
        "Alles klar – ich schreibe dir ab jetzt auf Deutsch.",
        "Zurück zu !tandem join, wo wir stehen geblieben sind (Frage 7):",
    ]
    asked = memory.last_ask(eve)
    assert asked.question.id == "join.ask_goals"
    assert asked.locale == "de"
    assert asked.prompt_id != answered.prompt_id  # the old question is over, a new one asked
    await memory.say(eve, "Delegieren lernen")
    await answer_until(memory, eve, "join.ask_confirm")
    assert "• Meine Ziele: Delegieren lernen" in memory.last(eve).text
    assert "• Was ich anbieten kann:" in memory.last(eve).text  # answered before the detour


async def test_cancelling_what_ran_beside_join_returns_to_join(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_goals")
    await memory.command(eve, "language")
    seen = await memory.say(eve, "cancel")
    assert seen[-2].text.startswith("Back to !tandem join, where we left off")
    assert memory.last_ask(eve).question.id == "join.ask_goals"


async def test_profile_and_join_during_join_say_where_the_member_is(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_goals")
    seen = await memory.command(eve, "profile")
    assert seen[0].text == (
        "You're in the middle of joining (question 7): your profile is saved after the last "
        "question, and then !tandem profile shows it. Answer the question below to go on."
    )
    assert memory.last_ask(eve).question.id == "join.ask_goals"
    seen = await memory.command(eve, "join")
    assert seen[0].text == (
        "You're in the middle of !tandem join — at question 7. Answer it below to go on, write "
        '"back" to change your last answer, or "cancel" to stop.'
    )
    assert memory.last_ask(eve).question.id == "join.ask_goals"
    seen = await memory.command(eve, "pause")
    assert seen[0].text.startswith("You haven't finished joining yet: that works once your")
    assert memory.last_ask(eve).question.id == "join.ask_goals"


async def test_mydata_during_join_answers_and_returns_to_the_question(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory-text")
    memory, eve = await at_question(app, "eve", "join.ask_needs")
    seen = await memory.command(eve, "mydata")
    assert [type(r.intent).__name__ for r in seen][-1] == "Ask"
    assert memory.last_ask(eve).question.id == "join.ask_needs"


async def test_coming_back_after_leave_offers_the_old_profile(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "leave")
    await memory.pick(ana, "leave")
    await memory.command(ana, "join")
    await memory.pick(ana, "de")
    await memory.pick(ana, "agree")
    offer = memory.last_ask(ana)
    assert offer.question.id == "join.ask_keep"
    assert "• Zeitzone: Mitteleuropäische Zeit (Europe/Vienna)" in memory.last(ana).text
    await memory.say(ana, "ja")
    assert memory.last_ask(ana).question.id == "join.ask_confirm"
    await memory.pick(ana, "save")
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    assert (member.status, member.left_at, member.timezone) == ("waiting", None, "Europe/Vienna")
    assert await app.store.members.profile(member.id) == EXPECTED_PROFILE


async def test_a_cancelled_rejoin_leaves_the_member_as_they_were(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    await memory.command(ana, "leave")
    await memory.pick(ana, "leave")
    left = await app.store.members.find("memory", "memory", "ana")
    await memory.command(ana, "join")
    await memory.pick(ana, "de")
    await memory.pick(ana, "agree")
    await memory.pick(ana, "restart")
    assert memory.last_ask(ana).question.id == "join.ask_offers"
    await memory.say(ana, "abbrechen")
    after = await app.store.members.find("memory", "memory", "ana")
    assert left is not None
    assert after is not None
    assert (after.status, after.left_at) == ("left", left.left_at)
    assert await app.store.members.profile(after.id) == EXPECTED_PROFILE


@pytest.mark.parametrize(
    ("typed", "locale", "day"),
    [
        ("24.12.", "de", "2026-12-24"),
        ("until 2027-01-10", "en", "2027-01-10"),
        ("Dec 24", "en", "2026-12-24"),
        ("tomorrow", "en", "2026-01-06"),
        ("in 2 weeks", "en", "2026-01-19"),
        ("bis Ende Januar", "de", "2026-01-31"),
        ("Mitte Februar", "de", "2026-02-15"),
        ("10.1.", "en", "2026-01-10"),
        ("bis nächsten Montag", "de", "2026-01-12"),  # "nächsten" alone is not read by dateparser
        ("kommenden Freitag", "de", "2026-01-09"),
        ("until this coming Friday", "en", "2026-01-09"),
    ],
)
def test_end_dates_as_people_write_them(typed: str, locale: str, day: str) -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    found = parse_end_date(typed, now=now, timezone="Europe/Vienna", locale=locale)
    assert found is not None
    assert found.isoformat() == day


@pytest.mark.parametrize(("typed", "locale"), [("am 12", "en"), ("every 2 weeks", "en")])
def test_a_word_before_a_weekday_is_not_taken_off_a_number(typed: str, locale: str) -> None:
    """ "am"/"every" go before a weekday; before a number what is left is no date (read alone,
    "12" would be December)."""
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert parse_end_date(typed, now=now, timezone="Europe/Vienna", locale=locale) is None


async def test_pause_with_a_date_in_words_and_profile_shows_the_end(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory, ana = await joined(app, "ana")
    seen = await memory.command(ana, "pause", "bis", "Ende", "Januar")
    assert seen[-1].text.startswith("Pausiert bis 31. Januar 2026.")
    profile = await memory.command(ana, "profile")
    assert profile[0].text.startswith("Dein Profil (Status: pausiert bis 31. Januar 2026)")


async def test_plain_pause_asks_until_when_and_takes_open_ended(make_app: AppFactory) -> None:
    app = await make_app("memory-text")
    memory, ana = await joined(app, "ana")
    asked = await memory.command(ana, "pause")
    assert asked[-1].text.startswith("Bis wann möchtest du pausieren?")
    assert await status_of(app, "ana") == "waiting"
    await memory.say(ana, "unbefristet")
    assert await status_of(app, "ana") == "paused"
    profile = await memory.command(ana, "profile")
    assert profile[0].text.startswith("Dein Profil (Status: pausiert)")
