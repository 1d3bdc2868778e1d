"""A Discord the bot cannot reach is said in one sentence with what to check (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapter import StartRefused
from bot.app import App
from bot.config import load_settings
from tests.support.discord_loopback.server import LoopbackDiscord

pytestmark = pytest.mark.e2e_discord


async def test_an_unreachable_discord_is_explained(tmp_path: Path) -> None:
    server = LoopbackDiscord()
    await server.start()
    with server.patch_discord():
        await server.stop()  # discord.py now talks to a port where nobody listens
        settings = load_settings(
            None,
            database={"url": f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}"},
            discord={"enabled": True, "token": server.token, "guild_ids": [1]},
        )
        app = App(settings, adapter_names=["discord"], run_scheduler=False)
        try:
            with pytest.raises(StartRefused) as caught:
                await app.start()
        finally:
            await app.stop()
    said = str(caught.value)
    assert said.startswith("cannot reach Discord (ClientConnectorError: ")
    assert said.endswith(
        "Check this machine's network, DNS and any proxy or firewall (Discord's API is "
        "discord.com, port 443), then start Tandem again."
    )
    assert "\n" not in said
