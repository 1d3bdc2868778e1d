"""Due items at scale: start-up with 100,000 pending, dispatch throughput, memory.

    .venv/bin/python -m bench.scheduler              # SQLite (the default store)
    .venv/bin/python -m bench.scheduler --postgres   # the PostgreSQL on 127.0.0.1:5432/test

100,000 due items are stored, spread over the next 30 days. Measured:

* start-up: ``App.start()`` with the scheduler on, until it has caught up and armed its one
  wake-up from the store (what a restart costs with that many items pending);
* dispatch: all of them made due at once, then run by the due-item service with a kind that
  returns one message and a no-op send: claimed in batches, run, marked done;
* memory: how many items the service holds at once (one batch), how many jobs APScheduler
  holds, and the process's peak resident memory before and after dispatching all 100,000 (the
  same peak shows that running them added nothing that grows with their number).

Targets (issue 9): start-up ≤ 3 s; dispatch ≥ 2,000 items/s on SQLite; memory bounded (the
in-memory part never holds all 100,000 items).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.flows import fresh_postgres_database
from bench.report import print_figures
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.due import DueService
from bot.intents import IntentBase
from store.schema import due_items
from tests.support.due_worker import PING_KIND

ITEMS = 100_000


async def seed(app: App, count: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    chunk = 5_000
    for first in range(0, count, chunk):
        rows = [
            {
                "community_id": "bench",
                "kind": PING_KIND.name,
                "key": f"ping:{number}",
                "payload": {"user": f"u{number % 997}"},
                "due_at": now + timedelta(days=1, seconds=number * 25),
                "scheduled_for": now + timedelta(days=1, seconds=number * 25),
                "state": "pending",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(first, min(first + chunk, count))
        ]
        async with app.store.connections.write() as connection:
            await connection.execute(sa.insert(due_items), rows)
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if args.postgres:
        url = await fresh_postgres_database()
    settings = load_settings(None, database={"url": url})
    seeder = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=False)
    await seeder.start()
    seed_seconds = await seed(seeder, args.items)
    await seeder.stop()

    # A restart with that many pending: start, catch up, arm the one wake-up.
    app = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=True)
    started = time.perf_counter()
    await app.start()
    await app.caught_up.wait()
    startup_seconds = time.perf_counter() - started
    jobs_held = app.scheduler.job_count()
    await app.stop()

    store_app = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=False)
    await store_app.start()
    store = store_app.store
    async with store.connections.write() as connection:
        await connection.execute(
            due_items.update()
            .where(due_items.c.kind == PING_KIND.name)
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))  # fell due while down
        )
    sent = 0

    async def no_op_send(intent: IntentBase) -> None:
        nonlocal sent
        sent += 1

    service = DueService(store, SystemClock(), settings, [PING_KIND], no_op_send)
    rss_before_dispatch = _peak_rss_mb()
    dispatched = time.perf_counter()
    ran = await service.run_due()
    dispatch_seconds = time.perf_counter() - dispatched
    states = await store.due.count_by_state()
    await store_app.stop()
    return {
        "store": "postgresql" if args.postgres else "sqlite",
        "pending_items": args.items,
        "seed_seconds": round(seed_seconds, 2),
        "startup_seconds": round(startup_seconds, 3),
        "scheduler_jobs_held": jobs_held,
        "items_dispatched": ran,
        "messages_sent": sent,
        "items_done": states.get("done", 0),
        "dispatch_items_per_second": round(ran / dispatch_seconds),
        "items_held_at_once": service.batch,
        "peak_rss_mb_before_dispatch": rss_before_dispatch,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    parser.add_argument("--items", type=int, default=ITEMS, help="pending due items stored")
    figures = asyncio.run(run(parser.parse_args()))
    print_figures(figures)


if __name__ == "__main__":
    main()
