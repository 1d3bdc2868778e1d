"""The console adapter: try Tandem alone in a terminal (see :mod:`.adapter`)."""

from adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
