"""What the bot does by itself around reflections: asks at the community's intervals, asks the
partner when one reflected on demand, and shows both partners' shared parts side by side.

* The reflections of a tandem are booked when its agreement is agreed
  (:func:`reflection_bookings`, keys ``tandem:<id>:reflect:<n>``, relative to when the tandem
  became active: every ``program.reflection_every_weeks`` weeks, and a final one at
  ``program.length_weeks``, and the program's completion a grace period after that; without
  a set length, for a year), so that ending the tandem cancels them.
* ``reflection_due``: one ``reflection_ask`` per partner (an active tandem only: a paused one
  lets that reflection pass).
* ``reflection_ask``: starts the ``reflect`` conversation in the member's DM when they are free
  (never interrupting), if there is a reflection for them to answer (the one named, if any).
* ``reflection_shared`` (both answered): the shared parts side by side in the pair space, in
  each partner's language, with the offer to adjust the agreement; after the final one, the
  program's completion follows (:mod:`flows.program_end`). What a partner kept private is
  never read here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.config import ProgramSettings
from bot.due import DueKind, DueRun
from bot.intents import Intent, Say
from bot.messages import Msg, msg, user_text
from bot.places import Place
from flows.bot_asks import start_when_free
from flows.pair_view import locale_of, name_of
from flows.program_end import GRACE, complete_now, completion_booking
from store.due_items import Booking
from store.members import MemberRecord
from store.reflections import ReflectionRecord
from store.tandems import ACTIVE, due_prefix

FLOW_ID = "reflect"


def reflection_bookings(
    tandem_id: int,
    active_at: datetime,
    program: ProgramSettings,
    now: datetime,
    round_: int = 1,
) -> list[Booking]:
    """The tandem's reflections from now on: every ``reflection_every_weeks`` weeks after it
    became active (or its program round ``round_`` began), and the final one at the end of the
    program, with the program's completion a grace period after it (without a set length,
    reflections for a year: a tandem that goes on longer reflects on demand)."""
    every, length = program.reflection_every_weeks, program.length_weeks
    weeks = [*range(every, length, every), length] if length else [*range(every, 53, every)]
    bookings = []
    for index, week in enumerate(weeks, 1):
        due_at = active_at + timedelta(weeks=week)
        if due_at > now:
            # The first round's keys name the index alone (as before rounds existed).
            name = str(index) if round_ == 1 else f"{round_}-{index}"
            key = due_prefix(tandem_id) + f"reflect:{name}"
            payload = {"tandem": tandem_id, "index": name}
            bookings.append(Booking(REFLECTION_DUE.name, key, due_at, payload=payload))
    if length:
        final = active_at + timedelta(weeks=length)
        bookings.append(completion_booking(tandem_id, round_, final + GRACE))
    return bookings


def shared_booking(tandem_id: int, number: int, now: datetime) -> Booking:
    key = due_prefix(tandem_id) + f"reflection:{number}:shared"
    payload = {"tandem": tandem_id, "number": number}
    return Booking(REFLECTION_SHARED.name, key, now, payload=payload)


def ask_partner_booking(tandem_id: int, member_id: int, number: int, now: datetime) -> Booking:
    """The partner is asked to reflect too (after a reflection on demand)."""
    return Booking(
        REFLECTION_ASK.name,
        due_prefix(tandem_id) + f"reflection:{number}:ask:{member_id}",
        now,
        member_id=member_id,
        payload={"tandem": tandem_id, "number": number},
    )


async def reflection_due(run: DueRun) -> list[Intent]:
    """The ``reflection_due`` item: each partner is asked (see the module)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    if tandem is None or tandem.state != ACTIVE:
        return []
    index = run.item.payload["index"]
    for member_id in tandem.members:
        await run.store.due.schedule(
            community_id=tandem.community_id,
            kind=REFLECTION_ASK.name,
            key=due_prefix(tandem.id) + f"reflect:{index}:ask:{member_id}",
            due_at=run.now,
            now=run.now,
            member_id=member_id,
            payload={"tandem": tandem.id},
        )
    return []


async def ask_to_reflect(run: DueRun) -> list[Intent]:
    """The ``reflection_ask`` item (see the module)."""
    tandem = await run.store.tandems.get(int(run.item.payload["tandem"]))
    member_id = run.item.member_id
    member = None if member_id is None else await run.store.members.get(member_id)
    if tandem is None or member is None or tandem.state != ACTIVE:
        return []
    if await run.store.program_ends.get(tandem.id, tandem.program_round) is not None:
        return []  # the round is complete: what comes next is the question how to go on
    number, open_for_them = await run.store.reflections.next_for(tandem.id, member.id)
    wanted = run.item.payload.get("number")
    if open_for_them and (wanted is None or wanted == number):
        await start_when_free(run, FLOW_ID, member)
    return []


def _side(member: MemberRecord, reflection: ReflectionRecord) -> Msg:
    """One partner's shared parts (or that they kept it private)."""
    shared, answers = set(reflection.shared), reflection.answers
    lines: list[Msg] = []
    if shared & {"progress", "notes"}:
        for goal in answers["goals"]:
            if "progress" in shared:
                lines.append(
                    msg(
                        "reflect.space_progress",
                        goal=user_text(goal["goal"]),
                        value=goal["progress"],
                    )
                )
            else:
                lines.append(msg("reflect.space_goal", goal=user_text(goal["goal"])))
            if "notes" in shared and goal.get("note"):
                lines.append(msg("reflect.space_note", note=user_text(goal["note"])))
    for part in ("helped", "change", "focus"):
        if part in shared and answers.get(part):
            lines.append(msg(f"reflect.space_{part}", text=user_text(answers[part])))
    if not lines:
        return msg("reflect.space_private", name=name_of(member))
    return msg("reflect.space_side", name=name_of(member), lines=lines)


async def show_shared(run: DueRun) -> list[Intent]:
    """The ``reflection_shared`` item (see the module)."""
    payload: dict[str, Any] = run.item.payload
    tandem = await run.store.tandems.get(int(payload["tandem"]))
    if tandem is None or tandem.space is None:
        return []
    pair = await run.store.reflections.pair(tandem.id, int(payload["number"]))
    members = [await run.store.members.get(member_id) for member_id in tandem.members]
    if len(pair) < 2 or None in members:
        return []
    by_member = {reflection.member_id: reflection for reflection in pair}
    known = [member for member in members if member is not None]
    sides = [_side(member, by_member[member.id]) for member in known]
    final = any(reflection.final for reflection in pair)
    space = Place.model_validate(tandem.space)
    agreement = run.spell(space.platform, "agreement")
    a, b = (name_of(member) for member in known)
    if final:
        # How the two go on is the program end's question, which follows this post.
        text = msg("reflect.space_final", a=a, b=b, sides=sides)
    else:
        text = msg(
            "reflect.space", a=a, b=b, number=payload["number"], sides=sides, agreement=agreement
        )
    for locale in dict.fromkeys(locale_of(member, run.settings) for member in known):
        await run.send(
            Say(target=space, locale=locale, text=text, private=False), f"space-{locale}"
        )
    if final:
        # Both answered the final reflection: the program's completion follows now.
        await complete_now(run, tandem.id, tandem.program_round)
    return []


REFLECTION_DUE = DueKind("reflection_due", reflection_due, urgent=True)
REFLECTION_ASK = DueKind("reflection_ask", ask_to_reflect)
REFLECTION_SHARED = DueKind("reflection_shared", show_shared, urgent=True)
