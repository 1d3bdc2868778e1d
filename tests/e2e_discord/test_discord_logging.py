"""Logs on Discord, end to end through the loopback Discord: at DEBUG, a join writes no answer,
no member name and no token; discord.py's HTTP, gateway and webhook loggers (which log request
bodies, gateway payloads and URLs with interaction tokens) speak only when asked for by name,
and even then every token is masked."""

from __future__ import annotations

import pytest

from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import TEXTS, AnswerPolicy, answer_until_done, running_tandem
from tests.support.log_capture import debug_logging

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(90)]

ANSWER = "Quallen-Geheimnis-8841"
NAME = "Zoë-Quartermaine"


async def join_at_debug(server: LoopbackDiscord, tmp_path, debug_loggers: list[str]) -> str:
    """Everything logged while a member joins; fails if a token or interaction token leaked."""
    guild = server.add_guild()
    zoe = server.add_member(guild, NAME)
    with debug_logging(debug_loggers=debug_loggers, secrets=[server.token]) as logs:
        async with running_tandem(server, guild, tmp_path / "t.db") as tandem:
            await server.invoke_command(zoe, guild, "tandem", subcommand="join")
            await answer_until_done(
                tandem, zoe, AnswerPolicy(texts={**TEXTS, "offer_text": ANSWER})
            )
    interaction_tokens = list(server.world.interactions_by_token)
    assert interaction_tokens
    assert logs.leaks(server.token, *interaction_tokens) == []
    return logs.text


async def test_a_join_at_debug_logs_no_answer_no_name_and_no_token(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    text = await join_at_debug(loopback_discord, tmp_path, debug_loggers=[])
    assert "DEBUG" in text or "INFO" in text
    assert ANSWER not in text
    assert NAME not in text
    assert "discord.http" not in text


async def test_discord_http_asked_for_by_name_speaks_with_its_tokens_masked(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    loggers = ["discord.http", "discord.gateway", "discord.webhook"]
    text = await join_at_debug(loopback_discord, tmp_path, debug_loggers=loggers)
    # They speak (with members' data: the operator asked for it) ...
    assert "discord.http" in text
    assert ANSWER in text
    # ... and the interaction tokens in gateway events and in callback URLs are masked.
    assert "'token': '[redacted]'" in text
    assert "/callback" in text
    assert "/[redacted]/callback" in text
