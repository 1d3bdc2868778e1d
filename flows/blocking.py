"""``block``: a member is never matched with someone again, and that person is told nothing.

Whom: the person the member names (a Discord user picked in the command's option, a Matrix
user id or mention, a console name: the adapters turn each into the platform user id, see
:class:`bot.commands.CommandArgument`), or, when they name nobody, their tandem partner.
The block is kept as a keyed hash of the person's identity (:mod:`store.blocks`), so it holds
whether that person has joined, is taking part, or used ``forget`` and joined again.

A block is silent: the blocked person gets no message about it, and the member's answer is
only for the member.
"""

from __future__ import annotations

from typing import Any

from bot.commands import CommandArgument
from bot.flow import Action, ActionContext
from bot.intents import Intent
from bot.messages import msg, user_text
from bot.text import excerpt
from flows.endings import end_tandem
from store import Store
from store.members import MemberRecord


async def block(context: ActionContext) -> list[Intent]:
    member = context.member
    if member is None or not member.joined:
        return [context.reply(msg("profile.not_joined", join=context.spell("join")))]
    store = context.store
    named = context.argument
    if not named:
        partner = await _latest_partner(store, member)
        if partner is None:
            return [context.reply(msg("block.whom", block=context.spell("block")))]
        named = partner.platform_user_id
    if named == member.platform_user_id:
        return [context.reply(msg("block.not_yourself"))]
    await store.blocks.block(member, member.platform, named, now=context.now)
    blocked = await store.members.find(member.community_id, member.platform, named)
    if blocked is None:
        return [context.reply(msg("block.done_someone"))]
    current = await store.tandems.current_for(member.id)
    ended = current is not None and blocked.id in current.members
    if ended:
        # Recorded and told as a rematch: nothing the partner sees, their mydata included, says
        # it was a block (the block itself is the blocker's, in the blocks table).
        assert current is not None
        await end_tandem(store, current, reason="rematch", by=member.id, now=context.now)
    name = user_text(excerpt(blocked.display_name or blocked.platform_user_id))
    if ended:
        return [context.reply(msg("block.done_partner", name=name))]
    return [context.reply(msg("block.done", name=name))]


async def _latest_partner(store: Store, member: MemberRecord) -> MemberRecord | None:
    """Whom ``block`` without a name means: the partner of the member's newest tandem (running,
    or the introduction or tandem that ended last)."""
    tandem = await store.tandems.latest_for(member.id)
    return None if tandem is None else await store.members.get(tandem.partner_of(member.id))


BLOCK = Action(
    command="block",
    description=msg("command.block"),
    run=block,
    argument=CommandArgument("member", msg("command.block.member"), names_member=True),
    # Safety never waits for consent to a changed privacy notice (docs/privacy.md, "Blocks").
    exempt_from_gate=True,
)


async def blocks_for_export(store: Store, member: MemberRecord) -> list[dict[str, Any]]:
    """The blocks the member made, for ``mydata``: when, and whom by their name where that
    person has a record now (the stored keyed hash would mean nothing to them)."""
    return [
        {"created_at": when.isoformat(), "person": None if who is None else who.display_name}
        for when, who in await store.blocks.people_blocked_by(member)
    ]
