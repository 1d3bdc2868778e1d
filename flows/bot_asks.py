"""The bot asks first, without interrupting: a due item starts a conversation in a member's DM
(:attr:`bot.due.DueRun.start_flow`, exactly once per item) unless the member is in the middle
of another one; then the same item comes back an hour later."""

from __future__ import annotations

from datetime import timedelta

from bot.due import DueRun
from store.conversations import AppliedEvent
from store.members import MemberRecord

# A member in the middle of another conversation is asked this much later.
BUSY_RETRY = timedelta(hours=1)


async def start_when_free(run: DueRun, flow_id: str, member: MemberRecord) -> bool:
    """Start ``flow_id`` for ``member`` (its first question sent at once), or book the running
    item again an hour later while they are busy; True when it was started (or its start
    repeated after a crash)."""
    cause = run.key("ask")
    active = await run.store.conversations.active_for(member.id)
    if active is not None and active.expires_at > run.now:
        started = await run.store.conversations.applied(
            member.community_id, AppliedEvent(platform=member.platform, event_id=cause)
        )
        if started is None or started.conversation_id != active.id:
            item = run.item
            await run.store.due.schedule(
                community_id=item.community_id,
                kind=item.kind,
                key=item.key,
                due_at=run.now + BUSY_RETRY,
                now=run.now,
                member_id=item.member_id,
                payload=item.payload,
            )
            return False
    assert run.start_flow is not None, "the due service was started without the flow engine"
    for index, intent in enumerate(await run.start_flow(flow_id, member, cause)):
        await run.send(intent, f"question-{index}")
    return True
