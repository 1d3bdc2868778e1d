"""The background checkpoints of a SQLite store (store/sqlite_checkpoints.py): what the
write-ahead log holds reaches the database file without the writer copying it, and closing the
store ends the thread."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store.sqlite_checkpoints import Checkpointer
from tests.conftest import Database

ROWS = 200
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _rows_in_the_database_file(path: Path, copy: Path) -> int:
    """How many rows the database file itself holds, the log left aside: a copy of the file
    alone, opened where no log lies beside it."""
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE name = 'notes'")
        if tables.fetchone() is None:
            return 0
        return connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    finally:
        connection.close()
        for leftover in copy.parent.glob(copy.name + "*"):
            leftover.unlink()


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "sqlite-checkpoints"]


def test_what_the_log_holds_reaches_the_database_file_without_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "tandem.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the writer never copies the log itself
    writer.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    for number in range(ROWS):
        writer.execute("INSERT INTO notes (text) VALUES (?)", (f"note {number}",))
    copy = tmp_path / "copy.db"
    assert _rows_in_the_database_file(path, copy) == 0  # all of it is in the log so far

    checkpointer = Checkpointer(str(path), every=0.01)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while _rows_in_the_database_file(path, copy) < ROWS and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows_in_the_database_file(path, copy) == ROWS
        # The writer goes on while the thread runs: its later rows follow.
        writer.execute("INSERT INTO notes (text) VALUES ('one more')")
        deadline = time.monotonic() + 10
        while _rows_in_the_database_file(path, copy) <= ROWS and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows_in_the_database_file(path, copy) == ROWS + 1
    finally:
        checkpointer.stop()
        writer.close()
    assert not checkpointer.running


async def test_a_sqlite_store_checkpoints_while_open_and_stops_when_closed(
    sqlite_db: Database,
) -> None:
    before = set(_checkpoint_threads())  # another test's store may not be closed yet
    store = await sqlite_db.open_store()
    try:
        started = set(_checkpoint_threads()) - before
        assert len(started) == 1
    finally:
        await store.close()
    assert not any(thread.is_alive() for thread in started)


def test_a_database_it_cannot_open_is_said_once_and_ends_the_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = Checkpointer(str(tmp_path / "missing" / "tandem.db"), every=0.01)
    with caplog.at_level(logging.WARNING, logger="store.sqlite_checkpoints"):
        checkpointer.start()
        checkpointer.stop()
    assert [record.getMessage() for record in caplog.records] == [
        "store: background checkpoints cannot open the database"
    ]
    assert not checkpointer.running


#: Held by another process for this long (seconds): SQLite's checkpoint lock, as a checkpoint
#: running elsewhere holds it (the background thread's, or another program's).
HELD_FOR = 0.02

# The checkpoint lock is byte 121 of the shared-memory file (SQLite's "WAL-mode File Format",
# section "The wal-index": locks at bytes 120-127, the checkpointer's the second).
_HOLD_THE_CHECKPOINT_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX, 1, 121, os.SEEK_SET)  # waits out the store's own checkpoint
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


async def test_emptying_the_log_waits_out_a_checkpoint_that_is_running(
    sqlite_db: Database,
) -> None:
    """Forget empties the log with a truncating checkpoint, which SQLite refuses at once while
    another checkpoint runs: it is tried again, and the log ends up empty."""
    store = await sqlite_db.open_store()
    try:
        await store.members.ensure("c1", "memory", "m1", now=NOW)
        path = Path(sqlite_db.url.removeprefix("sqlite+aiosqlite:///"))
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _HOLD_THE_CHECKPOINT_LOCK,
            str(path.with_name(path.name + "-shm")),
            str(HELD_FOR),
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert await holder.stdout.readline() == b"held\n"
        assert await store.connections.empty_write_ahead_log()
        assert await holder.wait() == 0
        assert path.with_name(path.name + "-wal").stat().st_size == 0
    finally:
        await store.close()
