"""The first call's answers as the members and organizers meet them: "not a fit" is final the
moment it is picked (the reason is an optional extra the organizers read), and an introduction
that lapses is told fittingly and may be proposed again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.intents import AttachFile
from tests.conftest import AppFactory, memory_of
from tests.support.onboarding import Turn, play_on_memory
from tests.support.rounds import (
    ANA,
    FOUR,
    closed_spaces,
    onboard_all,
    said_in,
    spaces_of,
    status,
    to_organizers,
    transcript_for,
)


@pytest.fixture
async def introduced(make_app: AppFactory, clock: FakeClock) -> tuple[App, MemoryAdapter]:
    """Ana–Ben and Cleo–Dan introduced, and three days later each asked about the first call."""
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    await onboard_all(memory, FOUR)
    olga = memory.member("olga")
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    clock.advance(timedelta(days=3))
    await app.run_due()
    return app, memory


async def tandem_of(app: App, user: str):  # type: ignore[no-untyped-def]
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    (tandem,) = [t for t in await app.store.tandems.of_round(1) if member.id in t.members]
    return tandem


@pytest.mark.parametrize("then", ["cancel", "another command", "nothing"])
async def test_not_a_fit_is_final_when_picked_whatever_happens_to_the_reason(
    introduced: tuple[App, MemoryAdapter], then: str
) -> None:
    app, memory = introduced
    cleo, dan = memory.member("cleo"), memory.member("dan")
    await memory.pick(cleo, "no")
    assert memory.last_ask(cleo).question.id == "first_call.ask_reason"
    if then == "cancel":
        await memory.command(cleo, "cancel")
    elif then == "another command":
        await memory.command(cleo, "profile")
    await app.run_due()

    told = memory.last(dan).text
    assert told.startswith("About your introduction to Cleo: you two won't continue")
    assert await status(app.store, "cleo") == await status(app.store, "dan") == "waiting"
    tandem = await tandem_of(app, "cleo")
    assert (tandem.state, tandem.end_reason) == ("declined", "not_a_fit")
    assert closed_spaces(memory) != []
    # No reason was given: the organizers are not bothered.
    assert to_organizers(memory) == []
    # Never paired again: a new round proposes nobody for Cleo and Dan.
    again = await memory.admin(memory.member("olga"), "match", "preview")
    assert "Cleo ↔ Dan" not in again[0].text


async def test_the_reason_reaches_the_organizers_with_the_pair_and_never_the_partner(
    introduced: tuple[App, MemoryAdapter],
) -> None:
    app, memory = introduced
    cleo, dan = memory.member("cleo"), memory.member("dan")
    await memory.pick(cleo, "no")
    await app.run_due()  # Dan is told before Cleo writes anything
    assert memory.last(dan).text.startswith("About your introduction to Cleo")
    # Cleo's reason question was left open for her.
    assert memory.last_ask(cleo).question.id == "first_call.ask_reason"
    said = await memory.submit(cleo, "We want different things")
    assert said[-1].text.startswith("Thank you for telling me. I'll let Dan know kindly")
    await app.run_due()

    (posted,) = to_organizers(memory)
    assert posted.startswith('🙅 Cleo said "not a fit" after the introduction to Dan (round 1, ')
    assert posted.endswith("We want different things")
    assert not any("different things" in text for text in memory.texts(dan))
    tandem = await tandem_of(app, "cleo")
    assert "different things" in (tandem.reason_a or tandem.reason_b or "")


async def test_who_said_yes_is_told_their_partner_did_not_answer_and_may_meet_them_again(
    introduced: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = introduced
    ana, ben = memory.member("ana"), memory.member("ben")
    await memory.pick(ana, "yes")
    await memory.pick(memory.member("cleo"), "yes")
    await memory.pick(memory.member("dan"), "yes")
    clock.advance(timedelta(days=15))
    await app.run_due()
    clock.advance(timedelta(days=8))
    await app.run_due()

    assert memory.last(ana).text.startswith("Danke für dein Ja zu Ben! Von Ben habe ich")
    assert "nicht von euch beiden" not in memory.last(ana).text
    assert memory.last(ben).text.startswith("I haven't heard from both of you")
    assert (await tandem_of(app, "ana")).state == "lapsed"
    # A lapse is no "not a fit": the next round may propose Ana and Ben again.
    again = await memory.admin(memory.member("olga"), "match", "preview")
    assert "• Ana ↔ Ben" in again[0].text


async def test_the_intro_shows_expectations_and_the_german_nudge_reads_well(
    introduced: tuple[App, MemoryAdapter], clock: FakeClock
) -> None:
    app, memory = introduced
    (space,) = [s for s, members in spaces_of(memory).items() if members == {"ana", "ben"}]
    intro = said_in(memory, space)[1]
    assert "• My expectations: Ehrliches Feedback, auch wenn es unbequem ist" in intro
    clock.advance(timedelta(days=7))
    await app.run_due()
    (nudge,) = [t for t in memory.texts(memory.member("ana")) if t.startswith("Ein kurzes")]
    assert nudge.startswith("Ein kurzes Hallo 👋 Hattest du schon dein erstes Gespräch mit Ben?")
    assert "in 7 Tagen" in nudge


async def test_the_public_places_advice_is_a_paragraph_of_its_own(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    memory.organizers = {"olga"}
    # Eva teaches Ana what she wants to learn and the other way round; both meet in person.
    eva = replace(ANA, offers=("presenting",), needs=("time",))
    for name, profile in (("ana", ANA), ("eva", eva)):
        member = memory.member(name)
        await memory.command(member, "join")
        await play_on_memory(
            memory, member, in_person_transcript(transcript_for(profile)), typed=False
        )
    await memory.admin(memory.member("olga"), "match", "preview")
    await memory.admin(memory.member("olga"), "match", "run")
    await app.run_due()
    (space,) = spaces_of(memory)
    (intro,) = said_in(memory, space)
    assert "Neugier reicht." in intro
    assert "antworte jederzeit mit /tandem decide.\n\n📍 Persönliche Treffen?" in intro


def in_person_transcript(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """The onboarding transcript, keeping "either way" and the city instead of changing the
    format to video."""
    asked = [turn.asked for turn in turns]
    change = asked.index("join.ask_change_which")
    return (*turns[: change - 1], *turns[change + 2 :])


async def test_mydata_lists_the_tandems_with_the_members_own_reason_only(
    introduced: tuple[App, MemoryAdapter],
) -> None:
    app, memory = introduced
    cleo, dan = memory.member("cleo"), memory.member("dan")
    await memory.pick(dan, "yes")
    await memory.pick(cleo, "no")
    await memory.submit(cleo, "We want different things")
    await app.run_due()

    def export(seen: list) -> tuple[dict, str]:  # type: ignore[type-arg]
        files = [r.intent for r in seen if isinstance(r.intent, AttachFile)]
        return json.loads(files[0].content), files[1].content.decode()

    data, markdown = export(await memory.command(cleo, "mydata"))
    assert "## Your tandems" in markdown
    (line,) = [
        line
        for line in markdown.splitlines()
        if line.startswith("- Dan: ended after the first call (not a fit)")
    ]
    assert "your answer: not a fit; your reason: We want different things" in line
    assert data["tandems"][0]["partner"] == "Dan"
    # Dan's export names Cleo and his own answer, never her reason.
    data, markdown = export(await memory.command(dan, "mydata"))
    (line,) = [
        line
        for line in markdown.splitlines()
        if line.startswith("- Cleo: ended after the first call (not a fit)")
    ]
    assert "your answer: let's do it; your reason: –" in line
    assert "different things" not in markdown
    assert "different things" not in json.dumps(data)
