"""A bot process killed outright (SIGKILL) at each point of running a due item — inside the
claim's transaction, after the claim, after sending — and a new process started on the same
database: the member receives the message exactly once."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.due import LEASE
from bot.i18n import Translator
from bot.messages import msg
from store import Store
from store.due_items import DONE
from tests.support.due_crash import run_bot

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("point", ["claim", "claimed", "sent"])
async def test_a_killed_bot_still_delivers_the_message_exactly_once(
    tmp_path: Path, point: str
) -> None:
    database, delivered = tmp_path / "tandem.db", tmp_path / "delivered.jsonl"
    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    await store.due.schedule(
        community_id="memory",
        kind="test_reminder",
        key="reminder:1",
        payload={"user": "ana"},
        due_at=NOW - timedelta(minutes=1),
        now=NOW,
    )
    await store.close()

    assert await run_bot(database, delivered, NOW, kill=point) == -signal.SIGKILL
    # Restarted after the dead process's lease ran out, as the next start would find it.
    assert await run_bot(database, delivered, NOW + LEASE + timedelta(seconds=1), None) == 0

    reminder = Translator().render(msg("pause.ended"), "en")
    lines = delivered.read_text(encoding="utf-8").splitlines() if delivered.exists() else []
    seen = [json.loads(line) for line in lines]
    assert seen.count({"user": "ana", "text": reminder}) == 1
    store = await Store.open(f"sqlite+aiosqlite:///{database}")
    try:
        item = await store.due.get("memory", "reminder:1")
        assert item is not None
        assert item.state == DONE
    finally:
        await store.close()
