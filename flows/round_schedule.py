"""The community's own schedule of match rounds: every ``cadence_weeks`` weeks, on ``weekday`` at
``time`` in the community's time zone (``[program.matching]``, off by default).

::

    start-up ─▶ match_cadence booked for the next such time (per community the bot serves)
    match_cadence (due item) ─▶ the next one booked first
                             ─▶ a preview (flows/rounds.py) posted to the organizer channel
                                (saying so when it replaces an organizer's preview not run yet)
                             ─▶ with ``auto_run``: run at once, and said so there
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import ProgramSettings, Settings
from bot.due import DueKind, DueRun
from bot.intents import Intent, Say
from bot.messages import Msg, msg
from bot.places import Place
from flows.rounds import (
    MATCH,
    load_preview,
    made_at,
    make_preview,
    preview_expired,
    preview_message,
    previewed_by,
    ran_message,
    run_preview,
)
from store import Store
from store.due_items import CANCELLED, FAILED
from store.due_items import DONE as ITEM_DONE
from store.rounds import CADENCE, DONE, ORGANIZER, PREVIEW, RUN

CADENCE_KEY = "match_cadence"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_round_at(after: datetime, program: ProgramSettings) -> datetime:
    """The first scheduled round time strictly after ``after``: the configured weekday and
    time in the community's time zone (summer time included)."""
    zone = ZoneInfo(program.timezone)
    local = after.astimezone(zone)
    weekday = _WEEKDAYS.index(program.matching.weekday)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, program.matching.at, tzinfo=zone)
    if candidate <= after:
        candidate = datetime.combine(day + timedelta(days=7), program.matching.at, tzinfo=zone)
    return candidate


async def scheduled_round(run: DueRun) -> list[Intent]:
    """The ``match_cadence`` due item: books the next scheduled round, then previews this one
    (and runs it with ``auto_run``) and posts it to the organizers.

    A retry after a crash makes no second round: a preview this item already made (since the
    time it was scheduled for) is used again, and a run is not repeated.
    """
    community_id = run.item.community_id
    program = run.settings.program_for(community_id)
    weeks = program.matching.cadence_weeks
    if weeks == 0:
        return []  # switched off since it was booked
    platform = str(run.item.payload.get("platform", ""))
    following = next_round_at(run.item.scheduled_for + timedelta(weeks=weeks, hours=-1), program)
    while following <= run.now:  # the bot was down for longer than a cadence
        following = next_round_at(following + timedelta(weeks=weeks, hours=-1), program)
    await run.store.due.schedule(
        community_id=community_id,
        kind=MATCH_CADENCE.name,
        key=CADENCE_KEY,
        due_at=following,
        now=run.now,
        payload={"platform": platform},
    )
    match = run.spell(platform, MATCH.command)
    organizers = Place.organizers(platform)
    locale = run.settings.bot.default_locale

    async def post(part: str, text: Msg) -> None:
        await run.send(Say(target=organizers, locale=locale, text=text, private=False), part)

    made = await run.store.rounds.latest(community_id)
    replaced = None
    if made is None or made.started_by != CADENCE or made.created_at < run.item.scheduled_for:
        pending = await run.store.rounds.latest(community_id, states=[PREVIEW])
        if (
            pending is not None
            and pending.started_by == ORGANIZER
            and not preview_expired(pending, run.now, program)
        ):
            replaced = pending  # an organizer's preview not run yet: say it is replaced
        preview = await make_preview(
            run.store, program, community_id, now=run.now, started_by=CADENCE
        )
        made = preview.round
    if made.state == PREVIEW:
        await post("preview", preview_message(await load_preview(run.store, made), program, match))
        if replaced is not None:
            who, when = previewed_by(replaced), made_at(replaced, run.now, program)
            await post("replaced", msg("match.preview.replaced", who=who, when=when))
        if program.matching.auto_run:
            await post(
                "run", await run_preview(run.store, program, community_id, now=run.now, match=match)
            )
    elif made.state in (RUN, DONE):  # run before a crash: say so again (the same key)
        await post("run", ran_message(made, made.pairs, made.sit_outs, run.now, program))
    return []


MATCH_CADENCE = DueKind("match_cadence", scheduled_round, urgent=True)


async def schedule_rounds(
    store: Store, settings: Settings, communities: Mapping[str, str], now: datetime
) -> None:
    """At start-up: each served community (id → platform) with a cadence has its next
    scheduled round booked (one that fell due while the bot was down stays, and runs now); a
    community whose cadence was switched off has it cancelled."""
    for community_id, platform in communities.items():
        program = settings.program_for(community_id)
        if program.matching.cadence_weeks == 0:
            await store.due.cancel(community_id, CADENCE_KEY, now=now)
            continue
        booked = await store.due.get(community_id, CADENCE_KEY)
        if booked is not None and booked.state not in (ITEM_DONE, CANCELLED, FAILED):
            continue
        await store.due.schedule(
            community_id=community_id,
            kind=MATCH_CADENCE.name,
            key=CADENCE_KEY,
            due_at=next_round_at(now, program),
            now=now,
            payload={"platform": platform},
        )
