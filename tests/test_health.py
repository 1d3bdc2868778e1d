"""The health endpoint over real HTTP on loopback: /live, /ready (which follows the database and
the adapters), and /metrics as Prometheus reads it, moving as members talk to the bot."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.memory import MemoryAdapter
from bot.adapter import StartRefused
from bot.app import App
from bot.clock import FakeClock
from store.blocks import BlockRepository
from store.gauges import Gauges
from tests.conftest import AppFactory, Database, memory_of, postgres_database, settings_for
from tests.support.health_http import get, health_on, ready_becomes
from tests.support.synapse.homeserver import free_port


async def scrape(app: App) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels, parsed by Prometheus' own parser."""
    status, text = await get(app, "/metrics")
    assert status == 200, text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_live_and_ready_answer_over_http(make_app: AppFactory) -> None:
    app = await make_app("memory", health=health_on())
    assert await get(app, "/live") == (200, "live\n")
    assert await get(app, "/ready") == (200, "ready\n")


async def test_ready_is_503_with_the_reason_while_an_adapter_is_not_connected(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app("memory", health=health_on())
    monkeypatch.setattr(MemoryAdapter, "connected", property(lambda _self: False))
    assert await get(app, "/ready") == (503, "not ready: not connected: memory\n")
    assert await get(app, "/live") == (200, "live\n")


async def test_metrics_parse_and_count_what_members_do(make_app: AppFactory) -> None:
    app = await make_app("memory", health=health_on())
    memory = memory_of(app)
    before = await scrape(app)
    assert before[("tandem_store_up", ())] == 1
    assert before[("tandem_adapter_connected", (("adapter", "memory"),))] == 1
    assert before[("tandem_due_items_late", ())] == 0

    ida = memory.member("ida")
    await memory.command(ida, "join")
    await memory.say(ida, "1")
    await memory.admin(ida, "status")  # ida is no organizer: refused
    after = await scrape(app)

    command = ("tandem_events_handled_total", (("adapter", "memory"), ("kind", "command")))
    text = ("tandem_events_handled_total", (("adapter", "memory"), ("kind", "text")))
    assert after[command] - before.get(command, 0) == 2
    assert after[text] - before.get(text, 0) == 1
    refused = ("tandem_events_refused_total", (("adapter", "memory"), ("reason", "organizer_only")))
    assert after[refused] == 1
    latency = ("tandem_answer_latency_seconds_count", (("adapter", "memory"),))
    assert after[latency] == 3
    inf = ("tandem_answer_latency_seconds_bucket", (("adapter", "memory"), ("le", "+Inf")))
    assert after[inf] == 3
    assert sum(v for (name, labels), v in after.items() if name == "tandem_members") == 1
    assert after[("tandem_due_items_pending", ())] >= 1  # the maintenance run is booked


async def test_metrics_count_refusals_over_the_rate_limit(make_app: AppFactory) -> None:
    app = await make_app(
        "memory", health=health_on(), bot={"rate_limit": {"burst": 2, "per_second": 0.001}}
    )
    memory = memory_of(app)
    ida = memory.member("ida")
    for _ in range(4):
        await memory.say(ida, "hallo")
    refused = ("tandem_events_refused_total", (("adapter", "memory"), ("reason", "rate_limited")))
    assert (await scrape(app))[refused] == 2


async def test_metrics_count_a_send_the_platform_refused(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app("memory", health=health_on())
    memory = memory_of(app)

    async def refuse(_self: MemoryAdapter, _intent: object) -> None:
        raise ConnectionError("the platform is down")

    monkeypatch.setattr(MemoryAdapter, "render_say", refuse)
    await memory.command(memory.member("ida"), "help")
    failed = ("tandem_sends_failed_total", (("platform", "memory"),))
    assert (await scrape(app))[failed] == 1


async def test_metrics_without_the_client_library_say_how_to_install_it(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_app("memory", health=health_on())
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    status, text = await get(app, "/metrics")
    assert status == 501
    assert "pip install 'tandem[metrics]'" in text
    assert await get(app, "/ready") == (200, "ready\n")


async def test_two_apps_count_apart(
    make_app: AppFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = await make_app("memory", health=health_on())
    other = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('second') / 'tandem.db'}"
    second = App(settings_for(other, health=health_on()), adapter_names=["memory"])
    await second.start()
    try:
        await memory_of(first).command(memory_of(first).member("ida"), "help")
        command = ("tandem_events_handled_total", (("adapter", "memory"), ("kind", "command")))
        assert (await scrape(first))[command] == 1
        assert command not in await scrape(second)
    finally:
        await second.stop()


async def test_a_taken_port_stops_the_start_with_the_setting_to_change(
    make_app: AppFactory,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartRefused, match=f"127.0.0.1:{port}.*set health.port"):
            await make_app("memory", health={"enabled": True, "port": port})


async def test_a_flood_of_probes_and_scrapes_asks_the_database_once_at_a_time(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent /ready and /metrics requests share the query in flight: a flood of them (the
    endpoint has no authentication) cannot take every database connection the bot answers
    members with."""
    app = await make_app("memory", health=health_on())
    health, gauges = app.health, app.store.gauges
    assert health is not None
    asked: list[str] = []
    gate = asyncio.Event()
    ping, read = gauges.ping, gauges.read

    async def held_ping() -> None:
        asked.append("ping")
        await gate.wait()
        await ping()

    async def held_read(**kwargs: Any) -> Gauges:
        asked.append("read")
        await gate.wait()
        return await read(**kwargs)

    monkeypatch.setattr(gauges, "ping", held_ping)
    monkeypatch.setattr(gauges, "read", held_read)
    probes = [asyncio.ensure_future(health.not_ready()) for _ in range(20)]
    scrapes = [asyncio.ensure_future(health.read_gauges()) for _ in range(20)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(asked) == ["ping", "read"]
    gate.set()
    assert await asyncio.gather(*probes) == [None] * 20
    assert all(
        found is not None and found.due_pending >= 1 for found in await asyncio.gather(*scrapes)
    )
    # Once answered, the next request asks again.
    assert await health.not_ready() is None
    assert asked.count("ping") == 2


async def test_ready_is_503_until_the_adapters_are_made_and_connected(
    sqlite_db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the store opening and the adapters being made, no adapter is "not connected":
    /ready must still say the bot is not ready."""
    entered, gate = asyncio.Event(), asyncio.Event()
    checked = BlockRepository.made_with_this_key

    async def held(self: BlockRepository) -> bool:
        entered.set()
        await gate.wait()
        return await checked(self)

    monkeypatch.setattr(BlockRepository, "made_with_this_key", held)
    app = App(
        settings_for(sqlite_db.url, health=health_on()),
        clock=clock,
        adapter_names=["memory"],
        run_scheduler=False,
    )
    starting = asyncio.ensure_future(app.start())
    try:
        await entered.wait()
        assert await get(app, "/ready") == (503, "not ready: not connected: memory\n")
        assert (await scrape(app))[("tandem_adapter_connected", (("adapter", "memory"),))] == 0
        gate.set()
        await starting
        assert await get(app, "/ready") == (200, "ready\n")
    finally:
        gate.set()
        await starting
        await app.stop()


class Proxy:
    """A TCP proxy on loopback to the database: closing it is the database going away."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            for each in (writer, up_writer):
                self._writers.discard(each)
                each.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@pytest.mark.postgres
async def test_ready_follows_postgresql_going_away_and_coming_back(clock: FakeClock) -> None:
    async with postgres_database() as database:
        parts = urlsplit(database.url)
        assert parts.hostname is not None
        proxy = Proxy(parts.hostname, parts.port or 5432)
        await proxy.open()
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{proxy.port}"
        through = urlunsplit(
            parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host)
        )
        app = App(
            settings_for(through, health=health_on()),
            clock=clock,
            adapter_names=["memory"],
            run_scheduler=False,
        )
        await app.start()
        try:
            assert await get(app, "/ready") == (200, "ready\n")
            await proxy.close()
            status, text = await ready_becomes(app, 503)
            assert status == 503
            assert text.startswith("not ready: the database does not answer")
            assert (await get(app, "/live"))[0] == 200
            await proxy.open()
            assert await ready_becomes(app, 200) == (200, "ready\n")
        finally:
            await app.stop()
            if proxy._server is not None:
                await proxy.close()
