"""``python -m tests.support.console_engine console …``: the bot's command line, with the
matching stand-in of :mod:`tests.support.rounds` while the real engine has not landed (the
console runs in a process of its own, where a test cannot patch it)."""

from __future__ import annotations

from datetime import date

from bot import matching
from bot.cli import main
from tests.support.rounds import greedy_propose

try:
    matching.propose([], week_start=date(2026, 1, 5))
except NotImplementedError:
    matching.propose = greedy_propose

raise SystemExit(main())
