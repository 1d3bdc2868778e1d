"""What the bot sends on its own schedule reaches a Discord member once, whatever the crash.

A due item is run, and the bot "dies" at each point between claiming it and marking it done;
a new bot on the same database then runs what is due (taking over the dead bot's claim when its
lease runs out). The member's DM holds the message once:
a resend after the send carries the same nonce, which Discord (here the loopback, as
developers/resources/message.mdx describes ``enforce_nonce``) answers with the first message.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.due import LEASE, SimulatedCrash
from bot.i18n import Translator
from bot.messages import msg
from store import Store
from store.due_items import DONE
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_tandem import running_tandem
from tests.support.due_crash import REMINDER, crash_at, run_bot

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]


@pytest.mark.parametrize("point", ["claim", "claimed", "sent"])
async def test_a_crash_at_any_point_still_sends_the_message_once(
    loopback_discord: LoopbackDiscord, tmp_path: Path, point: str
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    database = tmp_path / "t.db"
    clock = FakeClock(datetime.now(UTC))
    async with running_tandem(server, guild, database, clock=clock) as tandem:
        app = tandem.app
        await app.run_due()  # the app's own maintenance run, out of the way
        app.due.kinds[REMINDER.name] = REMINDER
        now = clock.now()
        await app.store.due.schedule(
            community_id="discord",
            kind=REMINDER.name,
            key="reminder:1",
            payload={"platform": "discord", "user": str(ada.id)},
            due_at=now,
            now=now,
        )
        app.due.fault = crash_at(point)
        with pytest.raises(SimulatedCrash):
            await app.due.run_due()
        reminder = tandem.text(msg("pause.ended"))
        already = [m.content for m in tandem.dm_messages(ada)].count(reminder)
        assert already == (1 if point == "sent" else 0)

    async with running_tandem(server, guild, database, clock=clock) as again:
        again.app.due.kinds[REMINDER.name] = REMINDER
        await again.app.run_due()
        if point != "claim":  # the dead bot's claim holds until its lease runs out
            assert [m.content for m in again.dm_messages(ada)].count(reminder) == already
            clock.advance(LEASE)
            await again.app.run_due()
        assert [m.content for m in again.dm_messages(ada)].count(reminder) == 1
        item = await again.app.store.due.get("discord", "reminder:1")
        assert item is not None
        assert item.state == DONE


@pytest.mark.parametrize("point", ["claim", "claimed", "sent"])
async def test_a_bot_process_killed_at_any_point_still_sends_the_message_once(
    loopback_discord: LoopbackDiscord, tmp_path: Path, point: str
) -> None:
    """The same with a real process on the loopback Discord, killed outright (SIGKILL)."""
    server = loopback_discord
    guild = server.add_guild()
    ada = server.add_member(guild, "ada")
    database = tmp_path / "t.db"
    now = datetime.now(UTC)
    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    await store.due.schedule(
        community_id="discord",
        kind=REMINDER.name,
        key="reminder:1",
        payload={"platform": "discord", "user": str(ada.id)},
        due_at=now - timedelta(minutes=1),
        now=now,
    )
    await store.close()
    loopback = {
        "api_url": server.api_url,
        "gateway_url": server.gateway_url,
        "token": server.token,
        "guild_id": guild.id,
    }
    delivered = tmp_path / "unused.jsonl"
    assert await run_bot(database, delivered, now, point, loopback) == -signal.SIGKILL
    later = now + LEASE + timedelta(seconds=1)
    assert await run_bot(database, delivered, later, None, loopback) == 0

    reminder = Translator().render(msg("pause.ended"), "en")
    channel = server.world.dm_channels[ada.id]
    sent = [m.content for m in server.messages_in(channel) if m.author_id == server.bot.id]
    assert sent.count(reminder) == 1
