"""One bot process whose members answer the join questionnaire as fast as they can, for the
tests that run two such processes on one PostgreSQL or kill one in the middle of a commit.

``python -m tests.support.answer_worker URL LOG NAME MEMBERS [--shared-every K]`` starts the app
(memory adapter, no scheduler, no rate limit) on ``URL``, prints ``ready``, waits for a line on
its standard input (so that several start at once), then lets the members ``m0`` …
``m<MEMBERS-1>`` all answer at the same time until each has finished joining. Every answer and
what the bot replied to it is appended to ``LOG`` as one JSON line, written straight to the
file before the member goes on: a line in the log is a reply the member saw, so it survives
the process being killed the moment after.

A member starts (or finds again) its conversation with ``join``: a conversation already running
answers with its current question. Each answer gets an event id of this process's own, except
every K-th one with ``--shared-every``: that one is named after the member and the question it
answers, so two processes that see the same question send the same event (as a platform
delivering one click to two replicas would). An answer refused as stale, or a replayed one the
bot says nothing to, makes the member ask ``join`` for the current question.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.events import ChoicePicked, CommandInvoked, EventBase, FormSubmitted
from bot.intents import Ask, Say
from bot.places import MemberRef
from tests.support.join_player import choose, text_answer

DONE = "join.done"
STALE = "prompt.stale"


class Log:
    """Appends JSON lines with one ``write`` each: what is written is the kernel's at once."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def line(self, record: dict[str, Any]) -> None:
        os.write(self._fd, (json.dumps(record) + "\n").encode())


def replies(rendered: list[Any]) -> list[dict[str, Any]]:
    said = []
    for item in rendered:
        intent = item.intent
        if isinstance(intent, Ask):
            said.append({"ask": intent.question.id, "prompt": intent.prompt_id})
        elif isinstance(intent, Say):
            said.append({"say": intent.text.id})
    return said


def answer_event(memory: MemoryAdapter, member: MemberRef, ask: Ask, event_id: str) -> EventBase:
    common = {"community_id": memory.community_id, "member": member, "place": memory.dm(member)}
    if ask.kind == "text":
        return FormSubmitted(
            event_id=event_id,
            prompt_id=ask.prompt_id,
            values={"answer": text_answer(ask)},
            **common,
        )
    ids = tuple(ask.options[number - 1].id for number in choose(ask))
    return ChoicePicked(event_id=event_id, prompt_id=ask.prompt_id, choice_ids=ids, **common)


async def member_joins(
    app: App, memory: MemoryAdapter, name: str, user: str, shared_every: int, log: Log
) -> None:
    member = memory.member(user)
    common = {"community_id": memory.community_id, "member": member, "place": memory.dm(member)}
    asks = 0
    answered = 0
    while True:
        asks += 1
        join = CommandInvoked(event_id=f"{name}:{user}:join:{asks}", name="join", **common)
        rendered = mine(await memory.push(join), user)
        said = replies(rendered)
        log.line({"member": user, "event": join.event_id, "join": True, "replies": said})
        ask = _last_ask(rendered)
        if ask is None:
            return  # nothing to ask: the member has joined (``join`` says so)
        while ask is not None:
            answered += 1
            shared = shared_every and answered % shared_every == 0
            event_id = f"shared:{user}:{ask.prompt_id}" if shared else f"{name}:{user}:{answered}"
            rendered = mine(await memory.push(answer_event(memory, member, ask, event_id)), user)
            said = replies(rendered)
            # How many answers a commit of this process took on average so far.
            batch = app.store.conversations.batch_figures["group_commit_per_batch"]
            log.line(
                {
                    "member": user,
                    "event": event_id,
                    "answered": ask.prompt_id,
                    "replies": said,
                    "batch": batch,
                }
            )
            if any(reply.get("say") == DONE for reply in said):
                return
            # The next question, or the same again; none: stale, or a replay (ask ``join``).
            ask = _last_ask(rendered)


def mine(rendered: list[Any], user: str) -> list[Any]:
    """What was sent to ``user`` (others answer at the same time, into the same list)."""
    return [item for item in rendered if item.place.user_id == user]


def _last_ask(rendered: list[Any]) -> Ask | None:
    asks = [item.intent for item in rendered if isinstance(item.intent, Ask)]
    return asks[-1] if asks else None


async def work(url: str, log_path: str, name: str, members: int, shared_every: int) -> None:
    settings = load_settings(None, database={"url": url}, bot={"rate_limit": {"enabled": False}})
    app = App(settings, clock=SystemClock(), adapter_names=["memory"], run_scheduler=False)
    await app.start()
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    log = Log(log_path)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        await asyncio.gather(
            *(member_joins(app, memory, name, f"m{i}", shared_every, log) for i in range(members))
        )
        log.line({"batches": app.store.conversations.batch_figures, "worker": name})
    finally:
        await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("name")
    parser.add_argument("members", type=int)
    parser.add_argument("--shared-every", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(work(args.url, args.log, args.name, args.members, args.shared_every))


if __name__ == "__main__":
    main()
