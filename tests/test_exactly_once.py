"""Exactly once, at the kernel: a platform event changes a conversation at most once, and a
question that is over is retired by the kernel (on SQLite and PostgreSQL, on the memory adapter).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.events import TextReplied
from bot.intents import Ask, RetireQuestion
from bot.places import MemberRef
from flows.maintenance import run_maintenance
from store import Store
from store.conversations import AlreadyApplied, AppliedEvent, AppliedRecord
from tests.conftest import AppFactory, Database, settings_for
from tests.support.onboarding import EXPECTED_PROFILE, TRANSCRIPT, play_on_memory

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


async def _started(store: Store, *, cause: AppliedEvent | None = None):  # type: ignore[no-untyped-def]
    member = await store.members.ensure("c1", "matrix", "@alex:x", now=NOW)
    conversation = await store.conversations.start(
        community_id="c1",
        member_id=member.id,
        flow_id="join",
        flow_version=1,
        step_id="language",
        place={"platform": "matrix", "kind": "dm", "user_id": "@alex:x"},
        answers={},
        expires_at=NOW + WEEK,
        now=NOW,
        cause=cause,
    )
    return member, conversation


async def test_an_event_recorded_with_a_step_cannot_move_any_later_step(any_db: Database) -> None:
    store = await any_db.open_store()
    try:
        join = AppliedEvent("matrix", "$join")
        answer = AppliedEvent("matrix", "$answer")
        _, started = await _started(store, cause=join)
        moved = await store.conversations.advance(
            started,
            step_id="consent",
            answers={"language": "en"},
            trail=["language"],
            expires_at=NOW + WEEK,
            now=NOW,
            cause=answer,
        )
        assert moved is not None
        assert await store.conversations.applied("c1", join) == AppliedRecord(started.id, 1)
        assert await store.conversations.applied("c1", answer) == AppliedRecord(started.id, 2)

        # The same event again, now for the next step: refused, and nothing changes.
        for replayed in (answer, join):
            with pytest.raises(AlreadyApplied):
                await store.conversations.advance(
                    moved,
                    step_id="name",
                    answers={"language": "en", "consent": "agree"},
                    trail=["language", "consent"],
                    expires_at=NOW + WEEK,
                    now=NOW,
                    cause=replayed,
                )
            with pytest.raises(AlreadyApplied):
                await store.conversations.end(moved, status="cancelled", now=NOW, cause=replayed)
        current = await store.conversations.get(started.id)
        assert current is not None
        assert (current.step_id, current.step_seq, current.status) == ("consent", 2, "active")
        assert current.answers == {"language": "en"}

        # A replayed command does not start (and so replace) anything either.
        with pytest.raises(AlreadyApplied):
            await _started(store, cause=join)
        assert [row["status"] for row in await store.dump_table("conversations")] == ["active"]
        # The same id from another platform is another event.
        assert await store.conversations.applied("c1", AppliedEvent("discord", "$answer")) is None
    finally:
        await store.close()


async def test_applied_events_of_ended_conversations_are_pruned_and_forget_takes_them(
    any_db: Database,
) -> None:
    store = await any_db.open_store()
    try:
        member, started = await _started(store, cause=AppliedEvent("matrix", "$old"))
        ended = await store.conversations.end(
            started, status="done", now=NOW, cause=AppliedEvent("matrix", "$done")
        )
        assert ended is not None
        _, running = await _started(store, cause=AppliedEvent("matrix", "$running"))

        assert await store.conversations.prune_applied(NOW) == 0  # nothing is old enough
        assert await store.conversations.prune_applied(NOW + WEEK) == 2
        rows = await store.dump_table("applied_events")
        # A running conversation keeps its records however old they are.
        assert [(row["event_id"], row["conversation_id"]) for row in rows] == [
            ("$running", running.id)
        ]
        exported = await store.privacy.export(member)
        assert [row["event_id"] for row in exported["applied_events"]] == ["$running"]

        await store.privacy.forget(member)
        assert await store.dump_table("applied_events") == []
    finally:
        await store.close()


async def test_maintenance_prunes_applied_events_after_a_week(sqlite_db: Database) -> None:
    store = await sqlite_db.open_store()
    try:
        _, started = await _started(store, cause=AppliedEvent("matrix", "$a"))
        await store.conversations.end(started, status="done", now=NOW)
        settings = settings_for(sqlite_db.url)
        clock = FakeClock(NOW + timedelta(days=6))
        await run_maintenance(store, clock, settings)
        assert len(await store.dump_table("applied_events")) == 1
        clock.advance(timedelta(days=2))
        await run_maintenance(store, clock, settings)
        assert await store.dump_table("applied_events") == []
    finally:
        await store.close()


async def joining(make_app: AppFactory, profile: str) -> tuple[App, MemoryAdapter, MemberRef]:
    """An app on the memory adapter where Ana has just asked to join."""
    app = await make_app(profile)
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    ana = memory.member("ana")
    await memory.command(ana, "join")
    return app, memory, ana


@pytest.mark.parametrize("profile", ["memory", "memory-text"])
async def test_a_replayed_answer_does_not_answer_the_next_question(
    make_app: AppFactory, profile: str
) -> None:
    app, memory, ana = await joining(make_app, profile)
    assert memory.last_ask(ana).question.id == "join.ask_language"
    # "1" picks the first language here, and would give consent to the next question.
    answer = TextReplied(
        community_id=memory.community_id, member=ana, place=memory.dm(ana), text="1"
    )
    await memory.push(answer)
    consent = memory.last_ask(ana)
    assert consent.question.id == "join.privacy_notice"
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    before = await app.store.conversations.active_for(member.id)
    assert before is not None

    replayed = await memory.push(answer)  # redelivered, as a Matrix sync after a crash would

    after = await app.store.conversations.active_for(member.id)
    assert after is not None
    assert (after.step_id, after.step_seq, after.answers) == (
        before.step_id,
        before.step_seq,
        before.answers,
    )
    assert await app.store.dump_table("consents") == []
    # The member is only asked the open question again (it may have been lost in the crash).
    assert [r.intent for r in replayed] == [consent]

    # Once the conversation has moved on, a replay says nothing at all.
    await memory.answer(ana, "agree")
    assert await memory.push(answer) == []
    assert len(await app.store.dump_table("consents")) == 1


@pytest.mark.parametrize("profile", ["memory", "memory-text"])
async def test_answered_and_cancelled_questions_are_retired_by_the_kernel(
    make_app: AppFactory, profile: str
) -> None:
    _app, memory, ana = await joining(make_app, profile)
    language = memory.last_ask(ana)
    assert memory.retired_for(ana) == []

    await memory.answer(ana, "de")
    consent = memory.last_ask(ana)
    await memory.say(ana, "abbrechen")

    retired = memory.retired_for(ana)
    assert [(r.prompt_id, r.answered) for r in retired] == [
        (language.prompt_id, True),
        (consent.prompt_id, False),
    ]
    assert [o.id for o in retired[0].picked] == ["de"]
    assert retired[0].question == language.question
    assert retired[1].picked == ()
    assert all(isinstance(r, RetireQuestion) and r.target == language.target for r in retired)
    # Retiring is not a message: the member's chat holds only what they read.
    assert not any(isinstance(r.intent, RetireQuestion) for r in memory.received(ana))
    assert not isinstance(memory.received(ana)[-1].intent, Ask)


async def test_a_finish_that_fails_asks_the_last_question_again_and_loses_nothing(
    make_app: AppFactory,
) -> None:
    """A flow's finish writes what it collected after the last answer claimed its step (the
    profile edit: the changed answer). When that fails (a full disk), the member is told, and
    asked the last question again under a new id; the old one is over, the new one saves."""
    app, memory, ana = await joining(make_app, "memory")
    await play_on_memory(memory, ana, TRANSCRIPT, typed=False)
    await memory.command(ana, "edit")
    await memory.pick(ana, "timezone")
    assert memory.last_ask(ana).question.id == "join.ask_timezone"
    real_save = app.store.members.save_profile
    failures = []

    async def save_fails_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(1)
            raise OSError("the disk is full, for a moment")
        return await real_save(*args, **kwargs)

    app.store.members.save_profile = save_fails_once  # type: ignore[method-assign]
    old_prompt = memory.last_ask(ana).prompt_id
    failed = await memory.submit(ana, "Zürich")
    assert [type(r.intent).__name__ for r in failed] == ["Say", "Ask"]
    assert failed[0].intent.text.id == "errors.internal"
    again = failed[1].intent
    assert again.question.id == "join.ask_timezone"
    assert again.prompt_id != old_prompt
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    before = await app.store.members.profile(member.id)
    assert before["timezone"] != "Europe/Zurich"
    stale = await memory.submit(ana, "Zürich", prompt_id=old_prompt)
    assert [r.intent.text.id for r in stale] == ["prompt.stale"]
    await memory.submit(ana, "Zürich")
    assert await app.store.members.profile(member.id) == {**before, "timezone": "Europe/Zurich"}


async def test_a_confirmation_whose_save_fails_changes_nothing_and_can_be_given_again(
    make_app: AppFactory,
) -> None:
    """The join's profile is written in the transaction that takes the confirmation
    (docs/answer-path.md). When a statement of it fails halfway (after the step's change and
    the first answers were written), all of it is rolled back: the member is told something
    went wrong, nothing of the profile is kept, and the same button saves everything."""
    app, memory, ana = await joining(make_app, "memory")
    await play_on_memory(memory, ana, TRANSCRIPT[:-1], typed=False)
    assert memory.last_ask(ana).question.id == "join.ask_confirm"
    real_writes = app.store.members.profile_writes
    failures = []

    def last_write_breaks_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        writes = real_writes(*args, **kwargs)
        if failures:
            return writes
        failures.append(1)
        *first, (statement, given) = writes
        return (*first, (statement, {**given, "set_dm_place": object()}))  # cannot be stored

    app.store.members.profile_writes = last_write_breaks_once  # type: ignore[method-assign]
    prompt = memory.last_ask(ana).prompt_id
    failed = await memory.pick(ana, "save")
    assert [r.intent.text.id for r in failed] == ["errors.internal"]
    member = await app.store.members.find("memory", "memory", "ana")
    assert member is not None
    assert member.status == "onboarding"
    assert await app.store.members.profile(member.id) == {}
    done = await memory.pick(ana, "save", prompt_id=prompt)  # the same question, still open
    assert "join.done" in [getattr(r.intent, "text", None) and r.intent.text.id for r in done]
    saved = await app.store.members.find("memory", "memory", "ana")
    assert saved is not None
    assert saved.status == "waiting"
    assert await app.store.members.profile(saved.id) == EXPECTED_PROFILE
