"""pytest fixtures for end-to-end tests through the loopback Discord.

Import them in a ``conftest.py``::

    from tests.support.discord_loopback.fixtures import loopback_discord, raw_http  # noqa: F401

``loopback_discord`` starts a fresh server per test, points discord.py at it, yields it, then
stops it and restores discord.py. At teardown it fails the test if the bot did anything real
Discord would have refused (``server.violations``), unless the test called
``server.expect_violations()`` and asserted on them itself; the same for requests Discord has
deprecated (``server.deprecations``). It also fails the test if the loopback answered in a
shape Discord does not document (:func:`shapes.problems_in`): a test must not pass because the
fake sent something real Discord never sends. The patching is process-global:
one server per test, no parallel tests within one process.

With ``TANDEM_LOOPBACK_RECORD=/some/file.jsonl`` in the environment every HTTP exchange of the
test is appended to that file, one JSON object a line, for
``tests/support/discord_openapi_check.py`` to hold against Discord's OpenAPI description.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

import aiohttp
import pytest

from tests.support.discord_loopback import shapes
from tests.support.discord_loopback.server import LoopbackDiscord

RECORD_ENV = "TANDEM_LOOPBACK_RECORD"


@pytest.fixture
async def loopback_discord(request: pytest.FixtureRequest) -> AsyncIterator[LoopbackDiscord]:
    server = LoopbackDiscord()
    await server.start()
    try:
        with server.patch_discord():
            yield server
    finally:
        await server.stop()
        _record(server, request.node.nodeid)
    if server.violations and not server.violations_expected:
        listing = "\n".join(f"  - {v}" for v in server.violations)
        pytest.fail(f"the bot did what Discord would refuse:\n{listing}", pytrace=False)
    if server.deprecations and not server.violations_expected:
        listing = "\n".join(f"  - {d}" for d in server.deprecations)
        pytest.fail(f"the bot did what Discord has deprecated:\n{listing}", pytrace=False)
    undocumented = shapes.problems_in(server.requests)
    if undocumented:
        listing = "\n".join(f"  - {p}" for p in undocumented)
        pytest.fail(
            f"the loopback answered in shapes Discord does not document:\n{listing}",
            pytrace=False,
        )


@pytest.fixture
async def raw_http(loopback_discord: LoopbackDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client with the bot's token, for payloads discord.py would refuse to build."""
    headers = {"Authorization": f"Bot {loopback_discord.token}"}
    async with aiohttp.ClientSession(
        f"{loopback_discord.base_url}/api/", headers=headers
    ) as session:
        yield session


def _record(server: LoopbackDiscord, test_id: str) -> None:
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as out:
        for exchange in server.requests:
            out.write(json.dumps({"test": test_id, **asdict(exchange)}) + "\n")
