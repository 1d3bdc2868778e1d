"""Quiet pairs on the memory adapter with a fake clock: Ana and Ben agree, meet twice, then
stop answering. Three weeks after their last check-in both get a kind nudge (once, across a
restart); a week later both are asked how to go on; "pause" pauses the tandem, "end" ends it
(Ben told kindly), no answer pauses it with both told how to resume, and a check-in answered
after the nudge means no question follows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import FakeClock
from store.tandems import ACTIVE, ENDED, PAUSED
from tests.conftest import AppFactory, memory_of
from tests.support.agreed_pair import agreed_pair
from tests.support.quiet import live_until, until_asked
from tests.support.tandem_pair import Pair

NUDGE_DE = (
    "🌿 Von dir und Ben habe ich schon eine Weile nichts gehört. Alles in Ordnung? Wenn gerade "
    "viel los ist, ist das völlig okay: Ein Tandem darf auch mal durchatmen.\n"
    "• Eine Pause für eine Weile: /tandem pause\n"
    "• Euer nächstes Treffen, um es zu behalten oder zu verschieben: /tandem meeting\n"
    "• Erzählt einander, wie es läuft: /tandem reflect\n"
    "Oder ihr macht einfach beim nächsten Treffen weiter."
)
NUDGE_EN = (
    "🌿 It's been a while since you and Ana checked in. Everything alright? If life got busy, "
    "that's fine: a tandem may take a breather.\n"
    "• A break for a while: /tandem pause\n"
    "• Your next meeting, to keep it or move it: /tandem meeting\n"
    "• Tell each other how it's going: /tandem reflect\n"
    "Or simply pick up again at your next meeting."
)
ASK_EN = (
    "👋 It's been quiet between you and Ana for a few weeks now: no check-ins, no reflections. "
    "How would you like to go on? Whatever you choose is fine."
)


#: One reflection only, at the end: a reflection asked meanwhile would hold the question back
#: (the bot never interrupts a conversation) for as long as it stays unanswered.
PROGRAM = {"length_weeks": 12, "reflection_every_weeks": 12}


async def quiet_pair(make_app: AppFactory, clock: FakeClock) -> tuple[Pair, datetime]:
    """Ana and Ben agree and hold their first two meetings, then stop answering: the time
    three weeks after their last check-in."""
    pair = await agreed_pair(await make_app("memory", program=PROGRAM))
    tandem = await pair.tandem()
    first = await pair.app.store.meetings.next_for(tandem.id, clock.now())
    assert first is not None
    second = first.starts_at + timedelta(weeks=1)
    await live_until(pair, clock, second + timedelta(hours=6), check_in=True)
    held = [m for m in await pair.app.store.meetings.history(tandem.id) if m.state == "held"]
    assert len(held) == 2
    return pair, second + timedelta(weeks=3)


def nudges(pair: Pair, who: str) -> list[str]:
    member = pair.ana if who == "ana" else pair.ben
    return [r.text for r in pair.memory.received(member) if r.text.startswith("🌿")]


async def test_the_nudge_comes_once_across_a_restart_then_pause_pauses(
    make_app: AppFactory, clock: FakeClock
) -> None:
    pair, quiet_at = await quiet_pair(make_app, clock)
    await live_until(pair, clock, quiet_at - timedelta(hours=3), check_in=False)
    assert nudges(pair, "ana") == nudges(pair, "ben") == []  # not three weeks yet
    await live_until(pair, clock, quiet_at + timedelta(days=1), check_in=False)
    assert nudges(pair, "ana") == [NUDGE_DE]
    assert nudges(pair, "ben") == [NUDGE_EN]

    # A restart: the spell goes on where it was; nobody is nudged again.
    await pair.app.stop()
    pair.app = await make_app("memory", program=PROGRAM)
    pair.memory = memory_of(pair.app)
    await live_until(pair, clock, quiet_at + timedelta(days=6), check_in=False)
    assert nudges(pair, "ana") == nudges(pair, "ben") == []

    # A week after the nudge both are asked, in their DM.
    await until_asked(pair, clock, timedelta(days=5))
    asked = pair.memory.last_ask(pair.ben)
    assert asked.question.id == "quiet.ask"
    assert pair.memory.last(pair.ben).text.startswith(ASK_EN)
    assert [o.id for o in asked.options] == ["keep", "pause", "end"]

    # Ben answers "pause for a while", open-ended: the tandem pauses, Ana is told.
    await pair.memory.pick(pair.ben, "pause")
    await pair.memory.submit(pair.ben, "open")
    assert pair.memory.last(pair.ben).text.startswith("Your tandem with Ana is paused.")
    tandem = await pair.tandem()
    assert (tandem.state, tandem.paused_by) == (PAUSED, (await pair.record(pair.ben)).id)
    assert pair.memory.last(pair.ana).text.startswith("Ben hat euer Tandem")
    # Nothing more of the spell: no default pause message a week later.
    mark = len(pair.memory.received(pair.ana))
    await live_until(pair, clock, clock.now() + timedelta(days=8), check_in=False)
    assert not any("⏸️" in r.text for r in pair.memory.received(pair.ana)[mark:])


async def test_end_our_tandem_ends_it_and_the_partner_is_told_kindly(
    make_app: AppFactory, clock: FakeClock
) -> None:
    pair, quiet_at = await quiet_pair(make_app, clock)
    await live_until(pair, clock, quiet_at + timedelta(days=7), check_in=False)
    await until_asked(pair, clock, timedelta(days=5))
    said = await pair.memory.pick(pair.ana, "end")
    assert said[-1].text.startswith("Erledigt: Dein Tandem mit Ben ist beendet")
    await pair.app.run_due()
    tandem = await pair.tandem()
    assert (tandem.state, tandem.end_reason) == (ENDED, "rematch")
    told = [r.text for r in pair.memory.received(pair.ben)]
    assert any(text.startswith("Ana has decided to end your tandem.") for text in told)
    ben = await pair.record(pair.ben)
    assert ben.status == "waiting"


async def test_nobody_answers_the_tandem_pauses_and_both_are_told_how_to_resume(
    make_app: AppFactory, clock: FakeClock
) -> None:
    pair, quiet_at = await quiet_pair(make_app, clock)
    await live_until(pair, clock, quiet_at + timedelta(days=7), check_in=False)
    await until_asked(pair, clock, timedelta(days=5))
    await live_until(pair, clock, clock.now() + timedelta(days=7, hours=12), check_in=False)
    tandem = await pair.tandem()
    assert (tandem.state, tandem.paused_by) == (PAUSED, None)
    assert pair.memory.last(pair.ben).text == (
        "⏸️ I haven't heard from you or Ana for a while, so I've paused your tandem for now – "
        "nothing has ended. Whenever you're ready, /tandem resume picks it up again (either of you "
        "can). If you'd rather have a new partner, /tandem rematch ends it kindly."
    )
    assert pair.memory.last(pair.ana).text.startswith("⏸️ Ich habe von dir und Ben eine Weile")
    await pair.memory.command(pair.ben, "mydata")
    markdown = pair.memory.files[-1].content.decode()
    assert "- Ana: paused by the bot after a quiet while, until one of you resumes it" in markdown
    # Either may resume; the other hears it. The pair is not quiet again at once.
    said = await pair.memory.command(pair.ana, "resume")
    assert said[0].text.startswith("Willkommen zurück! Dein Tandem mit Ben geht weiter")
    assert (await pair.tandem()).state == ACTIVE
    assert pair.memory.last(pair.ben).text == "Ana is back: your tandem goes on. 🎉"
    mark = len(pair.memory.received(pair.ben))
    await live_until(pair, clock, clock.now() + timedelta(days=14), check_in=False)
    assert not any(r.text.startswith("🌿") for r in pair.memory.received(pair.ben)[mark:])


@pytest.mark.parametrize("answer", ["check_in", "keep"])
async def test_a_sign_of_life_after_the_nudge_means_no_question_follows(
    make_app: AppFactory, clock: FakeClock, answer: str
) -> None:
    pair, quiet_at = await quiet_pair(make_app, clock)
    await live_until(pair, clock, quiet_at + timedelta(days=1), check_in=False)
    assert nudges(pair, "ben") == [NUDGE_EN]
    if answer == "check_in":  # they meet again and Ben answers the check-in
        await live_until(pair, clock, quiet_at + timedelta(days=7), check_in=True)
    else:  # nobody checks in, and when asked, Ben says they keep going
        await live_until(pair, clock, quiet_at + timedelta(days=7), check_in=False)
        await until_asked(pair, clock, timedelta(days=5))
        said = await pair.memory.pick(pair.ben, "keep")
        kept = "🌱 Lovely – keep going! I won't ask again for a while. Your next meeting: "
        assert said[-1].text == kept + "/tandem meeting"
    mark = {m: len(pair.memory.received(m)) for m in (pair.ana, pair.ben)}
    await live_until(pair, clock, quiet_at + timedelta(days=16), check_in=False)
    tandem = await pair.tandem()
    assert tandem.state == ACTIVE
    for member in (pair.ana, pair.ben):
        later = pair.memory.received(member)[mark[member] :]
        assert not any(r.text.startswith(("👋 It's been quiet", "👋 Zwischen", "⏸️")) for r in later)
