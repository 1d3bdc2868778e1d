"""The conversations, written once for every platform.

:mod:`bot.engine` runs flows as persisted state machines; :mod:`bot.flow` says how a
flow or a one-shot action is written; each other module holds one part of the journey.
:func:`build_registry` gives the router every command, built from the settings (topics and
organizer questions come from the config).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.config import Settings
from bot.registry import FlowRegistry
from flows.admin import STATUS
from flows.admin_safety import END, REMOVE, REPORTS
from flows.agreement import AGREEMENT
from flows.agreement_notices import (
    AGREEMENT_ASK,
    AGREEMENT_MERGED,
    AGREEMENT_NOTICE,
    AGREEMENT_START,
)
from flows.badges import BADGE_KIND
from flows.blocking import BLOCK
from flows.calendar import CALENDAR
from flows.celebration import MILESTONE_CONGRATULATE, MILESTONE_REACHED
from flows.consent import CONSENT_FLOW, GATE
from flows.data_rights import FORGET, MYDATA
from flows.endings import TANDEM_ENDING, member_left_community
from flows.first_call import ASK_FIRST_CALL, FIRST_CALL, LAPSE_FIRST_CALL, NUDGE_FIRST_CALL
from flows.introduction import INTRODUCE_PAIR
from flows.join import build_join
from flows.maintenance import FORGET_ON_PLATFORM, MAINTENANCE, schedule_bot_wide
from flows.meeting_notices import MEETING_KINDS
from flows.meetings import MEETING
from flows.membership import LANGUAGE, LEAVE, PAUSE, PAUSE_END, PAUSE_OVER_NOTICE, RESUME
from flows.milestones import MILESTONE
from flows.notes import NOTE
from flows.places import load_places
from flows.profile import PROFILE, build_edit
from flows.program_choice import PROGRAM_END, PROGRAM_KINDS
from flows.program_end import PROGRAM_COMPLETE
from flows.quiet_pairs import QUIET_KINDS, schedule_quiet_watch
from flows.reflection import REFLECT
from flows.reflection_notices import REFLECTION_ASK, REFLECTION_DUE, REFLECTION_SHARED
from flows.rematch import REMATCH
from flows.reporting import REPORT, REPORT_TO_ORGANIZERS
from flows.round_schedule import MATCH_CADENCE, schedule_rounds
from flows.rounds import MATCH, SIT_OUT_NOTICE, WAITING
from flows.stats import STATS
from flows.tandem_notices import TANDEM_ACTIVE, TANDEM_ENDED, TELL_ORGANIZERS_REASON
from flows.tandem_pause import TANDEM_PAUSE_END
from flows.timezones import load_zone_names
from flows.where import MEMBER_STATUS
from store import Store


def build_registry(settings: Settings) -> FlowRegistry:
    """Every flow and action, in the order ``help`` lists them (organizer commands last, and
    only to organizers); the consent gate comes before them while it is due."""
    return FlowRegistry(
        [
            build_join(settings),
            PROFILE,
            MEMBER_STATUS,
            build_edit(settings),
            PAUSE,
            RESUME,
            LANGUAGE,
            FIRST_CALL,
            AGREEMENT,
            CALENDAR,
            NOTE,
            MILESTONE,
            REFLECT,
            PROGRAM_END,
            MEETING,
            REMATCH,
            BLOCK,
            REPORT,
            MYDATA,
            LEAVE,
            CONSENT_FLOW,
            FORGET,
            STATUS,
            STATS,
            MATCH,
            WAITING,
            END,
            REMOVE,
            REPORTS,
        ],
        warm_ups=[load_places, load_zone_names],
        gate=GATE,
        due_kinds=[
            MAINTENANCE,
            PAUSE_END,
            PAUSE_OVER_NOTICE,
            FORGET_ON_PLATFORM,
            MATCH_CADENCE,
            INTRODUCE_PAIR,
            SIT_OUT_NOTICE,
            ASK_FIRST_CALL,
            NUDGE_FIRST_CALL,
            LAPSE_FIRST_CALL,
            TANDEM_ACTIVE,
            TANDEM_ENDED,
            AGREEMENT_START,
            AGREEMENT_ASK,
            AGREEMENT_MERGED,
            AGREEMENT_NOTICE,
            TELL_ORGANIZERS_REASON,
            TANDEM_ENDING,
            TANDEM_PAUSE_END,
            REPORT_TO_ORGANIZERS,
            MILESTONE_REACHED,
            MILESTONE_CONGRATULATE,
            REFLECTION_DUE,
            REFLECTION_ASK,
            REFLECTION_SHARED,
            PROGRAM_COMPLETE,
            *PROGRAM_KINDS,
            *MEETING_KINDS,
            BADGE_KIND,
            *QUIET_KINDS,
        ],
        on_member_left=member_left_community,
    )


async def schedule_at_start(
    store: Store, settings: Settings, communities: Mapping[str, str], now: datetime
) -> None:
    """What must be booked when the bot starts: the maintenance run, the watch for quiet pairs,
    and each served community's (id → platform) scheduled match rounds."""
    await schedule_bot_wide(store, now)
    await schedule_quiet_watch(store, now)
    await schedule_rounds(store, settings, communities, now)


__all__ = ["build_registry", "schedule_at_start"]
