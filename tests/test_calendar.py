"""``status`` and ``calendar`` on the memory adapter, along the journey: not joined, waiting
(with the next scheduled round), introduced, active without an agreement, agreed (the next
meeting in the member's own zone, the week of the program, the calendar file parsed back),
and the same short status at the top of ``profile``; nothing of it is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.clock import FakeClock
from bot.intents import AttachFile
from bot.places import MemberRef, PlaceKind
from flows.agreement_terms import merge
from tests.conftest import AppFactory, memory_of
from tests.support.meetings import agree as agree_in_chat
from tests.support.rounds import BEN, onboard
from tests.support.tandem_pair import Pair, pair_in_a_tandem
from tests.test_agreement import active_pairs

TABLES = ("members", "conversations", "due_items", "agreements", "tandems")
#: Rounds every two weeks on Mondays, 10:00 in Berlin.
PROGRAM = {"timezone": "Europe/Berlin", "matching": {"cadence_weeks": 2, "time": "10:00"}}


def plain(text: str) -> str:
    return text.replace("\u202f", " ")


async def status_of(pair: Pair, who: MemberRef) -> str:
    (said,) = await pair.memory.command(who, "status")
    return plain(said.text)


async def agree(pair: Pair, now: datetime, slot: dict[str, str]) -> None:
    """Both partners' parts (Ben's rhythm wins, being saved second) and both confirmations,
    straight into the store: tests/test_agreement.py plays the conversation itself."""
    store = pair.app.store
    tandem = await pair.tandem()
    ana, ben = await pair.record(pair.ana), await pair.record(pair.ben)
    parts: dict[int, dict[str, Any]] = {}
    for member in (ana, ben):
        part = {"goals": [], "slot": slot, "duration": 60, "format": "video"}
        parts[member.id] = part

        def merged(_record: Any, later: int = member.id) -> dict[str, Any]:
            return merge(parts, later, None, now)

        await store.agreements.save_part(tandem.id, member.id, part, now=now, merge=merged)
    agreement = await store.agreements.for_tandem(tandem.id)
    assert agreement is not None
    for member in (ana, ben):
        await store.agreements.confirm(agreement.id, member.id, 1, now=now)


def calendar_sent(seen: list[Any]) -> Calendar:
    (sent,) = [r.intent for r in seen if isinstance(r.intent, AttachFile)]
    return Calendar.from_ical(sent.content)


async def test_status_and_the_calendar_file_along_the_journey(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program=PROGRAM)
    memory = memory_of(app)
    stranger = memory.member("sam")
    (said,) = await memory.command(stranger, "status")
    assert said.text.startswith("You haven't joined yet.")
    (said,) = await memory.command(stranger, "calendar")
    assert said.text.startswith("You haven't joined yet.")

    # Introduced (Monday 5 January 2026, 10:00 in Berlin): the first call is still to come.
    pair = await pair_in_a_tandem(app, active=False)
    assert await status_of(pair, pair.ben) == (
        "📍 Your status: introduced to Ana; your first call is still to come\n"
        "After your call, tell me how it went with /tandem decide."
    )
    (said,) = await memory.command(pair.ben, "calendar")
    assert said.text.startswith("There's no tandem to put in your calendar yet.")

    # Both go on; the agreement is not made yet.
    for member in (pair.ana, pair.ben):
        await memory.command(member, "decide")
        await memory.pick(member, "yes")
    assert await status_of(pair, pair.ben) == (
        "📍 Your status: in a tandem with Ana, week 1 of 12; your agreement is still being set "
        "up\n/tandem agreement shows where your agreement stands."
    )
    (said,) = await memory.command(pair.ben, "calendar")
    assert said.text.startswith("Your meeting time isn't agreed yet.")

    # Agreed on Mondays 19:00 in Berlin; two weeks later Ana (Vienna, in German) and Ben.
    await agree(pair, clock.now(), {"weekday": "mon", "time": "19:00", "timezone": "Europe/Berlin"})
    clock.advance(timedelta(days=15))  # Tuesday 20 January
    store = app.store
    before = [await store.dump_table(table) for table in TABLES]
    assert await status_of(pair, pair.ana) == (
        "📍 Dein Status: im Tandem mit Ben, Woche 3 von 12; nächstes Treffen Montag, 26. Januar "
        "2026, 19:00, deine Zeit\n/tandem calendar holt dir eure Treffen in deinen Kalender."
    )
    (profile,) = await memory.command(pair.ben, "profile")
    assert plain(profile.text).startswith(
        "Your profile (status: in a tandem with Ana, week 3 of 12; next meeting Monday, January "
        "26, 2026, 7:00 PM, your time)"
    )

    # The calendar file, in Ben's DM, parsed back.
    seen = await memory.command(pair.ben, "calendar")
    (sent,) = [r.intent for r in seen if isinstance(r.intent, AttachFile)]
    assert sent.target.kind == PlaceKind.DM
    assert (sent.filename, sent.mime_type) == ("tandem-meetings.ics", "text/calendar")
    caption = plain(memory.translator.render(sent.caption, sent.locale))
    assert caption.startswith(
        "📅 Your meetings with Ana as a calendar file: every Monday 7:00 PM – 8:00 PM, your time "
        "(Europe/Berlin)."
    )
    calendar = Calendar.from_ical(sent.content)
    (event,) = calendar.walk("VEVENT")
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["MO"]
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    start = event.decoded("dtstart")
    assert start == datetime(2026, 1, 5, 19, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert str(event["summary"]) == "Tandem with Ana"
    (ana_file,) = [
        r.intent
        for r in await memory.command(pair.ana, "calendar")
        if isinstance(r.intent, AttachFile)
    ]
    ana_event = Calendar.from_ical(ana_file.content).walk("VEVENT")[0]
    assert str(ana_event["summary"]) == "Tandem mit Ben"
    assert ana_event["uid"] == event["uid"]

    # Nothing of it was stored.
    assert [await store.dump_table(table) for table in TABLES] == before

    # Past the program's twelve weeks the tandem goes on, and status says so.
    clock.advance(timedelta(weeks=11))
    assert (await status_of(pair, pair.ben)).startswith(
        "📍 Your status: in a tandem with Ana, week 14 (the program's 12 weeks are done); next "
        "meeting Monday, April 13, 2026, 7:00 PM, your time"
    )


async def test_waiting_members_see_the_next_scheduled_round(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory", program=PROGRAM)
    memory = memory_of(app)
    ben = await onboard(memory, "ben", BEN)
    (said,) = await memory.command(ben, "status")
    # It is Monday 5 January, 10:00 in Berlin: the next round is a week on.
    assert plain(said.text) == (
        "📍 Your status: waiting for a tandem partner; the next round is on Monday, January 12, "
        "2026, 10:00 AM, your time\nI'll write to you as soon as you have a partner."
    )
    assert clock.now() == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_the_file_and_status_follow_skipped_and_moved_meetings(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    people = await active_pairs(app, memory)
    ana, ben = people["ana"], people["ben"]
    clock.advance(timedelta(days=1))  # Tuesday 6 January: they agree on Mondays, 17:00
    await agree_in_chat(app, memory, ana, ben)
    (first,) = calendar_sent(await memory.command(ben, "calendar")).walk("VEVENT")
    assert first.decoded("dtstart").strftime("%a %Y-%m-%d %H:%M") == "Mon 2026-01-12 17:00"

    # An hour later Ben skips the first Monday; Ana moves the next one to this Tuesday, and Ben
    # accepts.
    clock.advance(timedelta(hours=1))
    await memory.command(ben, "meeting", "skip")
    await app.run_due()
    await memory.command(ana, "meeting", "move")
    await memory.submit(ana, "Di 17:00")
    await app.run_due()
    await memory.pick(ben, "accept")
    await app.run_due()

    assert (await status_of(Pair(app, memory, ana, ben, people["ana"], ""), ben)).startswith(
        "📍 Your status: in a tandem with Ana, week 1 of 12; next meeting Tuesday, January 6, "
        "2026, 5:00 PM, your time"
    )
    calendar = calendar_sent(await memory.command(ben, "calendar"))
    main, moved = calendar.walk("VEVENT")
    zone = ZoneInfo(str(main["dtstart"].params["TZID"]))
    skipped = [d.dt for d in main["exdate"].dts]
    assert skipped == [datetime(2026, 1, 12, 17, 0, tzinfo=zone)]
    assert moved.decoded("recurrence-id") == datetime(2026, 1, 19, 17, 0, tzinfo=zone)
    assert moved.decoded("dtstart") == datetime(2026, 1, 6, 17, 0, tzinfo=zone)
    assert moved["uid"] == main["uid"] == first["uid"]
    # The file sent again is newer than the first one.
    assert int(main["sequence"]) > int(first["sequence"])
