"""Logging as the bot sets it up, at DEBUG, with everything written captured for a test to read.

:func:`debug_logging` configures logging the way ``tandem run`` does (:func:`bot.logs.configure_
logging`) with the root at DEBUG and a handler that keeps every formatted record (tracebacks
included), and restores the previous logging set-up afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from bot.logs import LIBRARY_LOGGERS, REDACTOR, configure_logging


class Captured(logging.Handler):
    """Every record, as the bot's log format writes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def leaks(self, *needles: str) -> list[str]:
        """The lines holding any of ``needles``."""
        return [line for line in self.lines if any(needle in line for needle in needles)]


@contextmanager
def debug_logging(
    *, debug_loggers: Iterable[str] = (), secrets: Iterable[str] = (), log_format: str = "text"
) -> Iterator[Captured]:
    root = logging.getLogger()
    names = {*LIBRARY_LOGGERS, *debug_loggers}
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in names})
    saved_secrets = set(REDACTOR.secrets)
    captured = Captured()
    configure_logging(
        "DEBUG",
        debug_loggers=debug_loggers,
        secrets=secrets,
        handler=captured,
        log_format=log_format,
    )
    try:
        yield captured
    finally:
        level, handlers, levels = saved
        root.setLevel(level)
        root.handlers[:] = handlers
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        REDACTOR.secrets = saved_secrets
        logging.captureWarnings(False)
