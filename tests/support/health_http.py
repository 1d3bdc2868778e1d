"""Asking a running app's health endpoint over real HTTP on loopback (bot/health.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.app import App
from tests.support.synapse.homeserver import free_port


def health_on() -> dict[str, Any]:
    """A ``[health]`` section: on, on a loopback port free right now."""
    return {"enabled": True, "port": free_port()}


async def get(app: App, path: str) -> tuple[int, str]:
    """The status and body of ``GET path`` on the app's health endpoint."""
    assert app.health is not None, "the health endpoint is not enabled"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{app.health.port}{path}") as response,
    ):
        return response.status, await response.text()


async def ready_becomes(app: App, status: int, tries: int = 50) -> tuple[int, str]:
    """``/ready`` asked until it answers ``status`` (a pool or a sync loop notices a lost server
    on its next use), at most ``tries`` times; the last answer."""
    answer = await get(app, "/ready")
    for _ in range(tries):
        if answer[0] == status:
            break
        await asyncio.sleep(0.2)
        answer = await get(app, "/ready")
    return answer
