"""``python -m bot`` does what the ``tandem`` console script does."""

from __future__ import annotations

from bot.cli import main

raise SystemExit(main())
