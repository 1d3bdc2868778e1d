"""The end of a program on the memory adapter: Ana and Ben in a four-week program reflect at
weeks 2 and 4; after both answered the final reflection, the pair space gets the completion
summary (meetings held, longest streak, milestones, progress first → last, only what each
shared), each partner their own progress and chart in their DM, then the question how to go on.
Both continue (a new round with its reflections); finish + anew (Ana alumni and not matched in
the next round, Ben waiting and matched); nobody or one answers (the reminder, the default)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.i18n import Translator
from bot.intents import AttachFile, Say
from bot.places import MemberRef
from flows.meeting_view import longest_streak
from flows.program_chart import ProgressChart, draw, figure_of
from flows.program_summary import MemberProgress, ProgramFigures, space_summary
from store.badges import BadgeRecord
from store.meetings import HELD
from store.schema import due_items
from tests.conftest import AppFactory
from tests.support.agreed_pair import agreed_pair, until_asked, until_asked_to_reflect
from tests.support.rounds import PEER, closed_spaces, onboard, said_in, spaces_of, status
from tests.support.tandem_pair import Pair, pair_in_a_tandem
from tests.test_stats import png_size

PROGRAM = {"length_weeks": 4, "reflection_every_weeks": 2}
SECRET_NOTE = "Geheime Notiz über Ben"
BEN_GOAL = "Speak freely at meetups"


async def reflect(
    memory: MemoryAdapter,
    member: MemberRef,
    progress: list[str],
    share: tuple[str, ...],
    milestones: tuple[str, ...] = (),
) -> None:
    """Answer the running reflection: ``progress`` per goal, a private note, the milestones."""
    values = iter(progress)
    while True:
        asked = memory.last_ask(member).question.id
        if asked == "reflect.ask_progress":
            await memory.pick(member, next(values))
        elif asked == "reflect.ask_note":
            await memory.say(member, SECRET_NOTE)
        elif asked == "reflect.ask_milestones":
            await (memory.pick(member, *milestones) if milestones else memory.say(member, "skip"))
        elif asked == "reflect.ask_share":
            await memory.pick(member, *share)
            return
        else:
            await memory.say(member, "-")


async def complete_program(app: App, clock: FakeClock) -> Pair:
    """Ana and Ben through a four-week program to the question how to go on: Ana shares her
    progress (2 and 3, then 4 and 5) and reaches a milestone; Ben keeps his private (2, then
    4)."""
    pair = await agreed_pair(app)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    clock.advance(timedelta(weeks=2))
    await app.run_due()
    await until_asked_to_reflect(pair, clock, ana, ben)
    await reflect(memory, ana, ["2", "3"], ("progress",), milestones=("g0_m0",))
    await reflect(memory, ben, ["2"], ("nothing",))
    await app.run_due()
    tandem = await pair.tandem()
    assert tandem.active_at is not None
    clock.advance(tandem.active_at + timedelta(weeks=4) - clock.now())
    await app.run_due()
    await until_asked_to_reflect(pair, clock, ana, ben)
    await reflect(memory, ana, ["4", "5"], ("progress", "notes"))
    await reflect(memory, ben, ["4"], ("nothing",))
    await app.run_due()
    await until_asked(pair, clock, "program_end", ana, ben)
    return pair


def told(memory: MemoryAdapter, member: MemberRef) -> list[str]:
    return [r.text for r in memory.received(member) if isinstance(r.intent, Say)]


async def test_the_completion_shows_what_each_shared_and_both_continue(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program=PROGRAM)
    pair = await complete_program(app, clock)
    memory, ana, ben, space = pair.memory, pair.ana, pair.ben, pair.space
    tandem = await pair.tandem()
    history = await app.store.meetings.history(tandem.id)
    held = sum(meeting.state == HELD for meeting in history)
    assert held >= 2

    # The pair space: the summary in German (Ana) and English (Ben), after the final reflection.
    texts = said_in(memory, space)
    final = next(i for i, text in enumerate(texts) if text.startswith("🏁 The final reflection"))
    german, english = [text for text in texts[final:] if text.startswith("🎓")]
    assert english == (
        "🎓 Ana and Ben, you've completed your program together – 4 weeks! Congratulations! "
        "Here's what you did:\n"
        f"• Meetings held: {held}\n"
        f"• Longest streak of meetings in a row: {longest_streak(history)}\n"
        "• Milestones reached:\n"
        "   ◦ Ana: Folien entwerfen\n"
        "• Badges earned:\n"
        "   ◦ 🏅 Your first milestone together\n"
        "• Progress per goal, from the first to the last reflection:\n"
        "   Ana:\n"
        "   ◦ Im Team-Meeting 10 Minuten frei präsentieren: 2/5 → 4/5\n"
        "   ◦ Meine Woche besser planen: 3/5 → 5/5\n"
        "   Ben keeps their progress private.\n"
        "\n"
        "I'll ask each of you privately how you'd like to go on."
    )
    assert german.startswith("🎓 Ana und Ben, ihr habt euer Programm zusammen geschafft")
    assert "Ben behält den eigenen Fortschritt für sich." in german
    assert "• Eure Abzeichen:\n   ◦ 🏅 Euer erster gemeinsamer Meilenstein\n" in german
    for text in (german, english):
        assert SECRET_NOTE not in text
        assert "2/5 → 4/5" not in text.split("Ben")[-1]  # Ben's own progress stays his

    # Each DM: their own progress in full, and their chart (800×450).
    assert (
        "🎓 Your program is complete – well done! Your own progress, from your first to your "
        "last reflection:\n   ◦ Speak freely at meetups: 2/5 → 4/5\n"
    ) in "\n".join(told(memory, ben))
    assert "   ◦ Meine Woche besser planen: 3/5 → 5/5" in "\n".join(told(memory, ana))
    charts = [f for f in memory.files if f.filename == "tandem-progress.png"]
    assert [chart.target.user_id for chart in charts] == [ana.user_id, ben.user_id]
    assert all(png_size(chart.content) == (800, 450) for chart in charts)

    # The question, in each one's DM.
    asked = memory.last_ask(ben)
    assert asked.question.id == "program_end.ask"
    assert [option.id for option in asked.options] == ["continue", "finish", "anew"]
    said = await memory.pick(ben, "continue")
    assert said[-1].text == (
        "Thank you, I've noted your answer! I'll let you know what happens once Ana has "
        "answered too."
    )
    said = await memory.pick(ana, "continue")
    assert said[-1].text.startswith("Danke, ihr habt beide geantwortet!")
    await app.run_due()
    assert told(memory, ben)[-1].startswith(
        "🔁 You and Ana both want to go on – wonderful! A new round of 4 weeks starts today."
    )
    assert told(memory, ana)[-1].startswith("🔁 Du und Ben wollt beide weitermachen")

    # The next round: counted, its reflections and its completion booked from now.
    went_on = await pair.tandem()
    assert (went_on.state, went_on.program_round, went_on.round_started_at) == (
        "active",
        2,
        clock.now(),
    )
    first = await app.store.due.get("memory", f"tandem:{tandem.id}:reflect:2-1")
    assert first is not None
    assert first.state == "pending"
    assert first.due_at == clock.now() + timedelta(weeks=2)
    completion = await app.store.due.get("memory", f"tandem:{tandem.id}:program:2:complete")
    assert completion is not None
    assert completion.due_at == clock.now() + timedelta(weeks=4, days=7)
    for member in (ana, ben):
        assert await status(app.store, member.user_id) == "in_tandem"

    # Both choices are in mydata (each only their own).
    files = [r.intent for r in await memory.command(ana, "mydata")]
    exported = json.loads(next(f for f in files if isinstance(f, AttachFile)).content)
    (ended,) = exported["program_ends"]
    assert (ended["round"], ended["my_choice"], ended["outcome"]) == (1, "continue", "continued")
    readable = next(f for f in files if isinstance(f, AttachFile) and f.filename.endswith(".md"))
    text = readable.content.decode()
    assert "## Deine abgeschlossenen Programme\n" in text
    assert f"- Tandem {tandem.id}, Runde 1, geschafft am " in text
    assert ": du hast „Zusammen weitermachen“ gewählt" in text
    assert "\n## Abzeichen deiner Tandems\n\n- 🏅 Euer erster gemeinsamer Meilenstein!" in text


async def test_finish_and_matched_anew(make_app: AppFactory, clock: FakeClock) -> None:
    app = await make_app("memory", program=PROGRAM)
    pair = await complete_program(app, clock)
    memory, ana, ben, olga = pair.memory, pair.ana, pair.ben, pair.olga
    await memory.pick(ana, "finish")
    await memory.pick(ben, "anew")
    await app.run_due()
    assert told(memory, ana)[-1].startswith(
        "🎓 Herzlichen Glückwunsch zu deinem abgeschlossenen Programm! Du gehörst jetzt zu "
        "unseren Alumni"
    )
    assert told(memory, ben)[-1].startswith("🔀 Noted: you'll get a new partner.")
    tandem = await pair.tandem()
    assert (tandem.state, tandem.end_reason) == ("ended", "completed")
    assert pair.space in closed_spaces(memory)
    assert await status(app.store, ana.user_id) == "alumni"
    assert await status(app.store, ben.user_id) == "waiting"
    said = await memory.command(ana, "status")
    assert said[-1].text == (
        "📍 Dein Status: Alumni (hat ein Programm abgeschlossen)\n"
        "Bei einem späteren Programm mitmachen kannst du jederzeit: /tandem join"
    )

    # The next round: Cleo joins; Ben is matched with her, Ana (alumni) is not.
    await onboard(memory, "cleo", PEER)
    await memory.admin(olga, "match", "preview")
    await memory.admin(olga, "match", "run")
    await app.run_due()
    newest = [members for space, members in spaces_of(memory).items() if space != pair.space]
    assert newest == [{ben.user_id, "cleo"}]

    # Stats list the alumni; join brings Ana back to waiting.
    said = await memory.admin(olga, "stats")
    assert "alumni (finished a program): 1" in said[0].text
    said = await memory.command(ana, "join")
    assert memory.last_ask(ana).question.id == "join.ask_language"


async def test_unanswered_a_reminder_then_the_default(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program={"length_weeks": 4, "reflection_every_weeks": 4})
    pair = await agreed_pair(app)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    tandem = await pair.tandem()
    assert tandem.active_at is not None
    # Neither answers the final reflection: the program completes a week after it was due.
    clock.advance(tandem.active_at + timedelta(weeks=4, days=7) - clock.now())
    await app.run_due()
    await until_asked(pair, clock, "program_end", ana, ben)
    assert any(text.startswith("🎓 Ana and Ben") for text in said_in(memory, pair.space))
    await memory.pick(ana, "continue")

    clock.advance(timedelta(days=3))
    await app.run_due()
    reminder = told(memory, ben)[-1]
    assert reminder.startswith("👋 A gentle reminder: I'd still like to know how you'd like")
    clock.advance(timedelta(days=4))
    await app.run_due()
    assert told(memory, ben)[-1].startswith(
        "🎓 I didn't hear from you how you'd like to go on, so I've marked your program as finished"
    )
    assert told(memory, ana)[-1].startswith(
        "💛 Du hättest gern mit Ben weitergemacht, aber ich habe von Ben nicht rechtzeitig gehört."
    )
    assert await status(app.store, ana.user_id) == "waiting"
    assert await status(app.store, ben.user_id) == "alumni"
    # Once only: the default does not run twice, nor a second completion.
    clock.advance(timedelta(days=8))
    before = len(memory.sent)
    await app.run_due()
    assert not [r for r in memory.sent[before:] if r.text.startswith(("🎓", "💛"))]


async def test_alumni_stay_alumni_through_pause_and_resume(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """An alumnus is never matched: pause and resume have nothing to change, and must not turn
    them into someone waiting for a partner (only join does that)."""
    app = await make_app("memory", program=PROGRAM)
    pair = await complete_program(app, clock)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    await memory.pick(ben, "finish")
    # Ben asks to pause while the tandem still runs, and answers once he is an alumnus.
    await memory.command(ben, "pause")
    assert memory.last_ask(ben).question.id == "pause.ask_until"
    await memory.pick(ana, "anew")
    await app.run_due()
    assert await status(app.store, ben.user_id) == "alumni"
    said = await memory.say(ben, "open-ended")
    assert said[-1].text.startswith("You've finished your program, so I'm not matching you")
    assert await status(app.store, ben.user_id) == "alumni"

    said = await memory.command(ben, "pause")
    assert said[-1].text == (
        "You've finished your program, so I'm not matching you with anyone – there's nothing "
        "to pause. Whenever you'd like to take part again: /tandem join"
    )
    said = await memory.command(ben, "pause", "open-ended")
    assert said[-1].text.startswith("You've finished your program")
    said = await memory.command(ben, "resume")
    assert said[-1].text == (
        "You've finished your program, so there's nothing to resume. Whenever you'd like to "
        "take part again: /tandem join"
    )
    assert await status(app.store, ben.user_id) == "alumni"
    said = await memory.command(ana, "pause")  # Ana waits for a new partner: she may pause
    assert memory.last_ask(ana).question.id == "pause.ask_until"


async def test_a_partner_who_forgets_before_the_outcome_is_not_named_or_kept(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """Both chose to continue; Ben forgets before the outcome is told. Ana hears that her
    tandem ended because her partner no longer takes part (not "you both want to go on", with
    a tandem that went with Ben), and no item keeps Ben's id."""
    app = await make_app("memory", program=PROGRAM)
    pair = await complete_program(app, clock)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    ben_id = (await pair.record(ben)).id
    await memory.pick(ana, "continue")
    await memory.pick(ben, "continue")
    await memory.command(ben, "forget")
    await memory.pick(ben, "forget")
    for row in await app.store.dump_table("due_items"):
        if row["kind"] == "program_outcome":
            assert row["payload"]["partner"] != ben_id, row
    await app.run_due()
    assert told(memory, ana)[-1].startswith(
        "Euer Tandem ist beendet: Deine Tandem-Person macht beim Programm nicht mehr mit."
    )
    assert await status(app.store, ana.user_id) == "waiting"


