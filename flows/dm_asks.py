"""The bot asks first: a due item starts a conversation in a member's DM, never interrupting.

Kinds that ask (the agreement's part, a meeting's check-in) call :func:`ask_in_dm`: the flow is
started as if the member had typed its command, exactly once per item (the start is recorded
under the item's cause); a member in the middle of another conversation is asked an hour later
instead, by moving the item.
"""

from __future__ import annotations

from datetime import timedelta

from bot.due import DueRun
from store.conversations import AppliedEvent
from store.members import MemberRecord

# A member in the middle of another conversation is asked this much later.
BUSY_RETRY = timedelta(hours=1)


async def ask_in_dm(run: DueRun, flow_id: str, member: MemberRecord) -> None:
    """Start ``flow_id`` for ``member`` now, or move the item an hour on while they are busy."""
    cause = run.key("ask")
    active = await run.store.conversations.active_for(member.id)
    if active is not None and active.expires_at > run.now:
        started = await run.store.conversations.applied(
            member.community_id, AppliedEvent(platform=member.platform, event_id=cause)
        )
        if started is None or started.conversation_id != active.id:
            await run.store.due.schedule(
                community_id=run.item.community_id,
                kind=run.item.kind,
                key=run.item.key,
                due_at=run.now + BUSY_RETRY,
                now=run.now,
                member_id=member.id,
                payload=run.item.payload,
            )
            return
    assert run.start_flow is not None, "the due service was started without the flow engine"
    for index, intent in enumerate(await run.start_flow(flow_id, member, cause)):
        await run.send(intent, f"question-{index}")
