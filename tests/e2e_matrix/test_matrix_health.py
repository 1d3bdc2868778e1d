"""/ready on a real homeserver: ready while the bot syncs, 503 naming Matrix while Synapse is
down, ready again once it is back."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.health_http import get, health_on, ready_becomes
from tests.support.synapse.bot import TandemBot
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(180)]


async def test_ready_follows_the_homeserver_going_away_and_coming_back(
    synapse: Homeserver, tandem_bot: TandemBot
) -> None:
    tandem_bot.health = health_on()
    app = await tandem_bot.start()
    assert await get(app, "/ready") == (200, "ready\n")
    try:
        await asyncio.to_thread(synapse.stop)
        assert await ready_becomes(app, 503) == (503, "not ready: not connected: matrix\n")
        assert (await get(app, "/live"))[0] == 200
    finally:
        if not synapse.running:
            await asyncio.to_thread(synapse.start)
    assert await ready_becomes(app, 200) == (200, "ready\n")
