"""Housekeeping the database asks for: purges and pauses that end, run on a schedule.

Everything due is found by querying the store (the source of truth), so a run after downtime
catches up on whatever fell due meanwhile, and running twice does no harm.

* members who left are deleted once the community's retention period has passed;
* people who talked to the bot but never consented are deleted after :data:`ABANDONED_AFTER`;
* a pause with an end date ends, and the member is told.
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
from store import Store
from store.members import MemberStatus

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=7)


async def run_maintenance(store: Store, clock: Clock, settings: Settings) -> list[Intent]:
    now = clock.now()
    purged = 0
    for member in await store.privacy.departed_before(now):
        retention = settings.program_for(member.community_id).retention_days_after_leaving
        if member.left_at is not None and member.left_at <= now - timedelta(days=retention):
            await store.privacy.forget(member)
            purged += 1
    for member in await store.privacy.abandoned_before(now - ABANDONED_AFTER):
        await store.privacy.forget(member)
        purged += 1
    intents: list[Intent] = []
    for member in await store.members.pauses_ending_by(now):
        await store.members.update(
            member.id, now=now, status=MemberStatus.WAITING, paused_until=None
        )
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
    if purged or intents:
        log.info("maintenance: purged %d members, ended %d pauses", purged, len(intents))
    return intents
