"""The memory adapter: records every intent and lets tests push events (see :mod:`.adapter`)."""

from adapters.memory.adapter import MemoryAdapter, Rendered, TextMemoryAdapter

__all__ = ["MemoryAdapter", "Rendered", "TextMemoryAdapter"]
