"""A community database with a row in every table, for the tests that move or copy whole
databases (``tandem db copy``, backups): Ana and Ben agreed on their tandem through the journey
on the memory adapter, then each kind of thing members keep is added through the repositories
(a note, a block, a report, a milestone with a shout-out choice, a reflection, a meeting
setting, a badge, the end of a program round). Text carries what databases get wrong:
umlauts, emoji, quotes, line breaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from store.badges import Earned
from store.schema import metadata
from tests.support.agreed_pair import agreed_pair

NOTE = "Zoës „Notiz“ 🐙\nzweite Zeile, 'quoted' and \"double\""
REPORT = "Ben kam zweimal nicht — bitte meldet euch 🙏"


@dataclass(frozen=True)
class Filled:
    """What the spot checks look for after a copy or a restore."""

    ana_id: int
    ben_id: int
    tandem_id: int


async def fill_every_table(app: App, clock: FakeClock) -> Filled:
    pair = await agreed_pair(app)
    store = app.store
    ana, ben = await pair.record(pair.ana), await pair.record(pair.ben)
    tandem = await pair.tandem()
    now = clock.now()
    await store.notes.add(ana, NOTE, now=now)
    await store.blocks.block(ben, "memory", "someone-else", now=now)
    await store.reports.add(ben, REPORT, about_id=ana.id, now=now)
    await store.milestones.mark(tandem.id, ana.id, 0, 0, "Folien entwerfen", now=now)
    await store.milestones.set_shoutout(ana.community_id, tandem.id, ana.id, True, now=now)
    await store.reflections.save(
        tandem.id,
        ana.id,
        1,
        final=False,
        answers={"goals": [{"goal": "Präsentieren", "progress": 4, "note": None}], "focus": "🎤"},
        shared=["progress"],
        now=now,
    )
    await store.meetings.set_reminders_in(ben.id, ben.community_id, "space", now=now)
    await store.badges.earn(
        tandem.id, [Earned("first_milestone", 1, 1, once=True)], now=now, spacing=timedelta(days=1)
    )
    await store.program_ends.complete(tandem.id, tandem.program_round, by="due-1", now=now)
    clock.advance(timedelta(minutes=5))
    empty = [
        table.name for table in metadata.sorted_tables if not await store.dump_table(table.name)
    ]
    assert not empty, f"the fixture leaves these tables empty: {empty}"
    return Filled(ana.id, ben.id, tandem.id)
