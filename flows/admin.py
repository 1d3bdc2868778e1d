"""Organizer commands (the ``admin`` group): ``status`` for now; the organizer flows of
matching arrive with it.

Every command here is ``organizer_only``: the router refuses it to anyone the adapter did not
mark as organizer, so nothing in this module checks again.
"""

from __future__ import annotations

from bot.flow import Action, ActionContext
from bot.intents import Intent
from bot.messages import msg
from flows.profile_view import STATUS_LABELS


async def community_status(context: ActionContext) -> list[Intent]:
    """How many members the community has in each status; only the organizer sees it."""
    counts = await context.store.members.count_by_status(context.event.community_id)
    lines = [
        msg("admin.status.line", status=STATUS_LABELS[status], number=count)
        for status, count in counts.items()
    ]
    return [context.reply(msg("admin.status", total=sum(counts.values()), lines=lines))]


STATUS = Action(
    command="status",
    description=msg("command.admin.status"),
    run=community_status,
    organizer_only=True,
)
