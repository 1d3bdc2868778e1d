"""Housekeeping the database asks for: purges and pauses that end, run on a schedule.

Everything due is found by querying the store (the source of truth), so a run after downtime
catches up on whatever fell due meanwhile. Each item is claimed by a conditional write (the
delete or update re-checks that it is still due), so two processes, or a member acting at the
same moment, never get it done twice or wrongly.

* members who left are deleted once the community's retention period has passed;
* people who started joining but never finished (with or without consent) are deleted once
  they have been silent for :data:`ABANDONED_AFTER`;
* a pause with an end date ends, and the member is told;
* conversations that ended, and adapters' records of questions the bot sent, are deleted
  :data:`ENDED_KEPT_FOR` after they were last touched (docs/privacy.md says so).
* the records of which platform events were applied (the kernel's exactly-once guard) are
  dropped :data:`APPLIED_EVENTS_KEPT` after the event, once their conversation has ended.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import choose_locale
from bot.intents import Intent, Say
from bot.messages import msg
from bot.places import Place
from flows.data_rights import forgotten
from store import Store
from store.members import MemberRecord

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=7)
ENDED_KEPT_FOR = timedelta(days=30)
# A platform redelivers an event within minutes (a Matrix sync repeats the batch in hand at a
# crash); a week also covers a bot that stays down over a long weekend before it restarts.
APPLIED_EVENTS_KEPT = timedelta(days=7)


async def run_maintenance(store: Store, clock: Clock, settings: Settings) -> list[Intent]:
    now = clock.now()
    purged: list[MemberRecord] = []
    for member in await store.privacy.departed_before(now):
        retention = settings.program_for(member.community_id).retention_days_after_leaving
        if await store.privacy.purge_if_departed(member, now - timedelta(days=retention)):
            purged.append(member)
    for member in await store.privacy.abandoned_before(now - ABANDONED_AFTER):
        if await store.privacy.purge_if_abandoned(member, now - ABANDONED_AFTER):
            purged.append(member)
    pruned = await store.conversations.prune_ended(now - ENDED_KEPT_FOR)
    pruned += await store.adapter_state.prune_questions(now - ENDED_KEPT_FOR)
    pruned += await store.conversations.prune_applied(now - APPLIED_EVENTS_KEPT)
    if pruned:  # old answers were in them: leave no copy in SQLite's write-ahead log either
        await store.connections.empty_write_ahead_log()
    # The adapters drop what they keep outside the store about the purged, too.
    default_locale = settings.bot.default_locale
    intents: list[Intent] = [forgotten(member, default_locale) for member in purged]
    pauses = 0
    for member in await store.members.end_pauses_due(now):
        if member.dm_place:
            intents.append(
                Say(
                    target=Place.model_validate(member.dm_place),
                    locale=choose_locale(
                        member.locale, member.platform_locale, settings.bot.default_locale
                    ),
                    text=msg("pause.ended"),
                )
            )
            pauses += 1
    if purged or pruned or pauses:
        log.info(
            "maintenance: purged %d members, pruned %d old records, ended %d pauses",
            len(purged),
            pruned,
            pauses,
        )
    return intents
