"""What ``forget`` scrubs besides the rows keyed to the member: their number in what others keep.

Two places hold a member's internal id without a foreign key that would take it with them:

* the payloads of due items about a tandem (``tandem_ending``: who ended it, its members, whom
  to tell; ``tandem_active``: who said yes last; ``program_outcome``: the partner): the id
  is taken out (``None`` where the position matters, dropped from a list of people to tell),
  so an ending notice still pending tells the partner without naming anyone;
* the keys under which the console and memory adapters remember what they sent
  (``sent:due-<item>-<time>-dm-<member id>``, likewise ``retire-``, ``nudge-``, ``ask-``):
  those rows are deleted (they only keep a repeat from being shown within a week, and the
  member is gone).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import adapter_state, due_items

#: Payload keys that name a member by id.
MEMBER_KEYS = ("by", "members", "tell", "partner")
#: Lists in which a member's position matters (the first is the tandem's ``a``).
POSITIONAL = ("members",)


def _scrubbed(payload: dict[str, Any], member_id: int) -> dict[str, Any]:
    out = dict(payload)
    for key in MEMBER_KEYS:
        value = out.get(key)
        if value == member_id:
            out[key] = None
        elif isinstance(value, list) and member_id in value:
            if key in POSITIONAL:
                out[key] = [None if item == member_id else item for item in value]
            else:
                out[key] = [item for item in value if item != member_id]
    return out


async def scrub_member_id(connection: AsyncConnection, community_id: str, member_id: int) -> None:
    """Take the member's id out of due-item payloads and adapter records (see the module)."""
    rows = await connection.execute(
        sa.select(due_items.c.id, due_items.c.payload).where(
            due_items.c.community_id == community_id,
            sa.cast(due_items.c.payload, sa.Text).like(f"%{member_id}%"),
        )
    )
    for item_id, payload in rows.all():
        scrubbed = _scrubbed(dict(payload), member_id)
        if scrubbed != payload:
            await connection.execute(
                due_items.update().where(due_items.c.id == item_id).values(payload=scrubbed)
            )
    sent = re.compile(rf"sent:due-\d+-\d+-[a-z_]+-{member_id}")
    keys = await connection.execute(
        sa.select(adapter_state.c.platform, adapter_state.c.key).where(
            adapter_state.c.community_id == community_id,
            adapter_state.c.key.like(f"sent:due-%-{member_id}"),
        )
    )
    for platform, key in keys.all():
        if sent.fullmatch(key):
            await connection.execute(
                adapter_state.delete().where(
                    adapter_state.c.community_id == community_id,
                    adapter_state.c.platform == platform,
                    adapter_state.c.key == key,
                )
            )
