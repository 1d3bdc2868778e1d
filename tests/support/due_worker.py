"""One bot process that only runs due items, for the tests and the benchmark that run several.

``python -m tests.support.due_worker URL INSTANCE [BATCH] [SEND_SECONDS]`` prints ``ready``,
waits for a line on its standard input (so that several start at once), runs every due item of
the kind ``ping`` (each sends one message to a sink that records its idempotency key and takes
``SEND_SECONDS``, 0 by default, as a platform's answer would), then prints the keys it sent as
one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bot.clock import SystemClock
from bot.config import load_settings
from bot.due import DueKind, DueRun, DueService
from bot.intents import Intent, IntentBase, Say
from bot.messages import msg
from bot.places import MemberRef, Place
from store import Store

PING = "ping"


async def ping(run: DueRun) -> list[Intent]:
    member = MemberRef(platform="memory", user_id=str(run.item.payload.get("user", "x")))
    return [Say(target=Place.dm(member), locale="en", text=msg("pause.ended"))]


PING_KIND = DueKind(PING, ping, urgent=True)


async def work(url: str, instance: str, batch: int, send_seconds: float) -> list[str]:
    settings = load_settings(None, database={"url": url}, bot={"instance": instance})
    store = await Store.open(url, migrate=False)
    sent: list[str] = []

    async def send(intent: IntentBase) -> None:
        assert intent.idempotency_key is not None
        sent.append(intent.idempotency_key)
        await asyncio.sleep(send_seconds)  # a real send gives the loop away

    service = DueService(store, SystemClock(), settings, [PING_KIND], send, batch=batch)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        await service.run_due()
    finally:
        await store.close()
    return sent


def main() -> None:
    url, instance = sys.argv[1], sys.argv[2]
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    send_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    print(json.dumps(asyncio.run(work(url, instance, batch, send_seconds))), flush=True)


if __name__ == "__main__":
    main()
