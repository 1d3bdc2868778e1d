"""The data that matching and safety add, under the member's data rights on the memory adapter:
``mydata`` exports their tandems, the rounds that introduced them, their reports and blocks
(never a block of them, nor a report about them); ``forget`` and the retention purge remove it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from tests.conftest import AppFactory
from tests.support.tandem_pair import Pair, pair_in_a_tandem

REPORT = "Ben was late to every call and rude about it"


@pytest.fixture
async def pair(make_app: AppFactory) -> Pair:
    pair = await pair_in_a_tandem(await make_app("memory"))
    memory = pair.memory
    await memory.command(pair.ana, "report")
    await memory.submit(pair.ana, REPORT)
    await memory.pick(pair.ana, "partner")
    await memory.command(pair.ana, "block", "cleo")
    # Ben blocks Ana (which ends their tandem): the block is Ben's data, not hers.
    await memory.command(pair.ben, "block", "ana")
    await pair.app.run_due()
    return pair


async def exported(pair: Pair, who: str) -> tuple[dict, str]:
    member = pair.memory.member(who)
    await pair.memory.command(member, "mydata")
    files = pair.memory.files[-2:]
    return json.loads(files[0].content), files[1].content.decode()


async def rows_naming(pair: Pair, member_id: int) -> dict[str, int]:
    store = pair.app.store
    counts = {
        "blocks": [r for r in await store.dump_table("blocks") if r["blocker_id"] == member_id],
        "reports": [r for r in await store.dump_table("reports") if r["reporter_id"] == member_id],
        "tandems": [
            r
            for r in await store.dump_table("tandems")
            if member_id in (r["member_a"], r["member_b"])
        ],
    }
    return {table: len(rows) for table, rows in counts.items()}


async def test_mydata_exports_tandems_rounds_reports_and_blocks_made(pair: Pair) -> None:
    data, markdown = await exported(pair, "ana")
    tandem = await pair.tandem()
    (mine,) = data["tandems"]
    assert (mine["id"], mine["partner"], mine["state"]) == (tandem.id, "Ben", "ended")
    assert [row["id"] for row in data["rounds"]] == [tandem.round_id]
    assert data["rounds"][0]["week_start"] == "2026-01-05"
    (report,) = data["reports"]
    assert (report["text"], report["about"]) == (REPORT, "Ben")
    assert [row["person"] for row in data["blocks"]] == [None]  # Cleo has not joined
    # In words and in Ana's own time zone, with how it ended.
    assert (
        "- Ben: beendet: eine:r von euch hat es beendet; vorgestellt 5. Januar 2026, 10:00"
        in markdown
    )
    assert "deine Antwort: weitermachen" in markdown
    assert "## Runden, in denen du vorgestellt wurdest" in markdown
    assert f": {REPORT}\n" in markdown

    # Ben's export has his tandem and his own block, but neither Ana's report nor her block.
    ben_data, ben_markdown = await exported(pair, "ben")
    assert ben_data["reports"] == []
    assert [row["person"] for row in ben_data["blocks"]] == ["Ana"]
    assert REPORT not in json.dumps(ben_data, ensure_ascii=False)
    assert REPORT not in ben_markdown
    assert ben_data["tandems"][0]["partner"] == "Ana"
    assert "my_reason" in ben_data["tandems"][0]


async def test_forget_removes_the_members_tandems_reports_and_blocks(pair: Pair) -> None:
    ana = await pair.record(pair.ana)
    assert await rows_naming(pair, ana.id) == {"blocks": 1, "reports": 1, "tandems": 1}
    await pair.memory.command(pair.ana, "forget")
    await pair.memory.pick(pair.ana, "forget")
    assert await rows_naming(pair, ana.id) == {"blocks": 0, "reports": 0, "tandems": 0}
    everything = json.dumps(
        {t: await pair.app.store.dump_table(t) for t in await pair.app.store.table_names()},
        default=str,
        ensure_ascii=False,
    )
    assert REPORT not in everything
    # Ben's block of Ana stays: it names her by a keyed hash only, and it is his.
    assert len(await pair.app.store.dump_table("blocks")) == 1


async def test_the_retention_purge_removes_them_after_leaving(pair: Pair, clock: FakeClock) -> None:
    ana = await pair.record(pair.ana)
    await pair.memory.command(pair.ana, "leave")
    await pair.memory.pick(pair.ana, "leave")
    await pair.app.run_due()
    assert await rows_naming(pair, ana.id) == {"blocks": 1, "reports": 1, "tandems": 1}
    clock.advance(timedelta(days=31))
    await pair.app.run_due()
    assert await pair.app.store.members.find("memory", "memory", "ana") is None
    assert await rows_naming(pair, ana.id) == {"blocks": 0, "reports": 0, "tandems": 0}
