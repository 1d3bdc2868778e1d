"""The SQLite file as a whole: a consistent backup while the bot runs, and putting one back.

:func:`backup` uses SQLite's online backup API (``sqlite3.Connection.backup``) on a read-only
connection: all pages are copied in one step, inside one read transaction, so the copy is the
database as it was at one moment even while the bot writes (WAL lets the writer go on). The copy
is a single self-contained file (rollback journal, no ``-wal``), private to the bot's user,
checked with ``PRAGMA integrity_check`` before it takes its final name.

:func:`restore` puts a backup back: it must be an SQLite file that passes the integrity check,
a Tandem database (Alembic's ``alembic_version`` and the ``members`` table) at a revision this
Tandem knows (an older one is upgraded to the newest). Nothing may hold the database open
(SQLite's own locks tell; see :func:`in_use`): restoring under a running bot would pull its data
away from under it. The replaced file is kept beside it as ``<name>.before-restore``.

These functions block; call them from a thread (``asyncio.to_thread``) in async code.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from store.db import Store
from store.migrate import head_revision, known_revisions

PRIVATE_FILE = 0o600
BEFORE_RESTORE = ".before-restore"
_HEADER = b"SQLite format 3\x00"


class Refused(Exception):
    """A database command refused to act; the message says why and what to do instead."""


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, or None for another database (or an in-memory one)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write to ``path`` (SQLite may add empty ``-wal``/``-shm`` files
    beside a WAL database to read it; the database file itself is not touched)."""
    if not path.is_file():
        raise Refused(f"there is no database file at {path}")
    with path.open("rb") as file:
        if file.read(len(_HEADER)) != _HEADER:
            raise Refused(f"{path} is not an SQLite database file")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong (nothing: an empty list)."""
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def revision_of(connection: sqlite3.Connection) -> str | None:
    """The Alembic revision of a Tandem database; None when it holds no Tandem schema."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if not {"alembic_version", "members"} <= tables:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str | None
    members: int
    size: int


def _members(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT count(*) FROM members").fetchone()[0]


def _new_private_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _copy_pages(database: Path, target: Path) -> None:
    """Every page of ``database`` into a new private file ``target``, in one step (one read
    transaction on the source), left as one file without a write-ahead log."""
    source = read_only(database)
    try:
        _new_private_file(target)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)  # pages=-1: all at once, from one snapshot
            destination.execute("PRAGMA journal_mode=DELETE")
            if problems := integrity_problems(destination):
                raise Refused(
                    f"the copy at {target} fails SQLite's integrity check: {problems[:3]}"
                )
        finally:
            destination.close()
        with target.open("rb") as file:
            os.fsync(file.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        source.close()


def backup(database: Path, path: Path, *, folder: bool = False) -> BackupInfo:
    """A consistent copy of ``database`` at ``path`` (a new file; a folder, or a path meant as
    one, gets ``tandem-<UTC time>.db`` in it), made while the bot may be writing."""
    if folder and not path.is_dir():
        raise Refused(
            f"there is no folder {path}; make it first (mode 0700: backups hold members' data)"
        )
    if path.is_dir():
        path = path / f"tandem-{datetime.now(UTC):%Y%m%d-%H%M%S}.db"
    if path.exists():
        raise Refused(f"{path} exists already; give a new file name (or a folder)")
    if path.resolve() == database.resolve():
        raise Refused("the backup cannot replace the database itself; give another path")
    partial = path.with_name(f".{path.name}.partial")
    _copy_pages(database, partial)
    partial.rename(path)
    copy = read_only(path)
    try:
        return BackupInfo(path, revision_of(copy), _members(copy), path.stat().st_size)
    finally:
        copy.close()


def in_use(database: Path) -> bool:
    """Whether another connection (a running bot, ``sqlite3`` in a shell) has the database
    open: every connection to a WAL database holds a shared lock, so an exclusive one fails."""
    if not database.exists():
        return False
    connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def check_backup(path: Path) -> BackupInfo:
    """``path`` as a backup Tandem can restore, or :class:`Refused` saying what is wrong."""
    connection = read_only(path)
    try:
        try:
            problems = integrity_problems(connection)
            revision = revision_of(connection)
        except sqlite3.DatabaseError as error:
            problems, revision = [str(error)], None
        if problems:
            raise Refused(f"{path} fails SQLite's integrity check: {'; '.join(problems[:3])}")
        if revision is None:
            raise Refused(f"{path} is an SQLite file but not a Tandem database")
        if revision not in known_revisions():
            raise Refused(
                f"{path} is at schema revision {revision!r}, which this Tandem does not know "
                f"(it knows up to {head_revision()!r}): it was made by a newer Tandem. Upgrade "
                "Tandem first, then restore it."
            )
        return BackupInfo(path, revision, _members(connection), path.stat().st_size)
    finally:
        connection.close()


def stage_restore(backup_file: Path, database: Path) -> tuple[Path, BackupInfo]:
    """Check ``backup_file`` and copy it next to ``database`` (``.<name>.restoring``), ready to
    be migrated and put in place by :func:`put_in_place`."""
    info = check_backup(backup_file)
    if in_use(database):
        raise Refused(
            f"{database} is open in another program (a running bot?): stop it first "
            "(systemctl stop tandem), then restore"
        )
    kept = database.with_name(database.name + BEFORE_RESTORE)
    if kept.exists():
        raise Refused(
            f"{kept} exists from an earlier restore; move it away (or delete it) first, so "
            "that no copy is overwritten"
        )
    staged = database.with_name(f".{database.name}.restoring")
    _copy_pages(backup_file, staged)
    return staged, info


def put_in_place(staged: Path, database: Path) -> Path | None:
    """Replace ``database`` by ``staged``; the replaced file (its write-ahead log folded in
    first) is kept as ``<name>.before-restore``, whose path is returned (None: there was none)."""
    if in_use(database):
        staged.unlink(missing_ok=True)
        raise Refused(f"{database} was opened by another program meanwhile: stop it first")
    kept = None
    if database.exists():
        connection = sqlite3.connect(database, isolation_level=None)
        try:  # the last connection to close folds the write-ahead log into the file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
        kept = database.with_name(database.name + BEFORE_RESTORE)
        database.rename(kept)
        for suffix in ("-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    staged.rename(database)
    return kept


async def restore(backup_file: Path, database: Path) -> tuple[BackupInfo, str | None, Path | None]:
    """Put ``backup_file`` back as ``database``, upgraded to the newest schema: what the backup
    held, the revision it has now, and where the replaced file was kept."""
    staged, info = await asyncio.to_thread(stage_restore, backup_file, database)
    try:
        _before, after = await Store.migrate(f"sqlite+aiosqlite:///{staged}")
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    kept = await asyncio.to_thread(put_in_place, staged, database)
    return info, after, kept
