"""Tandem agreements in the store, on SQLite and PostgreSQL: two parts saved at once are merged
once, two confirmations at once agree it once, a change is decided once and a newer proposal
supersedes a pending one; every version stays in the history."""

from __future__ import annotations

import asyncio
from typing import Any

from store import Store
from store.agreements import AgreementRecord
from store.due_items import Booking
from store.tandems import YES, TandemRecord, due_prefix
from tests.conftest import Database
from tests.test_tandems_store import NOW, run_pair, waiting


def part(time: str) -> dict[str, Any]:
    return {
        "goals": [{"goal": "Speak", "milestones": [{"text": "Talk", "week": 2}]}],
        "slot": {"weekday": "mon", "time": time, "timezone": "Europe/Berlin"},
        "duration": 60,
        "format": "video",
        "rules_accepted": True,
    }


def merged(record: AgreementRecord) -> dict[str, Any]:
    assert record.part_a is not None
    assert record.part_b is not None
    return {"from": [record.part_a["slot"]["time"], record.part_b["slot"]["time"]]}


async def active_tandem(store: Store) -> TandemRecord:
    ana, ben = await waiting(store, "ana", "ben")
    _round, tandem = await run_pair(store, ana, ben)
    await store.tandems.record_space(tandem.id, {"kind": "pair_space"}, now=NOW)
    await store.tandems.mark_introduced(tandem.id, now=NOW, book=[])
    for member in (ana, ben):
        await store.tandems.answer(tandem.id, member.id, YES, reason=None, now=NOW)
    active = await store.tandems.get(tandem.id)
    assert active is not None
    assert active.state == "active"
    return active


async def test_parts_confirmations_and_changes_each_apply_once(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        tandem = await active_tandem(store)
        a, b = tandem.members

        def book(_record: AgreementRecord) -> list[Booking]:
            return [Booking("agreement_merged", due_prefix(tandem.id) + "agreement:merged", NOW)]

        # Both parts at the same moment: merged exactly once, from both.
        outcomes = await asyncio.gather(
            store.agreements.save_part(
                tandem.id, a, part("17:00"), now=NOW, merge=merged, book=book
            ),
            store.agreements.save_part(
                tandem.id, b, part("19:00"), now=NOW, merge=merged, book=book
            ),
        )
        assert sorted(outcome for outcome, _ in outcomes) == ["merged", "saved"]
        agreement = await store.agreements.for_tandem(tandem.id)
        assert agreement is not None
        assert (agreement.state, agreement.version) == ("proposed", 1)
        assert agreement.terms == {"from": ["17:00", "19:00"]}
        assert await store.due.get(tandem.community_id, due_prefix(tandem.id) + "agreement:merged")
        # A part after the merge changes nothing.
        late = await store.agreements.save_part(tandem.id, a, part("8:00"), now=NOW, merge=merged)
        assert late[0] == "closed"

        # Both confirm at once: agreed once; a second confirmation of the same version is closed.
        confirmed = await asyncio.gather(
            store.agreements.confirm(agreement.id, a, 1, now=NOW),
            store.agreements.confirm(agreement.id, b, 1, now=NOW),
        )
        assert sorted(outcome for outcome, _ in confirmed) == ["agreed", "confirmed"]
        again, _record = await store.agreements.confirm(agreement.id, a, 1, now=NOW)
        assert again == "closed"

        # A newer proposal supersedes a pending one; the proposer cannot decide their own.
        first = await store.agreements.propose(agreement.id, a, "duration", {"v": 2}, now=NOW)
        second = await store.agreements.propose(agreement.id, a, "format", {"v": 3}, now=NOW)
        assert first is not None
        assert second is not None
        assert (await store.agreements.decide(second.id, a, accept=True, now=NOW))[0] == "closed"
        assert (await store.agreements.decide(first.id, b, accept=True, now=NOW))[0] == "closed"
        decided = await asyncio.gather(
            store.agreements.decide(second.id, b, accept=True, now=NOW),
            store.agreements.decide(second.id, b, accept=False, now=NOW),
        )
        assert sorted(outcome == "closed" for outcome, _ in decided) == [False, True]
        now = await store.agreements.for_tandem(tandem.id)
        assert now is not None
        history = await store.agreements.history(agreement.id)
        assert [(c.field, c.state) for c in history] == [
            ("merged", "accepted"),
            ("duration", "superseded"),
            ("format", history[2].state),
        ]
        if history[2].state == "accepted":
            assert (now.version, now.terms) == (2, {"v": 3})
        else:
            assert (history[2].state, now.version) == ("declined", 1)
    finally:
        await store.close()
