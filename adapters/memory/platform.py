"""The memory adapter's "platform": the pair spaces it opened and what it posted, kept apart
from the bot so that it can outlive the bot's process.

:class:`MemoryPlatform` holds them in memory by default. :meth:`MemoryPlatform.on_disk` keeps
them in a JSON-lines file instead: every change is appended and synced before the adapter
reports it done, as a real platform holds a space once it has answered. A test can then kill
the bot's process outright and start another on the same file, which finds the spaces made
before (by their tag, see :mod:`bot.pair_spaces`) exactly as the Discord and Matrix adapters
find theirs on the platform. Messages are kept only on disk: in memory the adapter's own
``sent`` list already has them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.places import Place


@dataclass
class MemorySpace:
    """One pair space: who is in it, the tag it carries, whether it was closed."""

    id: str
    members: list[str]
    name: str
    tag: str | None = None
    closed: bool = False
    #: Members taken out of it when it was closed (``ClosePairSpace.removed``).
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Posted:
    """One message as the platform keeps it: where, what, and the key it was sent with."""

    place: dict[str, Any]
    text: str
    key: str | None = None


class MemoryPlatform:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.spaces: dict[str, MemorySpace] = {}
        self.posts: list[Posted] = []
        self._keys: set[tuple[str, str]] = set()
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                self._apply(json.loads(line))

    @classmethod
    def on_disk(cls, path: Path) -> MemoryPlatform:
        return cls(path)

    # -- what the adapter does ---------------------------------------------------------------

    def open_space(self, members: list[str], name: str, tag: str | None) -> MemorySpace:
        space = MemorySpace(id=f"pair-{len(self.spaces) + 1}", members=members, name=name, tag=tag)
        self._change({"space": asdict(space)})
        return space

    def find_space(self, tag: str) -> MemorySpace | None:
        return next((s for s in self.spaces.values() if s.tag == tag), None)

    def close_space(self, space_id: str, removed: list[str]) -> None:
        space = self.spaces.get(space_id)
        if space is None:
            return
        members = [m for m in space.members if m not in removed]
        closed = MemorySpace(space.id, members, space.name, space.tag, True, removed)
        self._change({"space": asdict(closed)})

    def post(self, place: Place, text: str, key: str | None) -> bool:
        """Keep a message (on disk); False when it repeats one sent with the same key."""
        if self.path is None:
            return True
        where = place.model_dump(mode="json", exclude_none=True)
        if key is not None and (_where(where), key) in self._keys:
            return False
        self._change({"post": asdict(Posted(where, text, key))})
        return True

    # -- reading it, as a test does -----------------------------------------------------------

    def posts_in(self, space_id: str) -> list[Posted]:
        return [p for p in self.posts if p.place.get("channel_id") == space_id]

    # -- keeping it ---------------------------------------------------------------------------

    def _change(self, change: dict[str, Any]) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(change) + "\n")
                file.flush()
                os.fsync(file.fileno())
        self._apply(change)

    def _apply(self, change: dict[str, Any]) -> None:
        if "space" in change:
            space = MemorySpace(**change["space"])
            self.spaces[space.id] = space
        elif "post" in change:
            posted = Posted(**change["post"])
            self.posts.append(posted)
            if posted.key is not None:
                self._keys.add((_where(posted.place), posted.key))


def _where(place: dict[str, Any]) -> str:
    return json.dumps(place, sort_keys=True)
