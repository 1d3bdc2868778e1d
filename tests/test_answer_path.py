"""The answer path under the group commit, from outside: real processes, real databases.

* Two bot processes on one PostgreSQL answer for the same members at the same time (some
  answers delivered to both, as one click reaching two replicas): every answer is applied
  exactly once or refused with a message, none is lost, none applied twice.
* A bot process killed outright (SIGKILL) while dozens of members answer, so while batched
  commits are in flight: nothing a member was answered is lost, and a new process takes every
  member on from where the store stands.

The members are ``tests/support/answer_worker.py``'s; its log holds, for every event, what the
bot replied, written before the member goes on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.members import MemberStatus
from tests.conftest import Database, postgres_database
from tests.support.answer_worker import DONE, STALE

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(180)


async def start_worker(
    url: str, log: Path, name: str, members: int, *extra: str
) -> asyncio.subprocess.Process:
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.answer_worker",
        url,
        str(log),
        name,
        str(members),
        *extra,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdout is not None
    assert (await worker.stdout.readline()).strip() == b"ready"
    return worker


def read_log(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _seq(prompt: str) -> tuple[int, int]:
    conversation, seq = prompt.split(".")
    return int(conversation), int(seq)


async def check_every_answer(
    store: Store, lines: list[dict[str, Any]], members: int
) -> dict[str, int]:
    """Every answer applied exactly once or refused with a message; every member joined."""
    applied = {row["event_id"]: row for row in await store.dump_table("applied_events")}
    conversations = {row["id"]: row for row in await store.dump_table("conversations")}
    # Each step of each conversation was caused by exactly one event: none twice, none lost.
    steps: dict[int, list[int]] = defaultdict(list)
    for row in applied.values():
        steps[row["conversation_id"]].append(row["step_seq"])
    for conversation_id, seqs in steps.items():
        final = conversations[conversation_id]["step_seq"]
        assert sorted(seqs) == list(range(1, final + 1)), (conversation_id, sorted(seqs), final)

    outcomes: dict[str, int] = defaultdict(int)
    for line in lines:
        if "answered" not in line:
            continue
        event, replies = line["event"], line["replies"]
        shared = event.startswith("shared:")
        asked = [reply["prompt"] for reply in replies if "ask" in reply]
        moved_on = any(reply.get("say") == DONE for reply in replies) or any(
            prompt != line["answered"] for prompt in asked
        )
        if moved_on:  # the member was answered as if applied: it must be, by this answer
            assert event in applied, line
            if asked:
                conversation_id, seq = _seq(asked[-1])
                assert (applied[event]["conversation_id"], applied[event]["step_seq"]) == (
                    conversation_id,
                    seq,
                ), line
            outcomes["applied"] += 1
        elif any(reply.get("say") == STALE for reply in replies) or asked:
            # Refused (stale, or asked again): applied only if it was another delivery of an
            # event the other process applied.
            assert shared or event not in applied, line
            outcomes["refused"] += 1
        else:  # silence: only for an event the other process applied before
            assert shared, line
            assert event in applied, line
            outcomes["replayed"] += 1

    joined = 0
    for number in range(members):
        member = await store.members.find("memory", "memory", f"m{number}")
        assert member is not None
        assert member.joined, (member.platform_user_id, member.status)
        assert (await store.members.profile(member.id)).get("goals")
        joined += 1
    assert joined == members
    return outcomes


@pytest.mark.postgres
async def test_two_processes_on_one_postgres_apply_each_answer_once_or_refuse_it(
    tmp_path: Path,
) -> None:
    members = 24
    # Every run is checked in full. Only whether the two processes met is left to chance: on a
    # loaded machine one of them can be held back until the other has answered for everyone
    # (seen once in a full run of the suite), and then the run is made again.
    for attempt in range(RUNS_TO_MEET):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        answered_by, outcomes = await _two_processes_answer(folder, members)
        met = outcomes["refused"] + outcomes["replayed"] > 0
        if met and {"bot-a", "bot-b", "shared"} <= answered_by:
            break
    # Both processes answered, and they did meet: some answers were refused or replayed.
    assert {"bot-a", "bot-b", "shared"} <= answered_by
    # Both start each member's conversation at about the same moment, and the later start
    # replaces the earlier one (answers to it are refused, the member starts over: one
    # running conversation per member, tests/test_store.py), so
    # how many answers move a member on varies from run to run (337 to 434 of 24 × 19):
    # at least half a questionnaire per member.
    assert outcomes["applied"] >= members * 10, outcomes
    assert outcomes["refused"] + outcomes["replayed"] > 0, outcomes


#: How often the two-process run is made at most until both processes answered in one.
RUNS_TO_MEET = 3


async def _two_processes_answer(folder: Path, members: int) -> tuple[set[str], dict[str, int]]:
    """Two processes answer for the same members on a fresh PostgreSQL database; every answer
    checked (:func:`check_every_answer`). Who answered (the event ids' prefixes), and how."""
    async with postgres_database() as database:
        store = await Store.open(database.url)  # migrated before either process starts
        logs = [folder / "a.jsonl", folder / "b.jsonl"]
        workers = [
            await start_worker(database.url, log, name, members, "--shared-every", "3")
            for log, name in zip(logs, ("bot-a", "bot-b"), strict=True)
        ]
        try:
            results = await asyncio.gather(*(worker.communicate(b"go\n") for worker in workers))
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
        assert [worker.returncode for worker in workers] == [0, 0], results
        lines = read_log(logs[0]) + read_log(logs[1])
        try:
            outcomes = await check_every_answer(store, lines, members)
        finally:
            await store.close()
    return {line["event"].split(":")[0] for line in lines if "answered" in line}, outcomes


async def test_a_bot_killed_during_batched_commits_loses_no_answer_it_acknowledged(
    tmp_path: Path, any_app_db: Database
) -> None:
    members = 30
    log = tmp_path / "answers.jsonl"
    store = await Store.open(any_app_db.url)
    await store.close()
    acknowledged: dict[str, tuple[int, int] | str] = {}
    for kill_after in (120, 270):
        worker = await start_worker(any_app_db.url, log, f"run{kill_after}", members)
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
        while len(read_log(log)) < kill_after:
            assert worker.returncode is None, "the worker ended before it was killed"
            await asyncio.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        assert await worker.wait() == -signal.SIGKILL
        lines = read_log(log)
        for line in lines:  # the latest reply each member saw before the kill
            for reply in line["replies"]:
                if "ask" in reply:
                    acknowledged[line["member"]] = _seq(reply["prompt"])
                elif reply.get("say") == DONE:
                    acknowledged[line["member"]] = DONE
        store = await Store.open(any_app_db.url)
        try:
            conversations = {row["id"]: row for row in await store.dump_table("conversations")}
            for user, seen in acknowledged.items():
                if seen == DONE:
                    member = await store.members.find("memory", "memory", user)
                    assert member is not None
                    assert member.joined, user
                    continue
                conversation_id, seq = seen
                # The store stands at the question the member was asked, or further on.
                assert conversations[conversation_id]["step_seq"] >= seq, (user, seen)
        finally:
            await store.close()
        # The answers were being committed in batches (of more than one on average) when the
        # process died.
        batched = [line for line in lines if "answered" in line and line["batch"] > 1]
        assert batched, "no answer went in a batch of more than one"

    worker = await start_worker(any_app_db.url, log, "after", members)
    _, _ = await worker.communicate(b"go\n")
    assert worker.returncode == 0
    store = await Store.open(any_app_db.url)
    try:
        await check_every_answer(store, read_log(log), members)
        statuses = await store.members.count_by_status("memory")
        assert statuses[MemberStatus.WAITING] == sum(statuses.values()) == members, statuses
    finally:
        await store.close()
