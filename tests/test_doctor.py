"""``tandem doctor`` for the config and the database (issue 15): an unreachable database, an
unmigrated one (fresh, behind, or from a newer Tandem), a missing file, a user who may not
write, a config that does not parse, each said with its fix and an exit status that is not 0;
all well, 0. Discord and Matrix: tests/e2e_discord and tests/e2e_matrix, test_*_doctor.py."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import uuid
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command

from bot import doctor as bot_doctor
from bot.cli import EXIT_CONFIG, main
from bot.doctor import EXIT_UNWELL
from store.migrate import alembic_config, head_revision
from tests.conftest import POSTGRES_DSN, postgres_database
from tests.support.doctor import Doctor, toml

MIGRATE = "Run `tandem migrate` (`tandem run` also migrates when it starts)."


def doctor(
    capsys: pytest.CaptureFixture[str], folder: Path, url: str, **sections: dict[str, object]
) -> Doctor:
    config = folder / "tandem.toml"
    config.write_text(toml({"database": {"url": url}, **sections}), encoding="utf-8")
    capsys.readouterr()
    status = main(["--config", str(config), "doctor"])
    return Doctor(status, capsys.readouterr().out)


def migrated(folder: Path) -> str:
    database = folder / "tandem.db"
    assert main(["migrate", "--db", str(database)]) == 0
    return f"sqlite+aiosqlite:///{database}"


def closed_port() -> int:
    """A port on loopback where nobody listens (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_all_is_well_with_a_migrated_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = migrated(tmp_path)
    said = doctor(capsys, tmp_path, url)
    assert said.status == 0, said.out
    where = f"the SQLite file {tmp_path / 'tandem.db'}"
    assert said.out.splitlines() == [
        "tandem doctor:",
        f"  ok    config: read {tmp_path / 'tandem.toml'}; adapters enabled: none (console)",
        f"  ok    database: {where} answers",
        f"  ok    database: the schema is at the newest revision ({head_revision()})",
        "  ok    database: writable (a test write was rolled back)",
        "All is well.",
    ]


def test_an_unreachable_database_is_named_with_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    said = doctor(capsys, tmp_path, f"postgresql+asyncpg://tandem@127.0.0.1:{port}/tandem")
    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  database: cannot reach PostgreSQL at 127.0.0.1:{port}: the connection was refused"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "Is PostgreSQL running and listening on that host and port? Check database.url (in "
        "tandem.toml or TANDEM_DATABASE__URL)."
    )
    assert said.out.rstrip().endswith("1 problem to fix, 0 warnings.")


def test_a_fresh_database_file_is_unmigrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "fresh.db"
    database.touch()
    said = doctor(capsys, tmp_path, f"sqlite+aiosqlite:///{database}")
    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  database: the SQLite file {database} has no schema yet (this Tandem needs "
        f"revision {head_revision()})"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == MIGRATE
    # The test write was rolled back: the file is as empty as before.
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_database_behind_the_code_is_unmigrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "tandem.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    engine.dispose()
    said = doctor(capsys, tmp_path, f"sqlite+aiosqlite:///{database}")
    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  database: the SQLite file {database} is at schema revision 0005; this Tandem "
        f"needs {head_revision()}"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == MIGRATE
    assert said.lines("ok    database: writable") != []


def test_a_missing_database_file_is_not_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "none.db"
    said = doctor(capsys, tmp_path, f"sqlite+aiosqlite:///{database}")
    assert said.status == EXIT_UNWELL
    finding = f"FAIL  database: the SQLite file {database} does not exist"
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == f"{MIGRATE} It creates the file."
    assert not database.exists()


def test_a_database_path_that_is_a_folder_is_named_with_a_file_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "does not exist, run tandem migrate": migrate cannot make a file where a folder is."""
    folder = tmp_path / "data"
    folder.mkdir()
    said = doctor(capsys, tmp_path, f"sqlite+aiosqlite:///{folder}")
    assert said.status == EXIT_UNWELL
    finding = f"FAIL  database: the SQLite file {folder} is a folder, not a file"
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        f"Point database.url at a file in it: sqlite+aiosqlite:///{folder}/tandem.db"
    )


def test_a_database_of_a_newer_tandem_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = migrated(tmp_path)
    with sqlite3.connect(tmp_path / "tandem.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999'")
    said = doctor(capsys, tmp_path, url)
    assert said.status == EXIT_UNWELL
    (finding,) = said.lines("FAIL")
    assert finding.endswith(
        "is at schema revision '0999', which this Tandem does not know (it knows up to "
        f"'{head_revision()}'): a newer Tandem wrote it"
    )
    assert said.fix_after(finding) == "Upgrade Tandem, or point database.url at another database."


def test_a_config_that_does_not_parse_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text('[database]\nurl = "sqlite+aiosqlite:///x.db"\nenabled true\n', "utf-8")
    status = main(["--config", str(config), "doctor"])
    said = Doctor(status, capsys.readouterr().out)
    assert said.status == EXIT_CONFIG
    (finding,) = said.lines("FAIL")
    assert finding.startswith(f"FAIL  config: {config}: not valid TOML: ")
    assert finding.endswith("(at line 3, column 9)")
    assert said.fix_after(finding).startswith("Correct it (config.example.toml has every key")


def test_config_warnings_are_warnings_and_the_exit_status_stays_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_DISCORD__TOKEN", "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7")
    said = doctor(capsys, tmp_path, migrated(tmp_path))
    assert said.status == 0, said.out
    finding = (
        "warn  config: discord.token is set (from environment variable TANDEM_DISCORD__TOKEN) "
        "but discord is not enabled, so the Discord adapter does not run"
    )
    assert said.lines("warn") == [finding]
    assert said.fix_after(finding) == "set [discord] enabled = true to run it"
    assert said.out.rstrip().endswith("All is well, with 1 warning.")


@pytest.mark.postgres
async def test_a_user_who_may_not_write_is_told_to_get_the_rights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"tandem_ro_{uuid.uuid4().hex[:8]}"
    async with postgres_database() as database:
        admin = await asyncpg.connect(POSTGRES_DSN, timeout=5)
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            url = sa.make_url(database.url).set(username=role, password=None)
            said = await asyncio.to_thread(
                doctor, capsys, tmp_path, url.render_as_string(hide_password=False)
            )
        finally:
            await admin.execute(f'DROP ROLE "{role}"')
            await admin.close()
    assert said.status == EXIT_UNWELL
    (finding,) = [line for line in said.lines("FAIL") if "cannot write" in line]
    assert finding.endswith(": permission denied for schema public")
    assert said.fix_after(finding).startswith("Let the bot's user write there")


def test_an_unreachable_homeserver_is_named_with_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    homeserver = f"http://127.0.0.1:{closed_port()}"
    matrix = {
        "enabled": True,
        "homeserver": homeserver,
        "user_id": "@tandem:example.org",
        "password": "a-password-4711",
        "community_room": "!community:example.org",
        "organizer_room": "!organizers:example.org",
    }
    said = doctor(
        capsys, tmp_path, migrated(tmp_path), bot={"data_dir": str(tmp_path)}, matrix=matrix
    )
    assert said.status == EXIT_UNWELL
    (finding,) = said.lines("FAIL")
    assert finding.startswith(f"FAIL  matrix: cannot reach the homeserver {homeserver} (")
    assert said.fix_after(finding).startswith("Check matrix.homeserver (its client URL")
    assert "a-password-4711" not in said.out


def test_a_check_that_breaks_is_a_finding_and_the_others_still_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        @classmethod
        async def diagnose(cls, settings: object) -> list[object]:
            raise RuntimeError("an answer nobody expected")

    monkeypatch.setattr(bot_doctor, "load_adapter_class", lambda name: Broken)
    matrix = {"enabled": True, "homeserver": "http://x", "user_id": "@t:x", "password": "pw-4711"}
    said = doctor(capsys, tmp_path, migrated(tmp_path), matrix=matrix)
    assert said.status == EXIT_UNWELL
    finding = (
        "FAIL  matrix: the check stopped on an unexpected error (RuntimeError: an answer nobody "
        "expected)"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "run `tandem --debug doctor` to see where, and include that in a report"
    )
    assert len(said.lines("ok    database:")) == 3


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "postgresql+asyncpg://tandem:pw-9f3e-secret@127.0.0.1:5432/tandem?sslmode=require",
            "database: url has the query parameter sslmode, which PostgreSQL's driver (asyncpg) "
            "does not take: write ssl=require instead of sslmode=require",
        ),
        (
            "postgresql+asyncpg://tandem:pw-9f3e-secret@127.0.0.1:54x2/tandem",
            "database: url is not a valid URL (Port could not be cast to integer value as "
            "'54x2'): write postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
        (
            "postgresql+asyncpg://tandem:pw-9f3e-secret@[::1:5432/tandem",
            "database: url is not a valid URL (Invalid IPv6 URL): write "
            "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
    ],
)
def test_a_database_url_of_the_wrong_form_is_a_config_error_that_says_what_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, said: str
) -> None:
    found = doctor(capsys, tmp_path, url)
    assert found.status == EXIT_CONFIG, found.out
    assert f"- {said} (from {tmp_path / 'tandem.toml'})" in found.out
    assert "pw-9f3e-secret" not in found.out


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_a_health_endpoint_off_loopback_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    health = {"enabled": True, "host": host, "port": 9187}
    said = doctor(capsys, tmp_path, migrated(tmp_path), health=health)
    assert said.status == 0, said.out
    finding = (
        f"warn  config: health.host is {host}, not loopback: the health endpoint has no "
        "authentication, so anyone who reaches port 9187 of this machine reads /metrics "
        "(counts of members, events, tandems) and can load the database with requests"
    )
    assert said.lines("warn") == [finding]
    assert said.fix_after(finding) == (
        'set health.host = "127.0.0.1" (a scraper on another machine: let a firewall admit '
        "only it to port 9187)"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.53"])
def test_a_health_endpoint_on_loopback_is_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    health = {"enabled": True, "host": host}
    said = doctor(capsys, tmp_path, migrated(tmp_path), health=health)
    assert said.lines("warn") == []
