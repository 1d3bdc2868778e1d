"""The store: schema, migrations and the repositories that are the only code writing SQL.

:class:`Store` opens the database (SQLite through aiosqlite by default, PostgreSQL through
asyncpg by URL), brings the schema up to date with Alembic and hands out one repository per
concept (:mod:`store.members`, :mod:`store.conversations`). Every table that holds community
data carries ``community_id``.
"""

from __future__ import annotations

from store.db import Store
from store.migrate import DatabaseTooNew
from store.unavailable import DatabaseUnavailable

__all__ = ["DatabaseTooNew", "DatabaseUnavailable", "Store"]
