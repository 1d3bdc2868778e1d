"""pytest fixtures for end-to-end tests through the loopback Discord.

Import them in a ``conftest.py``::

    from tests.support.discord_loopback.fixtures import loopback_discord, raw_http  # noqa: F401

``loopback_discord`` starts a fresh server per test, points discord.py at it, yields it, then
stops it and restores discord.py. At teardown it fails the test if the bot did anything real
Discord would have refused (``server.violations``), unless the test called
``server.expect_violations()`` and asserted on them itself; the same for requests Discord has
deprecated (``server.deprecations``). The patching is process-global:
one server per test, no parallel tests within one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.discord_loopback.server import LoopbackDiscord


@pytest.fixture
async def loopback_discord() -> AsyncIterator[LoopbackDiscord]:
    server = LoopbackDiscord()
    await server.start()
    try:
        with server.patch_discord():
            yield server
    finally:
        await server.stop()
    if server.violations and not server.violations_expected:
        listing = "\n".join(f"  - {v}" for v in server.violations)
        pytest.fail(f"the bot did what Discord would refuse:\n{listing}", pytrace=False)
    if server.deprecations and not server.violations_expected:
        listing = "\n".join(f"  - {d}" for d in server.deprecations)
        pytest.fail(f"the bot did what Discord has deprecated:\n{listing}", pytrace=False)


@pytest.fixture
async def raw_http(loopback_discord: LoopbackDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client with the bot's token, for payloads discord.py would refuse to build."""
    headers = {"Authorization": f"Bot {loopback_discord.token}"}
    async with aiohttp.ClientSession(
        f"{loopback_discord.base_url}/api/", headers=headers
    ) as session:
        yield session
