"""How the bot logs: at which level, which libraries may speak, and secrets masked in every record.

What each level shows is in ``docs/privacy.md`` ("Logs"). In short:

* The bot's own loggers follow ``bot.log_level``. They name ids, counts and what happened, never
  what a member wrote, their profile or a secret, at any level.
* The libraries' loggers (:data:`LIBRARY_LOGGERS`) stay at WARNING whatever ``bot.log_level``
  says: at DEBUG they write SQL parameters (members' answers), HTTP request and response bodies
  (messages, profiles, login responses) and gateway payloads. An operator who needs one asks for
  it by name (``tandem --debug-logger sqlalchemy.engine run``, or ``bot.debug_loggers``), and
  knows that its records hold members' data.
* Every record, from any logger and to any handler, has secrets masked before it is handled
  (:class:`RedactSecrets`): the configured secrets themselves, and anything shaped like a Discord
  token, a Matrix access token, a password field, an Authorization header or an interaction
  token in a URL.
* Two formats (``bot.log_format``, ``tandem --log-format``): readable lines (the default), or
  one JSON object a line for a log collector (:class:`JsonFormatter`): the time, the level, the
  logger, the message and what the record is about where known (the community, the adapter,
  the event kind and id, the due item), set by the app around each event and due item with
  :func:`log_context`. The fields are ids, never what a member wrote.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.config import Settings

#: Loggers of libraries that write members' data or secrets at DEBUG (and some at INFO).
LIBRARY_LOGGERS = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "aiohttp",
    "httpx",
    "httpcore",
    "urllib3",
    "websockets",
    "discord",
    "nio",
    "peewee",
    "apscheduler",
)
MASK = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SHAPES = [
    # Authorization headers, as headers or in a repr of a headers mapping.
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bot|bearer)\s+)[^\s'\",}]+"),
    # A Discord bot token: three base64url parts joined by dots (also what a JWT looks like).
    re.compile(r"()[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"),
    # Synapse's access and refresh tokens.
    re.compile(r"()\bsy[tr]_[A-Za-z0-9_=-]+"),
    # Secret fields in JSON, reprs, query strings and form bodies.
    re.compile(
        r"(?i)((?:access_token|refresh_token|password|passphrase|pickle_key|token)"
        r"['\"]?\s*[:=]\s*['\"]?)[^'\"&\s,}]+"
    ),
    # Interaction tokens travel in URLs: /interactions/<id>/<token>, /webhooks/<app>/<token>.
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+"),
]


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message and traceback; keeps every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Short values would mask ordinary words; a real secret is longer than this.
        self.secrets |= {secret for secret in secrets if secret and len(secret) >= 6}

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for shape in _SHAPES:
            text = shape.sub(lambda match: match.group(1) + MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record, let the handler say so
            return True
        masked = self.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


#: What the records being made are about (ids only); see :func:`log_context`.
_CONTEXT: ContextVar[dict[str, str | int]] = ContextVar("tandem_log_context", default={})  # noqa: B039
_CONTEXT_ATTR = "tandem_context"


@contextmanager
def log_context(**fields: str | int | None) -> Iterator[None]:
    """Within the block (and the tasks it starts), records carry ``fields`` besides those of
    an enclosing block; None values are left out. Ids only: never what a member wrote."""
    given = {name: value for name, value in fields.items() if value is not None}
    token = _CONTEXT.set({**_CONTEXT.get(), **given})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the record's
    context (:func:`log_context`) and, when there is one, the traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, _CONTEXT_ATTR, {}),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = REDACTOR.redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def configured_secrets(settings: Settings) -> list[str]:
    """The secret values in the settings, to be masked wherever they would appear in a log."""
    secrets = [
        settings.discord.token,
        settings.matrix.password,
        settings.matrix.access_token,
        settings.matrix.crypto_store_key,
        settings.bot.identity_key,
    ]
    found = [secret.get_secret_value() for secret in secrets if secret is not None]
    database_password = urlsplit(settings.database.url).password
    return [*found, database_password] if database_password else found


#: The one redactor of this process; :func:`configure_logging` adds the configured secrets.
REDACTOR = RedactSecrets()
_factory_installed = False


def _install_record_factory() -> None:
    """Redact as records are made, so that every handler (ours, a test's, a library's) only
    ever sees masked records; a filter on one handler would leave the others unmasked."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        REDACTOR.filter(record)
        # Taken now: a handler may format the record later, elsewhere.
        setattr(record, _CONTEXT_ATTR, _CONTEXT.get())
        return record

    logging.setLogRecordFactory(make_record)
    _factory_installed = True


def configure_logging(
    level: str,
    *,
    debug_loggers: Iterable[str] = (),
    secrets: Iterable[str] = (),
    handler: logging.Handler | None = None,
    log_format: str = "text",
) -> None:
    """Set up logging for the bot: the root at ``level`` with one handler (stderr unless
    given) writing ``log_format`` ("text" or "json"), the libraries at WARNING except those
    named in ``debug_loggers`` (at DEBUG), and ``secrets`` masked in every record."""
    REDACTOR.add(secrets)
    _install_record_factory()
    root = logging.getLogger()
    root.setLevel(level)
    if handler is None:
        handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    # Python's warnings (a library's) become records too: as JSON lines where the rest is.
    logging.captureWarnings(log_format == "json")
    for old in [h for h in root.handlers if getattr(h, "_tandem", False)]:
        root.removeHandler(old)
    handler._tandem = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in debug_loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
