"""Meetings on the memory adapter, with a fake clock: Ana (Vienna) and Ben (Berlin) agree on
Mondays 17:00; for four weeks they get two reminders before each meeting and "did you meet?"
after it; one meeting is moved (Ben proposes, Ana accepts), one is missed, and after the second
miss in a row the pair is nudged. ``mydata`` shows the meetings. A moved meeting of a tandem
that then ends sends nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.places import MemberRef
from store.tandems import due_prefix
from tests.conftest import AppFactory, memory_of
from tests.support.meetings import agree, dms, in_space, tandem_of
from tests.support.rounds import Profile, onboard_all
from tests.test_agreement import active_pairs


async def until(app: App, clock: FakeClock, when: datetime) -> None:
    """Move the clock to ``when`` and run what fell due."""
    assert when >= clock.now()
    clock.advance(when - clock.now())
    await app.run_due()


def plain(text: str) -> str:
    return text.replace("\u202f", " ")


@pytest.fixture
async def agreed(
    make_app: AppFactory, clock: FakeClock
) -> tuple[App, MemoryAdapter, dict[str, MemberRef]]:
    app = await make_app("memory")
    memory = memory_of(app)
    people = await active_pairs(app, memory)
    clock.advance(timedelta(days=1))  # Tuesday: the first meeting is next Monday
    await agree(app, memory, people["ana"], people["ben"])
    return app, memory, people


MONDAY = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)  # 17:00 in Vienna and Berlin
WEEK = timedelta(days=7)


async def test_four_weeks_of_meetings_reminders_check_ins_a_move_and_the_nudge(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = agreed
    ana, ben = people["ana"], people["ben"]
    tandem = await tandem_of(app, "ana")
    meeting = await app.store.meetings.next_for(tandem.id, clock.now())
    assert meeting is not None
    assert (meeting.starts_at, meeting.duration, meeting.timezone) == (MONDAY, 60, "Europe/Berlin")

    # Week 1: a reminder a day before and a quarter of an hour before, in each one's language.
    mark = len(memory.sent)
    await until(app, clock, MONDAY - timedelta(hours=24))
    (reminder,) = dms(memory, ana, mark)
    assert plain(reminder) == (
        "⏰ Dein Tandem-Treffen mit Ben ist in 24 Stunden: Montag, 12.01.2026, 17:00 "
        "(Europe/Vienna) · 60 Minuten · Videocall"
    )
    (reminder,) = dms(memory, ben, mark)
    assert plain(reminder).startswith(
        "⏰ Your tandem meeting with Ana is in 24 hours: Monday, Jan 12, 2026, 5:00 PM"
    )
    await until(app, clock, MONDAY - timedelta(minutes=15))
    assert dms(memory, ben, mark)[-1].startswith("⏰ Your tandem meeting with Ana is in 15 minutes")
    # After the meeting: "did you meet?" to both; both met.
    await until(app, clock, MONDAY + timedelta(hours=1))
    assert memory.last_ask(ana).question.id == "meetings.ask_check_in"
    assert memory.last(ben).text.startswith("👋 Did your meeting with Ana happen")
    said = await memory.pick(ana, "met")
    assert said[-1].text == "🎉 Danke! Treffen in Folge: 1. Weiter so!"
    await memory.pick(ben, "met")
    assert len(dms(memory, ana, mark)) == 4  # two reminders, the check-in and its thanks

    # Week 2: Ana wants her reminders in the pair space; on Thursday Ben moves the next
    # meeting to the Wednesday after it.
    await until(app, clock, MONDAY + timedelta(days=3))
    said = await memory.command(ana, "meeting", "reminders", "space")
    assert said[-1].text == "Erledigt: Deine Erinnerungen kommen in euren Tandem-Raum."
    await memory.command(ben, "meeting")
    asked = memory.last(ben).text
    assert "Your next meeting with Ana: Monday, Jan 19, 2026, 5:00 PM" in plain(asked)
    await memory.pick(ben, "move")
    refused = await memory.submit(ben, "Tue 17:00 next month")
    assert refused[0].text.startswith("I didn't understand that time.")
    said = await memory.submit(ben, "Wed 18:30")
    assert plain(said[-1].text) == (
        "Thanks! I've asked Ana to confirm the new time: Wednesday, Jan 21, 2026, 6:30 PM."
    )
    await app.run_due()
    assert memory.last_ask(ana).question.id == "meetings.ask_decide"
    said = await memory.pick(ana, "accept")
    assert said[-1].text == "Erledigt: Euer Treffen ist jetzt am Mittwoch, 21.01.2026, 18:30."
    await app.run_due()
    assert plain(memory.last(ben).text) == (
        "✅ Ana agreed: your meeting is now on Wednesday, Jan 21, 2026, 6:30 PM."
    )
    moved = datetime(2026, 1, 21, 17, 30, tzinfo=UTC)  # 18:30 in Berlin
    assert await app.store.meetings.exceptions(tandem.id) == [(MONDAY + WEEK, moved)]
    mark = len(memory.sent)
    await until(app, clock, MONDAY + WEEK + timedelta(hours=2))  # nothing at the old time
    assert dms(memory, ana, mark) == dms(memory, ben, mark) == []
    await until(app, clock, moved - timedelta(hours=24))
    assert in_space(memory, mark)[-1].startswith("⏰ Ana, dein Tandem-Treffen mit Ben ist in 24")
    assert dms(memory, ben, mark)[-1].startswith("⏰ Your tandem meeting with Ana is in 24 hours")
    await until(app, clock, moved - timedelta(minutes=15))
    await until(app, clock, moved + timedelta(hours=1))
    await memory.pick(ben, "met")
    said = await memory.pick(ana, "moved")
    assert said[-1].text == "🎉 Danke! Treffen in Folge: 2. Weiter so!"
    assert len(in_space(memory, mark)) == 2
    assert len(dms(memory, ben, mark)) == 4

    # Week 3: both say it didn't happen: missed.
    third = MONDAY + 2 * WEEK
    mark = len(memory.sent)
    await until(app, clock, third - timedelta(hours=24))
    await until(app, clock, third - timedelta(minutes=15))
    await until(app, clock, third + timedelta(hours=1))
    said = await memory.pick(ben, "missed")
    assert said[-1].text == "Thanks for telling me. I'll see what Ana says."
    said = await memory.pick(ana, "missed")
    assert said[-1].text.startswith("Danke fürs Bescheidsagen. Das kommt vor")
    assert len(dms(memory, ben, mark)) == 4

    # Week 4: nobody answers; at the deadline it is the second miss in a row: the nudge.
    fourth = third + WEEK
    await until(app, clock, fourth - timedelta(hours=24))
    await until(app, clock, fourth - timedelta(minutes=15))
    await until(app, clock, fourth + timedelta(hours=1))
    mark = len(memory.sent)
    await until(app, clock, fourth + timedelta(days=3, hours=1))
    german, english = in_space(memory, mark)
    assert german.startswith("🌱 Ana und Ben, eure letzten beiden Treffen")
    assert "• A break for a while: /tandem pause" in english
    history = await app.store.meetings.history(tandem.id)
    assert [m.state for m in history] == ["held", "held", "missed", "missed", "scheduled"]

    # mydata: the meetings with Ana's own check-ins, and where her reminders go.
    record = await app.store.members.find("memory", "memory", "ana")
    assert record is not None
    exported = await app.store.privacy.export(record)
    assert [m["my_check_in"] for m in exported["meetings"]] == [
        "met",
        "moved",
        "missed",
        None,
        None,
    ]
    assert exported["meeting_settings"][0]["reminders"] == "space"
    await memory.command(ana, "mydata")
    readable = memory.files[-1].content.decode()
    assert "## Treffen (wann, was daraus wurde, deine Rückmeldung)" in readable
    assert "- 12. Januar 2026, 17:00: stattgefunden; deine Rückmeldung: Ja, wir" in readable
    assert "- Erinnerungen an Treffen: in eurem Tandem-Raum" in readable

    # forget: the meetings go with the tandem (for Ben too).
    await app.store.privacy.forget(record)
    assert await app.store.meetings.history(tandem.id) == []
    ben_record = await app.store.members.find("memory", "memory", "ben")
    assert ben_record is not None
    assert (await app.store.privacy.export(ben_record))["meetings"] == []


async def test_a_moved_meeting_of_an_ended_tandem_sends_nothing_more(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = agreed
    ana, ben = people["ana"], people["ben"]
    tandem = await tandem_of(app, "ana")
    await memory.command(ben, "meeting", "move")
    await memory.submit(ben, "Wed 18:30")
    await app.run_due()
    await memory.pick(ana, "accept")
    await app.run_due()
    await memory.command(ana, "rematch")
    await memory.pick(ana, memory.last_ask(ana).options[0].id)
    await app.run_due()
    ended = await app.store.tandems.get(tandem.id)
    assert ended is not None
    assert ended.state == "ended"
    mark = len(memory.sent)
    await until(app, clock, MONDAY + 3 * WEEK)
    # Nothing to Ana or Ben (Cleo and Dan, who never made an agreement, are quiet by now).
    assert dms(memory, ana, mark) == dms(memory, ben, mark) == in_space(memory, mark) == []
    pending = [
        row["key"]
        for row in await app.store.dump_table("due_items")
        if row["state"] == "pending" and row["key"].startswith(due_prefix(tandem.id))
    ]
    assert pending == []  # nothing of the tandem
    for key in ("meetings:plan",):
        item = await app.store.due.get(tandem.community_id, due_prefix(tandem.id) + key)
        assert item is None or item.state in ("done", "cancelled")


EVA = Profile("en", ("data",), ("writing",), ("en",), "Europe/Berlin", ("mon_evening",))
LOU = Profile("en", ("writing",), ("data",), ("en",), "America/Los_Angeles", ("mon_morning",))


#: Five Mondays at 17:00 in Berlin, 2 to 30 March 2026 (summer time in Berlin from the 29th).
MARCH = [
    datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
    datetime(2026, 3, 9, 16, 0, tzinfo=UTC),
    datetime(2026, 3, 16, 16, 0, tzinfo=UTC),
    datetime(2026, 3, 23, 16, 0, tzinfo=UTC),
    datetime(2026, 3, 30, 15, 0, tzinfo=UTC),
]


def lou_saw_the_clocks(said: list[str]) -> None:
    """What Lou (Los Angeles) was told over the five March meetings: each meeting's two
    reminders at 8:00, 9:00 (the US moved its clocks), … and 8:00 again (Europe moved too),
    and a heads-up before each change."""
    reminders = [text for text in said if text.startswith("⏰")]
    times = ["8:00 AM", "9:00 AM", "9:00 AM", "9:00 AM", "8:00 AM"]
    assert len(reminders) == 2 * len(times)
    for index, time in enumerate(times):
        for text in reminders[2 * index : 2 * index + 2]:
            assert f", {time} (America/Los_Angeles)" in text, text
    assert [text for text in said if text.startswith("🕐")] == [
        "🕐 Heads-up: the clocks change, so your meeting with Eva on Monday, Mar 9, 2026 is at "
        "9:00 AM your time (America/Los_Angeles) – until now it was at 8:00 AM.",
        "🕐 Heads-up: the clocks change, so your meeting with Eva on Monday, Mar 30, 2026 is at "
        "8:00 AM your time (America/Los_Angeles) – until now it was at 9:00 AM.",
    ]


async def test_nine_hours_apart_across_both_clock_changes(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """Eva (Berlin) and Lou (Los Angeles) meet on Mondays at 17:00 Berlin time. The US moves
    its clocks on 8 March, Europe on 29 March: for Lou the meeting moves from 8:00 to 9:00 and
    back, and Lou hears it a few days before each time; Eva's time never changes."""
    clock.advance(datetime(2026, 2, 24, 9, 0, tzinfo=UTC) - clock.now())  # a Tuesday
    # These weeks are about the clocks: the first reflection comes later than them.
    app = await make_app("memory", program={"reflection_every_weeks": 12})
    memory = memory_of(app)
    memory.organizers = {"olga"}
    people = await onboard_all(memory, {"eva": EVA, "lou": LOU})
    await memory.admin(memory.member("olga"), "match", "preview")
    await memory.admin(memory.member("olga"), "match", "run")
    await app.run_due()
    for member in people.values():
        await memory.command(member, "decide")
        await memory.pick(member, "yes")
    await app.run_due()
    eva, lou = people["eva"], people["lou"]
    await agree(app, memory, lou, eva)
    tandem = await tandem_of(app, "eva")
    agreement = await app.store.agreements.for_tandem(tandem.id)
    assert agreement is not None
    assert agreement.terms is not None
    assert agreement.terms["rhythm"]["timezone"] == "Europe/Berlin"

    # Five Mondays, 2 to 30 March: the reminders in each one's own time.
    lou_saw: list[str] = []
    for start in MARCH:
        planned = await app.store.meetings.next_for(tandem.id, clock.now())
        assert planned is not None
        assert planned.starts_at == start
        mark = len(memory.sent)
        await until(app, clock, start - timedelta(hours=24))
        await until(app, clock, start - timedelta(minutes=15))
        await until(app, clock, start + timedelta(hours=1))
        for member in (eva, lou):
            await memory.pick(member, "met")
        lou_saw += [plain(text) for text in dms(memory, lou, mark)]
        eva_said = [plain(text) for text in dms(memory, eva, mark)]
        assert [text for text in eva_said if text.startswith("🕐")] == []
        assert all(", 5:00 PM (Europe/Berlin)" in t for t in eva_said if t.startswith("⏰"))
    lou_saw_the_clocks(lou_saw)
    history = await app.store.meetings.history(tandem.id)
    assert [m.state for m in history] == ["held"] * 5 + ["scheduled"]


