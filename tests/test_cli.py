"""The ``tandem`` command: help texts, migrate, and clear refusals."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_DATABASE, main


def test_help_explains_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "run the bot with the adapters enabled in the config" in text
    assert "chat with the bot in this terminal" in text
    assert "bring the database schema up to date" in text


def test_console_help_lists_the_console_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["console", "--help"])
    assert "/as NAME" in capsys.readouterr().out


def test_migrate_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "fresh.db"
    assert main(["migrate", "--db", str(database)]) == 0
    assert "tandem: created the database schema (revision 0" in capsys.readouterr().out
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"members", "conversations", "alembic_version"} <= tables


def test_a_database_from_a_newer_version_is_refused_with_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "future.db"
    assert main(["migrate", "--db", str(database)]) == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999'")
    assert main(["migrate", "--db", str(database)]) == EXIT_DATABASE
    error = capsys.readouterr().err
    assert "schema revision '0999'" in error
    assert "Upgrade Tandem" in error


def test_a_bad_config_is_refused_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text('[matrix]\nenabled = true\nhomeserver = "http://x"\n', encoding="utf-8")
    assert main(["--config", str(config), "run"]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "matrix: homeserver and user_id are required when matrix is enabled" in error


def test_migrate_needs_no_adapter_secrets_but_run_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text(
        '[matrix]\nenabled = true\nhomeserver = "http://x"\nuser_id = "@tandem:x"\n'
        "[discord]\nenabled = true\nguild_ids = [1]\n",
        encoding="utf-8",
    )
    database = tmp_path / "migrated.db"
    assert main(["--config", str(config), "migrate", "--db", str(database)]) == 0
    assert "created the database schema" in capsys.readouterr().out
    assert main(["--config", str(config), "run"]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "matrix: password or access_token is required" in error
    assert "discord: token is required" in error


def test_with_json_logs_what_stops_the_bot_is_a_json_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log collector reading stderr gets one JSON object a line, the CLI's notes included."""
    config = tmp_path / "tandem.toml"
    config.write_text(
        '[database]\nurl = "postgresql+asyncpg://tandem@127.0.0.1:1/tandem"\n'
        '[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:1"\n'
        'user_id = "@bot:example.org"\npassword = "bot-password-1"\n'
        'community_room = "#c:example.org"\norganizer_room = "#o:example.org"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "--log-format", "json", "run"]) == EXIT_DATABASE
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    said = [(r["level"], r["logger"], r["message"]) for r in records]
    assert said[0] == ("INFO", "bot.cli", f"starting the adapters enabled in {config}: matrix")
    level, logger, message = said[-1]
    assert (level, logger) == ("ERROR", "bot.cli")
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:1: the connection was refused")


def test_with_json_logs_a_config_error_is_a_json_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text("[health]\nport = 0\n", encoding="utf-8")
    assert main(["--config", str(config), "--log-format", "json", "run"]) == EXIT_CONFIG
    (record,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert record["level"] == "ERROR"
    assert record["message"].startswith("the configuration has 1 problem(s):\n  - health.port")
