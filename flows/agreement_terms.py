"""What an agreement is made of, as data: weekly slots, goals with milestones, and the merge.

A **slot** is a weekly meeting time as people agree on it: ``{"weekday": "mon", "time":
"18:00", "timezone": "Europe/Vienna"}``, a weekday and a local time in one IANA zone (the
*agreed zone*: the zone of the partner who picked it). Meetings (a later part of the journey)
recur at that local time in that zone; everyone else sees each occurrence converted to their
own zone (:func:`occurrence`, :func:`in_zone`), so a daylight-saving change in the agreed zone
moves the meeting for the other partner, never for the one whose zone it is.

The **rhythm** is a slot plus ``duration`` (minutes) and ``format`` (``video`` or
``in_person``). The **terms** of an agreement::

    {"goals": {"<member id>": [{"goal": "…", "milestones": [{"text": "…", "week": 4}]}]},
     "rhythm": {"weekday": …, "time": …, "timezone": …, "duration": 60, "format": "video"},
     "rhythm_by": <member id>, "rhythm_differs": bool, "rules": {"en": …, "de": …} | None}

The bot proposes slots from both members' common free time as the matching engine computes it
(:func:`bot.matching.hours.common_stretches`), for the coming week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.flow import Invalid
from bot.matching.hours import WEEKDAYS, common_stretches, slot_mask
from bot.messages import msg
from flows.dates import DAY_OF_WORD, without_weekday_lead

MAX_MILESTONES = 3
MAX_SLOTS = 3
DURATIONS = (30, 45, 60, 90)
FORMATS = ("video", "in_person")

Slot = dict[str, str]

_SLOT_TEXT = re.compile(
    r"^\s*(?P<day>[a-zäöü]+)\.?,?\s+(?:um\s+|at\s+)?(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?"
    r"\s*(?P<half>am|pm)?\s*(?:uhr)?\s*$",
    re.IGNORECASE,
)
_WEEK = re.compile(
    r"\s*[(\[,;–-]?\s*(?:by\s+|bis\s+|in\s+)?(?:week|woche|wk|kw)\s*(?P<week>\d{1,2})\s*[)\]]?\s*$",
    re.IGNORECASE,
)


def coming_week(now: datetime) -> date:
    """The Monday after ``now`` (UTC): the week whose free time the slots are proposed from."""
    today = now.astimezone(UTC).date()
    return today + timedelta(days=7 - today.weekday())


def slot_at(instant: datetime, timezone: str) -> Slot:
    """The weekly slot ``instant`` falls on, in ``timezone``."""
    local = instant.astimezone(ZoneInfo(timezone))
    return {
        "weekday": WEEKDAYS[local.weekday()],
        "time": f"{local.hour:02d}:{local.minute:02d}",
        "timezone": timezone,
    }


def slot_id(slot: Slot) -> str:
    """An option id for a slot, as its reader sees it: ``mon_1800``."""
    return f"{slot['weekday']}_{slot['time'].replace(':', '')}"


def slot_from_id(option: str, timezone: str) -> Slot:
    weekday, hhmm = option.split("_")
    return {"weekday": weekday, "time": f"{hhmm[:2]}:{hhmm[2:]}", "timezone": timezone}


def occurrence(slot: Slot, after: datetime) -> datetime:
    """The first meeting of ``slot`` at or after ``after`` (an aware instant), in UTC."""
    zone = ZoneInfo(slot["timezone"])
    local = after.astimezone(zone)
    hour, minute = (int(part) for part in slot["time"].split(":"))
    days = (WEEKDAYS.index(slot["weekday"]) - local.weekday()) % 7
    for extra in (0, 7):
        day = local.date() + timedelta(days=days + extra)
        start = datetime.combine(day, time(hour, minute), tzinfo=zone)
        if start >= after:
            return start.astimezone(UTC)
    raise AssertionError("a weekly slot always occurs within two weeks")


def in_zone(slot: Slot, timezone: str, now: datetime) -> Slot:
    """``slot`` as someone in ``timezone`` sees its next occurrence."""
    return slot_at(occurrence(slot, now), timezone)


def same_slot(first: Slot, second: Slot, now: datetime) -> bool:
    """Whether two slots (perhaps written in different zones) are the same meeting time."""
    return occurrence(first, now) == occurrence(second, now)


def proposed_slots(
    me: tuple[str, list[str]], partner: tuple[str, list[str]], now: datetime
) -> list[Slot]:
    """Up to three weekly slots in both members' common free time (each given as time zone and
    availability), as ``me`` sees them: the start of each common stretch, then an hour later
    where a stretch is long enough."""
    stretches = common_stretches(
        (me[0], slot_mask(me[1])), (partner[0], slot_mask(partner[1])), coming_week(now)
    )
    starts = [start for start, _end in stretches]
    starts += [
        start + timedelta(hours=1) for start, end in stretches if end - start >= timedelta(hours=2)
    ]
    slots: list[Slot] = []
    for start in starts:
        slot = slot_at(start, me[0])
        if slot not in slots:
            slots.append(slot)
        if len(slots) == MAX_SLOTS:
            break
    return slots


def parse_slot(text: str, timezone: str) -> Slot:
    """A slot typed by a member ("Tue 18:30", "Dienstag 7 Uhr", "fri 6pm", "am Dienstag um 7
    Uhr", "next Tuesday at 6pm"), in their zone."""
    found = _SLOT_TEXT.match(without_weekday_lead(" ".join(text.split())))
    day = DAY_OF_WORD.get(found.group("day").lower()) if found else None
    if found is None or day is None:
        raise Invalid(msg("agreement.slot_unknown"))
    hour, minute = int(found.group("hour")), int(found.group("minute") or 0)
    half = (found.group("half") or "").lower()
    if half and not 1 <= hour <= 12:
        raise Invalid(msg("agreement.slot_unknown"))
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise Invalid(msg("agreement.slot_unknown"))
    return {"weekday": day, "time": f"{hour:02d}:{minute:02d}", "timezone": timezone}


def parse_milestones(text: str) -> list[dict[str, Any]]:
    """One to three milestones, one per line, each perhaps ending in a target week
    ("week 4", "Woche 4", "(KW 6)")."""
    lines = [line.strip(" -•*\t") for line in text.splitlines()]
    milestones = []
    for line in (line for line in lines if line):
        week = None
        found = _WEEK.search(line)
        if found is not None and found.start() > 0:
            week = int(found.group("week"))
            if not 1 <= week <= 52:
                raise Invalid(msg("agreement.milestone_week_range"))
            line = line[: found.start()].strip(" -–,;")
        milestones.append({"text": line[:200], "week": week})
    if not milestones:
        raise Invalid(msg("agreement.milestones_needed"))
    if len(milestones) > MAX_MILESTONES:
        raise Invalid(msg("agreement.milestones_too_many", given=len(milestones)))
    return milestones


def merge(
    parts: dict[int, dict[str, Any]], later: int, rules: dict[str, str] | None, now: datetime
) -> dict[str, Any]:
    """The agreement from both partners' parts (by member id). Goals are each partner's own;
    the rhythm is the one ``later`` chose (who saw the other's choice first, or answered
    last): the other partner confirms it with the whole agreement."""
    earlier = next(member for member in parts if member != later)
    chosen, other = parts[later], parts[earlier]
    return {
        "goals": {str(member): part["goals"] for member, part in parts.items()},
        "rhythm": {
            **chosen["slot"],
            "duration": chosen["duration"],
            "format": chosen["format"],
        },
        "rhythm_by": later,
        "rhythm_differs": not same_slot(chosen["slot"], other["slot"], now)
        or chosen["duration"] != other["duration"]
        or chosen["format"] != other["format"],
        "rules": rules,
    }
