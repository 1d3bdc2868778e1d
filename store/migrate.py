"""Schema migrations with Alembic, run on start-up and by ``tandem migrate``.

The migration scripts live in ``store/migrations/versions``. A database stamped with a revision
this code does not know (written by a newer Tandem) is refused with :class:`DatabaseTooNew`
instead of being used and damaged.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseTooNew(Exception):
    """The database was migrated by a newer version of Tandem."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the schema on ``connection`` to the newest revision, in its transaction."""
    config = alembic_config(connection)
    current = _current_revision(connection)
    if current is not None and current not in known_revisions():
        raise DatabaseTooNew(too_new(current))
    command.upgrade(config, "head")


def too_new(current: str) -> str:
    """Why a database at a revision this code does not know is refused, and what to do."""
    return (
        f"the database is at schema revision {current!r}, which this version of Tandem "
        f"does not know (it knows up to {head_revision()!r}); it was written by "
        "a newer Tandem. Upgrade Tandem, or point it at another database."
    )


async def upgrade_to_head(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    """Every schema revision this version of Tandem has a migration for."""
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
