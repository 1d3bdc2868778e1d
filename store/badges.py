"""Badges a tandem earned, and when each is celebrated.

A badge is earned by one event (``ref``: the meeting that completed a streak, the milestone
that was the first or completed every goal) and recorded once: earning it again for the same
event returns the badge as it was. A kind the tandem may earn only once (``Earned.once``) is
not earned again for another event. The badges one event earns are celebrated together, at
most one celebration per pair within ``spacing``: at once, or ``spacing`` after the pair's
latest celebration. The tandem's row is locked while this is decided, so two events at once
are spaced too. Badges go with their tandem (a foreign key that cascades).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from store.connections import Connections
from store.schema import badges, tandems


@dataclass(frozen=True)
class Earned:
    """A badge an event earns: its kind, level (a streak's length; 1 otherwise) and the
    event's id (``ref``). ``once``: the tandem earns this kind once, whatever the event;
    ``alike``: events whose badge of this kind and level is this one."""

    kind: str
    level: int
    ref: int
    once: bool = False
    #: Other events that count as this one: a streak's level earned at another meeting of the
    #: same run (its verdicts came out of order) is that badge, not a new one.
    alike: tuple[int, ...] = ()


@dataclass(frozen=True)
class BadgeRecord:
    id: int
    community_id: str
    tandem_id: int
    kind: str
    level: int
    ref: int
    earned_at: datetime
    celebrate_at: datetime
    celebrated_at: datetime | None


def _badge(row: sa.Row[Any]) -> BadgeRecord:
    return BadgeRecord(**{name: getattr(row, name) for name in BadgeRecord.__annotations__})


class BadgeRepository:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def earn(
        self, tandem_id: int, earned: Sequence[Earned], *, now: datetime, spacing: timedelta
    ) -> list[BadgeRecord]:
        """Record what one event earned (see the module); returns its badges, those recorded
        before for the same event included, in the order given. Empty when the tandem is gone
        or a once-only kind was earned before by another event."""
        async with self._db.write() as connection:
            tandem = (
                await connection.execute(
                    sa.select(tandems.c.community_id)
                    .where(tandems.c.id == tandem_id)
                    .with_for_update()
                )
            ).first()
            if tandem is None:
                return []
            mine = sa.select(badges).where(badges.c.tandem_id == tandem_id)
            known = [_badge(row) for row in await connection.execute(mine)]
            # From the last celebration, held or planned: one posted late (the tandem was
            # paused when it was due) spaces the next from when it was posted.
            latest = max(
                (
                    max(badge.celebrate_at, badge.celebrated_at or badge.celebrate_at)
                    for badge in known
                ),
                default=None,
            )
            celebrate_at = now if latest is None else max(now, latest + spacing)
            found = []
            for badge in earned:
                same = [b for b in known if (b.kind, b.level) == (badge.kind, badge.level)]
                existing = next(
                    (b for b in same if b.ref == badge.ref or b.ref in badge.alike), None
                )
                if existing is not None:
                    found.append(existing)
                    continue
                if badge.once and any(b.kind == badge.kind for b in known):
                    continue
                row = (
                    await connection.execute(
                        badges.insert()
                        .values(
                            community_id=tandem.community_id,
                            tandem_id=tandem_id,
                            kind=badge.kind,
                            level=badge.level,
                            ref=badge.ref,
                            earned_at=now,
                            celebrate_at=celebrate_at,
                        )
                        .returning(*badges.c)
                    )
                ).one()
                found.append(_badge(row))
            return found

    async def get(self, badge_id: int) -> BadgeRecord | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(sa.select(badges).where(badges.c.id == badge_id))
            ).first()
        return None if row is None else _badge(row)

    async def for_tandem(self, tandem_id: int) -> list[BadgeRecord]:
        """The tandem's badges, in the order earned (for the summary at the end of a tandem)."""
        async with self._db.read() as connection:
            rows = await connection.execute(
                sa.select(badges).where(badges.c.tandem_id == tandem_id).order_by(badges.c.id)
            )
            return [_badge(row) for row in rows]

    async def celebrated(self, badge_ids: Sequence[int], *, now: datetime) -> None:
        """Record that these badges were posted in the pair space (the first time counts)."""
        if not badge_ids:
            return
        async with self._db.write() as connection:
            await connection.execute(
                badges.update()
                .where(badges.c.id.in_(badge_ids), badges.c.celebrated_at.is_(None))
                .values(celebrated_at=now)
            )
