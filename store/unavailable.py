"""Why the database cannot be used, said so that an operator can act on it.

:func:`explain` turns what the drivers raise when the database is out of reach (a closed
PostgreSQL port, an unknown user or database, a SQLite file that cannot be opened) into one
paragraph naming the cause and the fix; :class:`DatabaseUnavailable` carries it. The traceback
stays available (``tandem --debug``). :func:`url_problem` says, before anything connects, what
is wrong with the form of ``database.url`` (a port that is no number, a broken IPv6 address, a
query parameter the driver does not take), without repeating the URL and its password.
"""

from __future__ import annotations

import inspect
import socket
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa

_CANNOT_OPEN = frozenset(
    {"PermissionError", "IsADirectoryError", "FileNotFoundError", "NotADirectoryError"}
)


#: Query parameters of a PostgreSQL URL that SQLAlchemy's asyncpg dialect takes itself; the
#: others go to ``asyncpg.connect`` as keywords.
_DIALECT_PARAMETERS = frozenset({"prepared_statement_cache_size", "prepared_statement_name_func"})
#: libpq's spellings an operator copies from elsewhere, and asyncpg's (through SQLAlchemy).
_LIBPQ_SPELLINGS = {"sslmode": "ssl", "connect_timeout": "timeout", "dbname": "database"}
_URL_FORMS = {
    "postgresql": "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE",
    "sqlite": "sqlite+aiosqlite:///tandem.db",
}


def url_problem(url: str) -> str | None:
    """What is wrong with the form of ``url``, in words that do not repeat it; None if nothing.
    Only what would stop every connection before it is tried: a database out of reach is
    :func:`diagnose`'s."""
    form = _URL_FORMS["postgresql" if url.startswith("postgresql") else "sqlite"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError as error:  # urlsplit's words name the part, never the password
        return f"is not a valid URL ({error}): write {form}"
    if not url.startswith("postgresql"):
        return None
    import asyncpg

    taken = _DIALECT_PARAMETERS | set(inspect.signature(asyncpg.connect).parameters)
    unknown = sorted({name for name, _ in parse_qsl(parts.query)} - taken)
    if not unknown:
        return None
    query = dict(parse_qsl(parts.query))
    fixes = [
        f"write {_LIBPQ_SPELLINGS[name]}={query[name]} instead of {name}={query[name]}"
        for name in unknown
        if name in _LIBPQ_SPELLINGS
    ]
    if others := [name for name in unknown if name not in _LIBPQ_SPELLINGS]:
        fixes.append(f"remove {', '.join(others)}")
    parameters = "parameter" if len(unknown) == 1 else "parameters"
    return (
        f"has the query {parameters} {', '.join(unknown)}, which PostgreSQL's driver (asyncpg) "
        f"does not take: {'; '.join(fixes)}"
    )


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says why and what to do."""


def database_name(url: str) -> str:
    """The database of ``url`` as an operator names it: the SQLite file, or PostgreSQL's host."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}"


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return seen


def explain(url: str, error: BaseException) -> str:
    """One paragraph: what failed, why, and which setting or command fixes it."""
    cause, fix = diagnose(url, error)
    return f"{cause}. {fix}"


def diagnose(url: str, error: BaseException) -> tuple[str, str]:
    """What failed and why, and apart from it what fixes it (``tandem doctor`` shows the two
    on lines of their own)."""
    parsed = sa.make_url(url)
    where = database_name(url)
    names = {type(link).__name__ for link in _chain(error)}
    text = " ".join(str(link) for link in _chain(error))
    fix_url = "Check database.url (in tandem.toml or TANDEM_DATABASE__URL)."
    if names & {"ConnectionRefusedError"} or "Connect call failed" in text:
        return (
            f"cannot reach {where}: the connection was refused",
            f"Is PostgreSQL running and listening on that host and port? {fix_url}",
        )
    if names & {"gaierror"} or isinstance(error, socket.gaierror):
        return f"cannot find the database host {parsed.host!r}: the name does not resolve", fix_url
    if names & {"TimeoutError", "CancelledError"}:
        return (
            f"{where} did not answer in time",
            "Check the host, the port and the firewall, and database.url (in tandem.toml or "
            "TANDEM_DATABASE__URL).",
        )
    if names & {"InvalidPasswordError"} or "password authentication failed" in text:
        return (
            f"{where} refused the password of user {parsed.username!r}",
            "Put the right password into database.url (best through TANDEM_DATABASE__URL).",
        )
    if "role" in text and "does not exist" in text:
        return (
            f"{where} has no user {parsed.username!r}",
            f"Create it (createuser {parsed.username}) or name an existing user in database.url.",
        )
    if names & {"InvalidCatalogNameError"} or ("database" in text and "does not exist" in text):
        return (
            f"{where} has no database {parsed.database!r}",
            f"Create it (createdb {parsed.database}) or name an existing one in database.url.",
        )
    if "unable to open database file" in text or names & _CANNOT_OPEN:
        return (
            f"cannot open {where}: {_last_words(error)}",
            "Check that its folder exists or can be made, and that this user may write there. "
            + fix_url,
        )
    return f"cannot use {where}: {_last_words(error)}", fix_url


def _last_words(error: BaseException) -> str:
    """The innermost cause, in its own words (first line only)."""
    innermost = _chain(error)[-1]
    words = str(innermost).strip().splitlines()
    return words[0] if words else type(innermost).__name__
