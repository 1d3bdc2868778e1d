"""Run a real discord.py client against a started, patched :class:`LoopbackDiscord`.

``running_client`` does what a bot's ``start()`` does — ``login`` (REST ``/users/@me`` and
``/oauth2/applications/@me``), then ``connect()`` in a task — waits for ``on_ready`` and, on
exit, closes the client and collects the connect task, so a crash in the client fails the test
instead of being logged and forgotten.
"""

# The driver API takes ``timeout=`` like asyncio.wait_for does; tests read better that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

import discord

if TYPE_CHECKING:
    from tests.support.discord_loopback.server import LoopbackDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_client(
    client: ClientT,
    server: LoopbackDiscord,
    *,
    timeout: float = 5.0,
) -> AsyncIterator[ClientT]:
    """Log ``client`` in with the server's token and yield it once it is ready.

    Build the client with a small ``guild_ready_timeout`` (e.g. 0.05): discord.py waits that
    long after the last GUILD_CREATE before ``on_ready``.
    """
    await client.login(server.token)
    connection = asyncio.create_task(client.connect(reconnect=True), name="loopback-discord-client")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {connection, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if connection in done:
            connection.result()  # re-raises the client's failure
            raise AssertionError("the client stopped before it was ready")
        if ready not in done:
            raise AssertionError(f"the client was not ready after {timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(connection, timeout=timeout)
