"""``tandem db backup`` and ``tandem db restore`` on SQLite: a backup made while a writer keeps
committing holds everything committed before it began and is consistent; a restore puts a
backup back exactly (an older schema upgraded), keeps the replaced file, and refuses what it
must not do."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.cli import main
from bot.clock import FakeClock
from store import Store
from store.migrate import alembic_config, head_revision
from store.schema import consents, members, metadata
from store.sqlite_files import check_backup, integrity_problems, read_only
from tests.conftest import AppFactory, Database
from tests.support.full_database import fill_every_table


def sqlite_file(database: Database) -> Path:
    return Path(database.url.removeprefix("sqlite+aiosqlite:///"))


async def write_pairs(
    store: Store, committed: list[int], started: asyncio.Event, stop: asyncio.Event
) -> None:
    """Commit a member and their consent in one transaction, again and again; ``started`` is
    set after the 300th."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    while not stop.is_set():
        async with store.connections.write() as connection:
            member_id = (
                await connection.execute(
                    members.insert()
                    .values(
                        community_id="load",
                        platform="memory",
                        platform_user_id=f"writer-{len(committed)}",
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(members.c.id)
                )
            ).scalar_one()
            await connection.execute(
                consents.insert().values(
                    community_id="load", member_id=member_id, notice_version="v", given_at=now
                )
            )
        committed.append(member_id)
        if len(committed) == 300:
            started.set()


async def test_a_backup_under_write_load_keeps_everything_committed_before_it(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await sqlite_db.open_store()
    committed: list[int] = []
    started, stop = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(write_pairs(store, committed, started, stop))
    try:
        await started.wait()
        before = list(committed)
        folder = tmp_path / "backups"
        folder.mkdir()
        code = await asyncio.to_thread(
            main, ["db", "backup", "--db", str(sqlite_file(sqlite_db)), str(folder)]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        after = list(committed)
    finally:
        stop.set()
        await writer
        await store.close()

    (backup,) = folder.iterdir()
    assert backup.name.startswith("tandem-")
    assert backup.suffix == ".db"
    assert out.startswith(f"tandem: backed up {sqlite_file(sqlite_db)} to {backup} (")
    assert "integrity checked" in out
    assert backup.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in folder.iterdir()] == [backup.name]  # one file, no -wal beside it
    connection = read_only(backup)
    try:
        assert integrity_problems(connection) == []
        ids = [row[0] for row in connection.execute("SELECT id FROM members ORDER BY id")]
        with_consent = {row[0] for row in connection.execute("SELECT member_id FROM consents")}
    finally:
        connection.close()
    # Everything committed before the backup began is in it ...
    assert set(before) <= set(ids)
    # ... and it is one moment of the database: the writer's first rows without a gap, never a
    # member without the consent committed with them, nothing the writer never committed.
    assert ids == committed[: len(ids)]
    assert len(ids) <= len(after)
    assert with_consent == set(ids)


async def all_rows(store: Store) -> dict[str, list[str]]:
    return {
        table.name: sorted(
            json.dumps(row, default=str, sort_keys=True)
            for row in await store.dump_table(table.name)
        )
        for table in metadata.sorted_tables
    }


async def test_restore_puts_a_backup_back_and_keeps_the_replaced_database(
    make_app: AppFactory,
    sqlite_db: Database,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = sqlite_file(sqlite_db)
    app = await make_app("memory")
    filled = await fill_every_table(app, clock)
    saved = await all_rows(app.store)
    backup = tmp_path / "saved.db"
    assert await asyncio.to_thread(main, ["db", "backup", "--db", str(database), str(backup)]) == 0
    capsys.readouterr()

    # Restoring under the running bot is refused, and changes nothing.
    code = await asyncio.to_thread(main, ["db", "restore", "--db", str(database), str(backup)])
    assert code == 3
    assert "is open in another program (a running bot?): stop it first" in capsys.readouterr().err

    # After the backup, Ana is forgotten; then the bot stops and the backup is put back.
    ana = await app.store.members.get(filled.ana_id)
    assert ana is not None
    await app.store.privacy.forget(ana)
    changed = await all_rows(app.store)
    await app.stop()
    code = await asyncio.to_thread(main, ["db", "restore", "--db", str(database), str(backup)])
    out = capsys.readouterr().out
    assert code == 0, out
    kept = database.with_name("tandem.db.before-restore")
    assert out == (
        f"tandem: restored {backup} (2 members, schema revision {head_revision()}) as "
        f"{database}; the replaced database is kept as {kept}\n"
    )
    restored = await Store.open(sqlite_db.url)
    try:
        assert await all_rows(restored) == saved
    finally:
        await restored.close()
    replaced = await Store.open(f"sqlite+aiosqlite:///{kept}")
    try:
        assert await all_rows(replaced) == changed
    finally:
        await replaced.close()
    assert database.stat().st_mode & 0o777 == 0o600

    # A second restore would overwrite the kept file: refused until it is moved away.
    code = await asyncio.to_thread(main, ["db", "restore", "--db", str(database), str(backup)])
    assert code == 3
    assert "tandem.db.before-restore exists from an earlier restore" in capsys.readouterr().err


async def test_restore_upgrades_an_older_backup_and_refuses_what_is_no_tandem_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "tandem.db"
    old = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{old}")
    with engine.begin() as connection:
        config = alembic_config(connection)
        command.upgrade(config, "0009")
    engine.dispose()
    assert check_backup(old).revision == "0009"
    code = await asyncio.to_thread(main, ["db", "restore", "--db", str(database), str(old)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"schema revision 0009, upgraded to {head_revision()})" in out
    assert "kept as" not in out  # there was no database to replace
    assert check_backup(database).revision == head_revision()

    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE things (x)").connection.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(old.read_bytes()[:8192] + b"\x00" * 4096 + old.read_bytes()[12288:])
    for path, reason in (
        (not_sqlite, f"{not_sqlite} is not an SQLite database file"),
        (other, f"{other} is an SQLite file but not a Tandem database"),
        (damaged, f"{damaged} fails SQLite's integrity check"),
        (tmp_path / "missing.db", f"there is no database file at {tmp_path / 'missing.db'}"),
    ):
        code = await asyncio.to_thread(main, ["db", "restore", "--db", str(database), str(path)])
        assert code == 3, path
        assert reason in capsys.readouterr().err
    assert check_backup(database).revision == head_revision()  # untouched by the refusals


async def test_backup_refuses_a_missing_folder_and_points_postgresql_to_pg_dump(
    sqlite_db: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = await sqlite_db.open_store()
    await store.close()
    database = str(sqlite_file(sqlite_db))
    missing = f"{tmp_path / 'backups'}/"
    assert await asyncio.to_thread(main, ["db", "backup", "--db", database, missing]) == 3
    assert f"there is no folder {tmp_path / 'backups'}; make it first" in capsys.readouterr().err
    assert not (tmp_path / "backups").exists()

    monkeypatch.setenv("TANDEM_DATABASE__URL", "postgresql+asyncpg://127.0.0.1:5432/tandem")
    for action in ("backup", "restore"):
        code = await asyncio.to_thread(main, ["db", action, str(tmp_path / "x.db")])
        assert code == 3
        assert "back PostgreSQL up with its own tools: pg_dump" in capsys.readouterr().err
