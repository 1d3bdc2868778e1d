"""Shared fixtures: databases (SQLite always, PostgreSQL on loopback), apps on the memory adapter.

PostgreSQL tests use the server these machines run on 127.0.0.1:5432 (database ``test``, trust
auth), each test in a schema of its own. Where it is not reachable they skip with the reason,
except when ``TANDEM_REQUIRE_POSTGRES=1`` (set by ``./dev test`` in CI): then they fail
(:mod:`tests.support.required`).

``./dev test`` runs the suite in two pytest-xdist workers, processes that share nothing but the
machine: each starts its own Synapse (a session fixture), every Discord loopback, SQLite file,
PostgreSQL schema or database and temporary folder is the test's own (random names), and the one
file they share, ``.tandem/identity.key`` of the memory apps, is created race-free (linked into
place) and never changed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import pytest

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.config import Settings, load_settings
from store import Store
from tests.support.required import POSTGRES, service_missing

POSTGRES_DSN = os.environ.get("TANDEM_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def postgres_missing(reason: str) -> NoReturn:
    """Skip a test for want of PostgreSQL, or fail it where PostgreSQL is required (CI)."""
    service_missing(reason, POSTGRES)


@dataclass
class Database:
    """A database for one test: its URL and the engine options to reach it."""

    kind: str
    url: str
    engine_options: dict[str, Any] = field(default_factory=dict)

    async def open_store(self, *, migrate: bool = True) -> Store:
        return await Store.open(self.url, migrate=migrate, **self.engine_options)

    @asynccontextmanager
    async def two_stores(self) -> AsyncIterator[tuple[Store, Store]]:
        """Two stores on this database, as two bot processes have them."""
        first = await self.open_store()
        try:
            second = await self.open_store()
            try:
                yield first, second
            finally:
                await second.close()
        finally:
            await first.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    return Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")


async def _connect_or_skip() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        postgres_missing(f"PostgreSQL at {POSTGRES_DSN} is not reachable: {error}")


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[Database]:
    """A fresh schema on the loopback PostgreSQL, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    connection = await _connect_or_skip()
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        url = POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
        yield Database(
            "postgres", url, {"connect_args": {"server_settings": {"search_path": schema}}}
        )
    finally:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


@pytest.fixture
async def postgres_db() -> AsyncIterator[Database]:
    async with postgres_schema() as database:
        yield database


@asynccontextmanager
async def postgres_database() -> AsyncIterator[Database]:
    """A whole fresh database on the loopback PostgreSQL (for an App, which takes a URL only)."""
    name = f"tandem_{uuid.uuid4().hex[:12]}"
    admin = await _connect_or_skip()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
        yield Database("postgres", base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_app_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database an App can open by URL, once per database kind."""
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")
        return
    async with postgres_database() as database:
        yield database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The store suite runs once per database kind."""
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}")
        return
    async with postgres_schema() as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def settings_for(db_url: str, **sections: dict[str, Any]) -> Settings:
    # Memory members answer at machine speed, faster than any person: the rate limit is off
    # here unless a test asks for it (tests/test_abuse.py). End-to-end tests keep the default.
    sections["bot"] = {"rate_limit": {"enabled": False}, **sections.get("bot", {})}
    return load_settings(None, database={"url": db_url}, **sections)


AppFactory = Callable[..., Awaitable[App]]

#: The memory adapter's two capability profiles: rich (like Discord) and text-only (like Matrix).
PROFILES = ["memory", "memory-text"]


def memory_of(app: App) -> MemoryAdapter:
    adapter = app.adapters["memory"]
    assert isinstance(adapter, MemoryAdapter)
    return adapter


@pytest.fixture
async def make_app(sqlite_db: Database, clock: FakeClock) -> AsyncIterator[AppFactory]:
    """Start apps on the test's SQLite file; a second call is a restart on the same data."""
    started: list[App] = []

    async def start(adapter: str = "memory", **sections: dict[str, Any]) -> App:
        app = App(
            settings_for(sqlite_db.url, **sections),
            clock=clock,
            adapter_names=[adapter],
            run_scheduler=False,
        )
        await app.start()
        started.append(app)
        return app

    yield start
    for app in started:
        await app.stop()
