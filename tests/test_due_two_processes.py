"""Two bot processes on one PostgreSQL share 10,000 due items: each is sent exactly once, and
both processes do part of the work."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from store import Store
from store.schema import due_items
from tests.conftest import postgres_database
from tests.support.due_worker import PING

ROOT = Path(__file__).resolve().parents[1]
ITEMS = 10_000

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


async def start_worker(url: str, instance: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.due_worker",
        url,
        instance,
        "50",
        # Each send takes a millisecond, as a platform's answer would: the two processes then
        # work side by side however busy the machine's cores are.
        "0.001",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_two_processes_send_each_of_ten_thousand_items_exactly_once() -> None:
    async with postgres_database() as database:
        store = await Store.open(database.url)
        now = datetime.now(UTC) - timedelta(minutes=1)
        rows = [
            {
                "community_id": "c1",
                "kind": PING,
                "key": f"ping:{number}",
                "payload": {"user": f"u{number}"},
                "due_at": now,
                "scheduled_for": now,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(ITEMS)
        ]
        async with store.connections.write() as connection:
            await connection.execute(sa.insert(due_items), rows)
        workers = [await start_worker(database.url, name) for name in ("bot-a", "bot-b")]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert (await worker.stdout.readline()).strip() == b"ready"
            outputs = await asyncio.gather(*(worker.communicate(b"go\n") for worker in workers))
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
        assert [worker.returncode for worker in workers] == [0, 0]
        sent = [json.loads(stdout.decode().strip().splitlines()[-1]) for stdout, _ in outputs]
        counts = Counter(key for keys in sent for key in keys)
        assert len(counts) == ITEMS  # every item was sent …
        assert max(counts.values()) == 1  # … and none twice
        assert all(len(keys) > ITEMS // 10 for keys in sent), [len(keys) for keys in sent]
        assert await store.due.count_by_state() == {"done": ITEMS}
        async with store.connections.read() as connection:
            claimed_by = dict(
                (
                    await connection.execute(
                        sa.select(due_items.c.claimed_by, sa.func.count()).group_by(
                            due_items.c.claimed_by
                        )
                    )
                ).all()
            )
        assert {worker.split(":")[0] for worker in claimed_by} == {"bot-a", "bot-b"}
        await store.close()
