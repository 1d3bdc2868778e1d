"""What an operator is told when Tandem cannot start (issue 13): the cause and the fix in one
paragraph, the traceback only with --debug; which adapters ``tandem run`` starts; config errors
that name their source in plain words."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.cli import EXIT_CONFIG, EXIT_DATABASE, main
from bot.config import ConfigError, load_settings
from store.migrate import alembic_config, head_revision
from tests.conftest import POSTGRES_DSN, postgres_missing

TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


def one_paragraph(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_a_closed_postgresql_port_names_the_cause_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TANDEM_DATABASE__URL", "postgresql+asyncpg://tandem@127.0.0.1:1/tandem")
    assert main(["migrate"]) == EXIT_DATABASE
    said = one_paragraph(capsys.readouterr().err)
    assert said == (
        "tandem: cannot reach PostgreSQL at 127.0.0.1:1: the connection was refused. Is "
        "PostgreSQL running and listening on that host and port? Check database.url (in "
        "tandem.toml or TANDEM_DATABASE__URL)."
    )


def test_the_traceback_comes_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TANDEM_DATABASE__URL", "postgresql+asyncpg://tandem@127.0.0.1:1/tandem")
    assert main(["--debug", "migrate"]) == EXIT_DATABASE
    error = capsys.readouterr().err
    assert "Traceback" in error
    assert error.rstrip().endswith("Check database.url (in tandem.toml or TANDEM_DATABASE__URL).")


@pytest.mark.postgres
def test_a_wrong_database_user_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    host = POSTGRES_DSN.split("@")[-1].removeprefix("postgresql://")
    url = f"postgresql+asyncpg://no_such_tandem_user@{host}"
    monkeypatch.setenv("TANDEM_DATABASE__URL", url)
    code = main(["migrate"])
    said = one_paragraph(capsys.readouterr().err)
    if "cannot reach" in said:
        postgres_missing(f"PostgreSQL at {POSTGRES_DSN} is not reachable")
    assert code == EXIT_DATABASE
    assert "has no user 'no_such_tandem_user'. Create it (createuser no_such_tandem_user)" in said


def test_a_sqlite_url_without_a_file_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TANDEM_DATABASE__URL", "sqlite+aiosqlite:///")
    assert main(["migrate"]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "database: url names no database file: write sqlite+aiosqlite:///tandem.db" in error
    assert "(from environment variable TANDEM_DATABASE__URL)" in error
    assert "sqlite+aiosqlite:///tandem.db" in error


def test_a_sqlite_file_that_cannot_be_made_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    assert main(["migrate", "--db", str(blocker / "tandem.db")]) == EXIT_DATABASE
    said = one_paragraph(capsys.readouterr().err)
    assert said.startswith(f"tandem: cannot open the SQLite file {blocker / 'tandem.db'}:")
    assert "Check that its folder exists or can be made" in said


def test_a_missing_folder_is_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "new" / "folder" / "tandem.db"
    assert main(["migrate", "--db", str(database)]) == 0
    assert database.exists()


def test_migrate_says_from_which_revision_to_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "tandem.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    engine.dispose()
    assert main(["migrate", "--db", str(database)]) == 0
    head = head_revision()
    assert capsys.readouterr().out == (
        f"tandem: the database schema went from revision 0005 to {head}\n"
    )
    assert main(["migrate", "--db", str(database)]) == 0
    assert capsys.readouterr().out == (
        f"tandem: the database schema is up to date (revision {head}); nothing to do\n"
    )


def test_run_says_what_it_starts_and_warns_about_a_token_of_an_adapter_that_is_off(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text(
        (Path(__file__).parents[1] / "config.example.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    monkeypatch.setenv("TANDEM_DISCORD__TOKEN", TOKEN)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["--config", str(config), "run"]) == EXIT_CONFIG
    notes = capsys.readouterr().err.splitlines()
    assert notes[0] == (
        f"tandem: no adapter is enabled ({config}): starting the console. To run on Discord "
        "or Matrix, set enabled = true in its section of tandem.toml (or "
        "TANDEM_DISCORD__ENABLED=true / TANDEM_MATRIX__ENABLED=true)."
    )
    assert notes[1] == (
        "tandem: warning: discord.token is set (from environment variable TANDEM_DISCORD__TOKEN) "
        "but discord is not enabled, so the Discord adapter does not run; set [discord] "
        "enabled = true to run it"
    )
    # No terminal and no adapter: said plainly, instead of a console reading nothing.
    assert notes[2].startswith("tandem: nothing to run: no adapter is enabled, and without a")


def test_config_errors_name_their_source_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text(
        '[console]\nenabled = "yes"\n[bot]\nlog_level = "LOUD"\n[discord]\nguild_id = 1\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TANDEM_MATRIX__ENABLED", "maybe")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    lines = str(caught.value).splitlines()
    assert lines[0] == "the configuration has 4 problem(s):"
    assert sorted(lines[1:]) == sorted(
        [
            f"  - console.enabled: must be true or false (from {config})",
            "  - bot.log_level: must be one of 'DEBUG', 'INFO', 'WARNING' or 'ERROR', not "
            f"'LOUD' (from {config})",
            "  - discord.guild_id: is not a setting Tandem knows; check its spelling and "
            f"section (config.example.toml lists every key) (from {config})",
            "  - matrix.enabled: must be true or false (from environment variable "
            "TANDEM_MATRIX__ENABLED)",
        ]
    )


def test_lists_from_the_environment_may_be_comma_separated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANDEM_DISCORD__GUILD_IDS", "123,456")
    monkeypatch.setenv("TANDEM_DISCORD__ADMIN_ROLE_IDS", "[7, 8]")
    settings = load_settings(None)
    assert settings.discord.guild_ids == [123, 456]
    assert settings.discord.admin_role_ids == [7, 8]
    monkeypatch.setenv("TANDEM_DISCORD__ENABLED", "true")
    monkeypatch.setenv("TANDEM_DISCORD__TOKEN", TOKEN)
    assert load_settings(None).discord.enabled is True
