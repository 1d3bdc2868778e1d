"""The tandem agreement on the memory adapter: two members matched and active, each answers
privately, the agreement is shown in the pair space, both confirm, ``agreement`` shows it, a
change is proposed and confirmed, and the history is kept; slots across time zones; a restart
in the middle of a part."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.flow import Invalid
from bot.messages import msg
from bot.places import MemberRef, PlaceKind
from flows.agreement_terms import parse_slot
from tests.conftest import AppFactory, memory_of
from tests.support.rounds import FOUR, onboard_all, said_in, spaces_of


def plain(text: str) -> str:
    """English times as Babel writes them ("5:00\u202fPM"), with plain spaces."""
    return text.replace("\u202f", " ")


async def active_pairs(app: App, memory: MemoryAdapter) -> dict[str, MemberRef]:
    """Ana–Ben and Cleo–Dan matched, both pairs said "let's do it"; the bot then asks each
    member for their part of the agreement."""
    memory.organizers = {"olga"}
    people = await onboard_all(memory, FOUR)
    await memory.admin(memory.member("olga"), "match", "preview")
    await memory.admin(memory.member("olga"), "match", "run")
    await app.run_due()
    for member in people.values():  # they answer before the bot asks (days later)
        await memory.command(member, "decide")
        await memory.pick(member, "yes")
    await app.run_due()
    return people


def space_of(memory: MemoryAdapter, *names: str) -> str:
    (space,) = [s for s, members in spaces_of(memory).items() if members == set(names)]
    return space


def option_labels(memory: MemoryAdapter, member: MemberRef) -> dict[str, str]:
    ask = memory.last_ask(member)
    render = memory.translator.render
    return {option.id: plain(render(option.label, ask.locale)) for option in ask.options}


async def member_id(app: App, user: str) -> int:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    return member.id


@pytest.fixture
async def pairs(make_app: AppFactory) -> tuple[App, MemoryAdapter, dict[str, MemberRef]]:
    app = await make_app("memory")
    memory = memory_of(app)
    return app, memory, await active_pairs(app, memory)


async def test_both_answer_privately_confirm_and_change_the_agreement_with_history(
    pairs: tuple[App, MemoryAdapter, dict[str, MemberRef]],
) -> None:
    app, memory, people = pairs
    ana, ben = people["ana"], people["ben"]
    space = space_of(memory, "ana", "ben")

    # Each is asked privately, in their DM, starting from the goals in their profile.
    for member in (ana, ben):
        assert memory.last_ask(member).question.id == "agreement.ask_part"
        assert memory.last_ask(member).target.kind == PlaceKind.DM
    asked = memory.last(ana).text
    assert "• Im Team-Meeting 10 Minuten frei präsentieren" in asked
    assert "• Meine Woche besser planen" in asked

    # Ana keeps her goals, gives milestones (one with a target week), picks a proposed slot.
    await memory.pick(ana, "keep")
    assert memory.last_ask(ana).question.id == "agreement.ask_milestones"
    await memory.submit(ana, "Folien entwerfen (Woche 2)\nProbevortrag vor Ben")
    await memory.submit(ana, "Jeden Montag planen")
    assert memory.last_ask(ana).question.id == "agreement.ask_slot"
    # Ana (Vienna) and Ben (Berlin) are both free on Monday evenings.
    assert option_labels(memory, ana) == {
        "mon_1700": "Montag 17:00",
        "mon_1800": "Montag 18:00",
        "other": "Eine andere Zeit",
    }
    await memory.pick(ana, "mon_1700")
    assert [o.id for o in memory.last_ask(ana).options] == ["60", "30", "45", "90"]
    await memory.pick(ana, "60")
    await memory.pick(ana, "in_person")
    rules = memory.last(ana).text
    assert "Was wir besprechen, bleibt unter uns." in rules
    assert "öffentlichen Ort" in rules  # in person: the seed's public-places advice
    said = await memory.pick(ana, "accept")
    assert said[-1].text.startswith("Danke, dein Teil ist da! Sobald auch Ben")
    assert said_in(memory, space)[-1].startswith("🎉 Ana and Ben, you're officially")

    # Ben writes his own goal and proposes another time: a counter-proposal.
    await memory.pick(ben, "write")
    await memory.submit(ben, "Speak freely at meetups")
    await memory.submit(ben, "Give a five-minute talk (week 6)")
    await memory.pick(ben, "other")
    refused = await memory.submit(ben, "someday soon")
    assert refused[0].text.startswith("I didn't understand that time.")
    await memory.submit(ben, "Mon 19:00")
    await memory.pick(ben, "60")
    await memory.pick(ben, "video")
    said = await memory.pick(ben, "accept")
    assert said[-1].text.startswith("Thanks! Ana's part was already in")

    # The agreement is shown in the pair space, in both languages, each zone named.
    await app.run_due()
    german, english = said_in(memory, space)[-2:]
    assert german.startswith("📝 Eure Tandem-Vereinbarung (Version 1)")
    assert "   ◦ Folien entwerfen (Woche 2)" in german
    assert english.startswith("📝 Your tandem agreement (version 1)")
    assert "• Speak freely at meetups\n   ◦ Give a five-minute talk (week 6)" in english
    assert "• Ana: Monday 7:00 PM – 8:00 PM (Europe/Vienna)" in plain(english)
    assert "• Ben: Monday 7:00 PM – 8:00 PM (Europe/Berlin)" in plain(english)
    assert "60 minutes · Video call" in english
    assert "this is Ben's choice" in english

    # Both are asked to confirm; Ana confirms Ben's counter-proposal, then Ben.
    for member in (ana, ben):
        assert memory.last_ask(member).question.id == "agreement.ask_confirm"
    assert "• Montag 19:00 – 20:00, deine Zeit (Europe/Vienna)" in memory.last(ana).text
    said = await memory.pick(ana, "confirm")
    assert said[-1].text.startswith("Danke, bestätigt!")
    said = await memory.pick(ben, "confirm")
    assert said[-1].text.startswith("🎉 Confirmed: Ana had confirmed already")
    await app.run_due()
    assert memory.last(ana).text.startswith("🎉 Ben hat eure Vereinbarung auch bestätigt")
    assert said_in(memory, space)[-1] == (
        "✅ Ana and Ben have both confirmed your agreement. Have great meetings!"
    )
    tandem = await app.store.tandems.current_for(await member_id(app, "ana"))
    assert tandem is not None
    agreement = await app.store.agreements.for_tandem(tandem.id)
    assert agreement is not None
    assert (agreement.state, agreement.version) == ("agreed", 1)
    assert agreement.terms is not None
    assert agreement.terms["rhythm"] == {
        "weekday": "mon",
        "time": "19:00",
        "timezone": "Europe/Berlin",
        "duration": 60,
        "format": "video",
    }

    # "agreement" shows it any time; Ana proposes a longer meeting, Ben confirms.
    shown = await memory.command(ana, "agreement")
    assert shown[-1].text.startswith("📝 Eure Tandem-Vereinbarung (Version 1)")
    assert shown[-1].text.endswith("Möchtest du eine Änderung vorschlagen?")
    await memory.pick(ana, "duration")
    said = await memory.pick(ana, "90")
    assert said[-1].text.startswith("Danke! Ich habe Ben gebeten, deine Änderung zu bestätigen")
    await app.run_due()
    assert memory.last_ask(ben).question.id == "agreement.ask_decide"
    assert "90 minutes · Video call" in memory.last(ben).text
    said = await memory.pick(ben, "accept")
    assert said[-1].text.startswith("Done: the change is part of your agreement now.")
    await app.run_due()
    assert memory.last(ana).text.startswith("✅ Ben hat deine Änderung angenommen")
    assert said_in(memory, space)[-2].startswith("✏️ Eure Vereinbarung hat sich geändert")
    assert "(Version 2)" in said_in(memory, space)[-2]

    # The history keeps every version.
    history = await app.store.agreements.history(agreement.id)
    assert [(c.field, c.state, c.version) for c in history] == [
        ("merged", "accepted", 1),
        ("duration", "accepted", 2),
    ]
    assert history[0].terms["rhythm"]["duration"] == 60
    assert history[1].terms["rhythm"]["duration"] == 90
    assert history[1].proposed_by == await member_id(app, "ana")

    # It is Ana's data (her part, the agreement, its history) and goes when she is forgotten.
    ana_record = await app.store.members.find("memory", "memory", "ana")
    assert ana_record is not None
    exported = await app.store.privacy.export(ana_record)
    (mine,) = exported["agreements"]
    assert mine["my_part"]["slot"]["time"] == "17:00"
    assert [row["field"] for row in mine["history"]] == ["merged", "duration"]
    await app.store.privacy.forget(ana_record)
    assert await app.store.agreements.for_tandem(tandem.id) is None
    assert await app.store.agreements.history(agreement.id) == []


async def test_slots_are_proposed_in_each_readers_zone_and_a_pick_shown_to_the_partner(
    pairs: tuple[App, MemoryAdapter, dict[str, MemberRef]],
) -> None:
    app, memory, people = pairs
    cleo, dan = people["cleo"], people["dan"]
    # Tuesday 17:00–21:00 in London is 12:00–16:00 in New York.
    for member, goal in ((cleo, "Write better"), (dan, "Read data")):
        await memory.pick(member, "write")
        await memory.submit(member, goal)
        await memory.submit(member, "One step")
    assert option_labels(memory, cleo) == {
        "tue_1700": "Tuesday 5:00 PM",
        "tue_1800": "Tuesday 6:00 PM",
        "other": "Another time",
    }
    assert option_labels(memory, dan) == {
        "tue_1200": "Tuesday 12:00 PM",
        "tue_1300": "Tuesday 1:00 PM",
        "other": "Another time",
    }
    for answer in ("tue_1800", "60", "video", "accept"):
        await memory.pick(cleo, answer)

    # Dan cancels and starts over: now Cleo's pick comes first, in Dan's own time.
    await memory.say(dan, "cancel")
    await memory.command(dan, "agreement")
    await memory.pick(dan, "write")
    await memory.submit(dan, "Read data")
    await memory.submit(dan, "One step")
    labels = option_labels(memory, dan)
    assert next(iter(labels.items())) == ("tue_1300", "Tuesday 1:00 PM (Cleo's choice)")
    for answer in ("tue_1300", "60", "video", "accept"):
        await memory.pick(dan, answer)
    await app.run_due()
    (shown,) = said_in(memory, space_of(memory, "cleo", "dan"))[-1:]
    assert "• Cleo: Tuesday 6:00 PM – 7:00 PM (Europe/London)" in plain(shown)
    assert "• Dan: Tuesday 1:00 PM – 2:00 PM (America/New_York)" in plain(shown)
    assert "this is" not in shown  # the same time: nothing to point out


async def test_a_restart_in_the_middle_of_a_part_keeps_the_step(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    people = await active_pairs(app, memory)
    ana = people["ana"]
    await memory.pick(ana, "keep")
    await memory.submit(ana, "Folien entwerfen")
    asked = memory.last_ask(ana)
    assert asked.question.id == "agreement.ask_milestones"
    await app.stop()

    again = await make_app("memory")
    memory = memory_of(again)
    said = await memory.say(ana, "Jeden Montag planen")
    assert said[-1].intent.question.id == "agreement.ask_slot"  # type: ignore[attr-defined]
    await memory.pick(ana, "mon_1800")
    await memory.pick(ana, "60")
    await memory.pick(ana, "video")
    said = await memory.pick(ana, "accept")
    assert said[-1].text.startswith("Danke, dein Teil ist da!")
    tandem = await again.store.tandems.current_for(await member_id(again, "ana"))
    assert tandem is not None
    agreement = await again.store.agreements.for_tandem(tandem.id)
    assert agreement is not None
    part = agreement.part_of(await member_id(again, "ana"))
    assert part is not None
    assert [goal["milestones"] for goal in part["goals"]] == [
        [{"text": "Folien entwerfen", "week": None}],
        [{"text": "Jeden Montag planen", "week": None}],
    ]


@pytest.mark.parametrize(
    ("typed", "weekday", "time"),
    [
        ("Di 18:30", "tue", "18:30"),
        ("Dienstag 7 Uhr", "tue", "07:00"),
        ("am Dienstag um 18 Uhr", "tue", "18:00"),
        ("nächsten Mittwoch, 18.30", "wed", "18:30"),
        ("jeden Freitag 17:00", "fri", "17:00"),
        ("fri 6pm", "fri", "18:00"),
        ("next Tuesday at 6pm", "tue", "18:00"),
        ("every Monday  7:15", "mon", "07:15"),
    ],
)
def test_weekly_times_as_people_write_them(typed: str, weekday: str, time: str) -> None:
    assert parse_slot(typed, "Europe/Berlin") == {
        "weekday": weekday,
        "time": time,
        "timezone": "Europe/Berlin",
    }


@pytest.mark.parametrize("typed", ["nächsten 18 Uhr", "am 18:00", "Dienstag", "every day 6pm"])
def test_a_time_without_a_weekday_is_refused_with_how_to_write_it(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_slot(typed, "Europe/Berlin")
    assert refused.value.message == msg("agreement.slot_unknown")
