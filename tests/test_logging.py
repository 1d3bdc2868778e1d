"""Logs never hold what members wrote, their names or secrets, even at DEBUG: the libraries stay
quiet unless asked for by name, and secrets are masked in every record."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.cli import build_parser
from bot.clock import FakeClock
from bot.logs import log_context
from tests.conftest import Database, settings_for
from tests.support.log_capture import debug_logging
from tests.support.onboarding import TRANSCRIPT, play_on_memory

ANSWER = "Quallen-Geheimnis-8841"
NAME = "Zoë Quartermaine"
DISCORD_TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


@asynccontextmanager
async def zoe_joins(database: Database, clock: FakeClock) -> AsyncIterator[MemoryAdapter]:
    """An app on the memory adapter where Zoë joins, typing ``ANSWER`` as her offer; the block
    runs after the join, the app still running."""
    transcript = tuple(
        replace(turn, text=ANSWER) if turn.asked == "join.ask_offer_text" else turn
        for turn in TRANSCRIPT
    )
    app = App(settings_for(database.url), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        memory = app.adapters["memory"]
        assert isinstance(memory, MemoryAdapter)
        zoe = memory.member("zoe").model_copy(update={"display_name": NAME})
        await memory.command(zoe, "join")
        await play_on_memory(memory, zoe, transcript, typed=True)
        await memory.command(zoe, "profile")
        yield memory
    finally:
        await app.stop()


async def test_a_join_at_debug_logs_no_answer_and_no_name(
    sqlite_db: Database, clock: FakeClock
) -> None:
    with debug_logging() as logs:
        async with zoe_joins(sqlite_db, clock):
            pass
    assert logs.lines, "nothing was logged at all: the capture is not working"
    assert logs.leaks(ANSWER, NAME, "Europe/Vienna") == []


async def test_a_library_logger_asked_for_by_name_speaks_and_the_rest_stay_quiet(
    sqlite_db: Database, clock: FakeClock
) -> None:
    with debug_logging(debug_loggers=["sqlalchemy.engine"]) as logs:
        app = App(settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"])
        await app.start()
        try:
            memory = app.adapters["memory"]
            assert isinstance(memory, MemoryAdapter)
            await memory.command(memory.member("zoe"), "join")
        finally:
            await app.stop()
    assert "INSERT INTO members" in logs.text
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.WARNING


def test_secrets_are_masked_in_any_record_and_any_traceback() -> None:
    with debug_logging(secrets=["hunter2-database-password"]) as logs:
        log = logging.getLogger("aiohttp.client")
        log.warning("GET /gateway headers={'Authorization': 'Bot %s'}", DISCORD_TOKEN)
        log.warning("login answered %s", {"access_token": "syt_Ym90_aBcDeF_1x2y3z", "x": 1})
        log.warning("POST /_matrix/client/v3/login body=%s", '{"password": "pw-of-the-bot"}')
        log.warning("PATCH /api/v10/webhooks/1234/aW50ZXJhY3Rpb246MTIz/messages/@original")
        try:
            raise ValueError(
                "could not connect to postgresql://tandem:hunter2-database-password@db"
            )
        except ValueError:
            logging.getLogger("store").exception("store failed")
    for secret in (
        DISCORD_TOKEN,
        "syt_Ym90_aBcDeF_1x2y3z",
        "pw-of-the-bot",
        "aW50ZXJhY3Rpb246MTIz",
        "hunter2-database-password",
    ):
        assert logs.leaks(secret) == [], secret
    assert logs.text.count("[redacted]") >= 5
    assert "/webhooks/1234/[redacted]/messages/@original" in logs.text


def test_the_cli_takes_debug_loggers_by_name() -> None:
    args = build_parser().parse_args(
        ["--debug-logger", "sqlalchemy.engine", "--debug-logger", "nio", "run"]
    )
    assert args.debug_loggers == ["sqlalchemy.engine", "nio"]


async def test_json_logs_are_one_object_a_line_with_the_ids_and_never_the_contents(
    sqlite_db: Database, clock: FakeClock
) -> None:
    with debug_logging(secrets=[DISCORD_TOKEN], log_format="json") as logs:
        async with zoe_joins(sqlite_db, clock):
            # What a library might write while an event is handled, token and all.
            with log_context(community="memory", adapter="memory", event="text", event_id="ev-1"):
                logging.getLogger("discord.http").warning("GET /gateway token=%s", DISCORD_TOKEN)
                try:
                    raise RuntimeError(f"refused {DISCORD_TOKEN}")
                except RuntimeError:
                    logging.getLogger("bot.app").exception("failed to handle a text event")
    records = [json.loads(line) for line in logs.lines]
    assert records, "nothing was logged at all: the capture is not working"
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    assert logs.leaks(ANSWER, NAME, DISCORD_TOKEN) == []
    failed = next(r for r in records if r["message"] == "failed to handle a text event")
    assert failed["level"] == "ERROR"
    assert failed["event_id"] == "ev-1"
    assert "RuntimeError: refused [redacted]" in failed["exception"]
    # Records made while the bot handled one of zoe's events name it, and the community.
    about_events = [r for r in records if r.get("event_id", "ev-1") != "ev-1"]
    assert about_events, "no record names the event it was made for"
    assert all(r["adapter"] == "memory" and r["community"] == "memory" for r in about_events)
    assert {"command", "text"} <= {r["event"] for r in about_events}


def test_the_cli_takes_a_log_format() -> None:
    assert build_parser().parse_args(["--log-format", "json", "run"]).log_format == "json"
    assert build_parser().parse_args(["run"]).log_format is None


def test_json_logs_carry_python_warnings_as_json_lines() -> None:
    """A library's warning (SQLAlchemy's about a URL argument, a deprecation) would otherwise be
    written to stderr as two plain lines among the JSON ones."""
    with debug_logging(log_format="json") as logs, warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("an argument is ignored", UserWarning, stacklevel=1)
    (record,) = [json.loads(line) for line in logs.lines]
    assert record["logger"] == "py.warnings"
    assert record["level"] == "WARNING"
    assert "UserWarning: an argument is ignored" in record["message"]