async def test_a_new_time_zone_shows_the_meeting_there_and_asks_if_it_fits(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]],
) -> None:
    _app, memory, people = agreed
    ana = people["ana"]
    await memory.command(ana, "edit")
    await memory.pick(ana, "timezone")
    seen = await memory.submit(ana, "New York")
    assert plain(seen[-1].text) == (
        "📅 Eure Treffen, Ben und du, in deiner Zeitzone: Montag, 12.01.2026, 11:00 "
        "(America/New_York), 60 Minuten. Passt dir das noch? Wenn nicht, schlag mit "
        "/tandem agreement eine andere Zeit vor."
    )


async def test_a_paused_tandem_gets_no_reminders_and_its_meeting_is_skipped_not_missed(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = agreed
    ana, ben = people["ana"], people["ben"]
    await memory.command(ana, "pause")
    await memory.submit(ana, "offen")
    mark = len(memory.sent)
    await until(app, clock, MONDAY + timedelta(days=3))
    assert dms(memory, ana, mark) == dms(memory, ben, mark) == []
    tandem = await tandem_of(app, "ana")
    history = await app.store.meetings.history(tandem.id)
    assert [(m.state, m.skipped_by) for m in history] == [("skipped", None), ("scheduled", None)]
    await memory.command(ana, "resume")
    await until(app, clock, MONDAY + WEEK - timedelta(minutes=15))
    assert dms(memory, ben, mark)[-1].startswith("⏰ Your tandem meeting with Ana is in 15")


async def test_a_new_meeting_time_in_the_agreement_plans_the_meetings_anew(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = agreed
    ana, ben = people["ana"], people["ben"]
    tandem = await tandem_of(app, "ana")
    first = await app.store.meetings.next_for(tandem.id, clock.now())
    assert first is not None
    await memory.command(ben, "agreement")
    await memory.pick(ben, "slot")
    await memory.pick(ben, "other")
    await memory.submit(ben, "Thu 18:00")
    await app.run_due()
    await memory.pick(ana, "accept")
    await app.run_due()
    planned = await app.store.meetings.next_for(tandem.id, clock.now())
    assert planned is not None
    assert planned.starts_at == datetime(2026, 1, 8, 17, 0, tzinfo=UTC)
    cancelled = await app.store.meetings.get(first.id)
    assert cancelled is not None
    assert cancelled.state == "cancelled"
    key = f"{first.prefix}remind:15:"
    reminder = await app.store.due.get(tandem.community_id, key + str(cancelled.member_a))
    assert reminder is not None
    assert reminder.state == "cancelled"


async def test_a_skipped_meeting_and_a_declined_move(
    agreed: tuple[App, MemoryAdapter, dict[str, MemberRef]], clock: FakeClock
) -> None:
    app, memory, people = agreed
    ana, ben = people["ana"], people["ben"]
    tandem = await tandem_of(app, "ana")
    said = await memory.command(ben, "meeting", "skip")
    assert plain(said[-1].text) == (
        "Done: the meeting on Monday, Jan 12, 2026, 5:00 PM is skipped, and I've told Ana."
    )
    await app.run_due()
    assert memory.last(ana).text == (
        "⏭️ Ben lässt euer Treffen am Montag, 12.01.2026, 17:00 ausfallen. Bis zum nächsten Mal!"
    )
    assert await app.store.meetings.exceptions(tandem.id) == [(MONDAY, None)]
    planned = await app.store.meetings.next_for(tandem.id, clock.now())
    assert planned is not None
    assert planned.starts_at == MONDAY + WEEK

    # Ana proposes to meet this Tuesday instead of the next Monday; Ben keeps the Monday.
    await memory.command(ana, "meeting", "move")
    said = await memory.submit(ana, "am Dienstag um 17 Uhr")
    assert said[-1].text.startswith("Danke! Ich habe Ben gebeten")
    await app.run_due()
    said = await memory.pick(ben, "decline")
    assert plain(said[-1].text) == (
        "Okay, your meeting stays on Monday, Jan 19, 2026, 5:00 PM. I'll let Ana know."
    )
    await app.run_due()
    assert memory.last(ana).text.startswith("Ben möchte euer Treffen lieber am Montag, 19.01.2026")
    kept = await app.store.meetings.get(planned.id)
    assert kept is not None
    assert (kept.state, kept.starts_at, kept.proposed_at) == ("scheduled", MONDAY + WEEK, None)
