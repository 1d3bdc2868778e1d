"""Streaks and badges: what a pair earns together, celebrated in its pair space.

* **A streak**: every fourth meeting held in a row (4, 8, 12 …, counted as
  :func:`flows.meeting_view.streak` counts). The verdict that completes it books ``badge``
  (key ``tandem:<id>:badge:streak:<level>:<meeting>``) in its own transaction
  (:func:`streak_bookings`, from :func:`flows.meeting_notices.verdict_books`); the item records
  the badge and posts "🔥 4 meetings in a row, Ana and Ben!" in each partner's language.
* **The first milestone** of the tandem and **every goal reached** (every milestone of every
  goal of both partners in the agreement marked; a goal without milestones does not hold it
  up): the milestone's own celebration (:mod:`flows.celebration`) records them
  (:func:`milestone_badges`) and adds their line to its message: one message per event.

Each event earns its badges once (the store's unique key, and the item's key). At most one
badge celebration per pair within :data:`SPACING`: a badge earned inside it is recorded at
once and celebrated when it ends (``badge``, key ``tandem:<id>:badge:<badge id>``), by itself.
Every key is under the tandem's prefix, so an ended tandem cancels what is pending; a paused or
ended tandem gets no badge posts (the badge stays recorded, for the summary at the end). When a
paused tandem goes on, what it earned meanwhile is celebrated (:func:`celebrate_after_pause`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.due import DueKind, DueRun
from bot.intents import Intent
from bot.messages import Msg, msg
from flows.agreement_notices import to_space
from flows.meeting_plan import pair_of
from flows.pair_view import name_of
from store import Store
from store.badges import BadgeRecord, Earned
from store.due_items import Booking
from store.meetings import HELD, MISSED, MeetingRecord
from store.milestones import MilestoneRecord
from store.tandems import ACTIVE, TandemRecord, due_prefix

BADGE = "badge"
STREAK = "streak"
FIRST_MILESTONE = "first_milestone"
ALL_GOALS = "all_goals"
#: A streak earns a badge at every multiple of this.
STREAK_EVERY = 4
#: At most one badge celebration per pair within this.
SPACING = timedelta(hours=24)


def streak_bookings(
    meeting: MeetingRecord, history: list[MeetingRecord], now: datetime
) -> list[Booking]:
    """The streak badges a verdict earns: when the meeting was held, each held meeting of the
    run it belongs to (meetings held in a row, as :func:`flows.meeting_view.streak` counts),
    from it on, whose place in the run is a multiple of :data:`STREAK_EVERY`. Usually that is
    the meeting itself; a verdict that comes late (after a later meeting's) may lengthen the
    run for later meetings, or join two runs. The payload names the run's held meetings: a
    level the run earned at another of them is not earned again (``Earned.alike``)."""
    if meeting.state != HELD:
        return []
    at = next(index for index, earlier in enumerate(history) if earlier.id == meeting.id)
    start = next((i + 1 for i in range(at - 1, -1, -1) if history[i].state == MISSED), 0)
    end = next((i for i in range(at + 1, len(history)) if history[i].state == MISSED), None)
    run = history[start:end]
    held = [m.id for m in run if m.state == HELD]
    bookings = []
    for place, meeting_id in enumerate(held, 1):
        if place % STREAK_EVERY or held.index(meeting_id) < held.index(meeting.id):
            continue
        payload = {
            "tandem": meeting.tandem_id,
            "kind": STREAK,
            "level": place,
            "ref": meeting_id,
            "run": held,
        }
        key = f"{due_prefix(meeting.tandem_id)}badge:{STREAK}:{place}:{meeting_id}"
        bookings.append(Booking(BADGE, key, now, payload=payload))
    return bookings


def _completed_by(terms: dict[str, Any], reached: list[MilestoneRecord]) -> int | None:
    """The milestone whose marking reached every goal (every milestone of both partners' goals
    marked), or None while some are open."""
    needed = {
        (int(member), goal_index, index)
        for member, goals in terms.get("goals", {}).items()
        for goal_index, goal in enumerate(goals)
        for index, _milestone in enumerate(goal.get("milestones") or [])
    }
    seen: set[tuple[int, int, int]] = set()
    for record in reached:
        seen.add((record.member_id, record.goal_index, record.milestone_index))
        if needed and needed <= seen:
            return record.id
    return None


async def milestone_badges(
    store: Store, tandem: TandemRecord, milestone: MilestoneRecord, now: datetime
) -> list[BadgeRecord]:
    """The badges marking ``milestone`` earned (recorded once): the tandem's first milestone,
    every goal reached."""
    agreement = await store.agreements.for_tandem(tandem.id)
    reached = await store.milestones.reached(tandem.id)
    earned = []
    if reached and reached[0].id == milestone.id:
        earned.append(Earned(FIRST_MILESTONE, 1, milestone.id, once=True))
    terms = None if agreement is None else agreement.terms
    if terms is not None and _completed_by(terms, reached) == milestone.id:
        earned.append(Earned(ALL_GOALS, 1, milestone.id, once=True))
    if not earned:
        return []
    return await store.badges.earn(tandem.id, earned, now=now, spacing=SPACING)


def badge_line(badge: BadgeRecord, a: str, b: str) -> Msg:
    if badge.kind == STREAK:
        return msg("badges.streak", count=badge.level, a=a, b=b)
    return msg(f"badges.{badge.kind}")


def with_badges(text: Msg, badges: list[BadgeRecord], a: str, b: str) -> Msg:
    """A milestone's celebration with the lines of the badges it earned, if any."""
    if not badges:
        return text
    return msg("badges.with", text=text, badges=[badge_line(x, a, b) for x in badges])


def folded(badges: list[BadgeRecord], tandem: TandemRecord) -> list[BadgeRecord]:
    """Those of an event's badges celebrated with it (not held back by the spacing), when the
    tandem is active."""
    if tandem.state != ACTIVE:
        return []
    return [badge for badge in badges if badge.celebrate_at <= badge.earned_at]


async def celebrate_later(run: DueRun, tandem: TandemRecord, badges: list[BadgeRecord]) -> None:
    """Book the celebration of an event's badges that the spacing holds back (one item)."""
    later = [b for b in badges if b.celebrated_at is None and b.celebrate_at > b.earned_at]
    if not later:
        return
    await run.store.due.schedule(
        community_id=tandem.community_id,
        kind=BADGE,
        key=f"{due_prefix(tandem.id)}badge:{later[0].id}",
        due_at=later[0].celebrate_at,
        now=run.now,
        payload={"tandem": tandem.id, "badges": [badge.id for badge in later]},
    )


async def celebrate_after_pause(store: Store, tandem: TandemRecord, now: datetime) -> None:
    """The tandem goes on after a pause: the badges it earned meanwhile and whose time came
    while it was paused (never posted) are celebrated together, now, in one item. A badge whose
    time is still to come keeps its own item (``celebrate_later``), which posts it then; and
    ``celebrate`` skips any celebrated meanwhile, so a second resume doubles nothing."""
    waiting = [
        badge
        for badge in await store.badges.for_tandem(tandem.id)
        if badge.celebrated_at is None and badge.celebrate_at <= now
    ]
    if not waiting:
        return
    await store.due.schedule(
        community_id=tandem.community_id,
        kind=BADGE,
        key=f"{due_prefix(tandem.id)}badge:{waiting[-1].id}:resumed",
        due_at=now,
        now=now,
        payload={"tandem": tandem.id, "badges": [badge.id for badge in waiting]},
    )


async def celebrate(run: DueRun) -> list[Intent]:
    """The ``badge`` due item: records a streak's badge (``kind``, ``level``, ``ref``) and
    celebrates it, or celebrates badges held back by the spacing (``badges``)."""
    payload = run.item.payload
    tandem = await run.store.tandems.get(int(payload["tandem"]))
    if tandem is None:
        return []
    if "badges" in payload:
        found = [await run.store.badges.get(int(badge_id)) for badge_id in payload["badges"]]
        badges = [badge for badge in found if badge is not None]
    else:
        earned = Earned(
            str(payload["kind"]),
            int(payload["level"]),
            int(payload["ref"]),
            alike=tuple(int(ref) for ref in payload.get("run", ())),
        )
        badges = await run.store.badges.earn(tandem.id, [earned], now=run.now, spacing=SPACING)
        await celebrate_later(run, tandem, badges)
    due = [b for b in badges if b.celebrated_at is None and b.celebrate_at <= run.now]
    members = await pair_of(run.store, tandem.members)
    if not due or tandem.state != ACTIVE or tandem.space is None or len(members) != 2:
        return []
    a, b = (name_of(member) for member in members)
    if len(due) == 1 and due[0].kind == STREAK:
        text = badge_line(due[0], a, b)
    else:
        text = msg("badges.later", a=a, b=b, badges=[badge_line(x, a, b) for x in due])
    await to_space(run, tandem, members, text, "badge")
    await run.store.badges.celebrated([badge.id for badge in due], now=run.now)
    return []


def badge_lines(
    data: dict[str, Any], when: Callable[[Any], str], line: Callable[[Msg], str]
) -> list[str]:
    """``mydata``'s readable lines about the badges of the member's tandems."""
    lines = []
    for row in data.get("badges", []):
        if row["kind"] == STREAK:
            badge = msg("mydata.md.badge_streak", count=row["level"])
        else:
            badge = msg(f"badges.{row['kind']}")
        lines.append(
            line(
                msg(
                    "mydata.md.badge_row",
                    badge=badge,
                    tandem=row["tandem_id"],
                    when=when(row["earned_at"]),
                )
            )
        )
    return lines


BADGE_KIND = DueKind(BADGE, celebrate, urgent=True)
