"""``tandem db``: the operator's commands on the database as a whole (docs/deploy.md).

    tandem db copy --to postgresql+asyncpg://…   copy the SQLite database into an empty PostgreSQL
    tandem db backup PATH                        a consistent copy of the SQLite file, bot running
    tandem db restore PATH                       put a backup back (the bot stopped)

Each works on the configured database (``database.url``) or the SQLite file given with ``--db``.
What they print is for the operator (English, like the rest of the CLI); a refusal says why and
what to do, with exit status 3.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.config import Settings
from store.copy_to_postgres import CopyMismatch, CopyReport, copy_to_postgres
from store.sqlite_files import Refused, backup, restore, sqlite_path

EXIT_REFUSED = 3
_POSTGRES_BACKUP = (
    "the configured database is not an SQLite file; back PostgreSQL up with its own tools: "
    "pg_dump --format=custom (and pg_restore), see docs/deploy.md"
)


def add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser(
        "db",
        help="copy the database to PostgreSQL, back it up, restore a backup",
        description="The database as a whole: copy it to PostgreSQL, back it up, restore it.",
    )
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy the SQLite database into an empty PostgreSQL database",
        description=(
            "Copy every table of the SQLite database into an empty PostgreSQL database (schema "
            "by the migrations), compare row counts and checksums, and commit only if all match."
        ),
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql+asyncpg://…")
    made = actions.add_parser(
        "backup",
        help="a consistent copy of the SQLite database, also while the bot runs",
        description="Copy the SQLite database with SQLite's online backup, checked for integrity.",
    )
    made.add_argument("path", help="a new file, or a folder (tandem-<time>.db in it)")
    back = actions.add_parser(
        "restore",
        help="replace the SQLite database by a backup (stop the bot first)",
        description=(
            "Check a backup (integrity, a Tandem schema this version knows), upgrade it, and put "
            "it in place of the database; the replaced file is kept as <name>.before-restore."
        ),
    )
    back.add_argument("path", type=Path, help="the backup file")
    for action in (copy, made, back):
        action.add_argument("--db", type=Path, help="SQLite file instead of the config's")


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    database = sqlite_path(settings.database.url)
    try:
        if database is None:
            raise Refused(
                "tandem db copy reads an SQLite database, and the configured one is not; give the "
                "SQLite file with --db"
                if args.db_command == "copy"
                else _POSTGRES_BACKUP
            )
        if args.db_command == "copy":
            return _copied(database, args.to)
        if args.db_command == "backup":
            info = backup(database, Path(args.path), folder=args.path.endswith(("/", os.sep)))
            print(
                f"tandem: backed up {database} to {info.path} ({info.size:,} bytes, schema "
                f"revision {info.revision}, {info.members} members; integrity checked)"
            )
            return 0
        info, revision, kept = asyncio.run(restore(args.path, database))
        print(
            f"tandem: restored {info.path} ({info.members} members, schema revision "
            f"{info.revision}{'' if revision == info.revision else f', upgraded to {revision}'})"
            f" as {database}" + (f"; the replaced database is kept as {kept}" if kept else "")
        )
        return 0
    except Refused as refusal:
        print(f"tandem: {refusal}", file=sys.stderr)
        return EXIT_REFUSED


def _copied(database: Path, target: str) -> int:
    try:
        report = asyncio.run(copy_to_postgres(database, target))
    except CopyMismatch as mismatch:
        print(copy_table(mismatch.report))
        print(f"tandem: {mismatch}", file=sys.stderr)
        return EXIT_REFUSED
    print(copy_table(report))
    rows = sum(check.source.rows for check in report.tables)
    print(
        f"tandem: copied {database} (schema revision {report.revision}) into PostgreSQL: every "
        f"table matches, {rows:,} rows in all. Set database.url to the PostgreSQL URL and start "
        "the bot (docs/deploy.md, 'Moving to PostgreSQL')."
    )
    for name in report.not_copied:
        print(f"tandem: not copied: the table {name}, which Tandem's schema does not have")
    return 0


def copy_table(report: CopyReport) -> str:
    """Each table's rows and checksum in SQLite and PostgreSQL, one line a table."""
    lines = [f"{'table':<20} {'SQLite rows':>11} {'PostgreSQL':>11}  {'checksum':<16}  result"]
    for check in report.tables:
        checksum = check.source.checksum
        if check.target.checksum != checksum:
            checksum = f"{checksum} ≠ {check.target.checksum}"
        lines.append(
            f"{check.table:<20} {check.source.rows:>11,} {check.target.rows:>11,}  "
            f"{checksum:<16}  {'same' if check.same else 'DIFFERENT'}"
        )
    return "\n".join(lines)
