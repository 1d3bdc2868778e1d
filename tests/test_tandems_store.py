"""Match rounds and tandems in the store, on SQLite and PostgreSQL: a run is one transaction,
answers change a tandem once, endings put both back and cancel what was pending, and forget
leaves the partner waiting, first in line."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from store import Store
from store.due_items import CANCELLED, PENDING, Booking
from store.members import MemberRecord
from store.rounds import DISCARDED, DONE, PREVIEW, RUN, MembersChanged, PairToIntroduce
from store.tandems import (
    ACTIVE,
    DECLINED,
    INTRODUCED,
    INTRODUCING,
    LAPSED,
    NO,
    YES,
    TandemRecord,
    due_prefix,
)
from tests.conftest import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = date(2026, 3, 2)
REASONS = {
    "a_helps_b": ["time"],
    "b_helps_a": ["presenting"],
    "shared_needs": [],
    "languages": ["de"],
    "common_times": [["2026-03-02T17:00:00+00:00", "2026-03-02T20:00:00+00:00"]],
    "in_person": False,
}


async def waiting(store: Store, *names: str) -> list[MemberRecord]:
    found = []
    for name in names:
        member = await store.members.ensure("c1", "memory", name, now=NOW)
        await store.members.update(member.id, now=NOW, status="waiting")
        refreshed = await store.members.get(member.id)
        assert refreshed is not None
        found.append(refreshed)
    return found


async def preview(store: Store, fingerprint: str = "f1") -> int:
    saved = await store.rounds.save_preview(
        community_id="c1",
        started_by="organizer",
        seed=7,
        week_start=WEEK,
        fingerprint=fingerprint,
        proposal={"pairs": [], "sit_out": [], "sit_out_reasons": {}},
        pairs=1,
        sit_outs=1,
        now=NOW,
    )
    return saved.id


def intro_and_notice(tandem: TandemRecord | None, member_id: int | None) -> list[Booking]:
    if tandem is not None:
        return [Booking("introduce_pair", due_prefix(tandem.id) + "intro", NOW)]
    return [Booking("round_sit_out", f"sit_out:{member_id}", NOW, member_id=member_id)]


async def run_pair(store: Store, a: MemberRecord, b: MemberRecord, sit_out: tuple[int, ...] = ()):
    round_id = await preview(store)
    made = await store.rounds.run(
        round_id,
        pairs=[PairToIntroduce(b.id, a.id, 30, REASONS)],
        sit_out=sit_out,
        now=NOW,
        book=intro_and_notice,
    )
    assert made is not None
    return round_id, made[0]


async def test_a_run_makes_tandems_marks_members_and_books_their_items_together(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        ana, ben, eva = await waiting(store, "ana", "ben", "eva")
        round_id, tandem = await run_pair(store, ana, ben, sit_out=(eva.id,))
        assert (tandem.member_a, tandem.member_b, tandem.state) == (ana.id, ben.id, INTRODUCING)
        assert tandem.reasons == REASONS
        for member in (ana, ben):
            again = await store.members.get(member.id)
            assert again is not None
            assert again.status == "in_tandem"
        eva_now = await store.members.get(eva.id)
        assert eva_now is not None
        assert (eva_now.status, eva_now.first_in_line_at) == ("waiting", NOW)
        intro = await store.due.get("c1", due_prefix(tandem.id) + "intro")
        notice = await store.due.get("c1", f"sit_out:{eva.id}")
        assert intro is not None
        assert notice is not None
        assert (intro.state, notice.member_id) == (PENDING, eva.id)
        ran = await store.rounds.get(round_id)
        assert ran is not None
        assert (ran.state, ran.proposal, ran.run_at) == (RUN, None, NOW)
        # The same preview is never run twice.
        assert (
            await store.rounds.run(round_id, pairs=[], sit_out=(), now=NOW, book=intro_and_notice)
            is None
        )
        assert await store.tandems.pairs_met("c1") == [(ana.id, ben.id)]
    finally:
        await store.close()


async def test_a_run_whose_member_stopped_waiting_changes_nothing(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        ana, ben, cleo, dan = await waiting(store, "ana", "ben", "cleo", "dan")
        await store.members.update(dan.id, now=NOW, status="paused")
        round_id = await preview(store)
        with pytest.raises(MembersChanged):
            await store.rounds.run(
                round_id,
                pairs=[
                    PairToIntroduce(ana.id, ben.id, 30, REASONS),
                    PairToIntroduce(cleo.id, dan.id, 30, REASONS),
                ],
                sit_out=(),
                now=NOW,
                book=intro_and_notice,
            )
        assert await store.tandems.pairs_met("c1") == []
        ana_now = await store.members.get(ana.id)
        assert ana_now is not None
        assert ana_now.status == "waiting"
        unchanged = await store.rounds.get(round_id)
        assert unchanged is not None
        assert unchanged.state == PREVIEW
        assert await store.due.count_by_state() == {}
    finally:
        await store.close()


async def test_a_newer_preview_discards_the_older_one(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        older = await preview(store, "f1")
        newer = await preview(store, "f2")
        first = await store.rounds.get(older)
        assert first is not None
        assert (first.state, first.proposal) == (DISCARDED, None)
        latest = await store.rounds.latest("c1", states=[PREVIEW])
        assert latest is not None
        assert (latest.id, latest.fingerprint) == (newer, "f2")
    finally:
        await store.close()


async def test_both_yes_make_the_tandem_active_once_and_cancel_its_reminders(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        ana, ben = await waiting(store, "ana", "ben")
        round_id, tandem = await run_pair(store, ana, ben)
        nudge = Booking("first_call_nudge", due_prefix(tandem.id) + "nudge", NOW + timedelta(7))
        assert await store.tandems.mark_introduced(tandem.id, now=NOW, book=[nudge])
        assert not await store.tandems.mark_introduced(tandem.id, now=NOW)
        done = await store.rounds.get(round_id)
        assert done is not None
        assert done.state == DONE

        def book(outcome: str) -> list[Booking]:
            return [Booking(f"tandem_{outcome}", due_prefix(tandem.id) + outcome, NOW)]

        # Both answer at the same moment: exactly one answer makes it active.
        outcomes = await asyncio.gather(
            store.tandems.answer(tandem.id, ana.id, YES, reason=None, now=NOW, book=book),
            store.tandems.answer(tandem.id, ben.id, YES, reason=None, now=NOW, book=book),
        )
        assert sorted(outcome for outcome, _ in outcomes) == ["active", "recorded"]
        active = await store.tandems.get(tandem.id)
        assert active is not None
        assert (active.state, active.answer_a, active.answer_b) == (ACTIVE, YES, YES)
        nudged = await store.due.get("c1", due_prefix(tandem.id) + "nudge")
        told = await store.due.get("c1", due_prefix(tandem.id) + "active")
        assert nudged is not None
        assert told is not None
        assert (nudged.state, told.state) == (CANCELLED, PENDING)
        # A second answer of the same member changes nothing.
        again, _ = await store.tandems.answer(tandem.id, ana.id, NO, reason=None, now=NOW)
        assert again == "closed"
    finally:
        await store.close()


async def test_not_a_fit_ends_it_and_both_wait_again(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        ana, ben = await waiting(store, "ana", "ben")
        _round, tandem = await run_pair(store, ana, ben)
        await store.tandems.mark_introduced(tandem.id, now=NOW)
        reason = "x" * 600 + "\x00"
        outcome, ended = await store.tandems.answer(
            tandem.id,
            ben.id,
            NO,
            reason=reason,
            now=NOW,
            book=lambda outcome: [Booking("tandem_ended", due_prefix(tandem.id) + outcome, NOW)],
        )
        assert outcome == "declined"
        assert ended is not None
        assert (ended.state, ended.end_reason, ended.ended_at) == (DECLINED, "not_a_fit", NOW)
        assert ended.reason_b == "x" * 500  # cut to the column, NUL dropped
        for member in (ana, ben):
            again = await store.members.get(member.id)
            assert again is not None
            assert again.status == "waiting"
        assert await store.due.get("c1", due_prefix(tandem.id) + "declined") is not None
        late, _ = await store.tandems.answer(tandem.id, ana.id, YES, reason=None, now=NOW)
        assert late == "closed"
        assert await store.tandems.current_for(ana.id) is None
    finally:
        await store.close()


async def test_a_lapse_keeps_the_item_that_ends_it(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        ana, ben = await waiting(store, "ana", "ben")
        _round, tandem = await run_pair(store, ana, ben)
        await store.tandems.mark_introduced(tandem.id, now=NOW)
        lapse_key = due_prefix(tandem.id) + "lapse"
        await store.due.schedule(
            community_id="c1", kind="first_call_lapse", key=lapse_key, due_at=NOW, now=NOW
        )
        ask_key = due_prefix(tandem.id) + f"ask:{ana.id}"
        await store.due.schedule(
            community_id="c1", kind="first_call_ask", key=ask_key, due_at=NOW, now=NOW
        )
        ended = await store.tandems.end(
            tandem.id,
            state=LAPSED,
            reason="lapsed",
            now=NOW,
            from_states=(INTRODUCED,),
            running_key=lapse_key,
        )
        assert ended is not None
        assert ended.state == LAPSED
        lapse = await store.due.get("c1", lapse_key)
        ask = await store.due.get("c1", ask_key)
        assert lapse is not None
        assert ask is not None
        assert (lapse.state, ask.state) == (PENDING, CANCELLED)
        assert await store.tandems.end(tandem.id, state=LAPSED, reason="lapsed", now=NOW) is None
    finally:
        await store.close()


async def test_forget_leaves_the_partner_waiting_first_in_line(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        ana, ben = await waiting(store, "ana", "ben")
        _round, tandem = await run_pair(store, ana, ben)
        await store.tandems.answer(tandem.id, ana.id, YES, reason="secret-reason-1", now=NOW)
        exported = await store.privacy.export(ben)
        (mine,) = exported["tandems"]
        assert (mine["id"], mine["my_answer"], mine["my_reason"]) == (tandem.id, None, None)
        assert "secret-reason-1" not in str(exported)
        later = await preview(store)
        await store.privacy.forget(ana)
        assert await store.tandems.get(tandem.id) is None
        partner = await store.members.get(ben.id)
        assert partner is not None
        assert partner.status == "waiting"
        assert partner.first_in_line_at is not None
        stale = await store.rounds.get(later)
        assert stale is not None
        assert (stale.state, stale.proposal) == (DISCARDED, None)
    finally:
        await store.close()
