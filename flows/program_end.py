"""The end of a program round: the completion celebrated, once per tandem and round.

``program_complete`` (key ``tandem:<id>:program:<round>:complete``, under the tandem's prefix
so that ending the tandem cancels it) is booked with the round's reflections, :data:`GRACE`
after the final reflection falls due; once both partners answered the final reflection, the
side-by-side post moves it to that moment (:func:`complete_now`). Whichever comes first runs,
once (:meth:`store.program_ends.ProgramEndRepository.complete`):

* the pair space gets the summary (meetings held, longest streak, milestones reached, each
  partner's progress first → last, shown only for a partner who shared their progress), in
  each partner's language;
* each partner's DM gets their own progress in full and their chart (a PNG drawn in a
  thread: :mod:`flows.program_chart`);
* each partner is asked how to go on (:mod:`flows.program_choice`): at once, reminded after
  :data:`REMIND_AFTER`, and decided by default after :data:`DECIDE_AFTER`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.config import Settings
from bot.due import DueKind, DueRun
from bot.intents import AttachFile, Intent, Say
from bot.messages import msg
from bot.places import Place
from flows.pair_view import dm_of, locale_of
from flows.program_chart import draw
from flows.program_summary import chart_of, figures, own_summary, space_summary
from store import Store
from store.due_items import Booking
from store.members import MemberRecord
from store.tandems import ACTIVE, PAUSED, due_prefix

log = logging.getLogger(__name__)

FLOW_ID = "program_end"
#: The reflection's conversation (flows/reflection_notices.py, which books the completion).
REFLECT_FLOW = "reflect"
#: After the final reflection fell due, the program is complete this much later even when a
#: partner never answered it.
GRACE = timedelta(days=7)
#: A paused tandem's completion waits: looked at again this often (or an hour after the
#: pause's set end).
PAUSED_RECHECK = timedelta(days=1)
#: The choice is asked at once, asked again (a reminder) after this, …
REMIND_AFTER = timedelta(days=3)
#: … and decided by default (see flows/program_choice.py) after this.
DECIDE_AFTER = timedelta(days=7)
CHART_FILE = "tandem-progress.png"
# The kinds of flows/program_choice.py, booked here by name.
ASK_KIND = "program_choice_ask"
REMIND_KIND = "program_choice_remind"
DEFAULT_KIND = "program_choice_default"


def round_key(tandem_id: int, round_: int) -> str:
    return due_prefix(tandem_id) + f"program:{round_}:"


def completion_booking(tandem_id: int, round_: int, due_at: datetime) -> Booking:
    return Booking(
        PROGRAM_COMPLETE.name,
        round_key(tandem_id, round_) + "complete",
        due_at,
        payload={"tandem": tandem_id, "round": round_},
    )


async def book_completion(
    store: Store, community_id: str, tandem_id: int, round_: int, due_at: datetime, now: datetime
) -> None:
    """Book (or move) the round's completion to ``due_at``."""
    booking = completion_booking(tandem_id, round_, due_at)
    await store.due.schedule(
        community_id=community_id,
        kind=booking.kind,
        key=booking.key,
        due_at=booking.due_at,
        now=now,
        payload=booking.payload,
    )


async def complete_now(run: DueRun, tandem_id: int, round_: int) -> None:
    """Both answered the final reflection: the completion follows now (unless it ran)."""
    key = round_key(tandem_id, round_) + "complete"
    booked = await run.store.due.get(run.item.community_id, key)
    if booked is not None and booked.state != "pending":
        return
    await book_completion(run.store, run.item.community_id, tandem_id, round_, run.now, run.now)


async def book_missing_completions(store: Store, settings: Settings, now: datetime) -> int:
    """The maintenance run's catch-up: a running tandem agreed before the completion was
    booked with its reflections gets it booked, at its usual time (:data:`GRACE` after the
    round's length) or now when that has passed. How many were booked."""
    booked = 0
    for tandem in await store.program_ends.without_completion():
        weeks = settings.program_for(tandem.community_id).length_weeks
        if not weeks:
            continue  # no set length: no completion
        due_at = max(now, tandem.round_began + timedelta(weeks=weeks) + GRACE)
        await book_completion(
            store, tandem.community_id, tandem.id, tandem.program_round, due_at, now
        )
        booked += 1
    return booked


