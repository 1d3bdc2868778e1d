"""The health endpoint and JSON logs with a real discord.py client on the loopback Discord: the
bot is ready once its gateway is up, and JSON logs of a join name the adapter and the events,
never the answer typed or the token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import TEXTS, AnswerPolicy, answer_until_done, running_tandem
from tests.support.health_http import get, health_on
from tests.support.log_capture import debug_logging

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(90)]

ANSWER = "Quallen-Geheimnis-8841"


async def test_ready_while_the_gateway_is_up_and_json_logs_hold_ids_not_contents(
    loopback_discord: LoopbackDiscord, tmp_path: Path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    zoe = server.add_member(guild, "zoe")
    with debug_logging(secrets=[server.token], log_format="json") as logs:
        async with running_tandem(server, guild, tmp_path / "t.db", health=health_on()) as tandem:
            assert await get(tandem.app, "/ready") == (200, "ready\n")
            await server.invoke_command(zoe, guild, "tandem", subcommand="join")
            await answer_until_done(
                tandem, zoe, AnswerPolicy(texts={**TEXTS, "offer_text": ANSWER})
            )
            status, metrics = await get(tandem.app, "/metrics")
            assert status == 200
            assert 'tandem_adapter_connected{adapter="discord"} 1.0' in metrics
            assert 'tandem_events_handled_total{adapter="discord",kind="command"} 1.0' in metrics
    records = [json.loads(line) for line in logs.lines]
    assert logs.leaks(ANSWER, server.token) == []
    # Every record made while an event was handled names its adapter, community, kind and id.
    about_events = [r for r in records if "event_id" in r]
    assert {"command", "choice"} <= {r["event"] for r in about_events}
    assert all(r["adapter"] == "discord" and r["community"] == "discord" for r in about_events)
