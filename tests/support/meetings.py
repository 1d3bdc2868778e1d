"""Helpers of the meeting tests on the memory adapter: a pair that made and confirmed its
agreement (through the real agreement conversation), and what each member was told."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.places import MemberRef, PlaceKind
from store.tandems import TandemRecord


async def agree(app: App, memory: MemoryAdapter, first: MemberRef, second: MemberRef) -> None:
    """Both answer their part of the agreement (``first`` picks the first slot proposed,
    ``second`` takes it: their pick shows first), 60 minutes by video; both confirm."""
    for member in (first, second):
        await memory.pick(member, "write")
        await memory.submit(member, "Grow")
        await memory.submit(member, "One step")
        await memory.pick(member, memory.last_ask(member).options[0].id)
        for answer in ("60", "video", "accept"):
            await memory.pick(member, answer)
    await app.run_due()
    for member in (first, second):
        await memory.pick(member, "confirm")
    await app.run_due()


async def tandem_of(app: App, user: str) -> TandemRecord:
    member = await app.store.members.find("memory", "memory", user)
    assert member is not None
    tandem = await app.store.tandems.latest_for(member.id)
    assert tandem is not None
    return tandem


def dms(memory: MemoryAdapter, member: MemberRef, since: int = 0) -> list[str]:
    """What the member received in their DM, from the ``since``-th message of all sent."""
    return [
        rendered.text
        for rendered in memory.sent[since:]
        if rendered.place.kind == PlaceKind.DM and rendered.place.user_id == member.user_id
    ]


def in_space(memory: MemoryAdapter, since: int = 0) -> list[str]:
    return [
        rendered.text
        for rendered in memory.sent[since:]
        if rendered.place.kind == PlaceKind.PAIR_SPACE
    ]