async def _book_choice(run: DueRun, tandem_id: int, round_: int, member: MemberRecord) -> None:
    prefix = round_key(tandem_id, round_)
    payload = {"tandem": tandem_id, "round": round_}
    for kind, key, after in (
        (ASK_KIND, f"ask:{member.id}", timedelta()),
        (REMIND_KIND, f"remind:{member.id}", REMIND_AFTER),
    ):
        await run.store.due.schedule(
            community_id=member.community_id,
            kind=kind,
            key=prefix + key,
            due_at=run.now + after,
            now=run.now,
            member_id=member.id,
            payload=payload,
        )


async def complete(run: DueRun) -> list[Intent]:
    """The ``program_complete`` item (see the module)."""
    payload = run.item.payload
    tandem = await run.store.tandems.get(int(payload["tandem"]))
    round_ = int(payload["round"])
    if tandem is None or tandem.state not in (ACTIVE, PAUSED) or tandem.program_round != round_:
        return []
    if tandem.state == PAUSED:
        # A paused tandem is asked nothing (the question's default would make a partner who
        # is away alumni): the completion waits until it goes on.
        later = (
            tandem.paused_until if tandem.paused_until and tandem.paused_until > run.now else None
        )
        due_at = run.now + PAUSED_RECHECK if later is None else later + timedelta(hours=1)
        await book_completion(run.store, tandem.community_id, tandem.id, round_, due_at, run.now)
        return []
    found = [await run.store.members.get(member_id) for member_id in tandem.members]
    members = [member for member in found if member is not None]
    if len(members) < 2:
        return []
    if not await run.store.program_ends.complete(
        tandem.id, round_, by=run.key("complete"), now=run.now
    ):
        return []  # celebrated already (by another run)
    for member in members:
        # The round's final reflection is over: one left unanswered no longer holds up the
        # question how to go on (the bot never interrupts a conversation).
        await run.store.conversations.cancel_flows(member.id, (REFLECT_FLOW,), now=run.now)
    weeks = run.settings.program_for(tandem.community_id).length_weeks
    shown = await figures(run.store, tandem, members, weeks, run.now)
    if tandem.space is not None:
        space = Place.model_validate(tandem.space)
        text = space_summary(shown)
        for locale in dict.fromkeys(locale_of(member, run.settings) for member in members):
            await run.send(
                Say(target=space, locale=locale, text=text, private=False), f"space-{locale}"
            )
    for side, member in zip("ab", members, strict=True):
        locale = locale_of(member, run.settings)
        dm = dm_of(member)
        await run.send(
            Say(target=dm, locale=locale, text=own_summary(shown, member.id)), f"dm-{side}"
        )
        try:
            png = await asyncio.to_thread(draw, chart_of(shown, member.id, locale))
        except Exception as error:
            # The text summary is complete without it: the question is not held up. Only the
            # error's type is logged: its message may quote the member's goals.
            log.error(
                "program_end: tandem %s: the chart could not be drawn (%s)",
                tandem.id,
                type(error).__name__,
            )
        else:
            chart = AttachFile(
                target=dm,
                locale=locale,
                filename=CHART_FILE,
                content=png,
                mime_type="image/png",
                caption=msg("program_end.chart.caption"),
            )
            await run.send(chart, f"chart-{side}")
        await _book_choice(run, tandem.id, round_, member)
    await run.store.due.schedule(
        community_id=tandem.community_id,
        kind=DEFAULT_KIND,
        key=round_key(tandem.id, round_) + "default",
        due_at=run.now + DECIDE_AFTER,
        now=run.now,
        payload={"tandem": tandem.id, "round": round_},
    )
    return []


PROGRAM_COMPLETE = DueKind("program_complete", complete, urgent=True)
