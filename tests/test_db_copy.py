"""``tandem db copy``: a community's SQLite database with a row in every table, copied while
its bot is running into a fresh PostgreSQL database, loses nothing (every table compared row by
row, and through the repositories), leaves the SQLite file as it was, and refuses a target that
is not empty."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import FakeClock
from store import Store
from store.schema import metadata
from tests.conftest import AppFactory, Database, postgres_database
from tests.support.full_database import NOTE, REPORT, fill_every_table

pytestmark = pytest.mark.postgres


def file_state(path: Path) -> dict[str, str]:
    """The bytes of the SQLite file and its write-ahead log, as digests, and the file's mode."""
    state = {
        suffix: hashlib.sha256(path.with_name(path.name + suffix).read_bytes()).hexdigest()
        for suffix in ("", "-wal")
        if path.with_name(path.name + suffix).exists()
    }
    return {**state, "mode": oct(path.stat().st_mode)}


async def table_dump(store: Store, name: str) -> list[str]:
    return sorted(
        json.dumps(row, default=str, sort_keys=True, ensure_ascii=False)
        for row in await store.dump_table(name)
    )


async def test_copy_of_every_kind_of_row_loses_nothing(
    make_app: AppFactory,
    sqlite_db: Database,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = await make_app("memory")  # keeps running through the copy
    filled = await fill_every_table(app, clock)
    sqlite_file = Path(sqlite_db.url.removeprefix("sqlite+aiosqlite:///"))
    # What the log holds is in the database file already: the bot's background checkpoints
    # (store/sqlite_checkpoints.py) have nothing left to change in it while the copy runs.
    assert await app.store.connections.empty_write_ahead_log()
    before = file_state(sqlite_file)

    async with postgres_database() as target:
        code = await asyncio.to_thread(
            main, ["--debug", "db", "copy", "--db", str(sqlite_file), "--to", target.url]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        lines = out.splitlines()
        assert lines[0].split() == ["table", "SQLite", "rows", "PostgreSQL", "checksum", "result"]
        rows = {
            line.split()[0]: line.split() for line in lines[1:] if not line.startswith("tandem:")
        }
        assert set(rows) == {table.name for table in metadata.sorted_tables}
        for name, (_, source_rows, target_rows, _checksum, result) in rows.items():
            assert (source_rows, result) == (target_rows, "same"), name
        assert "every table matches" in out
        # The running bot's file is as it was, mode and all.
        assert file_state(sqlite_file) == before

        copied = await Store.open(target.url, migrate=False)
        try:
            # Row by row, every table, as the store reads it.
            for table in metadata.sorted_tables:
                assert await table_dump(copied, table.name) == await table_dump(
                    app.store, table.name
                ), table.name
            # Through the repositories, as the bot will read it.
            ana = await copied.members.get(filled.ana_id)
            assert ana is not None
            assert ana.platform_user_id == "ana"
            assert [n.text for n in await copied.notes.of(filled.ana_id)] == [NOTE]
            agreement = await copied.agreements.for_tandem(filled.tandem_id)
            assert agreement is not None
            assert agreement.state == "agreed"
            report = await copied.reports.get(ana.community_id, 1)
            assert report is not None
            assert report.text == REPORT
            # The id sequences continue after the copied ids.
            top = max(row["id"] for row in await copied.dump_table("members"))
            new = await copied.members.ensure("memory", "memory", "newcomer", now=clock.now())
            assert new.id == top + 1
        finally:
            await copied.close()

        # A second copy into the same (no longer empty) database is refused; nothing changes.
        code = await asyncio.to_thread(
            main, ["--debug", "db", "copy", "--db", str(sqlite_file), "--to", target.url]
        )
        captured = capsys.readouterr()
        assert code == 3
        assert "the target database is not empty (it has the tables " in captured.err
        assert "only fills an empty database" in captured.err
