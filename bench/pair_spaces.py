"""Opening the pair spaces of a match round: 200 spaces, each with a marker and a welcome.

    .venv/bin/python -m bench.pair_spaces                  # the loopback Discord, threads
    .venv/bin/python -m bench.pair_spaces --mode channel   # the loopback Discord, channels
    .venv/bin/python -m bench.pair_spaces --matrix         # a real Synapse (.synapse-venv)

Measured, each on a fresh platform and database:

* open: the 200 spaces opened one after another (the fan-out of a round), welcome included;
* again: the same 200 markers asked for again, as a round restarted after a crash does
  (each found in the bot's records);
* lost records: the bot's records dropped and the bot restarted, then the same 200 asked
  for again: each found on the platform by its tag, none made twice.

The loopback Discord answers at once and the test Synapse has its rate limits relaxed, so the
figures are the bot's own cost per space; real Discord adds its rate limits, and a Synapse
with its default limits allows about one new room a minute after a burst of ten (see
docs/matrix.md).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import print_figures
from bot.app import App
from bot.intents import OpenPairSpace
from bot.messages import msg, organizer_text
from bot.pair_spaces import MARKER_PREFIX
from bot.places import MemberRef, Place

SPACES = 200


def opening(platform: str, community: str, room: str, members: tuple[str, str], n: int):  # type: ignore[no-untyped-def]
    return OpenPairSpace(
        target=Place.room(platform, room),
        locale="en",
        community_id=community,
        members=tuple(MemberRef(platform=platform, user_id=m) for m in members),
        name=organizer_text({"en": f"Tandem {n}"}),
        welcome=msg("help.lead"),
        marker=f"bench-round:1:pair:{n}",
        idempotency_key=f"bench-{n}",
    )


async def open_all(app: App, platform: str, community: str, room: str, members) -> list[str]:  # type: ignore[no-untyped-def]
    spaces = []
    for n in range(SPACES):
        delivery = await app.deliver(opening(platform, community, room, members, n))
        assert delivery is not None
        assert delivery.place is not None
        spaces.append(str(delivery.place.channel_id))
    return spaces


async def timed(label: str, figures: dict[str, Any], work) -> list[str]:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    spaces = await work()
    figures[f"{label}_seconds"] = round(time.perf_counter() - began, 2)
    return spaces


async def drop_records(app: App, community: str, platform: str) -> None:
    """Forget what the bot noted about its spaces (a database restored from before the round)."""
    for key, _ in await app.store.adapter_state.with_prefix(community, platform, MARKER_PREFIX):
        await app.store.adapter_state.delete(community, platform, key)
    for key, _ in await app.store.adapter_state.with_prefix(community, platform, "room:"):
        await app.store.adapter_state.delete(community, platform, key)


async def bench_discord(mode: str, figures: dict[str, Any]) -> None:
    from tests.support.discord_loopback import LoopbackDiscord, payloads
    from tests.support.discord_tandem import running_tandem

    server = LoopbackDiscord()
    await server.start()
    try:
        with server.patch_discord(), tempfile.TemporaryDirectory() as folder:
            guild = server.add_guild()
            if mode == "channel":
                parent = server.add_text_channel(
                    guild, "Tandems", channel_type=payloads.CHANNEL_CATEGORY, announce=False
                )
                where: dict[str, Any] = {"pair_space": "channel", "pair_category_id": parent.id}
            else:
                parent = server.add_text_channel(guild, "tandems", announce=False)
                where = {"pair_channel_id": parent.id}
            ada, bob = server.add_member(guild, "ada"), server.add_member(guild, "bob")
            members = (str(ada.id), str(bob.id))
            database = Path(folder) / "bench.db"
            async with running_tandem(server, guild, database, **where) as tandem:
                app = tandem.app

                async def round_() -> list[str]:
                    return await open_all(app, "discord", "discord", str(parent.id), members)

                first = await timed("open", figures, round_)
                again = await timed("again", figures, round_)
                await drop_records(app, "discord", "discord")
            async with running_tandem(server, guild, database, **where) as tandem:
                app = tandem.app
                restored = await timed("lost_records", figures, round_)
            assert first == again == restored
            figures["spaces"] = len(set(first))
            figures["requests_to_discord"] = len(server.requests)
            if mode == "channel":
                figures["categories"] = sum(
                    1 for c in server.channels_in(guild) if c.type == payloads.CHANNEL_CATEGORY
                )
    finally:
        await server.stop()


async def bench_matrix(figures: dict[str, Any]) -> None:
    from tests.support.synapse.bot import TandemBot
    from tests.support.synapse.homeserver import Homeserver, unique_localpart

    with tempfile.TemporaryDirectory() as folder:
        homeserver = Homeserver(Path(folder) / "synapse")
        homeserver.start()
        bot = TandemBot(homeserver, Path(folder) / "tandem", run_scheduler=False)
        try:
            await asyncio.to_thread(bot.register)
            registered = [
                await asyncio.to_thread(homeserver.register_user, unique_localpart(name))
                for name in ("alice", "bob")
            ]
            members = (registered[0][0], registered[1][0])
            app = await bot.start()

            async def round_() -> list[str]:
                assert bot.app is not None
                return await open_all(bot.app, "matrix", "test-community", "!none", members)

            first = await timed("open", figures, round_)
            again = await timed("again", figures, round_)
            await drop_records(app, "test-community", "matrix")
            await bot.restart()
            restored = await timed("lost_records", figures, round_)
            assert first == again == restored
            figures["spaces"] = len(set(first))
        finally:
            await bot.stop()
            homeserver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["thread", "channel"], default="thread")
    parser.add_argument("--matrix", action="store_true", help="a real Synapse instead")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "platform": "synapse" if args.matrix else f"loopback-discord-{args.mode}",
        "pairs": SPACES,
    }
    if args.matrix:
        asyncio.run(bench_matrix(figures))
    else:
        asyncio.run(bench_discord(args.mode, figures))
    print_figures(figures)


if __name__ == "__main__":
    main()
