"""Onboarding throughput, latency and memory, through the memory adapter.

    .venv/bin/python -m bench.flows                 # SQLite (the default store)
    .venv/bin/python -m bench.flows --postgres      # the PostgreSQL on 127.0.0.1:5432/test

With 10,000 synthetic members already stored, new members go through the join questionnaire
(the same transcript the tests use, answered by clicks and forms as on Discord). Every answer
is one event in → router → step persisted → intent rendered. Measured:

* answers per second at saturation (``--concurrency`` members answering as fast as they can);
* p50/p99 latency per answer at a steady offered load (``--rate`` answers/s, open loop: an
  answer's latency runs from when it was due, so queueing counts);
* the same at half the measured saturation, where the store keeps up;
* peak resident memory of the process;
* for scale, bare read-modify-write transactions per second through SQLAlchemy's async engine
  on aiosqlite on this machine (the floor under any answer).

The per-member rate limit (``bot.rate_limit``) is on, as in production, unless
``--no-rate-limit`` is given; the figures say which. Each benchmark member answers faster than
a person can, but no faster than the default burst allows over the whole questionnaire.

Targets (issue 5): ≥ 1,000 answers/s on SQLite; p99 ≤ 20 ms at 500 answers/s; ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from adapters.memory import MemoryAdapter
from bench.report import print_figures
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.places import MemberRef
from flows.questionnaire import SLOTS
from tests.support.onboarding import TRANSCRIPT, Turn

STORED_MEMBERS = 10_000
ANSWERS_PER_MEMBER = len(TRANSCRIPT)


def synthetic_members(count: int, community_id: str) -> list[dict[str, Any]]:
    rng = random.Random(7)
    topics = ["agile", "time", "leadership", "presenting", "feedback", "career", "programming"]
    slots = [option.id for option in SLOTS]
    return [
        {
            "community_id": community_id,
            "platform": "memory",
            "platform_user_id": f"stored-{number}",
            "display_name": f"Member {number}",
            "locale": rng.choice(["de", "en"]),
            "timezone": rng.choice(["Europe/Berlin", "Europe/Vienna", "America/New_York"]),
            "status": "waiting",
            "profile": {
                "offers": rng.sample(topics, 2),
                "needs": rng.sample(topics, 2),
                "goals": [f"Goal {number}"],
                "languages": ["de", "en"],
                "availability": rng.sample(slots, 3),
                "format": "video",
            },
        }
        for number in range(count)
    ]


async def answer(memory: MemoryAdapter, member: MemberRef, turn: Turn) -> None:
    if turn.ids:
        await memory.pick(member, *turn.ids)
    else:
        await memory.submit(member, turn.text or "")


async def onboard(memory: MemoryAdapter, member: MemberRef, latencies: list[float]) -> int:
    await memory.command(member, "join")
    for turn in TRANSCRIPT:
        started = time.perf_counter()
        await answer(memory, member, turn)
        latencies.append(time.perf_counter() - started)
    return ANSWERS_PER_MEMBER


async def saturation(memory: MemoryAdapter, members: int, concurrency: int) -> float:
    """Answers per second with ``concurrency`` members answering back to back."""
    queue = [memory.member(f"sat-{uuid.uuid4().hex[:8]}") for _ in range(members)]
    latencies: list[float] = []

    async def worker() -> int:
        done = 0
        while queue:
            done += await onboard(memory, queue.pop(), latencies)
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sum(counts) / (time.perf_counter() - started)


async def steady(memory: MemoryAdapter, rate: float, seconds: float) -> list[float]:
    """Latencies (s) at an open-loop offered load of ``rate`` answers per second.

    Each simulated member answers one question every second; ``rate`` members are staggered
    so that an answer falls due every 1/rate seconds. Latency counts from the due time.
    """
    count = max(1, round(rate))
    members = [memory.member(f"steady-{i}-{uuid.uuid4().hex[:6]}") for i in range(count)]
    for member in members:  # everyone has started joining before the clock runs
        await memory.command(member, "join")
    latencies: list[float] = []
    start = time.perf_counter() + 0.2

    async def member_loop(index: int, member: MemberRef) -> None:
        due = start + index / rate
        turns = list(TRANSCRIPT)
        while due < start + seconds and turns:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await answer(memory, member, turns.pop(0))
            latencies.append(time.perf_counter() - due)
            due += count / rate

    await asyncio.gather(*(member_loop(i, m) for i, m in enumerate(members)))
    return latencies


async def bare_transactions(url: str, seconds: float = 2.0) -> float:
    """Read-modify-write transactions per second on this machine, for scale: the floor under
    any answer, which reads a conversation and writes it back."""
    from store.db import open_connections

    connections = open_connections(url)
    statement_probe = "SELECT value FROM probe WHERE id = 1"
    async with connections.write() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, value INTEGER)"
        )
        await connection.exec_driver_sql("INSERT OR REPLACE INTO probe VALUES (1, 0)")
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        async with connections.write() as connection:
            value = (await connection.exec_driver_sql(statement_probe)).scalar_one()
            await connection.exec_driver_sql(f"UPDATE probe SET value = {value + 1} WHERE id = 1")
        done += 1
    rate = done / (time.perf_counter() - started)
    async with connections.write() as connection:
        await connection.exec_driver_sql("DROP TABLE probe")
    await connections.dispose()
    return rate


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if args.postgres:
        url = await fresh_postgres_database()
    settings = load_settings(
        None, database={"url": url}, bot={"rate_limit": {"enabled": args.rate_limit}}
    )
    limit = settings.bot.rate_limit
    app = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=False)
    await app.start()
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    memory.keep_history = False
    seeded = time.perf_counter()
    await app.store.members.import_many(
        synthetic_members(args.stored, memory.community_id), now=app.clock.now()
    )
    seed_seconds = time.perf_counter() - seeded

    await saturation(memory, members=20, concurrency=args.concurrency)  # warm up
    throughput = await saturation(memory, args.members, args.concurrency)
    latencies = await steady(memory, args.rate, args.seconds)
    # Latency where the store keeps up: half the measured saturation.
    relaxed_rate = round(throughput / 2)
    relaxed = await steady(memory, relaxed_rate, args.seconds)
    await app.stop()
    baseline = None if args.postgres else await bare_transactions(url)
    return {
        "store": "postgresql" if args.postgres else "sqlite",
        "rate_limiter_on": limit.enabled,
        "rate_limit": f"burst {limit.burst}, {limit.per_second}/s" if limit.enabled else "off",
        "stored_members": args.stored,
        "seed_seconds": round(seed_seconds, 2),
        "answers_per_second_saturation": round(throughput),
        "offered_answers_per_second": args.rate,
        "answers_measured_at_offered_load": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "offered_half_saturation": relaxed_rate,
        "p50_ms_at_half_saturation": round(statistics.median(relaxed) * 1000, 2),
        "p99_ms_at_half_saturation": round(percentile(relaxed, 0.99) * 1000, 2),
        "bare_read_modify_write_per_second": None if baseline is None else round(baseline),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def fresh_postgres_database() -> str:
    import asyncpg

    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect("postgresql://127.0.0.1:5432/test")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"postgresql+asyncpg://127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    parser.add_argument("--stored", type=int, default=STORED_MEMBERS, help="members stored first")
    parser.add_argument("--members", type=int, default=300, help="members onboarded at saturation")
    parser.add_argument("--concurrency", type=int, default=50, help="members answering at once")
    parser.add_argument("--rate", type=float, default=500.0, help="offered answers per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the steady run")
    parser.add_argument(
        "--no-rate-limit",
        dest="rate_limit",
        action="store_false",
        help="switch the per-member rate limit off (it is on by default, as in production)",
    )
    figures = asyncio.run(run(parser.parse_args()))
    print_figures(figures)


if __name__ == "__main__":
    main()
