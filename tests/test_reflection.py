"""Milestones and reflections on the memory adapter: Ana and Ben agreed on their tandem; two
milestones are celebrated in their pair space (a shout-out in the community's celebration
place only once both opted in), Ben congratulates Ana; four weeks later both are asked to
reflect, each shares what they choose (nothing private reaches the pair space); everything is
in ``mydata`` and gone after ``forget``."""

from __future__ import annotations

import json
from datetime import timedelta

from adapters.memory import MemoryAdapter
from bot.clock import FakeClock
from bot.intents import AttachFile
from bot.places import PlaceKind
from tests.conftest import AppFactory, memory_of
from tests.support.agreed_pair import agreed_pair, until_asked_to_reflect
from tests.support.rounds import said_in

PRIVATE = ("Mehr Mut beim Sprechen", "Ben talks too fast", "I'm scared of stage", "Zu wenig Zeit")


def shoutouts(memory: MemoryAdapter) -> list[str]:
    return [r.text for r in memory.sent if r.place.kind == PlaceKind.CELEBRATION]


async def test_milestones_and_a_reflection_with_what_each_shares(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    pair = await agreed_pair(app)
    memory, ana, ben, space = pair.memory, pair.ana, pair.ben, pair.space

    # Ana marks a milestone and agrees to shout-outs; Ben has not: no shout-out.
    said = await memory.command(ana, "milestone")
    assert said[-1].text.startswith("🏁 Welchen deiner Meilensteine hast du erreicht?")
    assert [o.id for o in memory.last_ask(ana).options] == [
        "g0_m0", "g0_m1", "g1_m0", "shoutout_on", "nothing",
    ]  # fmt: skip
    await memory.pick(ana, "g0_m0")
    assert memory.last_ask(ana).question.id == "milestone.ask_shoutout"
    said = await memory.pick(ana, "yes")
    assert said[-1].text.startswith("🎉 Herzlichen Glückwunsch zu „Folien entwerfen“!")
    await app.run_due()
    assert said_in(memory, space)[-2:] == [
        "🎉 Ana hat einen Meilenstein erreicht: „Folien entwerfen“! Ben, ich frage dich gleich "
        "privat, ob du gratulieren möchtest.\n🏅 Euer erster gemeinsamer Meilenstein!",
        '🎉 Ana reached a milestone: "Folien entwerfen"! Ben, I\'ll ask you privately whether '
        "you'd like to add your congratulations.\n🏅 Your first milestone together!",
    ]
    assert shoutouts(memory) == []

    # Ben is asked privately and congratulates in his own words.
    assert memory.last_ask(ben).question.id == "milestone.ask_congratulate"
    await memory.pick(ben, "words")
    said = await memory.submit(ben, "Stark, Ana!")
    assert said[-1].text == "🥳 Sent! Ana will see it in your pair space."
    assert '🥳 Ben congratulates Ana: "Stark, Ana!"' in said_in(memory, space)

    # Ben marks his own milestone and says yes too: now one shout-out, naming only the two.
    await memory.command(ben, "milestone")
    await memory.pick(ben, "g0_m0")
    await memory.pick(ben, "yes")
    await app.run_due()
    assert said_in(memory, space)[-2].startswith(
        '🎉 Ben reached a milestone: "Give a five-minute talk"!'
    )
    assert shoutouts(memory) == ["🎉 Ana and Ben reached a milestone together in their tandem!"]
    await app.run_due()
    assert shoutouts(memory) == ["🎉 Ana and Ben reached a milestone together in their tandem!"]
    await memory.pick(ana, "skip")  # Ana lets Ben's pass (she was asked to congratulate)

    # Four weeks after the tandem began, both are asked to reflect.
    clock.advance(timedelta(weeks=4))
    await app.run_due()
    await until_asked_to_reflect(pair, clock, ana, ben)
    assert memory.last_ask(ana).question.id == "reflect.ask_progress"
    assert "Reflexion 1 mit Ben" in memory.received(ana)[-2].text
    await memory.pick(ana, "4")
    await memory.submit(ana, "Folien sind fertig")
    await memory.pick(ana, "3")
    await memory.say(ana, "skip")
    await memory.submit(ana, PRIVATE[0])  # what helped
    await memory.submit(ana, PRIVATE[1])  # what to change
    await memory.submit(ana, "Probevortrag halten")  # focus
    assert [o.id for o in memory.last_ask(ana).options] == ["g0_m1", "g1_m0"]
    await memory.pick(ana, "g0_m1")
    assert [o.id for o in memory.last_ask(ana).options] == [
        "progress", "notes", "helped", "change", "focus", "nothing",
    ]  # fmt: skip
    said = await memory.pick(ana, "progress", "notes", "focus")
    assert said[-1].text.startswith("🪞 Danke fürs Reflektieren! Ich habe Ben gebeten")
    assert "Möchtest du eure Vereinbarung anpassen" in said[-1].text
    # Ben reflects and keeps everything private.
    await memory.pick(ben, "2")
    await memory.submit(ben, PRIVATE[2])
    for text in ("Ana's questions", PRIVATE[3], "One meetup"):
        await memory.submit(ben, text)
    await memory.say(ben, "skip")  # no milestone
    said = await memory.pick(ben, "nothing")
    assert said[-1].text.startswith("🪞 Thank you for reflecting! Ana has reflected too")
    await app.run_due()
    german, english = said_in(memory, space)[-2:]
    assert german.startswith("🪞 Reflexion 1 von Ana und Ben: was ihr teilen wolltet.")
    assert (
        "Ana:\n• Im Team-Meeting 10 Minuten frei präsentieren: 4/5\n   ◦ Folien sind fertig"
        in german
    )
    assert "• Fokus bis zum nächsten Mal: Probevortrag halten" in german
    assert "Ben behält diese Reflexion für sich." in german
    assert "Ben keeps this reflection private." in english
    for private in PRIVATE:
        assert all(private not in text for text in said_in(memory, space)), private
    # Ana's milestone from the reflection was celebrated too.
    assert any("Probevortrag vor Ben" in text for text in said_in(memory, space))

    # Everything is in Ana's mydata, and goes with forget.
    files = [r.intent for r in await memory.command(ana, "mydata")]
    json_file, markdown = [f for f in files if isinstance(f, AttachFile)]
    exported = json.loads(json_file.content)
    assert [m["text"] for m in exported["milestones"]] == [
        "Folien entwerfen",
        "Probevortrag vor Ben",
    ]
    (mine,) = exported["reflections"]
    assert mine["answers"]["change"] == PRIVATE[1]
    assert mine["shared"] == ["progress", "notes", "focus"]
    assert [s["opted_in"] for s in exported["shoutouts"]] == [True]
    assert "## Deine Reflexionen" in markdown.content.decode()
    assert "## Deine erreichten Meilensteine" in markdown.content.decode()
    await memory.command(ana, "forget")
    await memory.pick(ana, "forget")
    await app.run_due()  # Ben is told; his conversations about the tandem end
    for table in await app.store.table_names():
        dumped = json.dumps(await app.store.dump_table(table), default=str, ensure_ascii=False)
        for gone in (PRIVATE[0], PRIVATE[1], "Probevortrag vor Ben", "Folien sind fertig"):
            assert gone not in dumped, (table, gone)


async def test_reflect_on_demand_survives_a_restart_and_ending_cancels_the_schedule(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    pair = await agreed_pair(app)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    tandem = await pair.tandem()
    # Booked when agreed: weeks 4 and 8, and the final one at week 12.
    booked = [
        await app.store.due.get("memory", f"tandem:{tandem.id}:reflect:{n}") for n in (1, 2, 3)
    ]
    assert tandem.active_at is not None
    assert [item.due_at - tandem.active_at for item in booked if item is not None] == [
        timedelta(weeks=4),
        timedelta(weeks=8),
        timedelta(weeks=12),
    ]

    # Ben reflects on demand; a restart in the middle loses nothing.
    said = await memory.command(ben, "reflect")
    assert said[-2].text.startswith("🪞 Time to reflect (reflection 1 with Ana).")
    await memory.pick(ben, "3")
    await app.stop()
    app = await make_app("memory")
    memory = memory_of(app)
    said = await memory.say(ben, "Getting there")
    assert said[-1].intent.question.id == "reflect.ask_helped"  # type: ignore[attr-defined]
    for text in ("-", "-", "-", "-"):  # helped, change, focus, no milestone
        await memory.say(ben, text)
    said = await memory.pick(ben, "progress")
    assert said[-1].text.startswith("🪞 Thank you for reflecting! I've asked Ana")
    # Ana is asked to reflect too; Ben, asking again, waits for her.
    await app.run_due()
    asked = [r.intent for r in memory.received(ana)]
    assert asked[-1].question.id == "reflect.ask_progress"  # type: ignore[attr-defined]
    said = await memory.command(ben, "reflect")
    assert said[-1].text.startswith("You've already reflected – thank you! I'm waiting for Ana")

    # Ending the tandem cancels its reflections.
    await memory.command(ben, "rematch")
    await memory.pick(ben, memory.last_ask(ben).options[0].id)
    for n in (1, 2, 3):
        item = await app.store.due.get("memory", f"tandem:{tandem.id}:reflect:{n}")
        assert item is not None
        assert item.state == "cancelled"


async def test_a_program_of_four_weeks_ends_with_the_final_reflection(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program={"length_weeks": 4, "reflection_every_weeks": 4})
    pair = await agreed_pair(app)
    memory, ana, ben, space = pair.memory, pair.ana, pair.ben, pair.space
    clock.advance(timedelta(weeks=4))
    await app.run_due()
    await until_asked_to_reflect(pair, clock, ana, ben)
    intro = [r.text for r in memory.received(ben) if r.text.startswith("🏁 Your program")]
    assert intro == [
        "🏁 Your program with Ana is coming to an end – time for your final reflection. A few "
        "questions, answered privately; at the end you decide what Ana gets to see."
    ]
    for member, progress in ((ana, "5"), (ben, "4")):
        while memory.last_ask(member).question.id != "reflect.ask_share":
            ask = memory.last_ask(member)
            if ask.question.id == "reflect.ask_progress":
                await memory.pick(member, progress)
            else:
                await memory.say(member, "-")
        await memory.pick(member, "progress")
    await app.run_due()
    # (The program's completion follows: tests/test_program_end.py.)
    german, english = [text for text in said_in(memory, space) if text.startswith("🏁")]
    assert german.startswith("🏁 Die letzte Reflexion von Ana und Ben")
    assert english.startswith("🏁 The final reflection of Ana and Ben")
    assert "• Speak freely at meetups: 4/5" in english
    # How they go on is asked next (the completion), not by changing the agreement.
    assert english.endswith(
        "What a journey – well done, both of you! The summary of your program follows right here."
    )
    assert "agreement" not in english
    tandem = await pair.tandem()
    (final_a, final_b) = await app.store.reflections.pair(tandem.id, 1)
    assert (final_a.final, final_b.final) == (True, True)
