"""The member's data rights (GDPR): ``mydata`` sends everything held, ``forget`` deletes it.

::

    forget:  confirm ──forget──▶ END (a running tandem ends first: its pair space is closed for
                                      the partner; then every row about the member is deleted)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.answers import NO_WORDS, YES_WORDS
from bot.flow import Action, ActionContext, ChoiceQuestion, Flow, FlowContext, Step
from bot.intents import AttachFile, ForgetMember, Intent, Option
from bot.messages import Msg, msg
from bot.places import MemberRef, Place, PlaceKind
from flows.blocking import blocks_for_export
from flows.data_export import export_markdown
from flows.endings import end_before_forgetting
from flows.safety_export import name_whom_reports_concern
from flows.tandem_export import with_partner_names
from store.members import MemberRecord

# Deleting everything is no success to tick off: a bin, not a green tick.
FORGET_CHOICES = (
    Option(
        id="forget", label=msg("forget.confirm"), emoji="🗑️", words=(YES_WORDS, msg("forget.words"))
    ),
    Option(
        id="keep", label=msg("forget.keep"), emoji="↩️", words=(NO_WORDS, msg("forget.keep.words"))
    ),
)


async def send_my_data(context: ActionContext) -> list[Intent]:
    member = context.member
    if member is None:
        return [context.reply(msg("mydata.nothing"))]
    data = await context.store.privacy.export(member)
    await with_partner_names(context.store, member, data)
    data["blocks"] = await blocks_for_export(context.store, member)
    await name_whom_reports_concern(context.store, data)
    place = context.dm_place()
    common: dict[str, Any] = {"target": place, "locale": context.locale}
    intents: list[Intent] = []
    if context.private_place != place:  # e.g. a note only they see in the Discord channel
        intents.append(context.reply(msg("mydata.sent_privately")))
    intents += [
        AttachFile(
            filename="tandem-my-data.json",
            content=json.dumps(data, ensure_ascii=False, indent=2).encode(),
            mime_type="application/json",
            caption=msg("mydata.caption_json"),
            **common,
        ),
        AttachFile(
            filename="tandem-my-data.md",
            content=export_markdown(data, context).encode(),
            mime_type="text/markdown",
            caption=msg("mydata.caption_markdown"),
            **common,
        ),
    ]
    return intents


# Data rights never wait for consent to a changed notice (see flows/consent.py).
MYDATA = Action(
    command="mydata", description=msg("command.mydata"), run=send_my_data, exempt_from_gate=True
)


def something_to_forget(member: MemberRecord | None, _spell: Callable[[str], str]) -> Msg | None:
    return msg("mydata.nothing") if member is None else None


def forgotten(member: MemberRecord, locale: str, place: Place | None = None) -> ForgetMember:
    """Tells the member's adapter that they were forgotten: it erases what it can on the
    platform and drops what it keeps outside the store (e.g. the console's exports). ``place``
    is where they were talking, if it was their DM."""
    if place is None or place.kind != PlaceKind.DM:
        ref = MemberRef(platform=member.platform, user_id=member.platform_user_id)
        place = Place.model_validate(member.dm_place) if member.dm_place else Place.dm(ref)
    return ForgetMember(target=place, locale=locale)


async def finish_forgetting(context: FlowContext) -> list[Msg | Intent]:
    if context.answers["confirm"] != "forget":
        return [msg("forget.kept")]
    member = context.member
    await end_before_forgetting(context)
    await context.store.privacy.forget(member)
    # Said first: the platform may then take the conversation away (Matrix leaves the DM).
    return [msg("forget.done"), forgotten(member, context.locale, context.place)]


FORGET = Flow(
    id="forget",
    version=1,
    command="forget",
    description=msg("command.forget"),
    guard=something_to_forget,
    exempt_from_gate=True,
    steps=(Step("confirm", ChoiceQuestion(prompt=msg("forget.ask"), options=FORGET_CHOICES)),),
    finish=finish_forgetting,
)