async def test_the_summary_names_each_badge_once_a_streak_at_its_longest(
    make_app: AppFactory, clock: FakeClock
) -> None:
    pair = await pair_in_a_tandem(await make_app("memory"))
    tandem = await pair.tandem()
    members = [await pair.record(pair.ana), await pair.record(pair.ben)]
    now = clock.now()

    def badge(kind: str, level: int) -> BadgeRecord:
        return BadgeRecord(1, "memory", tandem.id, kind, level, 1, now, now, now)

    def summary(*badges: BadgeRecord) -> tuple[str, str]:
        progress = tuple(MemberProgress(member, (), False) for member in members)
        shown = ProgramFigures(tandem, 12, 9, 8, (1,) * 12, (), badges, progress)
        text = space_summary(shown)
        return Translator().render(text, "en"), Translator().render(text, "de")

    english, german = summary(
        badge("streak", 4), badge("first_milestone", 1), badge("streak", 8), badge("streak", 4)
    )
    assert "• Badges earned:\n   ◦ 🔥 8 meetings in a row\n   ◦ 🏅 Your first milestone" in english
    assert "• Eure Abzeichen:\n   ◦ 🔥 8 Treffen in Folge\n   ◦ 🏅 Euer erster" in german
    english, german = summary()
    assert "Badges" not in english
    assert "Abzeichen" not in german
    assert "• Milestones reached:\n   ◦ none this time\n• Progress per goal" in english


