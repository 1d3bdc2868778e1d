"""Housekeeping the database asks for: purges and pruning, run as a recurring due item.

Everything due is found by querying the store (the source of truth), so a run after downtime
catches up on whatever fell due meanwhile. Each item is claimed by a conditional write (the
delete or update re-checks that it is still due), so two processes, or a member acting at the
same moment, never get it done twice or wrongly.

* members who left are deleted once the community's retention period has passed;
* people who started joining but never finished (with or without consent) are deleted once
  they have been silent for :data:`ABANDONED_AFTER`;
* conversations that ended, and adapters' records of questions the bot sent, are deleted
  :data:`ENDED_KEPT_FOR` after they were last touched (docs/privacy.md says so);
* the records of which platform events were applied (the kernel's exactly-once guard) are
  dropped :data:`APPLIED_EVENTS_KEPT` after the event, once their conversation has ended;
* done and cancelled due items, and the console's and memory adapter's records of what they
  sent (kept to drop a resend after a crash), are deleted after :data:`KEEP_SETTLED_DUE_ITEMS`;
* a running tandem agreed before the program's completion was booked with its reflections
  gets it booked (:func:`flows.program_end.book_missing_completions`).

(A pause with an end date is a due item of its own: :data:`flows.membership.PAUSE_END`.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.adapter import SENT_RECORD_PREFIX
from bot.clock import Clock
from bot.config import Settings
from bot.due import BOT_WIDE, DueKind, DueRun
from bot.intents import ForgetMember, Intent
from bot.places import Place
from flows.data_rights import forgotten
from flows.program_end import book_missing_completions
from store import Store
from store.adapter_state import QUESTION_PREFIX
from store.members import MemberRecord

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=7)
ENDED_KEPT_FOR = timedelta(days=30)
# A platform redelivers an event within minutes (a Matrix sync repeats the batch in hand at a
# crash); a week also covers a bot that stays down over a long weekend before it restarts.
APPLIED_EVENTS_KEPT = timedelta(days=7)
MAINTENANCE_EVERY = timedelta(minutes=10)
# Done and cancelled due items are kept a while for operators to look at, then deleted.
KEEP_SETTLED_DUE_ITEMS = timedelta(days=7)


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
    await book_missing_completions(store, settings, now)
    pruned = await store.conversations.prune_ended(now - ENDED_KEPT_FOR)
    pruned += await store.conversations.prune_applied(now - APPLIED_EVENTS_KEPT)
    pruned += await store.adapter_state.prune(QUESTION_PREFIX, updated_before=now - ENDED_KEPT_FOR)
    pruned += await store.due.prune(settled_before=now - KEEP_SETTLED_DUE_ITEMS)
    pruned += await store.adapter_state.prune(
        SENT_RECORD_PREFIX, updated_before=now - KEEP_SETTLED_DUE_ITEMS
    )
    if pruned:  # old answers were in them: leave no copy in SQLite's write-ahead log either
        await store.connections.empty_write_ahead_log()
    # The adapters drop what they keep outside the store about the purged, too: one due item
    # each, so a platform that fails for one of them is asked again for that one.
    for member in purged:
        notice = forgotten(member, settings.bot.default_locale)
        await store.due.schedule(
            community_id=member.community_id,
            kind=FORGET_ON_PLATFORM.name,
            key=f"forget:{member.platform}:{member.platform_user_id}",
            target=notice.target.model_dump(mode="json", exclude_none=True),
            due_at=now,
            now=now,
        )
    if purged or pruned:
        log.info("maintenance: purged %d members, pruned %d old records", len(purged), pruned)
    return []


async def tell_platform_forgotten(run: DueRun) -> list[Intent]:
    """The ``forget_on_platform`` due item: the adapter of a purged member erases what it can on
    the platform and drops what it keeps outside the store. Urgent (nobody reads it), retried
    when the platform fails, and deleted once done: it names someone who is being forgotten."""
    if run.item.target is None:
        return []
    place = Place.model_validate(run.item.target)
    return [ForgetMember(target=place, locale=run.settings.bot.default_locale)]


FORGET_ON_PLATFORM = DueKind(
    "forget_on_platform", tell_platform_forgotten, urgent=True, keep_when_done=False
)


async def maintain(run: DueRun) -> list[Intent]:
    """The ``maintenance`` due item: books its next run, then catches up on all that is due.

    Booked first, so a failing run is simply tried again at the next interval. A late run
    (after downtime) does what every run does: each query finds whatever fell due meanwhile.
    """
    await run.store.due.schedule(
        community_id=BOT_WIDE,
        kind=MAINTENANCE.name,
        key=MAINTENANCE.name,
        due_at=run.now + MAINTENANCE_EVERY,
        now=run.now,
    )
    return await run_maintenance(run.store, run.clock, run.settings)


MAINTENANCE = DueKind("maintenance", maintain, urgent=True)


async def schedule_bot_wide(store: Store, now: datetime) -> None:
    """At start-up: the maintenance run exists (due now if it never ran or was lost)."""
    await store.due.schedule_if_absent(
        community_id=BOT_WIDE, kind=MAINTENANCE.name, key=MAINTENANCE.name, due_at=now, now=now
    )
