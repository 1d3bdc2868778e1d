"""How an agreement is shown: in the pair space (each partner's meeting time in their own
zone) and to one partner privately (in theirs), in the reader's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from bot.messages import Msg, msg, organizer_text, user_text
from flows.agreement_terms import Slot, in_zone, occurrence
from flows.pair_view import name_of
from store.members import MemberRecord


def slot_label(slot: Slot, locale: str, now: datetime, duration: int | None = None) -> str:
    """ "Monday 18:00" (or "Monday 18:00 – 19:00" with a duration) in the slot's own zone."""
    zone = ZoneInfo(slot["timezone"])
    start = occurrence(slot, now).astimezone(zone)
    day = format_datetime(start, "EEEE", tzinfo=zone, locale=locale)
    first = format_time(start, "short", tzinfo=zone, locale=locale)
    if duration is None:
        return f"{day} {first}"
    last = format_time(start + timedelta(minutes=duration), "short", tzinfo=zone, locale=locale)
    return f"{day} {first} – {last}"


def rules_text(rules: dict[str, str] | None) -> Msg:
    """The organizer's rules, or the bot's short default."""
    return msg("agreement.default_rules") if rules is None else organizer_text(rules)


def format_label(chosen: str) -> Msg:
    return msg(f"agreement.format.{chosen}")


def goal_lines(goals: list[dict[str, Any]]) -> list[Msg]:
    lines: list[Msg] = []
    for goal in goals:
        lines.append(msg("agreement.goal", goal=user_text(goal["goal"])))
        for milestone in goal["milestones"]:
            text = user_text(milestone["text"])
            if milestone.get("week"):
                lines.append(
                    msg("agreement.milestone_week", milestone=text, week=milestone["week"])
                )
            else:
                lines.append(msg("agreement.milestone", milestone=text))
    return lines


def rhythm_lines(
    rhythm: dict[str, Any], readers: list[MemberRecord], locale: str, now: datetime
) -> list[Msg]:
    """The meeting time as each reader sees it (one reader: "your time")."""
    slot: Slot = {key: rhythm[key] for key in ("weekday", "time", "timezone")}
    lines = []
    for reader in readers:
        zone = reader.timezone or slot["timezone"]
        when = slot_label(in_zone(slot, zone, now), locale, now, rhythm["duration"])
        if len(readers) == 1:
            lines.append(msg("agreement.rhythm_yours", when=when, zone=zone))
        else:
            lines.append(msg("agreement.rhythm_of", name=name_of(reader), when=when, zone=zone))
    return lines


def agreement_text(
    terms: dict[str, Any],
    version: int,
    members: list[MemberRecord],
    locale: str,
    now: datetime,
    reader: MemberRecord | None = None,
    goals: list[Msg] | None = None,
) -> Msg:
    """The whole agreement; ``reader`` None: for the pair space (both zones). ``goals``: the
    goal lines as the caller orders them (else each member's, in order)."""
    if goals is None:
        goals = []
        for member in members:
            goals.append(msg("agreement.goals_of", name=name_of(member)))
            goals += goal_lines(terms["goals"].get(str(member.id), []))
    rhythm = terms["rhythm"]
    in_person = rhythm["format"] == "in_person"
    return msg(
        "agreement.text",
        version=version,
        goals=goals,
        times=rhythm_lines(rhythm, members if reader is None else [reader], locale, now),
        duration=rhythm["duration"],
        format=format_label(rhythm["format"]),
        places=msg("agreement.places_note") if in_person else "",
        rules=rules_text(terms.get("rules")),
        zone=rhythm["timezone"],
    )