async def test_a_tandem_agreed_before_program_ends_existed_completes_too(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """A tandem agreed before the completion was booked with its reflections has none: the
    maintenance run books it (its usual time, or now when that has passed), once."""
    app = await make_app("memory", program={"length_weeks": 4, "reflection_every_weeks": 4})
    pair = await agreed_pair(app)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    tandem = await pair.tandem()
    assert tandem.active_at is not None
    key = f"tandem:{tandem.id}:program:1:complete"
    async with app.store.connections.write() as connection:  # as the bot booked it before
        await connection.execute(sa.delete(due_items).where(due_items.c.key == key))
    clock.advance(tandem.active_at + timedelta(weeks=6) - clock.now())
    await app.run_due()
    await until_asked(pair, clock, "program_end", ana, ben)
    assert [t for t in said_in(memory, pair.space) if t.startswith("🎓")] != []
    booked = await app.store.due.get("memory", key)
    assert booked is not None
    assert booked.state == "done"
    clock.advance(timedelta(hours=1))
    before = len(memory.sent)
    await app.run_due()
    assert not [r for r in memory.sent[before:] if r.text.startswith("🎓")]


async def test_a_command_during_the_choice_names_the_question_in_good_words(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """The question is put on hold by another command and taken up after it, in words that
    read as a sentence in both languages (the flow has no command to name)."""
    app = await make_app("memory", program=PROGRAM)
    pair = await complete_program(app, clock)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    said = [r.text for r in await memory.command(ben, "pause", "open-ended")]
    assert said[0] == (
        "I've put “How to go on after your program” on hold — your answers so far are kept, "
        "and we'll go on there once this is done."
    )
    assert "Back to “How to go on after your program”, where we left off (question 1):" in said
    said = [r.text for r in await memory.command(ana, "note")]
    assert said[0].startswith("Ich habe „Wie es nach deinem Programm weitergeht“ kurz angehalten")
    said = [r.text for r in await memory.pick(ana, "done")]
    assert "Zurück zu „Wie es nach deinem Programm weitergeht“, wo wir stehen geblieben sind " in (
        "\n".join(said)
    )


def test_a_goal_with_dollar_signs_is_drawn_as_written() -> None:
    """Goals are the member's words: a "$" is a dollar, never the start of a formula (one
    matplotlib cannot read made the drawing fail, and with it the question how to go on)."""
    goals = ("Learn $x^$ now", "Save $5, then $10 a week", r"a_b^c \$ $$")
    chart = ProgressChart(
        "T", "P", ("1", "2"), tuple((goal, (2, 4)) for goal in goals), "M", ("1", "2"), (1, 1)
    )
    assert png_size(draw(chart)) == (800, 450)
    labels = figure_of(chart).axes[0].get_legend().get_texts()
    assert [text.get_text() for text in labels] == list(goals)
    assert not any(text.get_parse_math() for text in labels)


async def test_a_chart_that_cannot_be_drawn_holds_nothing_up(
    make_app: AppFactory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The text summary is complete without the chart: a drawing that fails leaves the chart
    out, and the question how to go on is still asked (once, not retried for ever)."""

    def broken(_chart: ProgressChart) -> bytes:
        raise ValueError(f"cannot draw {BEN_GOAL}")

    monkeypatch.setattr("flows.program_end.draw", broken)
    app = await make_app("memory", program=PROGRAM)
    with caplog.at_level(logging.INFO):
        pair = await complete_program(app, clock)
    assert "the chart could not be drawn (ValueError)" in caplog.text
    assert BEN_GOAL not in caplog.text  # the member's words stay out of the logs
    assert [f for f in pair.memory.files if f.filename == "tandem-progress.png"] == []
    assert pair.memory.last_ask(pair.ben).question.id == "program_end.ask"
    assert "🎓 Your program is complete – well done!" in "\n".join(told(pair.memory, pair.ben))


async def test_a_paused_tandem_completes_when_it_goes_on(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """A paused tandem is asked nothing: its completion (and with it the question, whose
    default would make an absent partner alumni) waits until it goes on."""
    app = await make_app("memory", program={"length_weeks": 4, "reflection_every_weeks": 4})
    pair = await agreed_pair(app)
    memory, ana, ben = pair.memory, pair.ana, pair.ben
    tandem = await pair.tandem()
    assert tandem.active_at is not None
    await memory.command(ben, "pause", "open-ended")
    assert (await pair.tandem()).state == "paused"
    clock.advance(tandem.active_at + timedelta(weeks=7) - clock.now())
    await app.run_due()
    assert not [t for t in said_in(memory, pair.space) if t.startswith("🎓")]
    assert await app.store.program_ends.get(tandem.id, 1) is None
    await memory.command(ben, "resume")
    clock.advance(timedelta(days=1, minutes=1))
    await app.run_due()
    await until_asked(pair, clock, "program_end", ana, ben)
    assert [t for t in said_in(memory, pair.space) if t.startswith("🎓")] != []
