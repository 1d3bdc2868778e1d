"""``block``: a member is never matched with someone again, and that person is told nothing.

Whom: the person the member names (a Discord user picked in the command's option, a Matrix
user id or mention, a console name: the adapters turn each into the platform user id, see
:class:`bot.commands.CommandArgument`), or, when they name nobody, the partner of their
latest tandem that was introduced. The block is kept as a keyed hash of the person's identity
(:mod:`store.blocks`), so it holds whether that person has joined, is taking part, or used
``forget`` and joined again.

What is named is read as the platform identifies people (lower-cased: console names are,
Matrix ids are by their server) and must look like a user id of the platform
(:attr:`bot.capabilities.Capabilities.member_id`); anything else (a display name, a pasted
essay, oneself) is refused with a word on how to name someone, and nothing is stored.

A block is silent: the blocked person gets no message about it, and the member's answer is
only for the member. Nor does the answer tell whether the account named takes part: it is the
same whether the bot has a record of that person or not, and it names nobody the member did
not already know as their partner. A block of the partner of a tandem still being introduced
ends it silently (:mod:`flows.endings`): the member was never told whom they were matched with.

Members who left may still block (safety never waits; see ``docs/privacy.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.commands import CommandArgument
from bot.flow import Action, ActionContext
from bot.intents import Intent
from bot.messages import Msg, msg
from flows.endings import end_tandem
from flows.pair_view import name_of
from flows.profile import must_have_joined
from store import Store
from store.members import MemberRecord, MemberStatus
from store.tandems import INTRODUCING


def may_ask_for_safety(member: MemberRecord | None, spell: Callable[[str], str]) -> Msg | None:
    """``block`` and ``report`` are for members who joined, and for those who left too."""
    if member is not None and member.status == MemberStatus.LEFT:
        return None
    return must_have_joined(member, spell)


async def block(context: ActionContext) -> list[Intent]:
    member = context.member
    refused = may_ask_for_safety(member, context.spell)
    if refused is not None or member is None:
        return [context.reply(refused or msg("profile.not_joined", join=context.spell("join")))]
    store = context.store
    typed = context.argument.lower()
    if not typed:
        partner = await _latest_partner(store, member)
        if partner is None:
            return [context.reply(msg("block.whom", block=context.spell("block")))]
        named = partner.platform_user_id
    elif not re.fullmatch(context.capabilities.member_id, typed):
        how = msg(context.capabilities.member_hint)
        return [context.reply(msg("block.unreadable", how=how, block=context.spell("block")))]
    else:
        named = typed
    if named.lower() == member.platform_user_id.lower():
        return [context.reply(msg("block.not_yourself"))]
    await store.blocks.block(member, member.platform, named, now=context.now)
    blocked = await store.members.find(member.community_id, member.platform, named)
    current = await store.tandems.current_for(member.id)
    if blocked is None or current is None or blocked.id not in current.members:
        if typed or blocked is None:
            return [context.reply(msg("block.done_someone"))]
        return [context.reply(msg("block.done", name=name_of(blocked)))]
    # Recorded and told as a rematch: nothing the partner sees, their mydata included, says it
    # was a block (the block itself is the blocker's, in the blocks table).
    await end_tandem(store, current, reason="rematch", by=member.id, now=context.now)
    if current.state == INTRODUCING:
        return [context.reply(msg("block.done_someone"))]  # never introduced: nobody named
    return [context.reply(msg("block.done_partner", name=name_of(blocked)))]


async def _latest_partner(store: Store, member: MemberRecord) -> MemberRecord | None:
    """Whom ``block`` without a name means: the partner of the member's newest tandem that was
    introduced (running, or the one that ended last)."""
    tandem = await store.tandems.latest_introduced_for(member.id)
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
