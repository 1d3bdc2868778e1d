"""Match rounds and introductions on the memory adapter: the issue's "Done when" transcript, and
what happens around it (members changing after a preview, a nudge and a lapse, the odd one
out, the community's schedule)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.config import load_settings
from bot.places import PlaceKind
from flows.round_schedule import next_round_at
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import (
    ANA,
    BEN,
    FOUR,
    closed_spaces,
    onboard_all,
    said_in,
    spaces_of,
    status,
    to_organizers,
)


@pytest.fixture
async def community(make_app: AppFactory) -> tuple[App, MemoryAdapter]:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    return app, memory


def no_narrow_spaces(text: str) -> str:
    """English times as Babel writes them ("5:00\u202fPM"), with plain spaces."""
    return text.replace("\u202f", " ")


def seen_by(memory: MemoryAdapter, *names: str) -> int:
    return sum(len(memory.received(memory.member(name))) for name in names)


async def test_a_round_from_preview_to_an_active_tandem_and_a_kind_decline(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    people = await onboard_all(memory, FOUR)
    olga = memory.member("olga")
    ana, ben, cleo, dan = (people[name] for name in ("ana", "ben", "cleo", "dan"))

    # Someone who is not an organizer is refused, and nothing is proposed.
    refused = await memory.admin(ana, "match", "preview")
    assert refused[0].text.startswith('"/tandem-admin match" können nur Organisator:innen')
    assert await app.store.rounds.latest("memory") is None

    # The preview goes to the organizer only; nobody else hears anything.
    before = seen_by(memory, *people)
    preview = await memory.admin(olga, "match", "preview")
    assert [r.place.user_id for r in preview] == ["olga"]
    text = preview[0].text
    assert text.startswith("Match round preview for the week of 2026-01-05")
    assert "Pairs: 2 · sitting out: 0" in text
    assert "• Ana ↔ Ben · score" in text
    assert "Ana → Ben: Agile project management, Time management" not in text  # Ben needs time
    assert "Ana → Ben: Time management" in text
    assert "Ben → Ana: Presenting and public speaking" in text
    assert "• Cleo ↔ Dan" in text
    assert "To introduce exactly these pairs: /tandem-admin match run." in text
    await app.run_due()
    assert seen_by(memory, *people) == before
    assert spaces_of(memory) == {}

    # Run: exactly the previewed pairs, each in one private space, told in both DMs.
    ran = await memory.admin(olga, "match", "run")
    assert ran[0].text.startswith("The round is on: I'm introducing 2 pairs now")
    await app.run_due()
    spaces = spaces_of(memory)
    assert sorted(sorted(members) for members in spaces.values()) == [
        ["ana", "ben"],
        ["cleo", "dan"],
    ]
    by_pair = {frozenset(members): space for space, members in spaces.items()}
    ana_ben, cleo_dan = by_pair[frozenset({"ana", "ben"})], by_pair[frozenset({"cleo", "dan"})]
    # Ana reads German, Ben English: the intro is there in both; Cleo and Dan share English.
    intros = said_in(memory, ana_ben)
    assert len(intros) == 2
    assert intros[0].startswith("👋 Willkommen, Ana und Ben – ihr seid ein neues Tandem!")
    assert "• Ben kann Ana hier weiterhelfen: Präsentieren und Reden" in intros[0]
    assert "• Ana kann Ben hier weiterhelfen: Zeitmanagement" in intros[0]
    assert intros[1].startswith("👋 Welcome, Ana and Ben – you're a new tandem!")
    assert "Ana (Europe/Vienna):\n• Monday 5:00 PM – 9:00 PM" in no_narrow_spaces(intros[1])
    assert "without any obligation" in intros[1]
    assert "/tandem decide" in intros[1]
    assert [t.split("\n")[0] for t in said_in(memory, cleo_dan)] == [
        "👋 Welcome, Cleo and Dan – you're a new tandem! This space is just for the two of you "
        "(and me)."
    ]
    cleo_intro = no_narrow_spaces(said_in(memory, cleo_dan)[0])
    assert "Cleo (Europe/London):\n• Tuesday 5:00 PM – 9:00 PM" in cleo_intro
    assert "Dan (America/New_York):\n• Tuesday 12:00 PM – 4:00 PM" in cleo_intro

    good_news = {
        name: [t for t in memory.texts(people[name]) if t.startswith(("🎉 Good news", "🎉 Gute"))]
        for name in people
    }
    assert {name: len(texts) for name, texts in good_news.items()} == dict.fromkeys(people, 1)
    assert good_news["ana"][0].startswith("🎉 Gute Nachrichten: Ich habe eine Tandem-Person")
    dan_dm = no_narrow_spaces(good_news["dan"][0])
    assert "• Cleo can help you with: Data analysis" in dan_dm
    assert "• You can help Cleo with: Writing" in dan_dm
    assert "• Tuesday 12:00 PM – 4:00 PM" in dan_dm  # Dan's own time zone
    # The DM points to the space: on the memory platform, by its name.
    cleo_dan_name = (
        f"Tandem {(await app.store.tandems.current_for(await member_id(app, 'dan'))).id}"
    )
    assert f"just for the two of you: {cleo_dan_name}. Your introduction" in dan_dm
    # Nobody is asked about a call that cannot have happened yet; three days later (time for
    # the call) each is asked privately.
    for member in (ana, ben, cleo, dan):
        assert memory.last_ask(member).question.id != "first_call.ask"
    clock.advance(timedelta(days=3))
    await app.run_due()
    for member in (ana, ben, cleo, dan):
        assert memory.last_ask(member).question.id == "first_call.ask"
        assert memory.last_ask(member).target.kind == PlaceKind.DM

    # Ana and Ben both say "let's do it": the tandem is active and both are told.
    said = await memory.pick(ana, "yes")
    assert said[-1].text.startswith("Danke! Ich sage dir Bescheid, sobald Ben")
    said = await memory.pick(ben, "yes")
    assert said[-1].text.startswith("🎉 Wonderful – Ana said yes too")
    await app.run_due()
    assert any(text.startswith("🎉 Ben möchte auch weitermachen") for text in memory.texts(ana))
    assert said_in(memory, ana_ben)[-1].startswith("🎉 Ana and Ben, you're officially a tandem!")
    tandem = await app.store.tandems.current_for(await member_id(app, "ana"))
    assert tandem is not None
    assert tandem.state == "active"
    # Nothing is left to answer: "decide" says so and starts no conversation.
    again = await memory.command(ana, "decide")
    assert again[0].text == "Gerade wartet kein Kennenlernen auf deine Antwort."
    # ... and the question of the conversation she is in (the agreement) comes again.
    assert [type(r.intent).__name__ for r in again[1:]] == ["Ask"]
    # (Ana's open conversation is still the agreement's, which the bot started after "yes".)
    active = await app.store.conversations.active_for(await member_id(app, "ana"))
    assert active is not None
    assert active.flow_id == "agreement"

    # Cleo says "not a fit" with a private reason: Dan is told kindly, both wait again.
    await memory.pick(cleo, "no")
    assert memory.last_ask(cleo).question.id == "first_call.ask_reason"
    said = await memory.submit(cleo, "We want different things")
    assert said[-1].text.startswith("Thank you for telling me. I'll let Dan know kindly")
    await app.run_due()
    dan_told = memory.last(dan).text
    assert dan_told.startswith("About your introduction to Cleo: you two won't continue")
    assert "different things" not in dan_told
    assert await status(app.store, "cleo") == await status(app.store, "dan") == "waiting"
    assert said_in(memory, cleo_dan)[-1].startswith("This introduction has ended. Thank you both")
    assert closed_spaces(memory) == [cleo_dan]
    assert tandem.round_id is not None
    (declined,) = [t for t in await app.store.tandems.of_round(tandem.round_id) if t != tandem]
    assert (declined.state, declined.end_reason) == ("declined", "not_a_fit")
    cleo_id = await member_id(app, "cleo")
    assert (declined.answer_of(cleo_id), declined.answer_of(declined.partner_of(cleo_id))) == (
        "no",
        None,
    )
    assert "different things" in (declined.reason_a or declined.reason_b or "")

    # The next round never pairs Cleo and Dan again.
    again = await memory.admin(olga, "match", "preview")
    assert "Cleo ↔ Dan" not in again[0].text
    assert again[0].text.startswith("No pair is possible this time: 2 members are waiting")


async def member_id(app: App, user: str) -> int:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return member.id


async def test_a_run_after_members_changed_asks_to_preview_again(
    community: tuple[App, MemoryAdapter],
) -> None:
    app, memory = community
    people = await onboard_all(memory, FOUR)
    olga = memory.member("olga")
    await memory.admin(olga, "match")  # a preview, as "match" alone is
    await memory.command(people["ben"], "pause", "open-ended")
    before = seen_by(memory, *people)

    refused = await memory.admin(olga, "match", "run")
    assert refused[0].text.startswith("Since your preview, members have joined, paused or changed")
    assert "/tandem-admin match preview" in refused[0].text
    await app.run_due()
    assert spaces_of(memory) == {}
    assert seen_by(memory, *people) == before
    assert await status(app.store, "ana") == "waiting"

    # A new preview without Ben can be run: only Cleo and Dan are introduced.
    preview = await memory.admin(olga, "match", "preview")
    assert "Ana ↔ Ben" not in preview[0].text
    await memory.admin(olga, "match", "run")
    await app.run_due()
    assert list(spaces_of(memory).values()) == [{"cleo", "dan"}]
    # A run of the same preview again introduces nobody twice.
    again = await memory.admin(olga, "match", "run")
    assert again[0].text.startswith("There's no preview to run.")


async def test_no_answer_gets_one_gentle_nudge_then_the_introduction_lapses(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    people = await onboard_all(memory, {"ana": ANA, "ben": BEN})
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    clock.advance(timedelta(days=3))
    await app.run_due()
    await memory.pick(people["ana"], "yes")  # only Ana answers

    clock.advance(timedelta(days=4))  # a week after the introduction
    await app.run_due()
    nudges = {
        name: [t for t in memory.texts(member) if t.startswith(("A gentle hello", "Ein kurzes"))]
        for name, member in people.items()
    }
    assert nudges["ana"] == []
    assert len(nudges["ben"]) == 1
    assert "If I haven't heard from both of you in 7 days" in nudges["ben"][0]
    clock.advance(timedelta(days=3))
    await app.run_due()
    assert sum(t.startswith("A gentle hello") for t in memory.texts(people["ben"])) == 1

    clock.advance(timedelta(days=4))
    await app.run_due()
    for name, member in people.items():
        assert await status(app.store, name) == "waiting"
        assert memory.last(member).text.startswith(
            ("I haven't heard from both of you", "Danke für dein Ja zu Ben!")
        )
    # Ben's open question is closed; answering it now changes nothing.
    (retired,) = [r for r in memory.retired_for(people["ben"]) if not r.answered]
    assert retired.question.id == "first_call.ask"
    space = next(iter(spaces_of(memory)))
    assert closed_spaces(memory) == [space]
    later = await memory.command(people["ben"], "decide")
    assert later[-1].text == "There's no introduction waiting for your answer right now."


async def test_the_odd_one_out_is_told_kindly_and_is_first_in_line_next_round(
    community: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = community
    # Ana can pair with Ben or Eva (who teach each other nothing): one of them sits out.
    ben = replace(BEN, language="de")
    first = await onboard_all(memory, {"ana": ANA, "ben": ben, "eva": ben})
    olga = memory.member("olga")
    preview = await memory.admin(olga, "match", "preview")
    assert "Pairs: 1 · sitting out: 1" in preview[0].text
    await memory.admin(olga, "match", "run")
    await app.run_due()
    (waiting,) = [name for name in first if await status(app.store, name) == "waiting"]
    told = memory.last(first[waiting]).text
    assert told.startswith("In dieser Runde war die Zahl der Leute ungerade")
    assert "In der nächsten Runde bist du zuerst dran" in told
    listed = await memory.admin(olga, "waiting")
    assert listed[0].text == f"Waiting for a partner (1):\n• {waiting.title()} – first in line"

    # Two newcomers: three wait, someone sits out again, but not the one who did before.
    await onboard_all(memory, {"fay": ANA, "gus": ben})
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    assert await status(app.store, waiting) == "in_tandem"
    sitting = [name for name in ("fay", "gus") if await status(app.store, name) == "waiting"]
    assert len(sitting) == 1
    member = await app.store.members.find("memory", "memory", waiting)
    assert member is not None
    assert member.first_in_line_at is None


async def test_the_communitys_schedule_previews_and_runs_a_round_on_its_day(
    make_app: AppFactory, clock: FakeClock
) -> None:
    # Monday 2026-01-05, 09:00 UTC, is 10:00 in Berlin: the next round is a week later.
    schedule = {"cadence_weeks": 2, "weekday": "mon", "time": "10:00", "auto_run": True}
    app = await make_app("memory", program={"timezone": "Europe/Berlin", "matching": schedule})
    memory = memory_of(app)
    booked = await app.store.due.get("memory", "match_cadence")
    assert booked is not None
    assert booked.due_at == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    await onboard_all(memory, FOUR)
    clock.advance(timedelta(days=7))
    await app.run_due()

    posted = to_organizers(memory)
    assert posted[0].startswith("Match round preview for the week of 2026-01-12")
    assert posted[1].startswith("The round is on: I'm introducing 2 pairs now")
    assert len(spaces_of(memory)) == 2
    following = await app.store.due.get("memory", "match_cadence")
    assert following is not None
    assert following.due_at == datetime(2026, 1, 26, 9, 0, tzinfo=UTC)


async def test_without_auto_run_the_schedule_only_previews(
    make_app: AppFactory, clock: FakeClock
) -> None:
    schedule = {"cadence_weeks": 1, "weekday": "tue", "time": "08:30"}
    app = await make_app("memory", program={"timezone": "Europe/Berlin", "matching": schedule})
    memory = memory_of(app)
    memory.organizers = {"olga"}
    await onboard_all(memory, FOUR)
    clock.advance(timedelta(days=1))  # Tuesday 09:00 UTC: 08:30 in Berlin has passed
    await app.run_due()
    (posted,) = to_organizers(memory)
    assert "Pairs: 2" in posted
    assert spaces_of(memory) == {}
    ran = await memory.admin(memory.member("olga"), "match", "run")
    assert ran[0].text.startswith("The round is on")


def test_scheduled_rounds_keep_their_local_time_across_summer_time() -> None:
    program = load_settings(
        None,
        program={"timezone": "Europe/Berlin", "matching": {"cadence_weeks": 1, "time": "10:00"}},
    ).program
    # Berlin moves to summer time on Sunday 2026-03-29: 10:00 is 09:00 UTC before, 08:00 after.
    before = next_round_at(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), program)
    after = next_round_at(before, program)
    assert before == datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Exactly at the time, the next one is a week later.
    assert next_round_at(after, program) == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
