"""Running ``tandem doctor`` as an operator does, from a test: a config file, the real CLI
(``bot.cli.main``, in a thread of its own so that a loopback server on the test's event loop
keeps answering), and what it printed.

:func:`discord_server` builds the loopback Discord world the doctor's Discord tests share: a
server with a pair channel everyone may use, an organizer channel only organizers (and the bot)
may read, and a celebration channel.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from store import Store
from tests.support.discord_loopback import Channel, Guild, LoopbackDiscord, payloads
from tests.support.discord_loopback.state import OVERWRITE_ROLE, VIEW_CHANNEL


@dataclass
class Doctor:
    """What ``tandem doctor`` said and its exit status."""

    status: int
    out: str

    def lines(self, start: str) -> list[str]:
        """The report's lines that begin (after the indent) with ``start``."""
        return [line.strip() for line in self.out.splitlines() if line.strip().startswith(start)]

    def fix_after(self, finding: str) -> str:
        """The fix printed under the finding that starts with ``finding``."""
        lines = [line.strip() for line in self.out.splitlines()]
        index = next(i for i, line in enumerate(lines) if line.startswith(finding))
        fix = lines[index + 1]
        assert fix.startswith("fix: "), self.out
        return fix.removeprefix("fix: ")


def toml(sections: dict[str, dict[str, Any]]) -> str:
    """A config file's text (values as JSON, which TOML reads alike for these)."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


async def migrated_sqlite(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'tandem.db'}"
    await Store.migrate(url)
    return url


async def run_doctor(
    capsys: pytest.CaptureFixture[str], folder: Path, sections: dict[str, dict[str, Any]]
) -> Doctor:
    config = folder / "tandem.toml"
    config.write_text(toml(sections), encoding="utf-8")
    capsys.readouterr()
    status = await asyncio.to_thread(main, ["--config", str(config), "doctor"])
    return Doctor(status, capsys.readouterr().out)


@dataclass
class DiscordWorld:
    guild: Guild
    pairs: Channel
    organizers: Channel
    celebration: Channel

    def settings(self, server: LoopbackDiscord, **more: Any) -> dict[str, Any]:
        return {
            "enabled": True,
            "token": server.token,
            "guild_ids": [self.guild.id],
            "pair_channel_id": self.pairs.id,
            "organizer_channel_id": self.organizers.id,
            "celebration_channel_id": self.celebration.id,
            **more,
        }


def discord_server(
    server: LoopbackDiscord, *, pair_overwrites: list[dict[str, Any]] | None = None, **guild: Any
) -> DiscordWorld:
    created = server.add_guild("Mentoring", **guild)
    assert created.bot_role_id is not None
    hidden = [
        payloads.overwrite(created.id, OVERWRITE_ROLE, allow=0, deny=VIEW_CHANNEL),
        payloads.overwrite(created.bot_role_id, OVERWRITE_ROLE, allow=VIEW_CHANNEL, deny=0),
    ]
    return DiscordWorld(
        created,
        server.add_text_channel(created, "mentoring", overwrites=pair_overwrites or []),
        server.add_text_channel(created, "organizers", overwrites=hidden),
        server.add_text_channel(created, "celebrations"),
    )
