"""What the bot sends on its own schedule reaches a Matrix member once, even when the bot dies
between sending and marking the item done: the resend after the restart carries the same
transaction id, and Synapse answers it with the first event instead of posting a second."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.due import LEASE, SimulatedCrash
from bot.messages import msg
from store.due_items import DONE
from tests.support.due_crash import REMINDER, crash_at
from tests.support.synapse.bot import TandemBot, open_dm
from tests.support.synapse.fixtures import MatrixUserFactory

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]


async def test_a_crash_after_sending_does_not_send_twice(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    tandem_bot.run_scheduler = False  # the test runs the due items itself
    app = await tandem_bot.start()
    chat = await open_dm(alice, tandem_bot)
    await chat.exchange("!tandem help")  # the bot knows the DM now
    await app.run_due()  # the app's own maintenance run, out of the way
    app.due.kinds[REMINDER.name] = REMINDER
    now = datetime.now(UTC)
    await app.store.due.schedule(
        community_id="test-community",
        kind=REMINDER.name,
        key="reminder:1",
        payload={"platform": "matrix", "user": alice.user_id},
        due_at=now,
        now=now,
    )
    app.due.fault = crash_at("sent")
    with pytest.raises(SimulatedCrash):
        await app.due.run_due()
    reminder = app.translator.render(msg("pause.ended"), "en")
    [first] = await chat.next()
    assert first.body == reminder

    again = await tandem_bot.restart()
    again.due.kinds[REMINDER.name] = REMINDER
    assert await again.run_due() == 0  # the dead bot's claim holds until its lease runs out
    again.clock.advance(LEASE)  # type: ignore[attr-defined]
    assert await again.run_due() == 1
    assert await chat.quiet_for(1.5) == []  # Synapse dropped the resend
    item = await again.store.due.get("test-community", "reminder:1")
    assert item is not None
    assert item.state == DONE
    assert [m.body for m in chat.bot_messages()].count(reminder) == 1
